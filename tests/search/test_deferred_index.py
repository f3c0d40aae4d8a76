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


def _copy_adr(conn: Any, number: str, title: str, rowid: int | None = None) -> None:
    """A new ADR row made from ADR-0001's (a fresh id, ``number``, ``title``; at ``rowid`` when given)."""
    columns = [r[1] for r in conn.execute(text("PRAGMA table_info(adrs)"))]
    values = {"id": "lower(hex(randomblob(16)))", "adr_number": f"'{number}'", "title": f"'{title}'"}
    select_list = ", ".join(values.get(c, c) for c in columns)
    names = ", ".join(columns)
    if rowid is not None:
        names, select_list = f"rowid, {names}", f"{rowid}, {select_list}"
    conn.execute(text(f"INSERT INTO adrs ({names}) SELECT {select_list} FROM adrs WHERE adr_number = 'ADR-0001'"))


@pytest.mark.parametrize("database_url", ["sqlite"], indirect=True)
def test_new_rows_found_by_rowid_freed_rowids_and_savepoints_index_as_the_triggers_would(
    git_repo: GitRepo, engine: Any
) -> None:
    """New rows are not logged but found above the largest rowid: a rowid freed by a delete and taken again, a row
    inserted then changed or deleted before the index is written, a savepoint rolled back after a flush."""
    _seed(git_repo, 4)
    sync(git_repo.path, engine=engine)
    with engine.begin() as conn:
        with deferred_index(conn) as index:
            top = conn.execute(text("SELECT max(rowid) FROM adrs")).scalar_one()
            conn.execute(text(f"DELETE FROM adrs WHERE rowid = {top}"))  # its rowid is free again...
            _copy_adr(conn, "ADR-0100", "Freed rowid taken")  # ...and taken by this row
            assert conn.execute(text("SELECT max(rowid) FROM adrs")).scalar_one() == top
            _copy_adr(conn, "ADR-0101", "Inserted then renamed")
            conn.execute(text("UPDATE adrs SET title = 'Renamed before indexing' WHERE adr_number = 'ADR-0101'"))
            _copy_adr(conn, "ADR-0102", "Inserted then deleted")
            conn.execute(text("DELETE FROM adrs WHERE adr_number = 'ADR-0102'"))
            index.flush()
            _copy_adr(conn, "ADR-0103", "After the flush")
            conn.execute(text("UPDATE adrs SET title = 'Renamed after indexing' WHERE adr_number = 'ADR-0100'"))
            top = conn.execute(text("SELECT max(rowid) FROM adrs")).scalar_one()
            conn.execute(text(f"DELETE FROM adrs WHERE rowid = {top}"))  # ADR-0103, never indexed
            _copy_adr(conn, "ADR-0104", "Freed again")
            savepoint = conn.begin_nested()
            _copy_adr(conn, "ADR-0105", "Rolled back")
            index.flush()
            savepoint.rollback()  # the row, its index entry and the mark go back to before it
            _copy_adr(conn, "ADR-0106", "After the rollback")  # takes ADR-0105's rowid
    with engine.connect() as conn:
        assert _index(conn) == _what_the_triggers_write(conn)
        titles = {r[0] for r in conn.execute(text("SELECT title FROM adrs_fts"))}
        assert {"Freed rowid taken", "Renamed after indexing"} & titles == {"Renamed after indexing"}
        assert {"Renamed before indexing", "Freed again", "After the rollback"} <= titles
        assert not {"Inserted then deleted", "After the flush", "Rolled back"} & titles
        assert _triggers(conn)[1] == set()


@pytest.mark.parametrize("database_url", ["sqlite"], indirect=True)
def test_a_table_whose_rowids_near_the_top_logs_its_inserts(git_repo: GitRepo, engine: Any) -> None:
    """Above 2**62 SQLite may pick new rowids at random (below the largest): such a table logs each insert."""
    _seed(git_repo, 2)
    sync(git_repo.path, engine=engine)
    with engine.begin() as conn:
        _copy_adr(conn, "ADR-0200", "Near the top", rowid=2**63 - 2)
    with engine.begin() as conn:
        with deferred_index(conn):
            temp = {r[0] for r in conn.execute(text("SELECT name FROM sqlite_temp_master WHERE type = 'trigger'"))}
            assert "adrs_fts_log_ai" in temp and "scenarios_fts_log_ai" not in temp
            _copy_adr(conn, "ADR-0201", "Top rowid")  # 2**63 - 1
            _copy_adr(conn, "ADR-0202", "Random rowid")  # the largest is taken: SQLite picks one at random
    with engine.connect() as conn:
        assert _index(conn) == _what_the_triggers_write(conn)
        assert len(_index(conn)["adrs"]) == 5
