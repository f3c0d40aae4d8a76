"""How many of a server process's requests may hold a database connection while they wait for a project's write
lock: fewer than its connection pool holds, so that reads (and writes of other projects) still find a connection
while a long sync or backfill holds the lock and the writes of its project queue behind it.

A write waits for the lock holding a connection (``db.write_session``: it waits in PostgreSQL's queue on it).
With every connection of the pool taken by such waiters, any other request waited for the pool's timeout and failed
(a 500) although nothing was wrong but a busy project. Writes now queue for one of ``slots`` places first, without a
connection, within the same bound as the lock (README: a write that waited too long is 503 with Retry-After)."""

from __future__ import annotations

import threading
import time
from collections.abc import Iterator
from contextlib import contextmanager
from typing import TYPE_CHECKING

from tracertm.config import DEFAULT_LOCK_TIMEOUT_S
from tracertm.errors import LockTimeoutError

if TYPE_CHECKING:
    from sqlalchemy.engine import Engine
    from starlette.requests import Request


# How often a write addressed by project id takes the lock again when a sync renamed the project (``git remote
# set-url``) between reading its name and taking the lock by that name (link reviews, test-run uploads).
RENAME_ATTEMPTS = 3


class WriteSlots:
    """The places of one server process (``app.state.write_slots``); ``None`` places: no bound (a pool without a
    bound, or another kind of pool)."""

    def __init__(self, engine: Engine) -> None:
        places = slots(engine)
        self.places = places
        self._free = threading.BoundedSemaphore(places) if places is not None else None

    @contextmanager
    def held(self, engine: Engine, project: str, timeout: float = DEFAULT_LOCK_TIMEOUT_S) -> Iterator[float]:
        """Hold a place while the caller takes ``project``'s write lock and writes; yields the seconds left of
        ``timeout`` for the lock itself (one bound for both waits). Out of time: ``LockTimeoutError`` naming the
        writer that holds the lock, as the lock's own wait says it."""
        if self._free is None:
            yield timeout
            return
        started = time.monotonic()
        if not self._free.acquire(timeout=timeout):
            from tracertm.db import lock_timeout_message

            raise LockTimeoutError(lock_timeout_message(engine, project, timeout))
        try:
            yield max(0.0, timeout - (time.monotonic() - started))
        finally:
            self._free.release()


@contextmanager
def write_place(request: Request, project: str) -> Iterator[float]:
    """``WriteSlots.held`` of the request's server process (``app.state.write_slots``) for a write of ``project``."""
    state = request.app.state
    with state.write_slots.held(state.engine, project) as left:
        yield left


def slots(engine: Engine) -> int | None:
    """How many writes of one process may wait for a lock holding a connection: the pool's overflow, so that its
    ``pool_size`` connections stay for everything else (at least one place); None for a pool without a bound."""
    pool = engine.pool
    size = getattr(pool, "size", None)
    overflow = getattr(pool, "_max_overflow", None)  # QueuePool's (SQLAlchemy has no public reader of it)
    if not callable(size) or not isinstance(overflow, int) or overflow < 0:
        return None
    return max(1, overflow if overflow else int(size()) - 1)


__all__ = ["RENAME_ATTEMPTS", "WriteSlots", "slots", "write_place"]
