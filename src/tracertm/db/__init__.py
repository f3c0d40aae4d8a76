"""Database layer: URL resolution, engines with the right pragmas, migrations, sessions and the per-project lock.

Only this package and ``engine/apply.py`` use SQLAlchemy's session machinery. Its modules, each importing nothing
heavy when it is imported (the no-op fast path imports this package: SQLAlchemy, Alembic and the models are
imported inside the functions that need them):

- ``urls``: which URL (option, environment, configuration, default file), validating it, redacting its password;
- ``failures``: a database error in one line (naming where the URL came from), busy locks and write conflicts;
- ``engines``: ``make_engine`` and SQLite's pragmas, a writer's ``BEGIN IMMEDIATE``, the bulk write's checkpoint,
  ``snapshot_reads`` (a served read's one snapshot);
- ``sessions``: ``session``, whose queries hide soft-deleted rows;
- ``locks``: ``write_session``, a transaction holding the project's write lock;
- ``schema``: ``SCHEMA_HEAD``, the revisions, Alembic's migrations under a lock, ``ensure_schema``;
- ``head_schema``: an empty SQLite file's schema in one pass, from ``head_sqlite.sql``;
- ``json_numbers``: JSON texts whose large floats PostgreSQL's ``jsonb`` keeps as floats;
- ``opening``: ``open_engine`` for a command, and the dry run's look at a database that writes nothing.

Callers use the names re-exported here (``db.make_engine``). Patching one of them here
(``monkeypatch.setattr(db, ...)``) changes what callers of ``db.X`` get, not what the package's own modules call:
patch the defining module (``tracertm.db.schema.current_revision``) for that. A few private names stay reachable
here too: ``db._bounded`` (``tokens``), ``db._lock_key`` (tests), ``db._checkpoint_soon``, ``db._MIGRATING``.
"""

from tracertm.config import DEFAULT_LOCK_TIMEOUT_S as DEFAULT_LOCK_TIMEOUT_S  # (see the errors below)
from tracertm.db.engines import (
    CHECKPOINT_THREAD, SQLITE_AUTOCHECKPOINT_PAGES, SQLITE_BUSY_TIMEOUT_S, SQLITE_PAGE_SIZE, make_engine,
    snapshot_reads,
)
from tracertm.db.engines import _bounded as _bounded
from tracertm.db.engines import _checkpoint_soon as _checkpoint_soon
from tracertm.db.failures import CONFLICT_SQLSTATES, conflict_error, database_unavailable, is_conflict
from tracertm.db.locks import _lock_key as _lock_key
from tracertm.db.locks import (
    WRITER_KINDS, lock_timeout_message, other_writer, project_id_lock_name, project_lock_key, project_lock_name,
    write_session,
)
from tracertm.db.opening import dry_run_schema, open_engine, open_for_dry_run, peek_sqlite, refuse_old_schema
from tracertm.db.schema import _MIGRATING as _MIGRATING
from tracertm.db.schema import (
    SCHEMA_HEAD, alembic_config, check_revision, current_revision, downgrade, ensure_schema, foreign_keys_off,
    foreign_revision, known_revisions, migrations_dir, not_shipped, revision_state, shipped_revisions, upgrade,
)
from tracertm.db.sessions import session
from tracertm.db.urls import (
    DEFAULT_SOURCE, ENV_URL, default_database_path, expand_home, parse_url, redact, resolve_database_url, sqlite_file,
)
# Names the single-module db.py imported, still reached as ``db.X`` (``db.DatabaseError`` in the tests).
from tracertm.errors import Cancelled as Cancelled
from tracertm.errors import ConfigError as ConfigError
from tracertm.errors import ConflictError as ConflictError
from tracertm.errors import DatabaseError as DatabaseError
from tracertm.errors import LockTimeoutError as LockTimeoutError
from tracertm.errors import SchemaTooNewError as SchemaTooNewError
from tracertm.errors import UsageError as UsageError

__all__ = [
    "CHECKPOINT_THREAD", "CONFLICT_SQLSTATES", "DEFAULT_SOURCE", "ENV_URL", "SCHEMA_HEAD",
    "SQLITE_AUTOCHECKPOINT_PAGES", "SQLITE_BUSY_TIMEOUT_S", "SQLITE_PAGE_SIZE", "WRITER_KINDS", "alembic_config",
    "check_revision", "conflict_error", "current_revision", "database_unavailable", "default_database_path",
    "downgrade", "dry_run_schema", "ensure_schema", "expand_home", "foreign_keys_off", "is_conflict",
    "foreign_revision", "known_revisions", "not_shipped", "revision_state",
    "lock_timeout_message", "make_engine", "migrations_dir", "open_engine", "open_for_dry_run", "other_writer",
    "parse_url", "peek_sqlite", "project_id_lock_name", "project_lock_key", "project_lock_name", "redact",
    "refuse_old_schema", "resolve_database_url", "session", "shipped_revisions", "snapshot_reads", "sqlite_file",
    "upgrade", "write_session",
]
