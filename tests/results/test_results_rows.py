"""The import's row writer: new ids, and the cycle collector it pauses (``results.rows``, ``results.store``)."""

from __future__ import annotations

import gc
import sys
import uuid

import pytest
from sqlalchemy import event

from conftest import GitRepo
from tracertm import db
from tracertm.errors import ParseError
from tracertm.results import import_results
from tracertm.results.rows import Flat, IdForm, insert_rows
from tracertm.collector import collector_paused


def test_new_ids_are_ascending_unique_version_7_uuids_in_each_dialects_form() -> None:
    ids = IdForm("sqlite").new(50_000)
    assert ids == sorted(ids) and len(set(ids)) == len(ids)
    parsed = [uuid.UUID(i) for i in ids]
    assert {u.version for u in parsed} == {7} and {u.variant for u in parsed} == {uuid.RFC_4122}
    assert all(u.hex == i for u, i in zip(parsed, ids))  # 32 hex digits: how SQLite stores a UUID
    other = IdForm("sqlite").new(1000)
    assert not set(other) & set(ids), "another batch shares none"
    hyphenated = IdForm("postgresql").new(3)
    assert [str(uuid.UUID(i)) for i in hyphenated] == hyphenated
    assert IdForm("sqlite").new(0) == []


def test_flat_rows_insert_what_the_rows_insert() -> None:
    """Rows cut into statements by the parse process (``rows.Flat``, pickled through the pipe) insert the same rows
    as the rows themselves: every row, in order, a statement per few hundred."""
    import pickle

    from sqlalchemy import Column, Integer, MetaData, Table, Text, create_engine

    rows = [(n, f"row {n}") for n in range(1_234)]
    flat = pickle.loads(pickle.dumps(Flat(2, rows)))
    assert len(flat) == 1_234 and len(flat.batches) == 3 and sum(count for count, _ in flat.batches) == 1_234
    table = Table("t", MetaData(), Column("n", Integer, primary_key=True), Column("text", Text))
    engine = create_engine("sqlite://")
    table.metadata.create_all(engine)
    with engine.begin() as conn:
        assert insert_rows(conn, table, ("n", "text"), flat) == 1_234
        assert [tuple(r) for r in conn.execute(table.select().order_by(table.c.n))] == rows
        assert insert_rows(conn, table, ("n", "text"), Flat(2, [])) == 0


def test_flat_rows_bind_shared_values_once_and_insert_the_same_rows() -> None:
    """Columns that hold one value in every row (named by whoever made the rows, and appended ``extra`` columns) are
    bound once per statement (numbered parameters), the others per row; what goes in is what the rows hold, types
    included, in statements of more rows than positional parameters allow, the last one short."""
    import pickle

    from sqlalchemy import Column, Integer, MetaData, Table, Text, create_engine, text

    made = [(n, "same", f"row {n}", None, [1, 1.5, True, "x"][n % 4], 7) for n in range(1_500)]
    table = Table("t", MetaData(), Column("n", Integer, primary_key=True), Column("a", Text), Column("b", Text),
                  Column("c", Text), Column("d", Text), Column("e", Integer), Column("f", Text))
    columns = ("n", "a", "b", "c", "d", "e", "f")
    engine = create_engine("sqlite://")
    with engine.begin() as conn:  # d without a type: SQLite keeps what it is given (no affinity)
        conn.execute(text("CREATE TABLE t (n INTEGER PRIMARY KEY, a TEXT, b TEXT, c TEXT, d, e INTEGER, f TEXT)"))
    flat = pickle.loads(pickle.dumps(Flat(6, made, shared=(1, 3, 5), extra=("stamp",))))
    assert flat.shared == (1, 3, 5, 6) and len(flat) == len(made)
    assert len(flat.batches) == -(-len(made) // ((999 - 4) // 3)) and flat.batches[-1][0] < flat.batches[0][0]
    with engine.begin() as conn:
        assert insert_rows(conn, table, columns, flat) == len(made)
        stored = [tuple(r) for r in conn.execute(text("SELECT n, a, b, c, d, typeof(d), e, f FROM t ORDER BY n"))]
    kinds = {int: "integer", float: "real", bool: "integer", str: "text"}
    assert stored == [(*row[:5], kinds[type(row[4])], row[5], "stamp") for row in made]
    # Only the extra column shared; nothing shared at all: every value bound per row.
    stamped = Flat(2, [(1, "a"), (2, "b")], extra=("x",))
    assert stamped.shared == (2,) and stamped.batches == [(2, ("x", 1, "a", 2, "b"))]
    assert Flat(2, [(1, "a"), (2, "b")]).batches == [(2, (1, "a", 2, "b"))]
    one = Flat(2, [(1, "a"), (2, "a")], shared=(1,), extra=("x",))  # one varying column: all bound per row
    assert one.shared == () and one.batches == [(2, (1, "a", "x", 2, "a", "x"))]


def test_the_collector_is_back_on_after_an_import_and_after_a_failed_one(
    git_repo: GitRepo, database_url: str
) -> None:
    git_repo.write("features/a.feature", "Feature: A\n  Scenario: one\n    Given a\n")
    git_repo.commit("a")
    from tracertm.engine.sync import sync

    assert not sync(git_repo.path, ref="HEAD", database_url=database_url, project="p").errors
    report = b'<testsuite name="s"><testcase classname="A" name="one"/></testsuite>'
    assert import_results(database_url, "p", [("ok.xml", report)]).total == 1
    assert gc.isenabled()
    with pytest.raises(ParseError):
        import_results(database_url, "p", [("bad.xml", b"<testsuite><testcase></testsuite>")])
    assert gc.isenabled()
    engine = db.make_engine(database_url)

    def fail_results(conn, cursor, statement, *args) -> None:  # type: ignore[no-untyped-def]
        if statement.startswith("INSERT INTO test_cases"):
            raise RuntimeError("the disk is full")

    event.listen(engine, "before_cursor_execute", fail_results)
    try:
        with pytest.raises(RuntimeError, match="disk"):  # fails inside the transaction, while the collector is paused
            import_results(engine, "p", [("again.xml", report.replace(b"one", b"two"))])
    finally:
        event.remove(engine, "before_cursor_execute", fail_results)
        engine.dispose()
    assert gc.isenabled()


def test_nested_pauses_resume_once_and_a_collector_turned_off_stays_off() -> None:
    with collector_paused():
        assert not gc.isenabled()
        with collector_paused():  # another import in another thread
            assert not gc.isenabled()
        assert not gc.isenabled(), "the first import is still writing"
    assert gc.isenabled()
    gc.disable()
    with collector_paused():
        pass
    assert not gc.isenabled(), "the application's choice stands"


class _Cycle:
    def __init__(self) -> None:
        self.me = self


def test_objects_made_while_paused_are_not_all_traced_by_the_next_collection() -> None:
    """The young generation does not hold what the pause allocated (the first collection after it would trace every
    object), and cyclic garbage made while paused is still freed by a full collection."""
    import weakref

    # No gc.collect() first: the collector is on here, so the young count is below its threshold (700) already, and
    # a full collection costs seconds in a worker whose heap holds the whole suite; the one below is the point.
    with collector_paused():
        kept = [[n] for n in range(20_000)]  # 20 times the bound below: without the ageing the count stays above it
        cycle = _Cycle()
        gone = weakref.ref(cycle)
        del cycle
        assert gc.get_count()[0] >= 20_000
    if sys.version_info < (3, 14):  # CPython 3.14's incremental collector counts generations its own way
        assert gc.get_count()[0] < 1_000
    assert len(kept) == 20_000
    assert gone() is not None  # cyclic garbage waits ...
    gc.collect()
    assert gone() is None  # ... for a full collection


def test_objects_the_application_froze_stay_frozen() -> None:
    gc.freeze()
    try:
        frozen = gc.get_freeze_count()
        with collector_paused():
            made = [[n] for n in range(1_000)]
        assert gc.get_freeze_count() == frozen and len(made) == 1_000
    finally:
        gc.unfreeze()
