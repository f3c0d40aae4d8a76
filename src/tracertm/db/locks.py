"""The per-project write lock: ``write_session``, one transaction holding it (SQLite: ``BEGIN IMMEDIATE``;
PostgreSQL: advisory locks of the project, its names and its repository's root commit), waiting at most
``lock_timeout`` and then naming the other writer in one line."""

from __future__ import annotations

import hashlib
from collections.abc import Callable, Iterator
from contextlib import contextmanager
from typing import TYPE_CHECKING, Any

from tracertm.config import DEFAULT_LOCK_TIMEOUT_S
from tracertm.db.engines import OPENED_FILE, _bounded, _checkpoint_soon
from tracertm.db.failures import _is_busy, _not_a_database, conflict_error, database_unavailable, is_conflict
from tracertm.db.sessions import session
from tracertm.errors import Cancelled, LockTimeoutError
from tracertm.signals import held as signals_held

if TYPE_CHECKING:
    import uuid

    from sqlalchemy.engine import Connection, Engine
    from sqlalchemy.orm import Session

    from tracertm.engine.identity import RepoIdentity


def _lock_key(name: str) -> int:
    """A stable signed 64-bit key for PostgreSQL advisory locks."""
    return int.from_bytes(hashlib.sha256(name.encode("utf-8")).digest()[:8], "big", signed=True)


def project_lock_name(project_name: str) -> str:
    """The name lock of a project name (an advisory lock key on PostgreSQL, see ``_lock_key``): taken by every
    writer of a project under that name, after the project's own lock (``project_id_lock_name``), and by the no-op
    fast path (``fastpath``), which knows only the name."""
    return f"project:{project_name}"


def project_lock_key(project_name: str) -> int:
    """The PostgreSQL advisory lock key of ``project_lock_name`` (the no-op fast path takes it)."""
    return _lock_key(project_lock_name(project_name))


def project_id_lock_name(project_id: uuid.UUID) -> str:
    """The write lock of an existing project: one project, one lock, whatever name a writer reached it by (two
    clones of a repository whose remote was renamed, see ``engine.identity``)."""
    return f"project-id:{project_id}"


def _project_locks(sess: Session, project_name: str, identity: RepoIdentity | None) -> tuple[Any, list[str]]:
    """The project a write of ``project_name`` writes to (its id; None when the write creates it) and the advisory
    locks that serialise it, in the order to take them.

    An existing project: its own lock first, then the name locks of the name the writer uses and of the
    project's current name (kept for the fast path, and against a writer creating a project of that name
    meanwhile). A project to create: the name lock, then (a name derived from a remote or the folder) the lock of
    the repository's root commit, so that two clones of one repository creating it under two names serialise and
    the second finds the first one's project. Every writer takes its project's lock before any name lock and a
    name lock before a root-commit lock: no two writers wait for each other in a circle."""
    from tracertm.engine.identity import find

    project = find(sess, project_name, identity)
    if project is not None:
        names = sorted({project_name, project.name})
        return project.id, [project_id_lock_name(project.id), *(project_lock_name(n) for n in names)]
    locks = [project_lock_name(project_name)]
    if identity is not None and (identity.named_from_remote or identity.folder is not None) \
            and identity.top is not None and identity.root:
        locks.append(f"project-root:{identity.root}")
    return None, locks


# Names of run triggers as a user knows the writer.
WRITER_KINDS = {
    "cli": "sync", "ci": "sync (CI)", "hook": "hook sync", "watch": "watch daemon", "backfill": "backfill",
}


def _pg_lock(conn: Connection, name: str, timeout: float, describe: Callable[[], str]) -> None:
    """Take the transaction-scoped advisory lock ``name`` in the transaction ``conn`` is in (the migration lock),
    waiting at most ``timeout`` seconds, and bound every row and table lock of the transaction the same way
    (``lock_timeout``); ``describe()`` words the error when the time runs out before the lock call.

    When the lock is held, the wait is PostgreSQL's queue, as a writer's (``_pg_queue``): first come first served,
    where a try-lock loop was overtaken by whoever tried first each time the lock came free. The session-level lock
    it waits for is turned into the transaction's at once (it is the session's own) and let go, so the lock ends
    with the transaction as before. Under READ COMMITTED the statements after the wait see what the holder
    committed (its migration), so the transaction need not begin again."""
    import time

    from sqlalchemy import text

    key = _lock_key(name)
    if not _pg_try(conn, key):
        queued: list[int] = []
        try:
            _pg_queue(conn, [key], queued, time.monotonic() + timeout, describe, None)
            _pg_try(conn, key)  # (its own session-level lock: taken at once, whoever waits)
            _pg_unlock(conn, queued)
        except BaseException:
            if queued:  # a session-level lock must not go back to the pool with the connection
                conn.invalidate()
            raise
    conn.execute(text(f"SET LOCAL lock_timeout = {max(1, int(timeout * 1000))}"))


def other_writer(engine: Engine, project_name: str, exclude: Any = None, project_id: Any = None) -> str | None:
    """Who else is writing: the oldest unfinished run (``sync_runs.status = 'running'``) of the project
    (``project_id`` when known, else the project named ``project_name``; of any project on SQLite, whose write
    lock covers the whole file), as "a watch daemon of project 'x' (started 10:02:11 UTC)"; None when no run is
    registered."""
    from sqlalchemy import select

    from tracertm.models import Project, SyncRun

    query = (
        select(SyncRun.trigger, SyncRun.started_at, Project.name)
        .join(Project, Project.id == SyncRun.project_id)
        .where(SyncRun.status == "running")
        .order_by(SyncRun.started_at)
        .limit(1)
    )
    if engine.dialect.name == "postgresql":
        query = query.where(Project.id == project_id if project_id is not None else Project.name == project_name)
    if exclude is not None:
        query = query.where(SyncRun.id != exclude)
    try:
        with engine.connect() as conn:
            row = conn.execute(query).first()
    except Exception:  # noqa: BLE001 - only used to word an error message
        return None
    if row is None:
        return None
    kind = WRITER_KINDS.get(row.trigger, row.trigger)
    return f"a {kind} of project {row.name!r} (started {row.started_at:%Y-%m-%d %H:%M:%S} UTC)"


# What to do, for a command (whose wait the configuration sets); the API answers another hint (``api.problems``).
CONFIG_HINT = "try again when it has finished, or raise lock_timeout in the tracertm configuration"


def lock_timeout_message(
    engine: Engine, project_name: str, timeout: float, exclude: Any = None, project_id: Any = None
) -> str:
    holder = other_writer(engine, project_name, exclude, project_id) or (
        "another writer (no tracertm run is registered)"
    )
    return f"project {project_name!r}: waited {timeout:g} s for the write lock held by {holder}; {CONFIG_HINT}"


def _locked_session(
    bound: Engine, engine: Engine, project_name: str, identity: RepoIdentity | None, timeout: float, cancel: Any,
    found: list[Any], describe: Any,
) -> tuple[Session, Connection | None]:
    """A session whose transaction has begun holding the project's write lock (see ``write_session``), and the
    connection it is bound to, for the caller to close after it (PostgreSQL; None on SQLite, whose session has
    its own); ``found`` receives the project's id (None: a project to create) as soon as it is known, for
    ``describe``."""
    if engine.dialect.name == "postgresql":
        return _pg_locked_session(bound, project_name, identity, timeout, cancel, found, describe)
    sess = session(bound, expire_on_commit=False)
    try:
        sess.begin()
        sess.connection()  # emits BEGIN IMMEDIATE now, before any read (the wait: engines._sqlite_begin_immediate)
    except BaseException:
        sess.close()
        raise
    return sess, None


def _pg_locked_session(
    bound: Engine, project_name: str, identity: RepoIdentity | None, timeout: float, cancel: Any,
    found: list[Any], describe: Any,
) -> tuple[Session, Connection]:
    """PostgreSQL's ``_locked_session``: try the project's locks; when another writer holds one, queue for them in
    the lock call itself, then take them over in a new transaction.

    The queue is PostgreSQL's: a blocked ``pg_advisory_lock`` waits in line and is handed the lock when its holder
    ends, first come first served, and a try-lock does not pass the waiters. A writer that polled lost the lock
    to whoever polled first, again and again on a loaded host, until its time ran out. The locks it waited for are
    session-level, kept across the end of that transaction: a transaction that waited began before the other
    writer committed, and PostgreSQL's now(), which stamps the rows it writes (a run's imported_at, a revision's
    created_at...), would be older than what that writer committed (a poll with --since or changed_since in between
    missed it for good). So the writer begins a new transaction holding them, takes them there (at once: they are
    its own) and lets the session-level ones go. Under the locks the project found before may have been created,
    renamed or adopted meanwhile (its writer held the lock of another name): same project, ours; otherwise the
    locks are let go and its own taken."""
    import time

    from sqlalchemy import text

    deadline = time.monotonic() + timeout
    conn = bound.connect()
    queued: list[int] = []  # keys of the session-level locks the connection holds
    try:
        while True:
            sess = session(conn, expire_on_commit=False)
            try:
                sess.begin()
                project_id, locks = _project_locks(sess, project_name, identity)
                found[:] = [project_id]
                keys = [_lock_key(name) for name in locks]
                got = all(_pg_try(sess, key) for key in keys)
                _pg_unlock(sess, queued)  # (its transaction holds them now, or they were another project's)
                if got:
                    sess.execute(text(f"SET LOCAL lock_timeout = {max(1, int(timeout * 1000))}"))
                    sess.expire_all()
                    if _project_locks(sess, project_name, identity)[0] == project_id:
                        return sess, conn
                else:
                    _pg_queue(sess, keys, queued, deadline, describe, cancel)
            except BaseException:
                sess.close()
                raise
            sess.close()  # rolls back: its transaction's locks are released, the queued ones kept
    except BaseException:
        if queued:  # a session-level lock must not go back to the pool with the connection
            conn.invalidate()
        conn.close()
        raise


def _pg_try(sess: Session | Connection, key: int) -> bool:
    """Take the transaction-scoped advisory lock ``key`` if it is free and no one waits for it."""
    from sqlalchemy import text

    return bool(sess.execute(text("SELECT pg_try_advisory_xact_lock(:k)"), {"k": key}).scalar())


def _pg_unlock(sess: Session | Connection, queued: list[int]) -> None:
    """Let the session-level locks ``queued`` go (a transaction-scoped hold of the same key stays)."""
    from sqlalchemy import text

    while queued:
        sess.execute(text("SELECT pg_advisory_unlock(:k)"), {"k": queued[-1]})
        queued.pop()


def _pg_queue(
    sess: Session | Connection, keys: list[int], queued: list[int], deadline: float, describe: Any, cancel: Any
) -> None:
    """Wait in PostgreSQL's queue for each session-level advisory lock ``keys`` in turn, appending each one taken
    to ``queued``, until ``deadline`` (``time.monotonic()``; then ``LockTimeoutError`` naming the holder, or
    lock_timeout's error, which ``write_session`` words the same). ``cancel`` set ends the wait: checked first,
    then watched while the lock call blocks (``_cancelling``)."""
    import time

    from sqlalchemy import text

    for key in keys:
        if cancel is not None and cancel.is_set():
            raise Cancelled("cancelled while waiting for the write lock")
        left = deadline - time.monotonic()
        if left <= 0:
            raise LockTimeoutError(describe())
        sess.execute(text(f"SET LOCAL lock_timeout = {max(1, int(left * 1000))}"))
        with _cancelling(sess, cancel):
            sess.execute(text("SELECT pg_advisory_lock(:k)"), {"k": key})
        queued.append(key)


@contextmanager
def _cancelling(sess: Session | Connection, cancel: Any) -> Iterator[None]:
    """While the block runs, cancel the session's statement in progress once ``cancel`` is set (a
    ``threading.Event``), seen within a tenth of a second: its setter's own cancel request finds no statement
    when it comes before the lock call."""
    if cancel is None:
        yield
        return
    import threading

    from sqlalchemy.engine import Connection

    raw = (sess if isinstance(sess, Connection) else sess.connection()).connection.dbapi_connection
    assert raw is not None
    done = threading.Event()

    def watch() -> None:
        while not done.wait(0.1):
            if cancel.is_set():
                stop = getattr(raw, "cancel_safe", None) or raw.cancel
                stop()
                return

    watcher = threading.Thread(target=watch, name="tracertm-lock-cancel", daemon=True)
    watcher.start()
    try:
        yield
    finally:
        done.set()
        watcher.join()


@contextmanager
def write_session(
    engine: Engine,
    project_name: str,
    timeout: float = DEFAULT_LOCK_TIMEOUT_S,
    run_id: Any = None,
    cancel: Any = None,
    bulk: bool = False,
    identity: RepoIdentity | None = None,
    on_commit: Callable[[], object] | None = None,
    waited: float = 0.0,
) -> Iterator[Session]:
    """One transaction holding the project's write lock; commits on success, rolls back on any exception.

    ``bulk`` (a sync's write phase): on SQLite the commit leaves the WAL checkpoint to a background thread, so the
    writer does not wait for it (see ``_checkpoint_soon``).

    PostgreSQL: the advisory lock of the project (``project_id_lock_name``: its row, whatever name it is reached
    by; ``identity``, a ``RepoIdentity``, finds it as ``engine.identity.resolve`` does, following a renamed remote),
    then the name locks (``_project_locks``), released at commit/rollback; a writer that finds one held waits in
    PostgreSQL's queue for it, first come first served (``_pg_locked_session``). A project that does not exist
    yet is locked by its name (and its repository's root commit); if another writer created or renamed it
    meanwhile, the locks are let go and the project's own taken instead.
    SQLite: the transaction starts with ``BEGIN IMMEDIATE`` and waits on the busy timeout for any other writer;
    SQLite has no queue, so there ``timeout`` counts from the last commit another writer made meanwhile.
    Either way the wait is bounded by ``timeout`` seconds and ends in ``LockTimeoutError`` naming the other writer
    (from its unfinished ``sync_runs`` row; ``run_id`` is the caller's own, left out of that search) and stating
    the whole wait: ``waited``, the seconds the caller spent waiting for its turn before (an API write's place),
    and ``timeout`` together.
    A deadlock or serialization failure while writing is a ``ConflictError`` (nothing was written; run again).
    ``cancel`` (a ``threading.Event``, set by another thread that also interrupts the connection) turns the
    resulting database error, or a set flag at the lock wait, into ``Cancelled``; the transaction rolls back.
    ``on_commit`` is called once the COMMIT returns; Ctrl-C and SIGTERM are held back from before the COMMIT until
    it has been called (``signals.held``), so that no interrupt lands between the two.
    """
    from sqlalchemy.exc import DBAPIError, OperationalError

    found: list[Any] = [None]

    def describe() -> str:
        return lock_timeout_message(engine, project_name, waited + timeout, run_id, found[0])

    bound = _bounded(engine, timeout, cancel, bulk)
    opened = None  # (SQLite) the file the write's connection opened, for its checkpoint
    try:
        sess, held = _locked_session(bound, engine, project_name, identity, timeout, cancel, found, describe)
        try:
            yield sess
            if cancel is not None and cancel.is_set():
                raise Cancelled("cancelled before commit")
            if bulk:
                opened = sess.connection().info.get(OPENED_FILE)
            with signals_held():
                sess.commit()
                if on_commit is not None:
                    on_commit()
        except BaseException:
            sess.rollback()
            raise
        finally:
            sess.close()
            if held is not None:
                held.close()
        if bulk:
            _checkpoint_soon(engine, opened)
    except DBAPIError as exc:
        if cancel is not None and cancel.is_set():
            raise Cancelled("cancelled; the transaction was rolled back") from None
        if not isinstance(exc, OperationalError) and not _not_a_database(exc):
            raise
        if _is_busy(exc):
            raise LockTimeoutError(describe()) from None
        if is_conflict(exc):
            raise conflict_error(exc, project_name) from None
        raise database_unavailable(engine, exc) from None
