"""search.deferred: a bulk write indexes its rows once at the end; the index must hold exactly what the row triggers
would have put there, and an error must leave the triggers in place."""

from __future__ import annotations

from typing import Any

import pytest
from sqlalchemy import text

from conftest import GitRepo
from specs import adr, contract, feature
from tracertm.search.deferred import deferred_index
from tracertm.search.documents import DOCUMENTS
from tracertm.engine import sync as sync_mod
from tracertm.engine.sync import sync


def _index(conn: Any) -> dict[str, list[tuple[int, str, str]]]:
    return {
        d.table: sorted(tuple(r) for r in conn.execute(text(f"SELECT rowid, title, body FROM {d.fts_table}")))
        for d in DOCUMENTS.values()
    }


def _what_the_triggers_write(conn: Any) -> dict[str, list[tuple[int, str, str]]]:
    """The trigger's own expression over every row: what a row-by-row index holds."""
    return {
        d.table: sorted(
            tuple(r) for r in conn.execute(text(f"SELECT rowid, {d.title}, {d.sqlite_body(d.table)} FROM {d.table}"))
        )
        for d in DOCUMENTS.values()
    }


def _triggers(conn: Any) -> tuple[set[str], set[str]]:
    main = {r[0] for r in conn.execute(text("SELECT name FROM sqlite_master WHERE type = 'trigger'"))}
    temp = {r[0] for r in conn.execute(text("SELECT name FROM sqlite_temp_master"))}
    return main, temp


def _seed(repo: GitRepo, n: int) -> None:
    for i in range(1, n + 1):
        repo.write(f"docs/adr/{i:04d}-d.md", adr(i, f"Decision {i}"))
        repo.write(f"contracts/c{i}.yaml", contract(i, f"Contract {i}"))
        repo.write(f"features/f{i}.feature", feature(i, f"Feature {i}"))
    repo.commit("seed")


@pytest.mark.parametrize("database_url", ["sqlite"], indirect=True)
def test_creates_updates_moves_and_deletes_index_as_the_triggers_would(
    git_repo: GitRepo, engine: Any, monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.setattr(sync_mod, "DEFER_INDEX_AT", 1)  # every write phase defers its indexing
    _seed(git_repo, 12)
    sync(git_repo.path, engine=engine)
    git_repo.git("rm", "-q", "docs/adr/0002-d.md", "features/f2.feature")
    git_repo.write("docs/adr/0003-d.md", adr(3, "Decision three", decision="We will do something else entirely."))
    git_repo.git("mv", "contracts/c4.yaml", "contracts/moved.yaml")
    git_repo.write("features/f5.feature", feature(5, "Feature five", {"only": ["Given one", "Then done"]}))
    git_repo.write("docs/adr/0040-d.md", adr(40, "Decision forty"))
    git_repo.commit("change")
    result = sync(git_repo.path, engine=engine)
    assert result.counts["adr"]["deleted"] == 1 and result.counts["adr"]["updated"] == 1
    git_repo.write("docs/adr/0002-d.md", adr(2, "Decision 2 is back"))  # restored
    git_repo.commit("restore")
    assert sync(git_repo.path, engine=engine).counts["adr"]["restored"] == 1
    with engine.connect() as conn:
        assert _index(conn) == _what_the_triggers_write(conn)
        main, temp = _triggers(conn)
    assert temp == set()
    assert {f"{d.fts_table}_{s}" for d in DOCUMENTS.values() for s in ("ai", "ad", "au")} <= main
    # And the triggers work again afterwards, for writers that do not defer.
    with engine.begin() as conn:
        conn.execute(text("UPDATE adrs SET title = 'Zebra crossing' WHERE adr_number = 'ADR-0001'"))
    with engine.connect() as conn:
        assert _index(conn) == _what_the_triggers_write(conn)
        assert conn.execute(text("SELECT count(*) FROM adrs_fts WHERE adrs_fts MATCH 'zebra'")).scalar_one() == 1


@pytest.mark.parametrize("database_url", ["sqlite"], indirect=True)
def test_an_error_inside_leaves_the_triggers_and_the_index_as_they_were(git_repo: GitRepo, engine: Any) -> None:
    _seed(git_repo, 3)
    sync(git_repo.path, engine=engine)
    with engine.connect() as conn:
        before_index, before_triggers = _index(conn), _triggers(conn)
    with engine.connect() as conn:
        trans = conn.begin()
        with pytest.raises(RuntimeError):
            with deferred_index(conn):
                conn.execute(text("UPDATE adrs SET title = 'Changed'"))
                raise RuntimeError("boom")
        trans.rollback()
        assert _triggers(conn) == before_triggers  # the same connection: no TEMP trigger left on it either
        assert _index(conn) == before_index


@pytest.mark.parametrize("database_url", ["sqlite"], indirect=True)
def test_a_backfill_batch_indexes_as_the_triggers_would(
    git_repo: GitRepo, engine: Any, monkeypatch: pytest.MonkeyPatch
) -> None:
    from tracertm.history.backfill import backfill
    from tracertm.search import deferred

    used: list[int] = []
    real = deferred.deferred_index

    def counting(conn: Any, kinds: Any = None) -> Any:
        used.append(1)
        return real(conn, kinds)

    monkeypatch.setattr(deferred, "deferred_index", counting)
    _seed(git_repo, 50)  # 250 rows in the first batch: deferred
    for round_ in range(3):  # then updates, deletes and new records, commit by commit
        git_repo.write(f"docs/adr/{round_ + 1:04d}-d.md", adr(round_ + 1, f"Decision {round_} revised"))
        git_repo.git("rm", "-q", f"features/f{round_ + 10}.feature")
        git_repo.write(f"contracts/n{round_}.yaml", contract(100 + round_, f"New contract {round_}"))
        git_repo.commit(f"round {round_}")
    result = backfill(git_repo.path, engine=engine)
    assert result.commits == 4 and used
    with engine.connect() as conn:
        assert conn.execute(text("SELECT count(*) FROM scenarios")).scalar_one() >= 60
        assert _index(conn) == _what_the_triggers_write(conn)
        main, temp = _triggers(conn)
    assert temp == set() and {f"{d.fts_table}_{s}" for d in DOCUMENTS.values() for s in ("ai", "ad", "au")} <= main
