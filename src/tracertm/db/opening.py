"""Opening the database for a command: ``open_engine`` resolves, validates, connects and migrates on first use; a
dry run only looks (``open_for_dry_run``: no file, no folder, no migration), and ``peek_sqlite`` reads a SQLite
file's revision without writing anything."""

from __future__ import annotations

from typing import TYPE_CHECKING

from tracertm.config import DEFAULT_LOCK_TIMEOUT_S
from tracertm.db.engines import SQLITE_BUSY_TIMEOUT_S, make_engine, refuse_no_file
from tracertm.db.failures import (
    _not_a_database, _not_a_database_error, _source, damaged_error, is_damaged, unwritable_folder,
    unwritable_folder_error,
)
from tracertm.db.schema import (
    SCHEMA_HEAD, _unstamped, current_revision, ensure_schema, not_shipped, revision_state,
)
from tracertm.db.urls import _refuse_in_memory, redact, resolve_database_url, sqlite_file
from tracertm.errors import DatabaseError

if TYPE_CHECKING:
    import sqlite3
    from pathlib import Path

    from sqlalchemy.engine import URL, Engine


def open_engine(
    option: str | None = None,
    configured: str | None = None,
    migrate: bool = True,
    timeout: float = DEFAULT_LOCK_TIMEOUT_S,
) -> Engine:
    """Resolve, validate and connect: the one way the CLI and library get an engine."""
    url, source = resolve_database_url(option, configured)
    _refuse_in_memory(url, source)
    engine = make_engine(url, source)
    if migrate:
        try:
            ensure_schema(engine, timeout)
        except BaseException:
            engine.dispose()
            raise
    return engine


def peek_sqlite(path: Path, parsed: URL, source: str, *, reading: bool = False) -> tuple[str | None, bool]:
    """The tracertm schema revision of the existing SQLite file ``path`` (None: none stamped) and whether it holds
    any table at all, read without writing anything: no engine, whose connections set the journal mode and page
    size (on an empty file that writes its first page), but a plain connection that may not create the file
    (``mode=rw``). A file that is not a SQLite database is refused as ``database_unavailable`` words it, without
    the advice of a new file to create one for a command that only reads (``reading``)."""
    import sqlite3
    from urllib.parse import quote

    refuse_no_file(path, parsed, source, reading=reading)
    try:
        conn = sqlite3.connect(f"file:{quote(str(path.resolve()))}?mode=rw", uri=True,
                               timeout=SQLITE_BUSY_TIMEOUT_S)
    except sqlite3.Error as exc:  # gone since the caller looked, a folder, no permission
        raise _unusable(path, parsed, source, exc) from None
    try:
        tables = conn.execute("SELECT name FROM sqlite_master WHERE type = 'table'").fetchall()
        revision = (
            conn.execute("SELECT version_num FROM alembic_version").fetchone()
            if ("alembic_version",) in tables else None
        )
        if revision is None and ("spec_revisions",) in tables:
            raise _unstamped(parsed)  # tracertm's tables at an unknown revision: neither empty nor another's
        return (str(revision[0]) if revision else None), bool(tables)
    except sqlite3.Error as exc:
        if _not_a_database(exc):
            raise _not_a_database_error(parsed, source, str(exc), reading=reading) from None
        raise _unusable(path, parsed, source, exc) from None
    finally:
        conn.close()


def _unusable(path: Path, parsed: URL, source: str, exc: sqlite3.Error) -> DatabaseError:
    """The line of a SQLite file ``peek_sqlite`` cannot read: why, when it is damaged or a folder SQLite cannot
    write in."""
    if is_damaged(exc):
        return damaged_error(str(path), exc)
    folder = unwritable_folder(path, exc)
    if folder is not None:
        return unwritable_folder_error(parsed, source, folder)
    return DatabaseError(f"cannot use database {redact(parsed)}: {exc}; check {source}")


def open_for_dry_run(option: str | None = None, configured: str | None = None) -> Engine | None:
    """The engine a dry run reads the database's state with, or None when there is no tracertm schema to read (a
    SQLite file or folder that is not there, an empty file, a PostgreSQL database with no schema): the dry run then
    plans against an empty state, everything would be created. It writes nothing: no file, no folder, no
    migration; a database at an older schema revision is refused (``refuse_old_schema``)."""
    url, source = resolve_database_url(option, configured)
    parsed = _refuse_in_memory(url, source)
    path = sqlite_file(parsed)
    if path is not None:
        # Looked at before any engine exists: ``make_engine`` creates the folder, its connections the file.
        if not path.exists():
            return None
        revision, _tables = peek_sqlite(path, parsed, source)
        if revision is None:  # an empty file, or one with tables of its own: a sync would migrate into it
            return None
        refuse_old_schema(parsed, source, revision)
        return make_engine(url, source)
    engine = make_engine(url, source)
    try:
        if dry_run_schema(engine):
            return engine
    except BaseException:
        engine.dispose()
        raise
    engine.dispose()
    return None


def dry_run_schema(engine: Engine) -> bool:
    """Whether ``engine``'s database holds tracertm's current schema (False: none yet, plan against an empty state);
    an older schema is refused rather than migrated (``refuse_old_schema``): a dry run writes nothing."""
    revision = current_revision(engine)
    if revision is None:
        return False
    refuse_old_schema(engine.url, _source(engine) or "--database-url", revision)
    return True


def refuse_old_schema(url: URL, source: str, revision: str) -> None:
    """A dry run reads the schema as it is: one at a revision older than ``SCHEMA_HEAD`` would have to be migrated
    first (a write), one this tracertm does not ship is refused as ``ensure_schema`` refuses it."""
    state = revision_state(revision)
    if state == "head":
        return
    if state != "older":
        raise not_shipped(url, revision)
    raise DatabaseError(
        f"{source}: database {redact(url)} is at schema revision {revision}, older than this tracertm's "
        f"({SCHEMA_HEAD}), and a dry run writes nothing, not even a migration; run 'tracertm db upgrade' first"
    )
