"""Opening the database for a read that is optional (``check --strict``, ``diff``): never create or migrate one."""

from __future__ import annotations

from typing import TYPE_CHECKING

if TYPE_CHECKING:
    from sqlalchemy.engine import Engine


def existing_engine(option: str | None, configured: str | None) -> tuple[Engine | None, str]:
    """An engine on the database the usual resolution picks, if it exists at the current schema; else None and why.

    A missing SQLite file stays missing (connecting would create it). Errors reaching a server are raised as
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
    if revision != db.SCHEMA_HEAD:
        engine.dispose()
        return None, f"the database is at schema {revision or 'none'}, not {db.SCHEMA_HEAD} (run 'tracertm db upgrade')"
    return engine, ""
