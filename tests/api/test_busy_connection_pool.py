"""A server process whose database connections are all taken answers 503 with ``Retry-After`` (nothing was done;
send it again), never a 500; and writes queued behind a project's write lock (a long sync holds it) do not take
every connection: a read of the same server still answers at once. PostgreSQL (README: several workers, PostgreSQL).

Each test's app gets an engine with a small pool and a short pool timeout, so that "every connection taken" is a few
requests and its wait a fraction of a second. Every wait is on a condition the test observes (the writers waiting in
the project's lock, the connections they hold), never a guessed time; every thread ends in a ``finally``."""

from __future__ import annotations

import os
import threading
import time
from collections.abc import Callable, Iterator
from pathlib import Path
from typing import Any

import httpx
import pytest
from sqlalchemy import create_engine, text

from apikit import api_client, make_token
from conftest import PG_ENV, GitRepo, _fresh_pg, init_repo
from served import serve
from specs import adr
from tracertm import db
from tracertm.api import writes
from tracertm.db import locks
from tracertm.engine.sync import sync

pytestmark = pytest.mark.skipif(not os.environ.get(PG_ENV), reason=f"needs {PG_ENV}")
WAIT_S = 60.0
PROJECT = "acme"


@pytest.fixture
def synced(git_repo: GitRepo, request: pytest.FixtureRequest) -> Iterator[tuple[str, str]]:
    """(database URL, write token): two ADRs synced as ``acme`` into a fresh PostgreSQL database."""
    git_repo.write("docs/adr/0001-use-git.md", adr(1, "Use git"))
    git_repo.write("docs/adr/0002-use-postgres.md", adr(2, "Use postgres"))
    git_repo.commit("adrs")
    for url in _fresh_pg(request.getfixturevalue("_pg_template")):  # one database, dropped when the loop ends
        engine = db.make_engine(url)
        try:
            sync(git_repo.path, engine=engine, project=PROJECT)
            token = make_token(engine)
        finally:
            engine.dispose()
        yield url, token


def _small_pool(url: str, size: int, overflow: int) -> Any:
    """The engine ``db.make_engine`` makes for PostgreSQL, with a pool of ``size`` + ``overflow`` connections
    that gives up waiting for one after half a second."""
    return create_engine(url, pool_pre_ping=True, pool_size=size, max_overflow=overflow, pool_timeout=0.5,
                         connect_args={"client_encoding": "utf8"})


def test_no_connection_free_is_503_not_500(synced: tuple[str, str]) -> None:
    url, token = synced
    engine = _small_pool(url, 1, 0)
    try:
        with api_client(engine) as client:
            with engine.connect():  # the pool's only connection, taken (by a request that is slow to end)
                read = client.get("/api/v1/adrs/ADR-0001")
                write = client.patch("/api/v1/adrs/ADR-0001", json={"approved_by": "grace"},
                                     headers={"Authorization": f"Bearer {token}", "If-Match": "*"})
            for answer in (read, write):
                assert answer.status_code == 503, answer.text
                assert answer.headers["retry-after"] and answer.headers["content-type"] == "application/problem+json"
                assert "Traceback" not in answer.text
            assert client.get("/api/v1/adrs/ADR-0001").json()["approved_by"] is None  # the PATCH wrote nothing
    finally:
        engine.dispose()


class Call(threading.Thread):
    def __init__(self, send: Any) -> None:
        super().__init__(daemon=True)
        self.send = send
        self.response: Any = None
        self.error: BaseException | None = None

    def run(self) -> None:
        try:
            self.response = self.send()
        except BaseException as exc:  # noqa: BLE001 - reported by the test
            self.error = exc


def test_writes_queued_behind_a_lock_leave_a_connection_for_reads(
    synced: tuple[str, str], monkeypatch: pytest.MonkeyPatch
) -> None:
    url, token = synced
    engine = _small_pool(url, 1, 2)  # three connections; one stays for what is not a write waiting for a lock
    holder_engine = db.make_engine(url)
    waiting: set[int] = set()
    seen = threading.Condition()
    take = locks._pg_try
    test_thread = threading.current_thread()

    def counted(session: Any, key: int) -> bool:
        if threading.current_thread() is not test_thread:  # a request's write, at the lock (then in its queue)
            with seen:
                waiting.add(threading.get_ident())
                seen.notify_all()
        return take(session, key)

    monkeypatch.setattr(locks, "_pg_try", counted)
    writers: list[Call] = []
    try:
        with api_client(engine) as client:
            headers = {"Authorization": f"Bearer {token}", "If-Match": "*"}
            with db.write_session(holder_engine, PROJECT):  # what a long sync of the project holds
                writers = [Call(lambda i=i: client.patch("/api/v1/adrs/ADR-0001", headers=headers,
                                                         json={"metadata": {f"w{i}": i}})) for i in range(8)]
                for writer in writers:
                    writer.start()
                # One write of the project holds a connection, in the lock's wait, and no other connection is
                # taken: the others queue behind it without one (a place for each waiter gained it nothing).
                deadline = time.monotonic() + WAIT_S
                with seen:
                    while not (len(waiting) == 1 and engine.pool.checkedout() == 1):
                        assert time.monotonic() < deadline, (len(waiting), engine.pool.checkedout())
                        seen.wait(0.02)  # polling the pool's count, not a guess at how long anything takes
                read = client.get("/api/v1/adrs/ADR-0002")
                assert read.status_code == 200, read.text
                assert all(writer.is_alive() for writer in writers), "a write answered while the lock was held"
            for writer in writers:
                writer.join(WAIT_S)
        answers = [w.response.status_code if w.response is not None else w.error for w in writers]
        assert answers == [200] * 8, answers
    finally:
        for writer in writers:
            writer.join(WAIT_S)
        engine.dispose()
        holder_engine.dispose()


class SeenPlaces(writes._Places):
    """The server's lines of writes waiting for a place (``writes._Places``), every one made kept in ``made``, so
    that a test sees how many writes wait in them."""

    made: list[writes._Places] = []

    def __init__(self, count: int) -> None:
        super().__init__(count)
        self.made.append(self)

    @classmethod
    def in_line(cls) -> int:
        return sum(len(places._line) for places in cls.made)


# The sessions of the test's database (not another test's) waiting for an advisory lock.
ADVISORY_WAITERS = ("locktype = 'advisory' AND NOT granted "
                    "AND database = (SELECT oid FROM pg_database WHERE datname = current_database())")


def _lock_waiters(url: str) -> int:
    """How many sessions of the database wait for an advisory lock (a write in the project lock's queue)."""
    engine = db.make_engine(url)
    try:
        with engine.connect() as conn:
            return int(conn.execute(text(f"SELECT count(*) FROM pg_locks WHERE {ADVISORY_WAITERS}")).scalar_one())
    finally:
        engine.dispose()


def _until(condition: Callable[[], bool], what: Callable[[], object]) -> None:
    deadline = time.monotonic() + WAIT_S
    while not condition():
        assert time.monotonic() < deadline, what()
        time.sleep(0.02)  # polling interval of an observed condition, not a guess at how long anything takes


@pytest.fixture
def two_projects(git_repo: GitRepo, tmp_path: Path, request: pytest.FixtureRequest) -> Iterator[tuple[str, str]]:
    """(database URL, write token): projects ``big`` (``git_repo``) and ``acme/payments``, an ADR each, in a fresh
    PostgreSQL database."""
    git_repo.write("docs/adr/0001-use-git.md", adr(1, "Use git"))
    git_repo.commit("adrs")
    other = init_repo(tmp_path / "payments")
    other.write("docs/adr/0001-use-queues.md", adr(1, "Use queues"))
    other.commit("adrs")
    for url in _fresh_pg(request.getfixturevalue("_pg_template")):
        engine = db.make_engine(url)
        try:
            sync(git_repo.path, engine=engine, project="big")
            sync(other.path, engine=engine, project="acme/payments")
            token = make_token(engine)
        finally:
            engine.dispose()
        yield url, token


def test_writes_queued_behind_one_projects_lock_do_not_hold_up_another_project(
    two_projects: tuple[str, str], git_repo: GitRepo, tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    """A served API (its default pool: 10 places). A long writer holds ``big``'s lock and 12 PATCHes of it queue
    behind it; a PATCH of ``acme/payments``, whose lock is free, answers 200 while they still wait. Before, they
    took every place and it waited for one until ``big``'s lock came free (or 503 after 60 s)."""
    url, token = two_projects
    monkeypatch.setattr(writes, "_Places", SeenPlaces)
    monkeypatch.setattr(SeenPlaces, "made", [])
    holder_engine = db.make_engine(url)
    headers = {"Authorization": f"Bearer {token}", "If-Match": "*"}
    writers: list[Call] = []
    try:
        with serve(url, git_repo.path, tmp_path / "serve.log") as base, httpx.Client(base_url=base) as client:

            def patch(project: str, key: str) -> Callable[[], httpx.Response]:
                return lambda: client.patch("/api/v1/adrs/ADR-0001", params={"project": project}, headers=headers,
                                            json={"metadata": {key: 1}}, timeout=WAIT_S * 2)

            with db.write_session(holder_engine, "big"):  # what a long sync of big holds
                writers = [Call(patch("big", f"w{i}")) for i in range(12)]
                for writer in writers:
                    writer.start()
                # Every write of big waits: in the lock's queue, or in a line of the server's.
                _until(lambda: _lock_waiters(url) + SeenPlaces.in_line() == 12,
                       lambda: (_lock_waiters(url), SeenPlaces.in_line()))
                other = Call(patch("acme/payments", "other"))
                other.start()
                other.join(WAIT_S / 2)  # (only a bound on a failure: it answers at once)
                assert not other.is_alive(), "the write of acme/payments waited behind big's writes"
                assert other.response is not None and other.response.status_code == 200, other.response
                assert all(writer.is_alive() for writer in writers), "a write of big answered while it was locked"
            for writer in writers:
                writer.join(WAIT_S)
        answers = [w.response.status_code if w.response is not None else w.error for w in writers]
        assert answers == [200] * 12, answers
    finally:
        for writer in writers:
            writer.join(WAIT_S)
        holder_engine.dispose()


def test_a_lock_timeout_states_the_whole_wait_of_a_write_that_waited_for_its_turn_too(
    synced: tuple[str, str], monkeypatch: pytest.MonkeyPatch
) -> None:
    """A write that waited for its turn (another write of the project held it) and then for the lock until its
    bound ran out is 503 saying it waited its whole bound ("waited 2 s"), as a write that timed out before its
    turn says, not only the rest of it that the lock's wait had ("waited 1.95085 s")."""
    url, token = synced
    monkeypatch.setattr(writes, "WRITE_BOUND_S", 2.0)  # (60 s in a server)
    monkeypatch.setattr(writes, "_Places", SeenPlaces)
    monkeypatch.setattr(SeenPlaces, "made", [])
    engine = _small_pool(url, 1, 1)
    holder_engine = db.make_engine(url)
    headers = {"Authorization": f"Bearer {token}", "If-Match": "*"}
    first = second = None
    try:
        with api_client(engine) as client, db.write_session(holder_engine, PROJECT):  # a long sync's hold

            def patch(key: str) -> Call:
                call = Call(lambda: client.patch("/api/v1/adrs/ADR-0001", headers=headers,
                                                 json={"metadata": {key: 1}}))
                call.start()
                return call

            first = patch("first")
            _until(lambda: _lock_waiters(url) == 1, lambda: _lock_waiters(url))
            second = patch("second")
            _until(lambda: SeenPlaces.in_line() == 1, SeenPlaces.in_line)
            with holder_engine.connect() as conn:  # the first write gives up its turn early (as a client gone)
                conn.execute(text(f"SELECT pg_cancel_backend(pid) FROM pg_locks WHERE {ADVISORY_WAITERS}"))
            second.join(WAIT_S)
            first.join(WAIT_S)
        assert second.response is not None, second.error
        detail = second.response.json()["detail"]
        assert second.response.status_code == 503 and "project 'acme': waited 2 s for the write lock held by" \
            in detail, detail
    finally:
        for call in (first, second):
            if call is not None:
                call.join(WAIT_S)
        engine.dispose()
        holder_engine.dispose()
