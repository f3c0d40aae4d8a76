"""The database errors no verb turned into a ``TracertmError``, as the CLI's one error handler prints them: another
writer in the way (exit 75), a damaged SQLite file, the server or its role refusing the work (exit 2). Everything
else is an internal error (``cli._internal``)."""

from __future__ import annotations

import argparse
import sys
from typing import NamedTuple

from tracertm.cli import EXIT_USAGE
from tracertm.errors import TracertmError
from tracertm.output import one_line

__all__ = ["Found", "database_error"]


class Found(NamedTuple):
    """The line the handler prints and the exit code."""

    line: str
    exit_code: int


def database_error(exc: Exception, args: argparse.Namespace | None) -> Found | None:
    """``exc`` as one line and an exit code when it is a database's error of those above; None otherwise."""
    known = _database_conflict(exc) or _damaged_database(exc, args)
    if known is not None:
        return Found(one_line(f"tracertm: error: {known}"), known.exit_code)
    refused = _database_refusal(exc)
    return Found(f"tracertm: error: {refused}", EXIT_USAGE) if refused is not None else None


def _database_conflict(exc: Exception) -> TracertmError | None:
    """A database error no verb caught that says another writer was in the way — SQLite's "database is locked"
    (its busy wait ran out), PostgreSQL's deadlock or serialization failure: ``ConflictError`` (nothing written; run
    it again, exit 75), not a refusal to check privileges over. None for anything else."""
    sqlalchemy_exc = sys.modules.get("sqlalchemy.exc")
    if sqlalchemy_exc is None or not isinstance(exc, sqlalchemy_exc.DBAPIError):
        return None
    from tracertm.db.failures import is_conflict
    from tracertm.errors import ConflictError

    if not is_conflict(exc):
        return None
    first = (str(getattr(exc, "orig", exc)).strip().splitlines() or [type(exc).__name__])[0]
    return ConflictError(f"another writer held the database ({first}); what this command had not committed was "
                         "undone — run it again")


def _damaged_database(exc: Exception, args: argparse.Namespace | None) -> TracertmError | None:
    """A SQLite file whose pages are damaged (``db.failures.is_damaged``), named as the command found it
    (``--database-url``, ``$TRACERTM_DATABASE_URL``, the configuration, the default file): a damaged file is no
    refusal of a role's privileges. None for any other error."""
    from tracertm.db.failures import damaged_error, is_damaged

    if not is_damaged(exc):
        return None
    path: str | None = None
    try:
        from tracertm import db
        from tracertm.cli.records import repository_settings

        found = repository_settings(getattr(args, "path", None))
        url, source = db.resolve_database_url(getattr(args, "database_url", None),
                                              found[1].database_url if found else None)
        file = db.sqlite_file(db.parse_url(url, source))
        path = str(file) if file is not None else None
    except TracertmError:  # (the configuration was read once already; should it fail now, the file goes unnamed)
        pass
    return damaged_error(path, exc)


def _database_refusal(exc: Exception) -> str | None:
    """One line for an error the database server raised that no verb turned into a ``DatabaseError`` — the server
    or its role's settings refusing the work: a read-only transaction, no privilege to create the schema, a
    ``statement_timeout``, a connection lost mid-write. Not tracertm's fault, so not an internal error (exit 2);
    None for anything else."""
    sqlalchemy_exc = sys.modules.get("sqlalchemy.exc")
    if sqlalchemy_exc is None or not isinstance(
        exc, (sqlalchemy_exc.DBAPIError, sqlalchemy_exc.PendingRollbackError)
    ):
        return None
    orig = getattr(exc, "orig", None) or exc.__cause__ or exc.__context__ or exc
    first = (str(orig).strip().splitlines() or [type(orig).__name__])[0]
    from tracertm.db.failures import disk_full_line, full_beneath, lost_connection, lost_connection_line

    if lost_connection(orig):
        return one_line(lost_connection_line("the database", first))
    full = full_beneath(exc)
    if full is not None:  # no privilege or setting of the role to check: the disk's free space
        detail = str(getattr(full, "orig", full)).strip().splitlines()
        return one_line(disk_full_line("the database", detail[0] if detail else type(full).__name__))
    return one_line(f"the database refused the work: {first} ({type(orig).__name__}); check the database role's "
                    "privileges and settings, or run the command again")
