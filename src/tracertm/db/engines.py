"""Engines: one for a URL, with SQLite's pragmas (foreign keys, page size, WAL, busy timeout; ``BEGIN IMMEDIATE``
for a writer, see ``_bounded``) or psycopg 3 for PostgreSQL, the WAL checkpoint a bulk write leaves to a thread of
its own, and a connection whose failure is one line (``_connect``)."""

from __future__ import annotations

import os
import threading
import weakref
from collections.abc import Iterator
from contextlib import contextmanager
from typing import TYPE_CHECKING, Any

from tracertm.db import json_numbers
from tracertm.db.failures import _SOURCES, database_unavailable
from tracertm.db.urls import DEFAULT_SOURCE, home_expanded, parse_url, redact
from tracertm.errors import ConfigError, DatabaseError

if TYPE_CHECKING:
    from pathlib import Path

    from sqlalchemy.engine import URL, Connection, Engine

SQLITE_BUSY_TIMEOUT_S = 60.0
# Seconds to wait for a PostgreSQL server to accept and answer a new connection (libpq's connect_timeout; the hook's
# fast path uses the same).
PG_CONNECT_TIMEOUT_S = 10
SQLITE_AUTOCHECKPOINT_PAGES = 1000  # SQLite's default
SQLITE_PAGE_SIZE = 32768  # bytes per page of a new database file (see _sqlite_on_connect)
# The key, in a SQLite connection's pool record (``Connection.info``), of the file it opened: (path, st_dev, st_ino).
OPENED_FILE = "tracertm_opened_file"


def make_engine(url: str, source: str = "--database-url") -> Engine:
    """An engine for ``url``. SQLite gets WAL, foreign keys and a busy timeout; PostgreSQL uses psycopg 3."""
    from sqlalchemy import create_engine, event

    parsed = parse_url(url, source)
    if parsed.get_backend_name() == "sqlite":
        database = parsed.database or ""
        if database and database != ":memory:" and not database.startswith("file:"):
            folder = home_expanded(database).parent
            if source != DEFAULT_SOURCE:
                # A URL someone wrote names a file in a folder that exists: a typo in a folder name must not make a
                # database somewhere no later command looks (SQLite itself would only say "unable to open").
                if not folder.is_dir():
                    raise DatabaseError(f"cannot use database {redact(parsed)}: its folder {folder} does not exist; "
                                        f"create it or check {source}")
            else:
                try:
                    folder.mkdir(parents=True, exist_ok=True)
                except OSError as exc:  # a path component that is a file, a read-only or virtual file system
                    raise DatabaseError(f"cannot use database {redact(parsed)}: its folder {folder} cannot be "
                                        f"created ({exc.strerror or exc}); check {source}") from None
            refuse_no_file(home_expanded(database), parsed, source)
        engine = create_engine(parsed, connect_args={"timeout": SQLITE_BUSY_TIMEOUT_S})
        event.listen(engine, "connect", _sqlite_on_connect)
        event.listen(engine, "begin", _sqlite_on_begin)
        _SOURCES[engine] = source
        return engine
    try:
        import psycopg  # noqa: F401
    except ImportError:
        raise ConfigError(
            f"{source}: PostgreSQL needs psycopg 3; install it with: pip install 'tracertm[postgres]'"
        ) from None
    # UTF8 on the wire whatever the database's encoding: the server converts, and refuses text its encoding cannot
    # hold (Cyrillic in a LATIN1 database) as an error of its own — one line, exit 2 — where psycopg, encoding on
    # the client in the server's encoding, raised UnicodeEncodeError (an internal error).
    # JSON numbers as numeric keeps them (json_numbers: a float of 1e16 or more came back an integer).
    # A bounded connection attempt: without one, a server that accepts the connection and never answers (stuck, or
    # a proxy in front of a dead one) kept every command, and the git hooks, waiting forever. A connect_timeout
    # in the URL's query (``?connect_timeout=30``) is the user's and wins: connect_args would override it.
    connect_args: dict[str, Any] = {"client_encoding": "utf8"}
    if "connect_timeout" not in parsed.query:
        connect_args["connect_timeout"] = PG_CONNECT_TIMEOUT_S
    engine = create_engine(parsed, pool_pre_ping=True, connect_args=connect_args,
                           json_serializer=json_numbers.dumps)
    _SOURCES[engine] = source
    return engine


def refuse_no_file(path: Path, parsed: URL, source: str, *, reading: bool = False) -> None:
    """A SQLite URL naming what is no file — a device (``/dev/null``), a FIFO, a folder — is refused in one line
    naming it: SQLite called ``/dev/null`` a damaged database ("move it aside") and a FIFO a disk I/O error. What is
    not there is a new database (or an error SQLite names). ``reading``: the command creates no database, and the
    advice offers no new path."""
    import stat

    try:
        mode = os.stat(path).st_mode
    except OSError:
        return
    if stat.S_ISREG(mode):
        return
    from tracertm.engine.regular_file import special_kind

    what = "a folder" if stat.S_ISDIR(mode) else special_kind(mode)
    wanted = "tracertm database" if reading else "SQLite database file (or at a new path to create one)"
    raise DatabaseError(f"cannot use database {redact(parsed)}: {path} is {what}, not a file; point {source} at a "
                        f"{wanted}")


def _sqlite_on_connect(dbapi_connection: Any, record: Any) -> None:
    # Let SQLAlchemy's "begin" event issue BEGIN itself (pysqlite's implicit transactions cannot BEGIN IMMEDIATE).
    dbapi_connection.isolation_level = None
    cursor = dbapi_connection.cursor()
    # Which file this connection opened (SQLite's full path of it, and its device and inode, taken as soon as it is
    # open): a bulk write's checkpoint acts on that file, never on another one at its path (``_checkpoint_soon``).
    row = cursor.execute("PRAGMA database_list").fetchone()  # the main database comes first
    opened = _file_identity(row[2]) if row is not None and row[2] else None
    if opened is not None:
        record.info[OPENED_FILE] = (row[2], *opened)
    cursor.execute("PRAGMA foreign_keys=ON")
    # A new database file gets 32 KiB pages (SQLite's default is 4 KiB); an existing one keeps its own (the pragma
    # only applies before the first page is written, so it must come before the journal mode). tracertm's big
    # writes are bulk inserts of 0.2-2 KiB rows (records, revision snapshots, links, test results): with larger
    # pages they split fewer pages, and a commit writes fewer WAL frames, whose cost is per frame more than per
    # byte. Replaying the statements of the large benchmark corpus's first sync: 8 KiB 0.955, 32 KiB
    # 0.884 s of SQLite CPU; of a 20,000-test results import: inserts 0.144 → 0.135 s and its commit 0.056 →
    # 0.018 s (8 → 32 KiB). The price: an empty schema takes 3 MB instead of 0.8, and a small commit writes its few
    # pages at 32 KiB each.
    cursor.execute(f"PRAGMA page_size={SQLITE_PAGE_SIZE}")
    # WAL: readers never wait for the writer. synchronous=NORMAL: a commit appends to the WAL without an fsync (the
    # fsync happens at checkpoints); a power cut can lose the last commits but never corrupts the database. This
    # holds for every write, bulk syncs included.
    cursor.execute("PRAGMA journal_mode=WAL")
    cursor.execute("PRAGMA synchronous=NORMAL")
    cursor.execute(f"PRAGMA busy_timeout={int(SQLITE_BUSY_TIMEOUT_S * 1000)}")
    cursor.close()


def _sqlite_on_begin(conn: Connection) -> None:
    # A writer takes SQLite's write lock up front, so two writers queue instead of one failing with "database is
    # locked" when it upgrades a read transaction. The busy timeout is set for every transaction (a pragma costs
    # no I/O): a pooled connection must not keep another writer's bound.
    options = conn.get_execution_options()
    busy_ms = int(options.get("tracertm_busy_ms", SQLITE_BUSY_TIMEOUT_S * 1000))
    # A bulk write's commit does not copy the WAL back into the database file (the checkpoint, with its fsync):
    # ``write_session(bulk=True)`` has that done by a thread of its own afterwards (``_checkpoint_soon``). Set for
    # every transaction, so a pooled connection never keeps a bulk write's setting.
    pages = 0 if options.get("tracertm_bulk") else SQLITE_AUTOCHECKPOINT_PAGES
    conn.exec_driver_sql(f"PRAGMA wal_autocheckpoint={pages}")
    if not options.get("tracertm_write"):
        conn.exec_driver_sql(f"PRAGMA busy_timeout={busy_ms}")
        conn.exec_driver_sql("BEGIN")
        return
    _sqlite_begin_immediate(conn, busy_ms, options.get("tracertm_cancel"))


def _sqlite_begin_immediate(conn: Connection, busy_ms: int, cancel: Any) -> None:
    """``BEGIN IMMEDIATE``, waiting for the write lock in short slices so that ``cancel`` (a ``threading.Event``)
    is seen within a tenth of a second: SQLite's own busy wait cannot be interrupted.

    SQLite has no queue of writers: whoever polls first when the lock comes free takes it, so a writer can miss it
    again and again while others commit. The bound ``busy_ms`` is therefore a bound on waiting with no progress:
    it counts from the last commit another connection made while this one waited (``PRAGMA data_version``), not
    from the first try; a writer fails only when the lock stayed with one transaction that long."""
    import sqlite3
    import time

    raw = conn.connection.dbapi_connection
    assert raw is not None
    deadline = time.monotonic() + busy_ms / 1000
    seen = _data_version(raw)
    raw.execute(f"PRAGMA busy_timeout={min(busy_ms, 100)}")
    try:
        while True:
            try:
                raw.execute("BEGIN IMMEDIATE")
                return
            except sqlite3.OperationalError as exc:
                if exc.sqlite_errorcode not in (5, 6) and "locked" not in str(exc):  # not SQLITE_BUSY/LOCKED
                    raise
            if cancel is not None and cancel.is_set():
                break
            # Progress is asked before the clock: a waiter the host did not run for a while still sees the
            # commits made meanwhile, and does not give up on a lock that changed hands.
            version = _data_version(raw)
            if version is not None and seen is not None and version != seen:
                deadline = time.monotonic() + busy_ms / 1000
            elif time.monotonic() >= deadline:
                break
            seen = version if version is not None else seen
    finally:
        raw.execute(f"PRAGMA busy_timeout={busy_ms}")
    # Out of time (or cancelled): one last try that fails through SQLAlchemy, so callers see its usual error.
    raw.execute("PRAGMA busy_timeout=0")
    try:
        conn.exec_driver_sql("BEGIN IMMEDIATE")
    finally:
        raw.execute(f"PRAGMA busy_timeout={busy_ms}")


def _data_version(raw: Any) -> int | None:
    """SQLite's count of the commits other connections made to the database, as this connection last saw them
    (``PRAGMA data_version``: a read, which a writer holding the lock does not block in WAL mode); None when it
    cannot be read just now (busy), which counts as no progress."""
    import sqlite3

    try:
        row = raw.execute("PRAGMA data_version").fetchone()
    except sqlite3.OperationalError:
        return None
    return int(row[0]) if row is not None else None


def _bounded(engine: Engine, timeout: float, cancel: Any = None, bulk: bool = False) -> Engine:
    """``engine`` whose transactions are writes: ``BEGIN IMMEDIATE`` waiting at most ``timeout`` on SQLite."""
    return engine.execution_options(
        tracertm_write=True, tracertm_busy_ms=max(0, int(timeout * 1000)), tracertm_cancel=cancel,
        tracertm_bulk=bulk,
    )


def snapshot_reads(engine: Engine) -> Engine:
    """``engine`` whose transactions read one snapshot of the database from their first statement to their end: a
    response built from several queries (a page and its total, a run and its results) never mixes the states
    before and after a commit made meanwhile. PostgreSQL's default, READ COMMITTED, takes a snapshot per statement:
    these are read-only REPEATABLE READ transactions, which never fail with a serialization error (they write
    nothing) and cost no round trip more (psycopg sends the level with its BEGIN). SQLAlchemy sets both on each
    connection checked out through this engine and resets them when it goes back to the pool: a writer that gets
    the connection next has the isolation it had before. SQLite's deferred ``BEGIN`` in WAL mode is one snapshot
    already (from the first read): its engine is returned as it is.

    SQLAlchemy resets the read-only flag to False, which psycopg sends as ``BEGIN READ WRITE``: a write on that
    connection then wrote to a database made read-only (``default_transaction_read_only``). Back in the pool, the
    flag is set to None instead (``_server_read_only``): the server's default, as on a new connection."""
    from sqlalchemy import event

    if engine.dialect.name != "postgresql":
        return engine
    if not event.contains(engine, "checkin", _server_read_only):
        event.listen(engine, "checkin", _server_read_only)
    return engine.execution_options(isolation_level="REPEATABLE READ", postgresql_readonly=True)


def _server_read_only(dbapi_connection: Any, record: Any) -> None:
    """A psycopg connection back in the pool leaves read-only or read-write to the server's default again (after
    SQLAlchemy's reset of ``snapshot_reads``' flag, which comes first: see there)."""
    if dbapi_connection is not None and dbapi_connection.read_only is not None:
        dbapi_connection.read_only = None


CHECKPOINT_THREAD = "tracertm-checkpoint"  # the name of ``_checkpoint_soon``'s thread
# The checkpoint threads of each engine that may still run (``wait_for_checkpoints``). Only writers and waiters take
# the lock, never a checkpoint thread (a process forks with that thread running, see ``results.streamed``).
_CHECKPOINTS: weakref.WeakKeyDictionary[Engine, list[threading.Thread]] = weakref.WeakKeyDictionary()
_CHECKPOINTS_LOCK = threading.Lock()


def _file_identity(path: str) -> tuple[int, int] | None:
    """Which file ``path`` names: (st_dev, st_ino); None when it names none (or cannot be read)."""
    try:
        st = os.stat(path)
    except OSError:
        return None
    return st.st_dev, st.st_ino


def _checkpoint_soon(engine: Engine, opened: tuple[str, int, int] | None) -> None:
    """Copy a SQLite database's WAL back into its file from a thread of its own (a passive checkpoint: it waits for
    no one and no one waits for it), after a bulk write whose commit skipped it. Best effort: the next ordinary
    commit, or the last connection to close, checkpoints anyway.

    ``opened``: the file the write's connection opened (its ``OPENED_FILE``). The thread opens it again by name, so
    it acts only while the path still names that file, and never creates one: the file may be deleted or another
    one renamed over it meanwhile (a user's ``rm``, a backup restored, under ``tracertm watch``). Opening a missing
    file would create an empty database where the user deleted one, and opening another file with the old WAL and
    shared memory still beside it would copy the old database's pages into it. So the path is checked by device and
    inode before connecting (without creating the file: ``mode=rw``), again once connected, before anything is read
    (the connection opened whatever the path named in between), and once more after the connection has opened the
    WAL and shared-memory files beside it (by name, at its first read), before it checkpoints anything."""
    import sqlite3
    from urllib.parse import quote

    if engine.dialect.name != "sqlite" or opened is None:
        return
    path, device, inode = opened
    uri = f"file:{quote(path)}?mode=rw"

    def checkpoint() -> None:
        try:
            if _file_identity(path) != (device, inode):
                return
            raw = sqlite3.connect(uri, uri=True, timeout=1.0)
            try:
                # Another file renamed over the path while this connected: the connection may have that file. Closed
                # before a read, it is left alone; read, it would take the old WAL for its own, and its close (the
                # last one of a file not moved) would copy that WAL's pages into it.
                if _file_identity(path) != (device, inode):
                    return
                raw.execute("PRAGMA schema_version")  # a read: opens the -wal and -shm files beside the path
                if _file_identity(path) == (device, inode):
                    raw.execute("PRAGMA wal_checkpoint(PASSIVE)")
            finally:
                raw.close()  # SQLite neither checkpoints into nor deletes beside a file that was moved meanwhile
        except Exception:  # noqa: BLE001 - the database may be gone or busy: a later commit checkpoints
            pass

    thread = threading.Thread(target=checkpoint, name=CHECKPOINT_THREAD, daemon=True)
    with _CHECKPOINTS_LOCK:
        running = [t for t in _CHECKPOINTS.get(engine, ()) if t.is_alive()]
        _CHECKPOINTS[engine] = [*running, thread]
        thread.start()


def wait_for_checkpoints(engine: Engine, timeout: float = SQLITE_BUSY_TIMEOUT_S) -> None:
    """Wait until the checkpoint threads ``engine``'s bulk writes started have ended (each at most ``timeout``): the
    watch daemon does, before it lets go of a database file that was deleted or replaced and opens what the path
    names now, so that no checkpoint still opens the old file's sidecars by name once they are another file's."""
    with _CHECKPOINTS_LOCK:
        threads = _CHECKPOINTS.pop(engine, [])
    for thread in threads:
        thread.join(timeout)


@contextmanager
def _connect(engine: Engine) -> Iterator[Connection]:
    from sqlalchemy.exc import DBAPIError

    try:
        conn = engine.connect()
    except DBAPIError as exc:  # unreachable, refused, or (SQLite) a file that is not a database
        raise database_unavailable(engine, exc) from None
    try:
        yield conn
    finally:
        conn.close()
