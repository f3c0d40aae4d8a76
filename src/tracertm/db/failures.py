"""Database failures in one line: a database that cannot be used (naming where its URL came from, never its
password), a file that is not a database, a damaged SQLite file, a full disk, a lock wait that ran out, and a write
that collided with another writer's (a ``ConflictError``: run again)."""

from __future__ import annotations

import os
import weakref
from typing import TYPE_CHECKING

from tracertm.db.urls import ENV_URL, redact
from tracertm.errors import ConflictError, DatabaseError

if TYPE_CHECKING:
    from pathlib import Path

    from sqlalchemy.engine import URL, Engine

# Where each engine's URL came from (``--database-url``, ``$TRACERTM_DATABASE_URL``...): an error about the database
# names the place to fix it.
_SOURCES: weakref.WeakKeyDictionary[Engine, str] = weakref.WeakKeyDictionary()


def database_unavailable(engine: Engine, exc: BaseException) -> DatabaseError:
    detail = str(getattr(exc, "orig", exc)).strip().splitlines()
    first = detail[0] if detail else type(exc).__name__
    source = _source(engine)
    if _not_a_database(exc):
        return _not_a_database_error(engine.url, source, first)
    from tracertm.db.urls import sqlite_file

    if is_damaged(exc):  # met on connecting (the first page read), not only by a query: the same line
        file = sqlite_file(engine.url)
        return damaged_error(str(file) if file is not None else None, exc)
    if lost_connection(exc):
        return DatabaseError(lost_connection_line(f"database {redact(engine.url)}", first))
    full = full_beneath(exc)
    if full is not None:
        return disk_full_error(engine.url, full)
    folder = unwritable_folder(sqlite_file(engine.url), exc)
    if folder is not None:
        return unwritable_folder_error(engine.url, source, folder)
    return DatabaseError(
        f"cannot use database {redact(engine.url)}: {first}; check {source or f'--database-url / ${ENV_URL}'}"
    )


def unwritable_folder(path: Path | None, exc: BaseException) -> Path | None:
    """The folder of the SQLite file ``path`` when ``exc`` is SQLite's "attempt to write a readonly database" for
    want of writing in that folder (None otherwise): in WAL mode even a read creates the ``-wal`` and ``-shm`` files
    beside the database. Said so by SQLite (SQLITE_READONLY_DIRECTORY), or a read-only error on a file this process
    may write in a folder it may not (a read-only file is the file's own matter)."""
    if path is None:
        return None
    orig = getattr(exc, "orig", exc)
    code = getattr(orig, "sqlite_errorcode", None)
    folder = path.absolute().parent
    if code == 1544:  # SQLITE_READONLY_DIRECTORY
        return folder
    readonly = (isinstance(code, int) and code & 0xFF == 8) or "readonly database" in str(orig)  # SQLITE_READONLY
    if readonly and not os.access(folder, os.W_OK) and os.access(path, os.W_OK):
        return folder
    return None


def unwritable_folder_error(url: URL, source: str | None, folder: Path) -> DatabaseError:
    """The one line for ``unwritable_folder``: why a database that is there cannot even be read, and what mends it."""
    return DatabaseError(
        f"cannot use database {redact(url)}: its folder {folder} is not writable, and SQLite writes its -wal and "
        f"-shm files beside the database; make the folder writable, or copy the database elsewhere and point "
        f"{source or f'--database-url / ${ENV_URL}'} at the copy"
    )


# What PostgreSQL's client says when the connection it had goes away mid-run (a terminated backend, a restart, a
# failover, a network cut): no URL or privilege to fix, a run to repeat.
_LOST = ("the connection is closed", "terminating connection", "server closed the connection unexpectedly",
         "connection has been closed unexpectedly", "connection to server was lost", "the connection is lost")


def lost_connection(exc: BaseException) -> bool:
    """Whether ``exc`` says the database connection in use went away (not one that could not be opened): in its
    words, or as SQLAlchemy found it (``connection_invalidated``: a disconnect, the connection dropped)."""
    if getattr(exc, "connection_invalidated", False):
        return True
    text = str(getattr(exc, "orig", exc))
    return any(phrase in text for phrase in _LOST)


def lost_connection_line(database: str, first: str) -> str:
    """The one line of a run whose connection went away."""
    return (f"lost the connection to {database} during the run ({first}); what this command had not committed was "
            "undone — run it again")


def is_full(exc: BaseException) -> bool:
    """SQLite's "database or disk is full" (SQLITE_FULL, any extended code) or PostgreSQL's disk_full (53100): no
    room left for the database's writes. Not the URL's fault, nor a record's: space freed, the same work succeeds."""
    orig = getattr(exc, "orig", exc)
    code = getattr(orig, "sqlite_errorcode", None)
    return ((isinstance(code, int) and code & 0xFF == 13) or getattr(orig, "sqlstate", None) == "53100"
            or "database or disk is full" in str(orig))


def full_beneath(exc: BaseException) -> BaseException | None:
    """The full-disk error (``is_full``) that ``exc`` is, or that it was raised while handling: SQLite rolls the
    whole transaction back on SQLITE_FULL, and the savepoint's RELEASE or ROLLBACK TO that follows then fails with
    "no such savepoint", raised in place of the full disk (which is its ``__context__``). None if there is none."""
    seen: list[BaseException] = []
    found: BaseException | None = exc
    while found is not None and found not in seen:
        if is_full(found):
            return found
        seen.append(found)
        found = found.__context__
    return None


def disk_full_line(database: str, first: str) -> str:
    """The one line of a run that found the database's disk full: what was undone, and what mends it."""
    return (f"{database}: its disk is full ({first}); what this command had not committed was undone — free space "
            "on the disk that holds it, then run it again")


def disk_full_error(url: URL, exc: BaseException) -> DatabaseError:
    """The one line for ``is_full(exc)``, naming the database of ``url``."""
    detail = str(getattr(exc, "orig", exc)).strip().splitlines()
    return DatabaseError(disk_full_line(f"database {redact(url)}", detail[0] if detail else type(exc).__name__))


def _not_a_database_error(url: URL, source: str | None, first: str, *, reading: bool = False) -> DatabaseError:
    """The line for a file that is not a SQLite database. ``reading``: the command only reads (``status``, ``list``,
    ...), and creates no database at a new path either ("no database at PATH"): the advice offers no new file."""
    fix = source or f"--database-url / ${ENV_URL}"
    advice = (f"this command creates none: point {fix} at a tracertm database" if reading
              else f"point {fix} at a tracertm database, or at a new file to create one")
    return DatabaseError(f"{source or 'database'}: {redact(url)} is not a SQLite (tracertm) database ({first}); "
                         + advice)


def refuse_not_a_database(url: URL, source: str) -> None:
    """A SQLite URL naming a file that is not a SQLite database (its first bytes are no SQLite header) is
    refused with the line a sync gives it; an empty or missing file is a new database. For a daemon's start
    (``watch``), which would otherwise retry it with the backoff of a database that is down, syncing nothing."""
    from tracertm.db.urls import sqlite_file

    path = sqlite_file(url)
    if path is None:
        return
    try:
        with path.open("rb") as file:
            head = file.read(16)
    except OSError:
        return  # (missing, a folder, unreadable: the first sync names it)
    if head and head != b"SQLite format 3\x00":
        raise _not_a_database_error(url, source, "file is not a database")


def _source(engine: Engine) -> str | None:
    """Where ``engine``'s URL came from (``make_engine``'s ``source``), also for an engine made from it by
    ``execution_options``."""
    found = _SOURCES.get(engine)
    if found is None:
        proxied = getattr(engine, "_proxied", None)  # an OptionEngine
        found = _SOURCES.get(proxied) if proxied is not None else None
    return found


def _not_a_database(exc: BaseException) -> bool:
    """SQLite's "file is not a database" (SQLITE_NOTADB): the file exists but holds something else."""
    orig = getattr(exc, "orig", exc)
    return getattr(orig, "sqlite_errorcode", None) == 26 or "file is not a database" in str(orig)


def is_damaged(exc: BaseException) -> bool:
    """SQLite's "database disk image is malformed" (SQLITE_CORRUPT, any extended code): the file's pages are
    damaged (a disk fault, a copy taken mid-write, another program's writes). Nothing a role or a setting mends."""
    orig = getattr(exc, "orig", exc)
    code = getattr(orig, "sqlite_errorcode", None)
    return ((isinstance(code, int) and code & 0xFF == 11) or "database disk image is malformed" in str(orig)
            or _undecodable_read(orig))


# The modules beneath which a read of the database runs: the sqlite3 module, written in C, raises from the Python
# frame that called it (SQLAlchemy's engine and pool, tracertm's own opening of the file).
_DATABASE_READERS = ("sqlalchemy.engine.", "sqlalchemy.pool.", "tracertm.db.")


def _undecodable_read(exc: BaseException) -> bool:
    """A ``UnicodeDecodeError`` the sqlite3 module raised reading the database: it decodes TEXT, and SQLite's own
    error messages, as UTF-8, and tracertm writes nothing else — a byte that is not UTF-8 is a damaged page
    (SQLite's "malformed database schema (...)" quoting a damaged name is such a message). Told by where it was
    raised: the same error decoding a user's file is raised by other code, and is no damage of the database."""
    if not isinstance(exc, UnicodeDecodeError):
        return False
    tb = exc.__traceback__
    while tb is not None and tb.tb_next is not None:
        tb = tb.tb_next
    return tb is not None and str(tb.tb_frame.f_globals.get("__name__", "")).startswith(_DATABASE_READERS)


def _damage_detail(exc: BaseException) -> str:
    """What SQLite said of the damage, for ``damaged_error``: its message, or a message or text it could not give
    as UTF-8 (``_undecodable_read``) shown with the damaged bytes escaped."""
    orig = getattr(exc, "orig", exc)
    if isinstance(orig, UnicodeDecodeError):
        said = bytes(orig.object[:200]).decode("utf-8", "backslashreplace")
        return said if said.startswith("malformed database") else f"text that is not UTF-8: {orig.reason}"
    detail = str(orig).strip().splitlines()
    return detail[0] if detail else type(exc).__name__


def damaged_error(path: str | None, exc: BaseException) -> DatabaseError:
    """The one line for ``is_damaged(exc)``: the file (``path``; None when it cannot be told) and what mends it.
    A sync builds the records again from git, and a backfill their history; what only the database held (API
    edits of database-owned fields, imported test results, tokens) is in a backup or nowhere."""
    return DatabaseError(
        f"{path or 'the SQLite database'} is damaged ({_damage_detail(exc)}); restore it from a backup, or move it "
        "aside and run 'tracertm sync PATH' to build a new one ('tracertm backfill PATH' for the history; API "
        "edits, test results and tokens are only in the database)"
    )


def _is_busy(exc: BaseException) -> bool:
    """SQLite's "database is locked" (the busy timeout ran out) or PostgreSQL's lock_timeout."""
    orig = getattr(exc, "orig", exc)
    if getattr(orig, "sqlite_errorcode", None) in (5, 6) or "database is locked" in str(orig):  # BUSY, LOCKED
        return True
    return getattr(orig, "sqlstate", None) == "55P03"  # lock_not_available


# PostgreSQL's deadlock_detected and serialization_failure: the database undid the transaction because another one
# touched the same rows at the same time.
CONFLICT_SQLSTATES = ("40P01", "40001")


def is_conflict(exc: BaseException) -> bool:
    """A deadlock or serialization failure (PostgreSQL), or SQLite's "database is locked" in the middle of a write:
    the work collided with another writer's, not with the data; the same work again is expected to succeed."""
    orig = getattr(exc, "orig", exc)
    return getattr(orig, "sqlstate", None) in CONFLICT_SQLSTATES or _is_busy(exc)


def conflict_error(exc: BaseException, project_name: str | None = None) -> ConflictError:
    """The one line for ``is_conflict(exc)``: nothing was written, run again (exit 75)."""
    detail = str(getattr(exc, "orig", exc)).strip().splitlines()
    first = detail[0] if detail else type(exc).__name__
    whose = f"project {project_name!r}: " if project_name else ""
    return ConflictError(
        f"{whose}another writer changed the project at the same time ({first}); nothing was written — run the "
        "same command again"
    )


# PostgreSQL refusing the work as the role or the database is set up: a read-only transaction (a database or role
# with ``default_transaction_read_only``, a hot standby) and a missing privilege.
REFUSED_SQLSTATES = frozenset({"25006", "42501"})


def refusal(exc: BaseException) -> str | None:
    """The one line for the database server refusing the work as it is configured (read-only, no privilege), as
    ``tracertm sync`` says it (the watch daemon and the API's log say the same); None for any other error."""
    orig = getattr(exc, "orig", None)
    if getattr(orig, "sqlstate", None) not in REFUSED_SQLSTATES:
        return None
    first = (str(orig).strip().splitlines() or [type(orig).__name__])[0]
    return (f"the database refused the work: {first} ({type(orig).__name__}); check the database role's privileges "
            "and settings")
