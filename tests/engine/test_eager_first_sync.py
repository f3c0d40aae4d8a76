"""A project's first sync writes its records while the files parse (engine.eager): the database must end up exactly
as the write-after-parse path leaves it — every table, the full-text index — and fall back to it whenever the plan
is not "create what was parsed"."""

from __future__ import annotations

import datetime as dt
import shutil
import sys
import threading
import uuid
from pathlib import Path
from typing import Any

import pytest
from sqlalchemy import select, text

from conftest import GitRepo
from specs import adr, contract, feature
from tracertm import db
from tracertm.errors import Cancelled
from tracertm.kinds import NUMBER_COLUMN
from tracertm.models import Base
from tracertm.search.documents import DOCUMENTS
from tracertm.engine import eager as eager_mod
from tracertm.engine import sync as sync_mod
from tracertm.engine.sync import sync

REPO = Path(__file__).resolve().parents[2]
if str(REPO) not in sys.path:  # ``bench`` is a top-level folder of the repository
    sys.path.insert(0, str(REPO))

from bench import corpus as corpus_mod  # noqa: E402


class _Spy:
    """Counts the eager writer's outcomes (kept / rolled back) without changing what it does."""

    def __init__(self, monkeypatch: pytest.MonkeyPatch) -> None:
        self.kept = 0
        self.abandoned: list[str] = []
        self.flushes_during_parse = 0
        finish, flush = eager_mod.EagerWriter.finish, eager_mod.EagerWriter._flush
        spy = self

        def finishing(writer: Any, plan: Any) -> Any:
            writer._finishing = True
            ids = finish(writer, plan)
            if ids is None:
                spy.abandoned.append(writer.abandoned)
            else:
                spy.kept += 1
            return ids

        def flushing(writer: Any) -> None:
            if not getattr(writer, "_finishing", False):
                spy.flushes_during_parse += 1
            flush(writer)

        monkeypatch.setattr(eager_mod.EagerWriter, "finish", finishing)
        monkeypatch.setattr(eager_mod.EagerWriter, "_flush", flushing)


def _labels(conn: Any) -> dict[Any, str]:
    """Every record's and file's row id → a name that does not depend on the random ids."""
    out: dict[Any, str] = {}
    tables = Base.metadata.tables
    features = {}
    for kind, column in NUMBER_COLUMN.items():
        if kind == "scenario" or column is None:
            continue
        for row_id, number in conn.execute(select(tables[_table(kind)].c.id, tables[_table(kind)].c[column])):
            out[row_id] = f"{kind}:{number}"
            if kind == "feature":
                features[row_id] = number
    s = tables["scenarios"].c
    for row_id, feature_id, number in conn.execute(select(s.id, s.feature_id, s.scenario_number)):
        out[row_id] = f"scenario:{features[feature_id]}/{number}"
    f = tables["source_files"].c
    for row_id, path in conn.execute(select(f.id, f.path)):
        out[row_id] = f"file:{path}"
    for (row_id,) in conn.execute(select(tables["projects"].c.id)):
        out[row_id] = "project"
    for (row_id,) in conn.execute(select(tables["sync_runs"].c.id)):
        out[row_id] = "run"
    return out


def _table(kind: str) -> str:
    from tracertm import kinds

    return kinds.table(kind).name


def dump(engine: Any) -> dict[str, list[str]]:
    """Every table's rows, ids replaced by names and times by a marker, sorted: two databases written from the same
    files must dump equal."""
    out: dict[str, list[str]] = {}
    with engine.connect() as conn:
        labels = _labels(conn)
        for table in Base.metadata.sorted_tables:
            rows = []
            for row in conn.execute(select(table)).mappings():
                values = {}
                for key, value in row.items():
                    if (table.name, key) in (("links", "id"), ("spec_revisions", "seq")):
                        continue  # numbered as written: the eager writer inserts rows in the order files arrive
                    if isinstance(value, uuid.UUID):
                        value = labels.get(value, "?unknown id")
                    elif isinstance(value, (dt.datetime, dt.date)):
                        value = "<time>"
                    values[key] = value
                rows.append(repr(sorted(values.items())))
            out[table.name] = sorted(rows)
    return out


def fts_dump(engine: Any) -> dict[str, list[tuple[str, str, str]]]:
    """SQLite's full-text index: (record, title, body) of every indexed row."""
    out: dict[str, list[tuple[str, str, str]]] = {}
    with engine.connect() as conn:
        labels = _labels(conn)
        for document in DOCUMENTS.values():
            rows = conn.execute(text(
                f"SELECT t.id, f.title, f.body FROM {document.fts_table} f "
                f"JOIN {document.table} t ON t.rowid = f.rowid"
            )).all()
            count = conn.execute(text(f"SELECT count(*) FROM {document.fts_table}")).scalar_one()
            assert count == len(rows)  # no index entry without its row
            out[document.table] = sorted(
                (labels[uuid.UUID(r[0]) if isinstance(r[0], str) else r[0]], r[1], r[2]) for r in rows
            )
    return out


@pytest.fixture
def plain_engine(engine: Any, tmp_path: Path, request: pytest.FixtureRequest) -> Any:
    """Another empty, migrated database of the same kind as ``engine``'s."""
    if engine.dialect.name == "sqlite":
        path = tmp_path / "plain.db"
        shutil.copy(request.getfixturevalue("_sqlite_template"), path)
        other = db.make_engine(f"sqlite:///{path}")
        yield other
        other.dispose()
        return
    from conftest import _fresh_pg

    for url in _fresh_pg(request.getfixturevalue("_pg_template")):  # dropped when the loop ends
        other = db.make_engine(url)
        yield other
        other.dispose()


def test_a_first_sync_written_while_parsing_equals_the_plain_write(
    tmp_path: Path, engine: Any, plain_engine: Any, monkeypatch: pytest.MonkeyPatch
) -> None:
    # Over the parse pool's threshold (210 files); three scenarios a feature (not the corpus's ten) are rows enough.
    corpus = corpus_mod.build(tmp_path / "corpus", "small", 3, adrs=90, contracts=60, features=60, scenarios=3)
    # Links to records that do not exist (dangling), besides the corpus's own (targets written before and after
    # their sources).
    (corpus.root / "features" / "zz-dangling.feature").write_text(
        feature(9999, "Dangling").replace("@FEAT-9999", "@FEAT-9999 @ADR-9998", 1).replace(
            "As a user", "As a user of ADR-9997 and ADR-0001", 1), encoding="utf-8")
    corpus_mod.git(corpus.root, "add", "-A")
    corpus_mod.git(corpus.root, "commit", "-q", "-m", "dangling")
    spy = _Spy(monkeypatch)
    monkeypatch.setattr(eager_mod, "FLUSH_AT", 50)  # many writes while the two workers parse
    eager = sync(corpus.root, engine=engine, jobs=2)
    assert spy.kept == 1 and spy.abandoned == [] and spy.flushes_during_parse > 3

    monkeypatch.setattr(sync_mod, "EAGER_FIRST_SYNC", False)
    monkeypatch.setattr(sync_mod, "DEFER_INDEX_AT", 10**9)  # and the search index kept by its row triggers
    plain = sync(corpus.root, engine=plain_engine, jobs=2)
    assert spy.kept == 1  # the plain path never made an eager writer

    assert eager.counts == plain.counts and eager.errors == plain.errors and eager.warnings == plain.warnings
    assert eager.counts["scenario"]["created"] == 60 * 3 + 2
    assert len(eager.links) >= 2  # the dangling links, reported alike
    assert [op.as_dict() for op in eager.operations] == [op.as_dict() for op in plain.operations]
    assert sorted(map(str, eager.links)) == sorted(map(str, plain.links))
    assert dump(engine) == dump(plain_engine)
    if engine.dialect.name == "sqlite":
        assert fts_dump(engine) == fts_dump(plain_engine)
    # And the next sync sees nothing to do, on both.
    assert not sync(corpus.root, engine=engine, jobs=2).changed


def test_two_files_claiming_one_id_roll_the_eager_rows_back(
    git_repo: GitRepo, engine: Any, plain_engine: Any, monkeypatch: pytest.MonkeyPatch
) -> None:
    for i in range(1, 8):
        git_repo.write(f"docs/adr/{i:04d}-d.md", adr(i, f"Decision {i}"))
        git_repo.write(f"contracts/c{i}.yaml", contract(i, f"Contract {i}"))
        git_repo.write(f"features/f{i}.feature", feature(i, f"Feature {i}"))
    git_repo.write("contracts/again.yaml", contract(3, "Contract 3 again"))  # CTR-0003 twice
    git_repo.commit("seed")
    spy = _Spy(monkeypatch)
    monkeypatch.setattr(eager_mod, "FLUSH_AT", 2)
    eager = sync(git_repo.path, engine=engine)
    assert spy.kept == 0 and len(spy.abandoned) == 1 and "claimed twice" in spy.abandoned[0]
    monkeypatch.setattr(sync_mod, "EAGER_FIRST_SYNC", False)
    plain = sync(git_repo.path, engine=plain_engine)
    assert [str(d) for d in eager.errors] == [str(d) for d in plain.errors] and len(eager.errors) == 1
    assert eager.counts == plain.counts
    assert dump(engine) == dump(plain_engine)
    if engine.dialect.name == "sqlite":  # the index entries of the rolled-back rows went with them
        assert fts_dump(engine) == fts_dump(plain_engine)


def test_a_plan_that_differs_from_the_eager_rows_rolls_them_back(
    git_repo: GitRepo, engine: Any, plain_engine: Any, monkeypatch: pytest.MonkeyPatch
) -> None:
    """Whatever the reason the plan differs (here: a plan told to skip one record), the plan wins."""
    for i in range(1, 6):
        git_repo.write(f"docs/adr/{i:04d}-d.md", adr(i, f"Decision {i}"))
    git_repo.commit("seed")
    from tracertm.engine import plan as plan_mod

    real_plan = plan_mod.plan

    def fewer(*args: Any, **kwargs: Any) -> Any:
        result = real_plan(*args, **kwargs)
        result.operations = [op for op in result.operations if op.number != "ADR-0002"]
        return result

    monkeypatch.setattr(plan_mod, "plan", fewer)
    spy = _Spy(monkeypatch)
    eager = sync(git_repo.path, engine=engine)
    assert spy.kept == 0 and "operations" in spy.abandoned[0]
    monkeypatch.setattr(sync_mod, "EAGER_FIRST_SYNC", False)
    sync(git_repo.path, engine=plain_engine)
    assert eager.counts["adr"]["created"] == 4
    assert dump(engine) == dump(plain_engine)


def test_a_row_refused_mid_batch_rolls_the_eager_rows_back(
    git_repo: GitRepo, engine: Any, plain_engine: Any, monkeypatch: pytest.MonkeyPatch
) -> None:
    """The eager writer's batches have no savepoint of their own (``execute_batch(probe=False)``): a row refused
    in the middle of one leaves the rows before it written until the writer rolls its savepoint back. Here the
    first insert of ADRs writes half its rows, then fails; the fallback (``apply``) must find a database holding
    none of them and end up as a plain sync does."""
    from tracertm.engine import bulk

    for i in range(1, 9):
        git_repo.write(f"docs/adr/{i:04d}-d.md", adr(i, f"Decision {i}"))
        git_repo.write(f"features/f{i}.feature", feature(i, f"Feature {i}"))
    git_repo.commit("seed")
    real = bulk.execute_many
    refused: list[int] = []

    def refuse_once(conn: Any, statement: Any, rows: Any) -> int:
        if not refused and getattr(getattr(statement, "table", None), "name", "") == "adrs" and len(rows) > 1:
            refused.append(len(rows))
            real(conn, statement, rows[: len(rows) // 2])  # what a driver has written when a later row fails
            raise conn.dialect.dbapi.Error("value refused by the database")
        return real(conn, statement, rows)

    monkeypatch.setattr(bulk, "execute_many", refuse_once)
    spy = _Spy(monkeypatch)
    eager = sync(git_repo.path, engine=engine)
    assert refused and spy.kept == 0 and len(spy.abandoned) == 1 and "refused" in spy.abandoned[0]
    monkeypatch.setattr(sync_mod, "EAGER_FIRST_SYNC", False)
    plain = sync(git_repo.path, engine=plain_engine)
    assert eager.counts == plain.counts and eager.counts["adr"]["created"] == 8
    assert dump(engine) == dump(plain_engine)
    if engine.dialect.name == "sqlite":
        assert fts_dump(engine) == fts_dump(plain_engine)


def test_a_second_sync_and_a_commit_source_are_not_eager(
    git_repo: GitRepo, engine: Any, monkeypatch: pytest.MonkeyPatch
) -> None:
    git_repo.write("docs/adr/0001-d.md", adr(1, "One"))
    head = git_repo.commit("seed")
    spy = _Spy(monkeypatch)
    sync(git_repo.path, engine=engine, ref=head)  # a commit: revisions name its author, known after planning
    assert spy.kept == 0 and spy.abandoned == []
    git_repo.write("docs/adr/0002-d.md", adr(2, "Two"))
    git_repo.commit("more")
    assert sync(git_repo.path, engine=engine).counts["adr"]["created"] == 1
    assert spy.kept == 0 and spy.abandoned == []


def test_cancelling_while_the_first_sync_parses_writes_nothing(
    git_repo: GitRepo, engine: Any, monkeypatch: pytest.MonkeyPatch
) -> None:
    for i in range(1, 6):
        git_repo.write(f"docs/adr/{i:04d}-d.md", adr(i, f"Decision {i}"))
    git_repo.commit("seed")
    cancel = threading.Event()
    consume = eager_mod.EagerWriter.consume
    seen: list[str] = []

    def consuming(writer: Any, path: str, outcome: Any) -> None:
        seen.append(path)
        if len(seen) == 3:
            writer._flush()  # rows are in the database's transaction when the cancel comes
            cancel.set()
        consume(writer, path, outcome)

    monkeypatch.setattr(eager_mod.EagerWriter, "consume", consuming)
    with pytest.raises(Cancelled):
        sync(git_repo.path, engine=engine, cancel=cancel)
    tables = Base.metadata.tables
    with engine.connect() as conn:
        for name in ("adrs", "spec_revisions", "source_files", "links"):
            assert conn.execute(select(tables[name].c.id)).first() is None
        assert conn.execute(select(tables["sync_runs"].c.status)).scalars().all() == ["failed"]


def test_rows_sent_through_the_driver_equal_sqlalchemys_own_executemany(
    tmp_path: Path, engine: Any, plain_engine: Any, monkeypatch: pytest.MonkeyPatch
) -> None:
    """``engine.bulk`` builds the driver's parameters itself (ids inline from ``engine.ids.Id``, enum and boolean
    values from tables, JSON texts, ``COPY`` on PostgreSQL): a first sync through it leaves every table and the
    search index exactly as the same sync whose statements go through SQLAlchemy's own ``executemany``."""
    from tracertm.engine import bulk

    corpus = corpus_mod.build(tmp_path / "corpus", "small", 5, adrs=40, contracts=30, features=30, scenarios=4)
    fast = sync(corpus.root, engine=engine, jobs=2)

    def plain(conn: Any, statement: Any, rows: Any) -> int:
        return int(conn.execute(statement, list(rows)).rowcount)

    monkeypatch.setattr(bulk, "execute_many", plain)
    slow = sync(corpus.root, engine=plain_engine, jobs=2)
    assert fast.counts == slow.counts and fast.counts["scenario"]["created"] > 100
    assert dump(engine) == dump(plain_engine)
    if engine.dialect.name == "sqlite":
        assert fts_dump(engine) == fts_dump(plain_engine)
