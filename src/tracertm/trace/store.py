"""Opening the database for a read that is optional (``check --strict``, ``diff``): never create or migrate one."""

from __future__ import annotations

from typing import TYPE_CHECKING

from tracertm.errors import DatabaseError

if TYPE_CHECKING:
    from sqlalchemy.engine import URL, Engine


def existing_engine(option: str | None, configured: str | None) -> tuple[Engine | None, str]:
    """An engine on the database the usual resolution picks, if it exists at the current schema; else None and why.

    A missing SQLite file stays missing (connecting would create it). Errors reaching a server, and a database at
    another schema revision (older: not migrated yet; newer: written by a newer tracertm), are raised as
    ``DatabaseError``; the caller decides whether that matters.
    """
    from tracertm import db

    url, source = db.resolve_database_url(option, configured)
    parsed = db.parse_url(url, source)
    file = db.sqlite_file(parsed)  # (None: in memory, which is no database to read either)
    if parsed.get_backend_name() == "sqlite" and (file is None or not file.exists()):
        return None, "no database"
    engine = db.make_engine(url, source)
    try:
        revision = db.current_revision(engine)
    except BaseException:
        engine.dispose()
        raise
    if revision is None:
        engine.dispose()
        return None, f"the database is at schema none, not {db.SCHEMA_HEAD} (run 'tracertm db upgrade')"
    if revision != db.SCHEMA_HEAD:
        # Records are there but not readable by this tracertm: an error, not an absence (``check --strict`` took it
        # for "no suspect links" and passed), and its remedy depends on which side is behind.
        engine.dispose()
        raise _other_revision(parsed, revision)
    return engine, ""


def _other_revision(parsed: URL, revision: str) -> DatabaseError:
    """One line for a database at another schema revision than this tracertm's: a newer one needs a newer tracertm
    (``db upgrade`` would refuse it), an older one a migration, which a read never makes; one no tracertm ships
    (``db.revision_state``) a backup."""
    from tracertm import db

    if db.revision_state(revision) != "older":
        return db.not_shipped(parsed, revision)
    return DatabaseError(
        f"database {db.redact(parsed)} is at schema revision {revision}, older than this tracertm's "
        f"({db.SCHEMA_HEAD}); run 'tracertm db upgrade' to migrate it (a read never does)"
    )
