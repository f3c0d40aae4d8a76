"""Database layer: URL resolution, engines with the right pragmas, migrations, sessions and the per-project lock.

Only this module and ``sync/apply.py`` use SQLAlchemy's session machinery.
"""

from __future__ import annotations

import hashlib
import os
import threading
import weakref
from collections.abc import Iterator
from contextlib import contextmanager
from pathlib import Path
from typing import TYPE_CHECKING, Any

from tracertm.config import DEFAULT_LOCK_TIMEOUT_S
from tracertm.errors import (
    Cancelled, ConfigError, ConflictError, DatabaseError, LockTimeoutError, SchemaTooNewError, UsageError,
)

if TYPE_CHECKING:
    import uuid

    from sqlalchemy.engine import URL, Connection, Engine
    from sqlalchemy.orm import Session

    from tracertm.engine.identity import RepoIdentity

# The newest migration. A test keeps it equal to Alembic's head, so start-up can check the schema with one query
# instead of importing Alembic.
SCHEMA_HEAD = "0021"
ENV_URL = "TRACERTM_DATABASE_URL"
DEFAULT_SOURCE = "the default database"  # resolve_database_url's source for the embedded file
SQLITE_BUSY_TIMEOUT_S = 60.0
SQLITE_AUTOCHECKPOINT_PAGES = 1000  # SQLite's default
SQLITE_PAGE_SIZE = 32768  # bytes per page of a new database file (see _sqlite_on_connect)


def default_database_path() -> Path:
    """The embedded database: ``$XDG_DATA_HOME/tracertm/tracertm.db`` (``~/.local/share/...`` on Linux)."""
    from platformdirs import user_data_path

    return user_data_path("tracertm", appauthor=False) / "tracertm.db"


def resolve_database_url(option: str | None = None, configured: str | None = None) -> tuple[str, str]:
    """The URL to use and where it came from: ``--database-url``, then ``$TRACERTM_DATABASE_URL``, then the
    repository configuration, then the embedded default file."""
    if option:
        return option, "--database-url"
    env = os.environ.get(ENV_URL)
    if env:
        return env, ENV_URL
    if configured:
        return configured, "database_url in the tracertm configuration"
    return f"sqlite:///{default_database_path()}", DEFAULT_SOURCE


def parse_url(url: str, source: str = "--database-url") -> URL:
    """Validate a database URL; errors name the option and the scheme, never the password."""
    from sqlalchemy.engine import make_url
    from sqlalchemy.exc import ArgumentError

    try:
        parsed = make_url(url)
    except (ArgumentError, ValueError):  # ValueError: a non-numeric port
        scheme = url.split(":", 1)[0] if ":" in url else "<none>"
        raise ConfigError(
            f"{source}: not a database URL (scheme {scheme!r}); use sqlite:///PATH or "
            "postgresql+psycopg://USER:PASSWORD@HOST/DB"
        ) from None
    # Split the name ourselves: URL.get_driver_name() loads the dialect, which fails for "postgres://" and
    # for unknown drivers with an error that is not a ConfigError.
    backend, _, driver = parsed.drivername.partition("+")
    if backend in ("postgres", "postgresql"):
        if driver not in ("psycopg", "psycopg2", ""):
            raise ConfigError(f"{source}: driver {driver!r} is not supported; use postgresql+psycopg://...")
        return parsed.set(drivername="postgresql+psycopg")
    if backend == "sqlite":
        if driver not in ("", "pysqlite"):
            raise ConfigError(f"{source}: driver {driver!r} is not supported; use sqlite:///PATH")
        return parsed
    raise ConfigError(
        f"{source}: unsupported database scheme {parsed.drivername!r}; use sqlite:///PATH or postgresql+psycopg://..."
    )


def redact(url: URL | str) -> str:
    from sqlalchemy.engine import make_url

    return make_url(url).render_as_string(hide_password=True) if isinstance(url, str) else url.render_as_string(True)


# Where each engine's URL came from (``--database-url``, ``$TRACERTM_DATABASE_URL``...): an error about the database
# names the place to fix it.
_SOURCES: weakref.WeakKeyDictionary[Engine, str] = weakref.WeakKeyDictionary()


def make_engine(url: str, source: str = "--database-url") -> Engine:
    """An engine for ``url``. SQLite gets WAL, foreign keys and a busy timeout; PostgreSQL uses psycopg 3."""
    from sqlalchemy import create_engine, event

    parsed = parse_url(url, source)
    if parsed.get_backend_name() == "sqlite":
        database = parsed.database or ""
        if database and database != ":memory:" and not database.startswith("file:"):
            folder = Path(database).expanduser().parent
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
    engine = create_engine(parsed, pool_pre_ping=True)
    _SOURCES[engine] = source
    return engine


def _in_memory(parsed: URL) -> bool:
    """Whether a SQLite URL names an in-memory database (``sqlite://``, ``sqlite:///:memory:``, a ``file:`` URI
    with ``mode=memory``): it is gone when the process ends."""
    if parsed.get_backend_name() != "sqlite":
        return False
    database = parsed.database or ""
    return database in ("", ":memory:") or database.startswith("file::memory:") or "mode=memory" in database or (
        parsed.query.get("mode") == "memory"
    )


def _sqlite_on_connect(dbapi_connection: Any, _record: Any) -> None:
    # Let SQLAlchemy's "begin" event issue BEGIN itself (pysqlite's implicit transactions cannot BEGIN IMMEDIATE).
    dbapi_connection.isolation_level = None
    cursor = dbapi_connection.cursor()
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
    """``BEGIN IMMEDIATE``, waiting for the write lock at most ``busy_ms`` in short slices so that ``cancel`` (a
    ``threading.Event``) is seen within a tenth of a second: SQLite's own busy wait cannot be interrupted."""
    import sqlite3
    import time

    raw = conn.connection.dbapi_connection
    assert raw is not None
    deadline = time.monotonic() + busy_ms / 1000
    raw.execute(f"PRAGMA busy_timeout={min(busy_ms, 100)}")
    try:
        while True:
            try:
                raw.execute("BEGIN IMMEDIATE")
                return
            except sqlite3.OperationalError as exc:
                if exc.sqlite_errorcode not in (5, 6) and "locked" not in str(exc):  # not SQLITE_BUSY/LOCKED
                    raise
            if (cancel is not None and cancel.is_set()) or time.monotonic() >= deadline:
                break
    finally:
        raw.execute(f"PRAGMA busy_timeout={busy_ms}")
    # Out of time (or cancelled): one last try that fails through SQLAlchemy, so callers see its usual error.
    raw.execute("PRAGMA busy_timeout=0")
    try:
        conn.exec_driver_sql("BEGIN IMMEDIATE")
    finally:
        raw.execute(f"PRAGMA busy_timeout={busy_ms}")


# ---------------------------------------------------------------------------------------------------- migrations


def migrations_dir() -> Path:
    """Alembic scripts: inside the installed package, or the top-level ``alembic/`` of a source checkout."""
    here = Path(__file__).resolve().parent
    for candidate in (here / "migrations", here.parent.parent / "alembic"):
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
    """The schema revision stamped in the database, or None for an empty database: one query on the usual path
    (the table is asked about only when that query fails)."""
    from sqlalchemy import inspect, text
    from sqlalchemy.exc import DBAPIError, OperationalError, ProgrammingError

    with _connect(engine) as conn:
        try:
            revision: str | None = conn.execute(text("SELECT version_num FROM alembic_version")).scalar()
            return revision
        except (OperationalError, ProgrammingError):  # no such table (SQLite / PostgreSQL), or worse
            conn.rollback()
            if inspect(conn).has_table("alembic_version"):
                # Created meanwhile by another process's first use (or the failure was something else: then the
                # same query fails again, and that error is the one to see).
                again: str | None = conn.execute(text("SELECT version_num FROM alembic_version")).scalar()
                return again
            return None
        except DBAPIError as exc:
            if _not_a_database(exc):
                raise database_unavailable(engine, exc) from None
            raise


def known_revisions() -> set[str]:
    """Every migration this installation ships (imports Alembic: only called off the fast path)."""
    from alembic.script import ScriptDirectory

    return {script.revision for script in ScriptDirectory.from_config(alembic_config()).walk_revisions()}


def shipped_revisions() -> list[str]:
    """The ids of the migrations this installation ships, in order, read from the ``revision = "..."`` line of each
    script in ``migrations_dir()/versions``: ids are numbered, but with gaps (migrations merged or dropped before
    a release), so a number in range is not one. Reads a few small files instead of importing Alembic and every
    script (a test keeps this equal to Alembic's own list)."""
    import re

    assign = re.compile(r"""^revision\s*(?::\s*str\s*)?=\s*['"]([^'"]+)['"]""", re.MULTILINE)
    found = set()
    for script in (migrations_dir() / "versions").glob("*.py"):
        match = assign.search(script.read_text(encoding="utf-8"))
        if match:
            found.add(match.group(1))
    return sorted(found)


def _check_not_newer(engine: Engine, revision: str | None) -> None:
    if revision is not None and revision != SCHEMA_HEAD and revision not in known_revisions():
        raise _too_new(engine.url, revision)


def _too_new(url: URL, revision: str) -> SchemaTooNewError:
    return SchemaTooNewError(
        f"database {redact(url)} is at schema revision {revision}, newer than this tracertm knows "
        f"(up to {SCHEMA_HEAD}); upgrade tracertm (pip install -U tracertm) to use it"
    )


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
    advisory lock), the write lock on SQLite (``BEGIN IMMEDIATE``). The schema revision is read again under the
    lock, so of several processes starting at once on an empty database one migrates and the others find it done.
    """
    from alembic import command
    from sqlalchemy import text
    from sqlalchemy.exc import DBAPIError, OperationalError

    bound = _bounded(engine, timeout)
    try:
        # Alembic's environment is module state (``context.config``, the connection in its attributes): two threads
        # migrating at once ran on each other's connections. One at a time per process; processes take the lock.
        with _MIGRATING, _connect(bound) as conn, foreign_keys_off(conn):
            with conn.begin():
                if conn.dialect.name == "postgresql":
                    _pg_lock(conn, "tracertm:migrations", timeout, lambda: "migrations")
                has_table = conn.dialect.has_table(conn, "alembic_version")
                current = conn.execute(text("SELECT version_num FROM alembic_version")).scalar() if has_table else None
                _check_not_newer(engine, current)
                if revision == "head" and current == SCHEMA_HEAD:
                    return
                if revision != "head":
                    _check_target(revision, current)
                command.upgrade(alembic_config(conn), revision)
    except DBAPIError as exc:
        if not isinstance(exc, OperationalError) and not _not_a_database(exc):
            raise
        if _is_busy(exc):
            raise LockTimeoutError(
                f"database {redact(engine.url)}: waited {timeout:g} s for another writer to migrate it; "
                "try again, or raise lock_timeout in the tracertm configuration"
            ) from None
        raise database_unavailable(engine, exc) from None


_MIGRATING = threading.Lock()


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
    _check_not_newer(engine, revision)
    upgrade(engine, timeout=timeout)


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


def database_unavailable(engine: Engine, exc: BaseException) -> DatabaseError:
    detail = str(getattr(exc, "orig", exc)).strip().splitlines()
    first = detail[0] if detail else type(exc).__name__
    source = _source(engine)
    if _not_a_database(exc):
        return _not_a_database_error(engine.url, source, first)
    return DatabaseError(
        f"cannot use database {redact(engine.url)}: {first}; check {source or f'--database-url / ${ENV_URL}'}"
    )


def _not_a_database_error(url: URL, source: str | None, first: str) -> DatabaseError:
    return DatabaseError(
        f"{source or 'database'}: {redact(url)} is not a SQLite (tracertm) database ({first}); point "
        f"{source or f'--database-url / ${ENV_URL}'} at a tracertm database, or at a new file to create one"
    )


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


def _refuse_in_memory(url: str, source: str) -> URL:
    """``url`` parsed; an in-memory SQLite database is refused: everything written to it is gone when the command
    ends."""
    parsed = parse_url(url, source)
    if _in_memory(parsed):
        raise ConfigError(
            f"{source}: {url} is an in-memory SQLite database, gone when this command ends; use sqlite:///PATH "
            "(or leave it out for the default database)"
        )
    return parsed


def sqlite_file(parsed: URL) -> Path | None:
    """The file a SQLite URL names (``~`` expanded, as ``make_engine`` does for its folder); None for another
    database or an in-memory one. A ``file:`` name is a file like any other: SQLAlchemy passes it to SQLite without
    ``uri=true`` (a URL takes no query string), so SQLite opens it as a plain path, ``./file:x.db``."""
    if parsed.get_backend_name() != "sqlite" or _in_memory(parsed):
        return None
    return Path(parsed.database or "").expanduser()


def peek_sqlite(path: Path, parsed: URL, source: str) -> tuple[str | None, bool]:
    """The tracertm schema revision of the existing SQLite file ``path`` (None: none stamped) and whether it holds
    any table at all, read without writing anything: no engine, whose connections set the journal mode and page
    size (on an empty file that writes its first page), but a plain connection that may not create the file
    (``mode=rw``). A file that is not a SQLite database is refused as ``database_unavailable`` words it."""
    import sqlite3
    from urllib.parse import quote

    try:
        conn = sqlite3.connect(f"file:{quote(str(path.resolve()))}?mode=rw", uri=True,
                               timeout=SQLITE_BUSY_TIMEOUT_S)
    except sqlite3.Error as exc:  # gone since the caller looked, a folder, no permission
        raise DatabaseError(f"cannot use database {redact(parsed)}: {exc}; check {source}") from None
    try:
        tables = conn.execute("SELECT name FROM sqlite_master WHERE type = 'table'").fetchall()
        if ("alembic_version",) not in tables:
            return None, bool(tables)
        revision = conn.execute("SELECT version_num FROM alembic_version").fetchone()
        return (str(revision[0]) if revision else None), True
    except sqlite3.Error as exc:
        if _not_a_database(exc):
            raise _not_a_database_error(parsed, source, str(exc)) from None
        raise DatabaseError(f"cannot use database {redact(parsed)}: {exc}; check {source}") from None
    finally:
        conn.close()


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
    first (a write), one newer than this tracertm is refused as ``ensure_schema`` refuses it."""
    if revision == SCHEMA_HEAD:
        return
    if revision not in shipped_revisions():
        raise _too_new(url, revision)
    raise DatabaseError(
        f"{source}: database {redact(url)} is at schema revision {revision}, older than this tracertm's "
        f"({SCHEMA_HEAD}), and a dry run writes nothing, not even a migration; run 'tracertm db upgrade' first"
    )


# ------------------------------------------------------------------------------------------------------ sessions


def _session_class() -> type[Session]:
    global _SESSION_CLASS
    if _SESSION_CLASS is None:
        from sqlalchemy import event, inspect
        from sqlalchemy.orm import ORMExecuteState, QueryContext, Session, with_loader_criteria

        from tracertm.models.base import SoftDeleteMixin

        class TracertmSession(Session):
            """A session whose ORM queries hide soft-deleted rows unless ``include_deleted=True`` is passed as an
            execution option (``select(ADR).execution_options(include_deleted=True)``).

            Objects loaded with ``include_deleted`` see their relationships unfiltered too: a scenario found that way
            still has its feature when the feature file was deleted (the feature is soft-deleted as well)."""

        @event.listens_for(SoftDeleteMixin, "load", propagate=True)
        def _remember_include_deleted(target: Any, context: QueryContext) -> None:
            if context.execution_options.get("include_deleted", False):
                inspect(target).info["include_deleted"] = True

        @event.listens_for(TracertmSession, "do_orm_execute")
        def _hide_deleted(state: ORMExecuteState) -> None:
            parent = state.lazy_loaded_from if state.is_relationship_load else None
            if parent is not None and parent.info.get("include_deleted", False):
                return
            if state.is_select and state.execution_options.get("include_deleted", False):
                # Statement options do not reach the "load" event; execution options do.
                state.update_execution_options(include_deleted=True)
            if (
                state.is_select
                and not state.is_column_load
                and not state.execution_options.get("include_deleted", False)
            ):
                state.statement = state.statement.options(
                    with_loader_criteria(
                        SoftDeleteMixin,
                        lambda cls: cls.deleted_at.is_(None),
                        include_aliases=True,
                    )
                )

        _SESSION_CLASS = TracertmSession
    return _SESSION_CLASS


_SESSION_CLASS: type[Session] | None = None


def session(engine: Engine, **kwargs: Any) -> Session:
    """A new ORM session whose default queries exclude soft-deleted rows."""
    return _session_class()(bind=engine, **kwargs)


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
WRITER_KINDS = {"cli": "sync", "ci": "sync (CI)", "hook": "hook sync", "watch": "watch daemon", "backfill": "backfill"}


def _bounded(engine: Engine, timeout: float, cancel: Any = None, bulk: bool = False) -> Engine:
    """``engine`` whose transactions are writes: ``BEGIN IMMEDIATE`` waiting at most ``timeout`` on SQLite."""
    return engine.execution_options(
        tracertm_write=True, tracertm_busy_ms=max(0, int(timeout * 1000)), tracertm_cancel=cancel,
        tracertm_bulk=bulk,
    )


CHECKPOINT_THREAD = "tracertm-checkpoint"  # the name of ``_checkpoint_soon``'s thread


def _checkpoint_soon(engine: Engine) -> None:
    """Copy a SQLite database's WAL back into its file from a thread of its own (a passive checkpoint: it waits for
    no one and no one waits for it), after a bulk write whose commit skipped it. Best effort: the next ordinary
    commit, or the last connection to close, checkpoints anyway."""
    import sqlite3
    import threading

    database = engine.url.database or ""
    if engine.dialect.name != "sqlite" or not database or database == ":memory:" or database.startswith("file:"):
        return

    def checkpoint() -> None:
        try:
            raw = sqlite3.connect(database, timeout=1.0)
            try:
                raw.execute("PRAGMA wal_checkpoint(PASSIVE)")
            finally:
                raw.close()
        except Exception:  # noqa: BLE001 - the database may be gone or busy: a later commit checkpoints
            pass

    threading.Thread(target=checkpoint, name=CHECKPOINT_THREAD, daemon=True).start()


def _is_busy(exc: BaseException) -> bool:
    """SQLite's "database is locked" (the busy timeout ran out) or PostgreSQL's lock_timeout."""
    orig = getattr(exc, "orig", exc)
    if getattr(orig, "sqlite_errorcode", None) in (5, 6) or "database is locked" in str(orig):  # BUSY, LOCKED
        return True
    return getattr(orig, "sqlstate", None) == "55P03"  # lock_not_available


def _pg_lock(
    conn: Any, name: str, timeout: float, describe: Any, cancel: Any = None, deadline: float | None = None
) -> bool:
    """Take the transaction-scoped advisory lock ``name`` within ``timeout`` seconds (a try-lock loop: a blocked
    ``pg_advisory_xact_lock`` could not be bounded without cancelling the statement), and bound every row and table
    lock of the transaction the same way (``lock_timeout``). ``describe()`` names the holder for the error;
    ``cancel`` (a ``threading.Event``) ends the wait with ``Cancelled``; ``deadline`` (``time.monotonic()``), when
    given, ends the wait instead of ``timeout`` (one bound for several locks). Returns whether it had to wait (the
    lock was held by another transaction at the first try)."""
    import time

    from sqlalchemy import text

    key = _lock_key(name)
    if deadline is None:
        deadline = time.monotonic() + timeout
    pause = 0.02
    waited = False
    while not conn.execute(text("SELECT pg_try_advisory_xact_lock(:k)"), {"k": key}).scalar():
        waited = True
        if cancel is not None and cancel.is_set():
            raise Cancelled("cancelled while waiting for the write lock")
        left = deadline - time.monotonic()
        if left <= 0:
            raise LockTimeoutError(describe())
        time.sleep(min(pause, left))
        pause = min(pause * 2, 0.5)
    conn.execute(text(f"SET LOCAL lock_timeout = {max(1, int(timeout * 1000))}"))
    return waited


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


def lock_timeout_message(
    engine: Engine, project_name: str, timeout: float, exclude: Any = None, project_id: Any = None
) -> str:
    holder = other_writer(engine, project_name, exclude, project_id) or (
        "another writer (no tracertm run is registered)"
    )
    return (
        f"project {project_name!r}: waited {timeout:g} s for the write lock held by {holder}; try again when it "
        "has finished, or raise lock_timeout in the tracertm configuration"
    )


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


def _locked_session(
    bound: Engine, engine: Engine, project_name: str, identity: RepoIdentity | None, timeout: float, cancel: Any,
    found: list[Any], describe: Any,
) -> Session:
    """A session whose transaction has begun holding the project's write lock (see ``write_session``); ``found``
    receives the project's id (None: a project to create) as soon as it is known, for ``describe``."""
    import time

    deadline = time.monotonic() + timeout
    while True:
        sess = session(bound, expire_on_commit=False)
        try:
            sess.begin()
            if engine.dialect.name != "postgresql":
                sess.connection()  # emits BEGIN IMMEDIATE now, before any read
                return sess
            project_id, locks = _project_locks(sess, project_name, identity)
            found[:] = [project_id]
            waited = False
            for name in locks:
                waited = _pg_lock(sess.connection(), name, timeout, describe, cancel, deadline) or waited
            # A transaction that waited began before the other writer committed: PostgreSQL's now(), which stamps
            # the rows it writes (a run's imported_at, a revision's created_at, updated_at...), would be the time
            # it began to wait, older than what the other writer committed meanwhile (a poll with --since or
            # changed_since in between missed it for good; of two writers queued, the one committing last could be
            # stamped older). So it lets go and begins again: the new transaction, begun after the lock was free,
            # takes the locks at once unless another writer took them in between (then it waits again).
            # Under the locks: the project found before may have been created, renamed or adopted meanwhile (its
            # writer held the lock of another name). Same project: ours. Otherwise let go and take its lock.
            sess.expire_all()
            if not waited and _project_locks(sess, project_name, identity)[0] == project_id:
                return sess
        except BaseException:
            sess.close()
            raise
        sess.close()  # rolls back: its locks are released


@contextmanager
def write_session(
    engine: Engine,
    project_name: str,
    timeout: float = DEFAULT_LOCK_TIMEOUT_S,
    run_id: Any = None,
    cancel: Any = None,
    bulk: bool = False,
    identity: RepoIdentity | None = None,
) -> Iterator[Session]:
    """One transaction holding the project's write lock; commits on success, rolls back on any exception.

    ``bulk`` (a sync's write phase): on SQLite the commit leaves the WAL checkpoint to a background thread, so the
    writer does not wait for it (see ``_checkpoint_soon``).

    PostgreSQL: the advisory lock of the project (``project_id_lock_name``: its row, whatever name it is reached
    by; ``identity``, a ``RepoIdentity``, finds it as ``engine.identity.resolve`` does, following a renamed remote),
    then the name locks (``_project_locks``), released at commit/rollback, taken with a try-lock loop. A project
    that does not exist yet is locked by its name (and its repository's root commit); if another writer created
    or renamed it meanwhile, the locks are let go and the project's own taken instead.
    SQLite: the transaction starts with ``BEGIN IMMEDIATE`` and waits on the busy timeout for any other writer.
    Either way the wait is bounded by ``timeout`` seconds and ends in ``LockTimeoutError`` naming the other writer
    (from its unfinished ``sync_runs`` row; ``run_id`` is the caller's own, left out of that search).
    A deadlock or serialization failure while writing is a ``ConflictError`` (nothing was written; run again).
    ``cancel`` (a ``threading.Event``, set by another thread that also interrupts the connection) turns the
    resulting database error, or a set flag at the lock wait, into ``Cancelled``; the transaction rolls back.
    """
    from sqlalchemy.exc import DBAPIError, OperationalError

    found: list[Any] = [None]

    def describe() -> str:
        return lock_timeout_message(engine, project_name, timeout, run_id, found[0])

    bound = _bounded(engine, timeout, cancel, bulk)
    try:
        sess = _locked_session(bound, engine, project_name, identity, timeout, cancel, found, describe)
        try:
            yield sess
            if cancel is not None and cancel.is_set():
                raise Cancelled("cancelled before commit")
            sess.commit()
        except BaseException:
            sess.rollback()
            raise
        finally:
            sess.close()
        if bulk:
            _checkpoint_soon(engine)
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
