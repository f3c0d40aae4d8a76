"""Waiting for the write lock is fair: writers queued behind a holder take the lock in the order they came
(PostgreSQL, whose lock calls queue), and a writer is not starved by a lock that changes hands while it waits —
on PostgreSQL it is next, on SQLite (no queue: whoever polls first takes the lock) its bound counts from the last
commit of another writer, not from its first try.

Real processes: writers taking the lock through ``db.write_session`` (what sync, backfill, results import and the
API use), and a holder that keeps the lock until told through its stdin. Each writer writes its name under the lock
into ``lock_order``, whose numbers are the order the lock was held in. Every wait is for a condition a process or
the database shows, bounded by ``WAIT_S``; every process is ended in a ``finally``."""

from __future__ import annotations

import queue
import subprocess
import sys
import threading
import time
from collections.abc import Iterator
from contextlib import contextmanager

import pytest
from sqlalchemy import Column, Integer, MetaData, String, Table, select, text

from conftest import GitRepo
from specs import adr
from tracertm import db
from tracertm.engine.sync import sync
from waiting import until

WAIT_S = 120.0  # an upper bound on waiting for a condition; never a pace
ORDER = Table("lock_order", MetaData(), Column("id", Integer, primary_key=True), Column("writer", String(20)))

# A writer: takes the project's write lock with ``db.write_session`` (bound: argv[4] seconds), writes its name,
# says "holding" and commits. ``hold``: keeps the lock until a line comes on stdin ("again": commit and take it
# again through write_session; anything else or EOF: commit and end). Exit 2 when the bound ran out, as the CLI.
WRITER = """
import sys
from sqlalchemy import text
from tracertm import db
from tracertm.errors import LockTimeoutError

url, project, name, timeout, mode = sys.argv[1:]
engine = db.make_engine(url)
print("trying", flush=True)
try:
    again = True
    while again:
        with db.write_session(engine, project, float(timeout)) as session:
            session.execute(text("INSERT INTO lock_order (writer) VALUES (:w)"), {"w": name})
            print("holding", flush=True)
            again = mode == "hold" and sys.stdin.readline().strip() == "again"
except LockTimeoutError as exc:
    print(exc, file=sys.stderr)
    sys.exit(2)
finally:
    engine.dispose()
"""

# Another writer at its most eager: it takes the lock again the moment it has committed (SQLite: COMMIT and BEGIN
# IMMEDIATE back to back; PostgreSQL: COMMIT, then the project's own advisory lock, waited for in PostgreSQL's
# queue), on every "again" line of stdin; anything else or EOF: commit and end. It writes a row each time, so each
# of its commits is a commit other connections see.
CYCLER = """
import sys

url, project = sys.argv[1:]
if url.startswith("sqlite"):
    import sqlite3
    conn = sqlite3.connect(url.split("///", 1)[1], isolation_level=None)
    def take():
        conn.execute("BEGIN IMMEDIATE")
        conn.execute("INSERT INTO lock_order (writer) VALUES ('cycler')")
else:
    import psycopg
    from tracertm.db.locks import _lock_key, project_id_lock_name
    conn = psycopg.connect(url.replace("postgresql+psycopg://", "postgresql://", 1), autocommit=True)
    project_id = conn.execute("SELECT id FROM projects WHERE name = %s", (project,)).fetchone()[0]
    key = _lock_key(project_id_lock_name(project_id))
    def take():
        conn.execute("BEGIN")
        conn.execute("SELECT pg_advisory_xact_lock(%s)", (key,))
        conn.execute("INSERT INTO lock_order (writer) VALUES ('cycler')")
take()
print("holding", flush=True)
while sys.stdin.readline().strip() == "again":
    conn.execute("COMMIT")
    take()
    print("holding", flush=True)
conn.execute("COMMIT")
conn.close()
"""


class Process:
    """A process started here; its stdout's lines as they come (``expect``)."""

    def __init__(self, *argv: str) -> None:
        self.popen = subprocess.Popen([sys.executable, "-c", *argv], stdin=subprocess.PIPE, stdout=subprocess.PIPE,
                                      stderr=subprocess.PIPE, text=True)
        self.lines: queue.Queue[str | None] = queue.Queue()
        threading.Thread(target=self._read, daemon=True).start()

    def _read(self) -> None:
        assert self.popen.stdout is not None
        for line in self.popen.stdout:
            self.lines.put(line.strip())
        self.lines.put(None)

    def expect(self, line: str) -> None:
        """Wait for the next line of stdout, which must be ``line``."""
        try:
            got = self.lines.get(timeout=WAIT_S)
        except queue.Empty:
            pytest.fail(f"no {line!r} from the process within {WAIT_S:g} s")
        assert got == line, self.finish()

    def tell(self, line: str) -> None:
        assert self.popen.stdin is not None
        self.popen.stdin.write(line + "\n")
        self.popen.stdin.flush()

    def finish(self) -> tuple[int, str]:
        """Close stdin, wait for the exit: (exit code, stderr)."""
        assert self.popen.stdin is not None and self.popen.stderr is not None
        if not self.popen.stdin.closed:
            self.popen.stdin.close()
        code = self.popen.wait(WAIT_S)
        return code, self.popen.stderr.read()


@contextmanager
def processes() -> Iterator[list[Process]]:
    started: list[Process] = []
    try:
        yield started
    finally:
        for p in started:
            if p.popen.poll() is None:
                p.popen.kill()
            p.popen.wait()
            for stream in (p.popen.stdin, p.popen.stdout, p.popen.stderr):
                if stream is not None:
                    stream.close()


def _project(git_repo: GitRepo, url: str) -> str:
    """A synced project (PostgreSQL locks it by its row) and the empty ``lock_order`` table."""
    git_repo.write("docs/adr/0001-a.md", adr(1, "One"))
    git_repo.commit()
    engine = db.make_engine(url)
    try:
        ORDER.create(engine)
        return sync(git_repo.path, engine=engine).project
    finally:
        engine.dispose()


def _order(url: str) -> list[str]:
    engine = db.make_engine(url)
    try:
        with engine.connect() as conn:
            return list(conn.execute(select(ORDER.c.writer).order_by(ORDER.c.id)).scalars())
    finally:
        engine.dispose()


def _named(url: str, name: str) -> str:
    """``url`` whose PostgreSQL sessions show ``name`` as their application_name (a SQLite URL as it is)."""
    if not url.startswith("postgresql"):
        return url
    return f"{url}{'&' if '?' in url else '?'}application_name={name}"


def _until_waiting(url: str, name: str) -> None:
    """Wait until the writer ``name`` has asked for an advisory lock in a transaction still open (the one it waits
    in: blocked in the lock call, or, as before, between two tries)."""
    engine = db.make_engine(url)

    def waiting() -> bool:
        with engine.connect() as conn:  # a transaction per look: PostgreSQL keeps one snapshot of the statistics
            return bool(conn.execute(text(
                "SELECT count(*) FROM pg_stat_activity WHERE datname = current_database() "
                "AND application_name = :n AND state <> 'idle' AND query LIKE '%advisory%lock%'"), {"n": name},
            ).scalar())

    try:
        until(waiting, f"{name} writer waiting for the lock", WAIT_S)
    finally:
        engine.dispose()


@pytest.mark.parametrize("database_url", ["postgresql"], indirect=True)
def test_writers_take_the_lock_in_the_order_they_came(git_repo: GitRepo, database_url: str) -> None:
    """A holder, then three writers, each seen waiting before the next starts: once the holder lets go, they
    write in the order they came. Before, each polled with a try-lock at its own pace, the newest fastest."""
    project = _project(git_repo, database_url)
    with processes() as started:
        holder = Process(WRITER, database_url, project, "holder", "60", "hold")
        started.append(holder)
        holder.expect("trying")
        holder.expect("holding")
        writers = []
        for name in ("first", "second", "third"):
            writer = Process(WRITER, _named(database_url, name), project, name, str(WAIT_S), "once")
            started.append(writer)
            writer.expect("trying")
            _until_waiting(database_url, name)
            writers.append(writer)
        holder.tell("release")
        assert holder.finish() == (0, "")
        for writer in writers:
            writer.expect("holding")
            assert writer.finish() == (0, "")
    assert _order(database_url) == ["holder", "first", "second", "third"]


def test_a_writer_is_not_starved_by_a_lock_that_changes_hands(git_repo: GitRepo, database_url: str) -> None:
    """Another writer holds the lock and takes it again the moment it commits, each hold shorter than the waiting
    writer's bound, all of them together longer. PostgreSQL: the waiting writer is next in line, and gets the lock
    at the first commit. SQLite: its bound counts from the other writer's last commit, so it waits them all out
    and writes once the lock is let go. Before, it failed with exit 2 (lock timeout) on both, although the lock
    was free at every commit.

    SQLite has no queue, so the waiting writer may also take the lock at one of the other writer's commits: when
    the host does not run that writer between its COMMIT and its next BEGIN IMMEDIATE (a loaded host) and the
    waiting one tries just then. That too is no starvation, and the order shows it: the other writer takes the lock
    again once the waiting one has written. Only a waiting writer that saw every hold proves its bound restarted."""
    # The waiting writer's lock_timeout, in seconds, and the other writer's holds: each a quarter of it (a stall of
    # the host up to three quarters of the bound is no failure), all of them together longer than it.
    bound = 8.0
    holds = 6
    project = _project(git_repo, database_url)
    postgres = database_url.startswith("postgresql")
    with processes() as started:
        cycler = Process(CYCLER, database_url, project)
        started.append(cycler)
        cycler.expect("holding")
        writer = Process(WRITER, _named(database_url, "waiter"), project, "waiter", str(bound), "once")
        started.append(writer)
        writer.expect("trying")
        waiting_since = time.monotonic()
        if postgres:
            _until_waiting(database_url, "waiter")
        for _ in range(holds):
            # Each hold lasts a quarter of the bound: what the test is about (a time of the bound's own, not of
            # the host).
            try:
                writer.popen.wait(bound / 4)
                break  # it ended: it wrote, or (before) its bound ran out
            except subprocess.TimeoutExpired:
                pass
            cycler.tell("again")
            cycler.expect("holding")  # (PostgreSQL: once the waiting writer has written and let go)
        cycler.tell("release")
        assert cycler.finish() == (0, "")
        code, err = writer.finish()
        waited = time.monotonic() - waiting_since
    assert code == 0, err
    order = _order(database_url)
    assert order.count("waiter") == 1
    if postgres:
        assert order[:3] == ["cycler", "waiter", "cycler"]  # it wrote at the first commit
    else:
        at = order.index("waiter")
        if at == holds + 1:  # it waited out every hold
            assert waited > bound  # it outlasted its bound: the other writer's commits restarted it
            assert order == ["cycler"] * (holds + 1) + ["waiter"]
        else:  # it took the lock at the other writer's commit number `at` (see above)
            assert order == ["cycler"] * at + ["waiter", "cycler"]
