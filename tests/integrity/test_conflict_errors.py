"""A collision with another writer (PostgreSQL's deadlock or serialization failure, SQLite's "database is locked"
in the middle of a write) is a conflict: one line saying nothing was written and to run again, exit 75 — not "the
database refused it, fix the file" nor "cannot use database, check --database-url"."""

from __future__ import annotations

import threading
from collections.abc import Callable
from typing import Any, cast

import pytest
from sqlalchemy import Table, bindparam, select, update

from tracertm import db
from tracertm.engine.apply import execute_batch
from tracertm.errors import EXIT_CONFLICT, ConflictError, DatabaseError, RecordRefusedError
from tracertm.models import Project

WAIT_S = 60  # an upper bound on waiting for the other thread; never a pace
PROJECTS = cast(Table, Project.__table__)
TOUCH = update(PROJECTS).where(PROJECTS.c.name == bindparam("_name")).values(repo_url=bindparam("_url"))


def _projects(engine: Any, *names: str) -> None:
    with db.session(engine) as s, s.begin():
        s.add_all(Project(name=n) for n in names)


def _touch_with_session(conn: Any, name: str, by: str = "another") -> None:
    conn.execute(TOUCH, {"_name": name, "_url": f"touched by the writer of {by}"})


def _touch_with_batch(conn: Any, name: str, by: str = "another") -> None:
    execute_batch(conn, TOUCH, [{"_name": name, "_url": f"touched by the writer of {by}"}])


def _crossed_writers(engine: Any, touch: Callable[[Any, str, str], None]) -> list[BaseException | None]:
    """Two writers of two projects, each updating its own project's row and then the other's, both first rows
    updated before either second: PostgreSQL picks one as the deadlock victim."""
    both_first = threading.Barrier(2, timeout=WAIT_S)
    outcomes: list[BaseException | None] = [None, None]

    def writer(i: int, first: str, second: str) -> None:
        try:
            with db.write_session(engine, first) as s:
                conn = s.connection()
                touch(conn, first, first)
                both_first.wait()
                touch(conn, second, first)
        except BaseException as exc:  # noqa: BLE001 - handed to the test
            outcomes[i] = exc
            both_first.abort()

    threads = [threading.Thread(target=writer, args=(0, "p1", "p2"), daemon=True),
               threading.Thread(target=writer, args=(1, "p2", "p1"), daemon=True)]
    for t in threads:
        t.start()
    for t in threads:
        t.join(WAIT_S * 2)
    assert not any(t.is_alive() for t in threads), "a writer never ended"
    return outcomes


@pytest.fixture
def pg_engine(database_url: str) -> Any:
    if not database_url.startswith("postgresql"):
        pytest.skip("PostgreSQL only: SQLite's write lock covers the whole file, two writers never interleave")
    engine = db.make_engine(database_url)
    yield engine
    engine.dispose()


@pytest.mark.parametrize("touch", [_touch_with_session, _touch_with_batch], ids=["statement", "execute_batch"])
def test_a_deadlock_is_a_conflict_to_run_again(pg_engine: Any, touch: Callable[[Any, str, str], None]) -> None:
    _projects(pg_engine, "p1", "p2")
    outcomes = _crossed_writers(pg_engine, touch)
    failed = [o for o in outcomes if o is not None]
    assert len(failed) == 1, outcomes  # the victim; the other writer went on once it had let go
    [error] = failed
    assert isinstance(error, ConflictError), repr(error)
    assert not isinstance(error, (DatabaseError, RecordRefusedError))
    message = str(error)
    assert "deadlock detected" in message and "nothing was written" in message
    assert "run the same command again" in message
    assert "fix the file" not in message and "--database-url" not in message and "\n" not in message
    assert error.exit_code == EXIT_CONFLICT == 75
    with db.session(pg_engine) as s:  # the winner's two rows, nothing of the victim's
        urls = dict(s.execute(select(Project.name, Project.repo_url)).all())
    winner = "p1" if outcomes[0] is None else "p2"
    assert set(urls.values()) == {f"touched by the writer of {winner}"}


def test_a_serialization_failure_is_a_conflict_too(pg_engine: Any) -> None:
    """A REPEATABLE READ writer whose snapshot another transaction wrote over: SQLSTATE 40001."""
    _projects(pg_engine, "p1")
    repeatable = pg_engine.execution_options(isolation_level="REPEATABLE READ")
    with pytest.raises(ConflictError, match="could not serialize access") as caught:
        with db.write_session(repeatable, "p1") as s:  # its first statement (finding the project) is the snapshot
            conn = s.connection()
            with pg_engine.connect() as other, other.begin():  # changes the row after that snapshot, and commits
                _touch_with_session(other, "p1")
            _touch_with_session(conn, "p1")
    assert caught.value.exit_code == 75 and "nothing was written" in str(caught.value)
    with db.session(pg_engine) as s2:
        assert s2.execute(select(Project.repo_url)).scalar_one() == "touched by the writer of another"


def test_sqlite_database_is_locked_mid_write_is_a_conflict(database_url: str) -> None:
    """SQLite: a write on a read snapshot that another writer has moved past fails with "database is locked"
    (``SQLITE_BUSY_SNAPSHOT``) at once: the batch is a conflict, not a refused record."""
    if not database_url.startswith("sqlite"):
        pytest.skip("SQLite only")
    engine = db.make_engine(database_url)
    try:
        _projects(engine, "p1")
        with engine.connect() as conn, conn.begin():
            conn.execute(select(PROJECTS.c.name)).all()  # a read transaction: its snapshot
            with db.write_session(engine, "p1") as s:
                _touch_with_session(s.connection(), "p1")
            with pytest.raises(ConflictError, match="database is locked") as caught:
                _touch_with_batch(conn, "p1")
        assert "nothing was written" in str(caught.value) and caught.value.exit_code == 75
    finally:
        engine.dispose()


def test_every_cli_conflict_exits_75_and_spec_errors_stay_1() -> None:
    from tracertm.errors import ParseError
    from tracertm.repositories.errors import StaleVersion

    assert ConflictError("x").exit_code == 75 and StaleVersion("x", 2).exit_code == 75
    assert ParseError("a.md", 1, 1, "bad").exit_code == 1
