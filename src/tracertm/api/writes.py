"""How many of a server process's requests may hold a database connection while they wait for a project's write
lock: fewer than its connection pool holds, so that reads (and writes of other projects) still find a connection
while a long sync or backfill holds the lock and the writes of its project queue behind it.

A write waits for the lock holding a connection (``db.write_session``: it waits in PostgreSQL's queue on it).
With every connection of the pool taken by such waiters, any other request waited for the pool's timeout and failed
(a 500) although nothing was wrong but a busy project. Writes now queue for one of ``slots`` places first, without a
connection, within the same bound as the lock (README: a write that waited too long is 503 with Retry-After), in
the order they came (``_Places``).

The places are taken per project: of one project's writes in a process, one at a time takes a place (the oldest;
the others wait behind it without a place), since they could only take its lock one after another anyway. A
place held by each waiting write let the writes queued behind one project's lock take every place, and a write
of another project, whose lock was free, waited behind them until that lock came free."""

from __future__ import annotations

import threading
import time
from collections import deque
from collections.abc import Iterator
from contextlib import contextmanager
from typing import TYPE_CHECKING, NamedTuple

from tracertm.config import DEFAULT_LOCK_TIMEOUT_S
from tracertm.errors import LockTimeoutError

if TYPE_CHECKING:
    from sqlalchemy.engine import Engine
    from sqlalchemy.orm import Session
    from starlette.requests import Request


# How often a write addressed by project id takes the lock again when a sync renamed the project (``git remote
# set-url``) between reading its name and taking the lock by that name (link reviews, test-run uploads).
RENAME_ATTEMPTS = 3

# How long an API write waits for a place and the project's lock together before it is 503 (README: 60 s).
WRITE_BOUND_S = DEFAULT_LOCK_TIMEOUT_S


class _Places:
    """A count of places handed out first come first served: a place let go goes to the oldest waiter, never to
    whoever asks next. A semaphore (``threading.Semaphore``) counts it free and wakes a waiter, which must take it
    again after waking: a request that asked meanwhile took it first, and the waiter went back to the end of the
    line, again and again under a steady flow of writes, until its bound ran out (503) while later ones wrote."""

    def __init__(self, count: int) -> None:
        self._lock = threading.Lock()
        self._free = count
        self._line: deque[threading.Event] = deque()  # the waiters, oldest first; set: the place is its own

    def acquire(self, timeout: float) -> bool:
        """Take a place, waiting at most ``timeout`` seconds behind those already waiting; whether it got one."""
        with self._lock:
            if self._free:  # (none is free while anyone waits: a place let go then goes to the oldest)
                self._free -= 1
                return True
            turn = threading.Event()
            self._line.append(turn)
        try:
            got = turn.wait(timeout)
        except BaseException:  # (an interrupt): a place handed to a waiter that left would be lost to all
            self._leave(turn, keep=False)
            raise
        return got or self._leave(turn, keep=True)

    def _leave(self, turn: threading.Event, keep: bool) -> bool:
        """A waiter whose wait ended without its place: out of the line, or, when the place was handed over just
        then, it keeps it (``keep``; True) or passes it on."""
        with self._lock:
            if not turn.is_set():
                self._line.remove(turn)
                return False
        if keep:
            return True
        self.release()
        return False

    def release(self) -> None:
        """Let a place go: to the oldest waiter, or free when no one waits."""
        with self._lock:
            if self._line:
                self._line.popleft().set()
            else:
                self._free += 1


class WriteSlots:
    """The places of one server process (``app.state.write_slots``); ``None`` places: no bound (a pool without a
    bound, or another kind of pool). Each project has its own line of one (``_turn``): only the oldest write of a
    project asks for a place."""

    def __init__(self, engine: Engine) -> None:
        places = slots(engine)
        self.places = places
        self._free = _Places(places) if places is not None else None
        self._guard = threading.Lock()
        self._lines: dict[str, tuple[_Places, int]] = {}  # per project: its line, and how many writes are in it

    @contextmanager
    def held(
        self, engine: Engine, project: str, timeout: float = DEFAULT_LOCK_TIMEOUT_S, spent: float = 0.0,
    ) -> Iterator[float]:
        """Hold a place while the caller takes ``project``'s write lock and writes; yields the seconds left of
        ``timeout`` for the lock itself (one bound for both waits). The writes of a project take their turns in
        the order they came, and a write whose turn came takes a place in the order it came, behind the writes of
        other projects only when every place is taken. Out of time: ``LockTimeoutError`` naming the writer that
        holds the lock, as the lock's own wait says it — the whole wait, the ``spent`` seconds of the write's bound
        its read waited before ``timeout`` too (the lock's wait states the whole bound: not 59.8287 s of 60)."""
        if self._free is None:
            yield timeout
            return
        started = time.monotonic()

        def left() -> float:
            return max(0.0, timeout - (time.monotonic() - started))

        with self._turn(project) as line:
            if not line.acquire(timeout=timeout):
                raise _out_of_time(engine, project, spent + timeout)
            try:
                if not self._free.acquire(timeout=left()):
                    raise _out_of_time(engine, project, spent + timeout)
                try:
                    yield left()
                finally:
                    self._free.release()
            finally:
                line.release()

    @contextmanager
    def _turn(self, project: str) -> Iterator[_Places]:
        """The line of ``project``'s writes in this process (one place: the write whose turn it is), kept while
        any write is in it."""
        with self._guard:
            line, users = self._lines.get(project) or (_Places(1), 0)
            self._lines[project] = (line, users + 1)
        try:
            yield line
        finally:
            with self._guard:
                line, users = self._lines[project]
                if users == 1:
                    del self._lines[project]
                else:
                    self._lines[project] = (line, users - 1)


def _out_of_time(engine: Engine, project: str, timeout: float) -> LockTimeoutError:
    """The error of a write whose bound ran out before its place: as the lock's own wait words it."""
    from tracertm.db import lock_timeout_message

    return LockTimeoutError(lock_timeout_message(engine, project, timeout))


class Turn(NamedTuple):
    """A write's turn at its project's lock (``write_place``): the seconds ``left`` of its bound for the lock wait,
    and the seconds it ``waited`` for a place before (its lock's timeout message states both together)."""

    left: float
    waited: float


@contextmanager
def write_place(request: Request, project: str, spent: float = 0.0) -> Iterator[Turn]:
    """``WriteSlots.held`` of the request's server process (``app.state.write_slots``) for a write of ``project``,
    within what is left of ``WRITE_BOUND_S`` after the ``spent`` seconds its read before the lock waited
    (``bounded_read``)."""
    state = request.app.state
    bound = max(0.0, WRITE_BOUND_S - spent)
    with state.write_slots.held(state.engine, project, bound, WRITE_BOUND_S - bound) as left:
        yield Turn(left, WRITE_BOUND_S - left)


@contextmanager
def bounded_read(request: Request, what: str) -> Iterator[Session]:
    """A session for what a write reads before it waits for its project's lock (which project, which record), in
    a transaction whose wait for a table or row lock is bounded by ``WRITE_BOUND_S`` on PostgreSQL, as the lock
    wait itself is (``SET LOCAL lock_timeout``): a ``LOCK TABLE`` or a migration's ``ALTER TABLE`` held it for as
    long as it lasted. Out of time: ``LockTimeoutError`` (503 ``lock-timeout``, Retry-After) naming ``what``."""
    from sqlalchemy import text
    from sqlalchemy.exc import OperationalError

    from tracertm import db
    from tracertm.db.failures import _is_busy
    from tracertm.db.locks import CONFIG_HINT

    with db.session(request.app.state.engine) as session:
        if session.get_bind().dialect.name == "postgresql":
            session.execute(text(f"SET LOCAL lock_timeout = {max(1, int(WRITE_BOUND_S * 1000))}"))
        try:
            yield session
        except OperationalError as exc:
            if not _is_busy(exc):
                raise
            raise LockTimeoutError(f"{what}: waited {WRITE_BOUND_S:g} s for a lock another transaction holds on "
                                   f"its table; {CONFIG_HINT}") from None


@contextmanager
def locked_write(request: Request, project: str, spent: float = 0.0) -> Iterator[Session]:
    """One transaction holding ``project``'s write lock (``db.write_session``, within a ``write_place``; ``spent``:
    the seconds of its bound its read before the lock waited) for a write of the request; commits when the block
    ends, rolls back on any exception. Before the block runs, the database's schema revision is checked
    (``deps.still_writable``: 503 if a newer tracertm migrated it) and the request's token again (401 if it was
    revoked while the write waited for the lock)."""
    from tracertm import db
    from tracertm.api.deps import still_writable

    with write_place(request, project, spent) as turn, \
            db.write_session(request.app.state.engine, project, turn.left, waited=turn.waited) as session:
        still_writable(request, session)
        yield session


def slots(engine: Engine) -> int | None:
    """How many writes of one process may wait for a lock holding a connection: the pool's overflow, so that its
    ``pool_size`` connections stay for everything else (at least one place); None for a pool without a bound."""
    pool = engine.pool
    size = getattr(pool, "size", None)
    overflow = getattr(pool, "_max_overflow", None)  # QueuePool's (SQLAlchemy has no public reader of it)
    if not callable(size) or not isinstance(overflow, int) or overflow < 0:
        return None
    return max(1, overflow if overflow else int(size()) - 1)


__all__ = ["RENAME_ATTEMPTS", "WRITE_BOUND_S", "Turn", "WriteSlots", "bounded_read", "locked_write", "slots",
           "write_place"]
