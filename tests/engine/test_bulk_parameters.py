"""engine.bulk: the driver parameters are exactly the values SQLAlchemy would send (processors, Python defaults)."""

from __future__ import annotations

import datetime as dt
import time
import uuid
from typing import Any

import pytest
from sqlalchemy import insert, update, bindparam

from tracertm.engine import bulk
from tracertm.engine.apply import REVISIONS, SOURCE_FILES, TABLES
from tracertm.engine.links import LINKS


def _reference(form: bulk.Prepared, rows: list[dict[str, Any]]) -> list[Any]:
    """Parameter by parameter, the plain way."""
    out = []
    for row in rows:
        values = []
        for name, processor, default in form._plan:
            value = row[name] if default is bulk._FROM_ROW else default()
            values.append(processor(value) if processor is not None else value)
        out.append(tuple(values) if form.positional else dict(zip(form.names, values)))
    return out


def _stable(params: list[Any]) -> list[Any]:
    """Python-side defaults that differ call by call (new ids, now) compared by type only."""
    def norm(v: Any) -> Any:
        if type(v).__name__ == "Jsonb":  # psycopg's wrapper compares by identity: compare what it wraps
            return ("Jsonb", repr(v.obj))
        if isinstance(v, (dt.datetime, uuid.UUID)) or (isinstance(v, str) and len(v) == 32):
            return type(v).__name__
        return v
    return [tuple(norm(v) for v in (p.values() if isinstance(p, dict) else p)) for p in params]


@pytest.mark.parametrize("database_url", ["sqlite", "postgresql"], indirect=True)
def test_parameters_equal_the_plain_processing(engine: Any) -> None:
    project, run = uuid.uuid4(), uuid.uuid4()
    now = dt.datetime(2024, 1, 2, 3, 4, 5, tzinfo=dt.timezone.utc)
    cases = [
        (insert(REVISIONS), [{"id": uuid.uuid4(), "project_id": project, "entity_type": "adr",
                              "entity_id": uuid.uuid4(),
                              "number": f"ADR-{i}", "version": 1, "change": "created", "content_hash": "h",
                              "source_path": "a.md", "snapshot": {"a": i}, "commit_sha": None, "author_name": None,
                              "author_email": None, "authored_at": now, "committer_name": None,
                              "committer_email": None, "committed_at": None, "sync_run_id": run}
                             for i in range(3)]),
        (insert(LINKS), [{"project_id": project, "source_kind": "adr", "source_id": uuid.uuid4(), "source_ref": "A",
                          "source_path": "a.md", "source_line": 1, "link_type": "related", "target_kind": "adr",
                          "target_ref": "B", "target_id": None, "target_version": None, "reviewed_version": None}
                         for _ in range(3)]),
        (update(SOURCE_FILES).where(SOURCE_FILES.c.id == bindparam("_id")),
         [{"_id": uuid.uuid4(), "kind": "adr", "blob_sha": "b" * 40, "size": 3, "mtime_ns": None, "parse_error": None,
           "last_commit": None, "deleted_at": now}]),
        (insert(TABLES["adr"]).values(), [{"id": uuid.uuid4(), "project_id": project, "adr_number": "ADR-1",
                                           "title": "t", "version": 1}]),
    ]
    with engine.connect() as conn:
        for statement, rows in cases:
            form = bulk.prepared(conn, statement, list(rows[0]))
            assert _stable(form.parameters(rows)) == _stable(_reference(form, rows))
            assert len(form.parameters(rows)) == len(rows)


@pytest.mark.parametrize("database_url", ["sqlite", "postgresql"], indirect=True)
def test_uuid_parameters_are_exactly_sqlalchemys(engine: Any) -> None:
    """Ids (``engine.ids.Id``, a plain ``uuid.UUID``, None) bound inline by the row builder: the very values of
    SQLAlchemy's own ``Uuid`` processing (hex text on SQLite, the UUID itself on PostgreSQL)."""
    from tracertm.engine.ids import new_id
    from tracertm.models.types import GUID

    plain = GUID._cached_bind_processor(engine.dialect) or (lambda v: v)
    values = [new_id(), uuid.uuid4(), None]
    rows = [{"project_id": new_id(), "source_kind": "adr", "source_id": v or new_id(), "source_ref": "A",
             "source_path": "a.md", "source_line": 1, "link_type": "related", "target_kind": "adr",
             "target_ref": "B", "target_id": v, "target_version": None, "reviewed_version": None} for v in values]
    with engine.connect() as conn:
        form = bulk.prepared(conn, insert(LINKS), list(rows[0]))
        got = form.parameters(rows)
    for row, params in zip(rows, got):
        values_of = params if isinstance(params, dict) else dict(zip(form.names, params))
        for key in ("project_id", "source_id", "target_id"):
            assert values_of[key] == plain(row[key]) and type(values_of[key]) is type(plain(row[key]))


@pytest.mark.parametrize("database_url", ["sqlite", "postgresql"], indirect=True)
def test_enum_and_boolean_parameters_are_exactly_sqlalchemys(engine: Any) -> None:
    """Enum and Boolean values looked up in a table by the row builder (``bulk.Tabled``): the very values of each
    column type's own processor, every member and True/False/None."""
    table = TABLES["scenario"]
    statuses = ["draft", "review", "approved", "deprecated", "archived"]
    rows = [{"id": uuid.uuid4(), "feature_id": uuid.uuid4(), "scenario_number": f"SC-{i}", "title": "t",
             "status": status, "is_outline": outline, "flaky": flaky, "version": 1}
            for i, (status, outline, flaky) in enumerate(
                (s, o, f) for s in statuses for o in (True, False) for f in (True, False, None))]
    with engine.connect() as conn:
        form = bulk.prepared(conn, insert(table), list(rows[0]))
        got = form.parameters(rows)
    for row, params in zip(rows, got):
        values_of = params if isinstance(params, dict) else dict(zip(form.names, params))
        for key in ("status", "is_outline", "flaky"):
            own = table.c[key].type._cached_bind_processor(engine.dialect)
            expected = own(row[key]) if own is not None else row[key]
            assert values_of[key] == expected and type(values_of[key]) is type(expected), key


@pytest.mark.parametrize("database_url", ["sqlite"], indirect=True)
def test_parameters_none_in_every_row_are_written_as_null(engine: Any) -> None:
    """``execute_many`` writes a parameter that is None in every row as a literal NULL (SQLite): the rows stored
    equal those of SQLAlchemy's own executemany, for nullable columns and a parameter None in some rows only."""
    from sqlalchemy import select

    from tracertm import db
    from tracertm.models import Base

    db.ensure_schema(engine)
    project = uuid.uuid4()
    with engine.begin() as conn:
        conn.execute(insert(Base.metadata.tables["projects"]).values(id=project, name="p"))

    def rows(source: str, n: int = 40) -> list[dict[str, Any]]:
        offset = 1000 if source == "plain" else 0  # (a link's source and target are unique)
        return [{"project_id": project, "source_kind": "adr", "source_id": uuid.UUID(int=i + offset), "source_ref": source,
                 "source_path": None, "source_line": i + 1, "link_type": "related", "target_kind": "adr",
                 "target_ref": f"B{i}", "target_id": None, "target_version": i if i % 2 else None,
                 "reviewed_version": None, "reviewed_at": None}
                for i in range(n)]

    statement = insert(LINKS)
    form = bulk.prepared(engine.connect(), statement, list(rows("x")[0]))
    sql, params = form.without_nulls(form.tuples(rows("x")))
    assert sql.count("NULL") >= 4 and all(len(p) == len(form.names) - sql.count("NULL") for p in params)
    assert form.without_nulls(form.tuples(rows("x", 3)))[0] == form.sql  # a few rows: every value bound
    with engine.begin() as conn:
        assert bulk.execute_many(conn, statement, rows("fast")) == 40
        conn.execute(statement, rows("plain"))  # SQLAlchemy's own executemany, every value bound
    columns = [c for c in LINKS.c if c.key not in ("id", "source_ref", "source_id", "created_at", "updated_at")]
    with engine.connect() as conn:
        fast = conn.execute(select(*columns).where(LINKS.c.source_ref == "fast").order_by(LINKS.c.id)).all()
        plain = conn.execute(select(*columns).where(LINKS.c.source_ref == "plain").order_by(LINKS.c.id)).all()
    assert fast == plain and len(fast) == 40
    assert all(r.source_path is None and r.reviewed_at is None for r in fast)


@pytest.mark.parametrize("database_url", ["sqlite"], indirect=True)
def test_a_transaction_stamps_its_time_columns_with_one_reading_of_the_database_clock(engine: Any) -> None:
    """SQLite: the time columns the rows of a batch leave to their default (``created_at``, ``updated_at``: the
    database's clock) are bound to one reading of that clock per transaction, for a batch of many rows and of a
    few alike — as PostgreSQL's ``now()`` dates a transaction's rows —, written as the default writes it and read
    back as the same aware datetimes; the next transaction reads the clock again. Each row had the default read
    for itself, and the rows of one sync were a millisecond apart on some runs (``STEP-n`` numbered otherwise)."""
    import re

    from sqlalchemy import event, select

    from tracertm import db
    from tracertm.models import Base

    db.ensure_schema(engine)
    project = uuid.uuid4()

    def rows(ref: str, n: int) -> list[dict[str, Any]]:
        return [{"project_id": project, "source_kind": "adr", "source_id": uuid.uuid4(), "source_ref": ref,
                 "source_path": "a.md", "source_line": 1, "link_type": "related", "target_kind": "adr",
                 "target_ref": f"B{i}", "target_id": None, "target_version": None, "reviewed_version": None}
                for i in range(n)]

    def slow(dbapi_connection: Any, record: Any) -> None:
        # Every statement a few milliseconds apart: a row that reads the clock for itself reads another time.
        dbapi_connection.set_trace_callback(lambda sql: time.sleep(0.003))

    default_form = re.compile(r"\d{4}-\d\d-\d\d \d\d:\d\d:\d\d\.\d{3}")
    engine.dispose()
    event.listen(engine, "connect", slow)
    with engine.begin() as conn:
        conn.execute(insert(Base.metadata.tables["projects"]).values(id=project, name="p"))
        before = bulk.now(conn)
        assert bulk.execute_many(conn, insert(LINKS), rows("many", 40)) == 40
        for n in (1, 3):
            bulk.execute_many(conn, insert(LINKS), rows("few", n))
    with engine.begin() as conn:
        bulk.execute_many(conn, insert(LINKS), rows("later", 2))
        after = bulk.now(conn)
        stored = conn.exec_driver_sql("SELECT source_ref, created_at, updated_at FROM links").all()
        read = conn.execute(select(LINKS.c.created_at).where(LINKS.c.source_ref != "later")).scalars().all()
    event.remove(engine, "connect", slow)
    first = {(created, updated) for ref, created, updated in stored if ref != "later"}
    assert len(first) == 1
    ((created, updated),) = first
    assert created == updated == before < after and default_form.fullmatch(created)
    assert {(c, u) for ref, c, u in stored if ref == "later"} == {(after, after)}
    expected = dt.datetime.fromisoformat(created).replace(tzinfo=dt.timezone.utc)
    assert read == [expected] * 44
