"""The schema: its revisions (``SCHEMA_HEAD``, the one a database is stamped with, the ones this installation
ships) and Alembic's migrations, run under a lock so that of several processes starting at once on an empty database
one migrates and the others find it done (``ensure_schema``)."""

from __future__ import annotations

import re
import threading
from collections.abc import Iterator
from contextlib import contextmanager
from pathlib import Path
from typing import TYPE_CHECKING, Any

from tracertm.config import DEFAULT_LOCK_TIMEOUT_S
from tracertm.db.engines import _bounded, _connect
from tracertm.db.failures import _is_busy, _not_a_database, database_unavailable
from tracertm.db.locks import _pg_lock
from tracertm.db.urls import redact
from tracertm.errors import DatabaseError, LockTimeoutError, SchemaError, SchemaTooNewError, UsageError

if TYPE_CHECKING:
    from sqlalchemy.engine import URL, Connection, Engine

# The newest migration. A test keeps it equal to Alembic's head, so start-up can check the schema with one query
# instead of importing Alembic.
SCHEMA_HEAD = "0043"


def migrations_dir() -> Path:
    """Alembic scripts: inside the installed package, or the top-level ``alembic/`` of a source checkout."""
    package = Path(__file__).resolve().parent.parent  # tracertm/ (this module is tracertm/db/schema.py)
    for candidate in (package / "migrations", package.parent.parent / "alembic"):
        if (candidate / "env.py").is_file():
            return candidate
    raise DatabaseError("tracertm's migration scripts are missing from this installation; reinstall tracertm")


def alembic_config(connection: Connection | None = None) -> Any:
    from alembic.config import Config

    config = Config()
    config.set_main_option("script_location", str(migrations_dir()))
    if connection is not None:
        config.attributes["connection"] = connection
    return config


def current_revision(engine: Engine) -> str | None:
    """The schema revision stamped in the database, or None for an empty database (or one of another program's):
    one query on the usual path (the tables are asked about only when no revision is stamped). tracertm's tables
    without a stamp are refused in one line (``_unstamped``): the revision they are at is unknown."""
    from sqlalchemy import inspect, text
    from sqlalchemy.exc import DBAPIError, OperationalError, ProgrammingError

    with _connect(engine) as conn:
        try:
            revision: str | None = conn.execute(text("SELECT version_num FROM alembic_version")).scalar()
        except (OperationalError, ProgrammingError):  # no such table (SQLite / PostgreSQL), or worse
            conn.rollback()
            if inspect(conn).has_table("alembic_version"):
                # Created meanwhile by another process's first use (or the failure was something else: then the
                # same query fails again, and that error is the one to see).
                revision = conn.execute(text("SELECT version_num FROM alembic_version")).scalar()
            else:
                revision = None
        except DBAPIError as exc:
            if _not_a_database(exc):
                raise database_unavailable(engine, exc) from None
            raise
        if revision is None and _has_tracertm_tables(conn):
            raise _unstamped(engine.url)
        return revision


def known_revisions() -> set[str]:
    """Every migration this installation ships (imports Alembic: only called off the fast path)."""
    from alembic.script import ScriptDirectory

    return {script.revision for script in ScriptDirectory.from_config(alembic_config()).walk_revisions()}


def shipped_revisions() -> list[str]:
    """The ids of the migrations this installation ships, in order, read from the ``revision = "..."`` line of each
    script in ``migrations_dir()/versions``: ids are numbered, but with gaps (migrations merged or dropped before
    a release), so a number in range is not one. Reads a few small files instead of importing Alembic and every
    script (a test keeps this equal to Alembic's own list)."""
    assign = re.compile(r"""^revision\s*(?::\s*str\s*)?=\s*['"]([^'"]+)['"]""", re.MULTILINE)
    found = set()
    for script in (migrations_dir() / "versions").glob("*.py"):
        match = assign.search(script.read_text(encoding="utf-8"))
        if match:
            found.add(match.group(1))
    return sorted(found)


def revision_state(revision: str | None) -> str:
    """The one judgement of a stamped schema revision, which every refusal, ``db current`` and ``/healthz`` word:
    ``empty`` (none stamped), ``head``, ``older`` (a migration this tracertm ships, to run), ``newer`` (not shipped,
    numbered after ``SCHEMA_HEAD``: a newer tracertm's migration) or ``unknown`` (not shipped, and numbered
    before ``SCHEMA_HEAD`` — a gap in the ids — or not a number: no tracertm's revision; a newer tracertm would
    not know it either)."""
    if revision is None:
        return "empty"
    if revision == SCHEMA_HEAD:
        return "head"
    if revision in shipped_revisions():
        return "older"
    if _REVISION_ID.fullmatch(revision) and int(revision) > int(SCHEMA_HEAD):
        return "newer"
    return "unknown"


# The form of tracertm's revision ids: numbered (``0001``), the number zero-padded to four digits or more.
_REVISION_ID = re.compile(r"[0-9]{4,}")


def foreign_revision(revision: str, *, server: bool = False) -> str:
    """What a stamped revision this tracertm does not ship is and what to do (``revision_state``: newer or
    unknown), the words after "is at schema revision N, "; ``server``: as ``/healthz`` says it of its own."""
    ours = "this server's tracertm" if server else "this tracertm"
    if revision_state(revision) == "newer":
        fix = ("upgrade tracertm on this server and restart it" if server
               else "upgrade tracertm (pip install -U tracertm) to use it")
        return f"newer than {ours} knows (up to {SCHEMA_HEAD}); {fix}"
    return (f"unknown ({ours} ships {shipped_revisions()[0]} … {SCHEMA_HEAD}, with gaps; a newer tracertm's "
            f"revisions come after {SCHEMA_HEAD}): not a tracertm schema revision; restore the database from a "
            "backup, or stamp the revision its tables are at ('alembic -x url=URL stamp REVISION' from a tracertm "
            "source checkout)")


def _check_shipped(engine: Engine, revision: str | None) -> None:
    if revision is not None and revision_state(revision) in ("newer", "unknown"):
        raise not_shipped(engine.url, revision)


def not_shipped(url: URL, revision: str) -> SchemaError:
    """The one-line refusal of a database stamped with a revision this tracertm does not ship (``foreign_revision``):
    ``SchemaTooNewError`` when a newer tracertm migrated it."""
    error = SchemaTooNewError if revision_state(revision) == "newer" else SchemaError
    return error(f"database {redact(url)} is at schema revision {revision}, {foreign_revision(revision)}")


def check_revision(revision: str) -> None:
    """``--revision``: ``head`` or the id of a migration this installation ships; checked before the database is
    opened too (``db upgrade`` makes its file), so that a mistyped revision leaves nothing behind."""
    if revision == "head":
        return
    shipped = shipped_revisions()
    if revision not in shipped:
        raise UsageError(f"--revision {revision}: not a schema revision; give head or one of {', '.join(shipped)}")


def _check_target(revision: str, current: str | None) -> None:
    """``--revision``: one of the schema's revisions (``shipped_revisions``: numbered, so their order is their
    text's, with gaps), not below the database's own: tracertm has no downgrades, and Alembic's refusals of a
    revision it does not know (a number in a gap too) or a relative one were internal errors."""
    check_revision(revision)
    if current is not None and revision < current:
        raise UsageError(f"--revision {revision}: the database is at {current} already, and tracertm has no "
                         "downgrades; restore a backup to go back")


def upgrade(engine: Engine, revision: str = "head", timeout: float = DEFAULT_LOCK_TIMEOUT_S) -> None:
    """Run migrations up to ``revision``, serialised across processes: the migration lock on PostgreSQL (an
    advisory lock, waited for first come first served: ``locks._pg_lock``), the write lock on SQLite (``BEGIN
    IMMEDIATE``). The schema revision is read again under the lock, so of several processes starting at once on an
    empty database one migrates and the others find it done.
    """
    from sqlalchemy import text
    from sqlalchemy.exc import CircularDependencyError, DBAPIError, NoResultFound, OperationalError

    bound = _bounded(engine, timeout)
    try:
        # Alembic's environment is module state (``context.config``, the connection in its attributes): two threads
        # migrating at once ran on each other's connections. One at a time per process; processes take the lock.
        with _MIGRATING, _connect(bound) as conn, foreign_keys_off(conn):
            with conn.begin():
                if conn.dialect.name == "postgresql":
                    _pg_lock(conn, "tracertm:migrations", timeout, lambda: _migration_wait(engine, timeout))
                has_table = conn.dialect.has_table(conn, "alembic_version")
                current = (
                    conn.execute(text("SELECT version_num FROM alembic_version")).scalar() if has_table else None
                )
                _check_shipped(engine, current)
                if revision == "head" and current == SCHEMA_HEAD:
                    return
                if current is None and _has_tracertm_tables(conn):
                    raise _unstamped(engine.url)
                if revision != "head":
                    _check_target(revision, current)
                elif current is None:
                    from tracertm.db import head_schema

                    if head_schema.create(conn):  # an empty SQLite file: the migrations' result, replayed
                        return
                from alembic import command

                try:
                    command.upgrade(alembic_config(conn), revision)
                except DBAPIError as exc:
                    if current is not None and _schema_mismatch(exc):
                        raise _mismatched(engine.url, current, exc) from None
                    raise
                except (RuntimeError, ValueError, NoResultFound, CircularDependencyError) as exc:
                    # What a migration itself raises on tables that are not its revision's: its own checks
                    # (``RuntimeError``: 0014, 0016, 0018), Alembic's batch mode (SQLite) on a constraint or table
                    # that is not there (``ValueError``, ``CircularDependencyError``), a row it requires
                    # (``NoResultFound``: 0015).
                    if current is None:
                        raise
                    raise _mismatched(engine.url, current, exc) from None
    except DBAPIError as exc:
        if not isinstance(exc, OperationalError) and not _not_a_database(exc):
            raise
        if _is_busy(exc):
            raise LockTimeoutError(_migration_wait(engine, timeout)) from None
        raise database_unavailable(engine, exc) from None


def _migration_wait(engine: Engine, timeout: float) -> str:
    """The one line of a migration that waited ``timeout`` seconds for another writer: SQLite's write lock, or
    PostgreSQL's migration lock (the advisory lock ``_pg_lock`` waits for in PostgreSQL's queue) or a table lock
    under it."""
    return (f"database {redact(engine.url)}: waited {timeout:g} s for another writer to migrate it; try again, or "
            "raise lock_timeout in the tracertm configuration")


_MIGRATING = threading.Lock()

# What a migration's statement meets when the tables are not those of the revision the database is stamped with
# (the stamp and the tables disagree: half migrated by hand, a stamp set or restored apart from its tables):
# PostgreSQL's duplicate / undefined table, column and object, SQLite's words for the same.
_MISMATCH_SQLSTATES = ("42P07", "42701", "42710", "42P01", "42703", "42704")
_MISMATCH_SQLITE = ("already exists", "no such table", "no such column", "no such index", "has no column named",
                    "duplicate column name")


def _schema_mismatch(exc: BaseException) -> bool:
    orig = getattr(exc, "orig", exc)
    if getattr(orig, "sqlstate", None) in _MISMATCH_SQLSTATES:
        return True
    return getattr(orig, "sqlite_errorcode", None) is not None and any(w in str(orig) for w in _MISMATCH_SQLITE)


def _mismatched(url: URL, current: str, exc: BaseException) -> SchemaError:
    """One line for a database whose tables are not those of its schema revision: "run it again" (the generic
    refusal) or "check --database-url" would not help; nothing was migrated (one transaction)."""
    detail = str(getattr(exc, "orig", exc)).strip().splitlines()
    first = detail[0] if detail else type(exc).__name__
    return SchemaError(
        f"database {redact(url)} is stamped with schema revision {current}, but its tables are not that "
        f"revision's ({first}): it was migrated in part or changed outside tracertm; nothing was migrated — "
        "restore a backup taken before the upgrade, then run 'tracertm db upgrade'"
    )


def _has_tracertm_tables(conn: Connection) -> bool:
    """Whether tracertm's tables are there (every revision since the first has ``spec_revisions``): asked only when
    no schema revision is stamped, which an empty database or one of another program's has not either."""
    return bool(conn.dialect.has_table(conn, "spec_revisions"))


def _unstamped(url: URL) -> SchemaError:
    """tracertm's tables without the revision they are at: migrating from an empty schema would fail on the first
    table, and creating the schema again would lose what is there."""
    return SchemaError(
        f"database {redact(url)} holds tracertm's tables but no schema revision (its alembic_version table is "
        "missing or empty); nothing was changed — restore a backup, or stamp the revision its tables are at "
        "('alembic -x url=URL stamp REVISION' from a tracertm source checkout) and run 'tracertm db upgrade'"
    )


def downgrade(engine: Engine, revision: str = "base") -> None:
    from alembic import command

    with _MIGRATING, _connect(engine.execution_options(tracertm_write=True)) as conn, foreign_keys_off(conn):
        with conn.begin():
            command.downgrade(alembic_config(conn), revision)


@contextmanager
def foreign_keys_off(conn: Connection) -> Iterator[None]:
    """SQLite: foreign keys off while migrating (call before the transaction begins).

    Alembic's batch mode rebuilds a SQLite table by copy, drop and rename; with foreign keys on, dropping a parent
    table runs its ON DELETE CASCADE and empties the children. The pragma only works outside a transaction, so it is
    set on the driver connection directly. Other databases: nothing to do.
    """
    if conn.dialect.name != "sqlite":
        yield
        return
    raw = conn.connection.dbapi_connection
    assert raw is not None
    raw.execute("PRAGMA foreign_keys=OFF")
    try:
        yield
    except BaseException:
        # An interruption (Ctrl-C mid-migration) may have closed the connection: setting the pragma back then fails,
        # and that error must not hide the one that tells what happened (the CLI's exit 130, not an internal error).
        try:
            raw.execute("PRAGMA foreign_keys=ON")
        except Exception:  # noqa: BLE001 - the connection is gone, and with it the setting
            pass
        raise
    raw.execute("PRAGMA foreign_keys=ON")


def ensure_schema(engine: Engine, timeout: float = DEFAULT_LOCK_TIMEOUT_S) -> None:
    """Create or migrate the schema on first use; one cheap query when it is already current. A database at a
    schema this tracertm does not know (a newer release migrated it) is refused with one line."""
    revision = current_revision(engine)
    if revision == SCHEMA_HEAD:
        return
    _check_shipped(engine, revision)
    upgrade(engine, timeout=timeout)
