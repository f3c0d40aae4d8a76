"""Errors of the query layer. Each maps to one HTTP status in the API and to one exit code in the CLI."""

from __future__ import annotations

from typing import TYPE_CHECKING, Any

from tracertm.errors import ConflictError, UsageError

if TYPE_CHECKING:
    from sqlalchemy.orm import Session


class NotFound(UsageError):
    """An id that names no record, or a project that does not exist (HTTP 404)."""


class Ambiguous(UsageError):
    """An id that names several records (HTTP 400); the message lists the qualified ids to use."""


class StaleVersion(ConflictError):
    """An update based on an older version than the current one (HTTP 412): re-read, then retry."""

    def __init__(self, message: str, current: int) -> None:
        super().__init__(message)
        self.current = current


class StaleReview(StaleVersion):
    """A link review that names a version of the link's target (``tracertm review --version N``, ``If-Match``) that
    is no longer the target's current one: the reviewer read another version than the one the review would claim.
    The API answers 412 with ``current_version`` (as any ``StaleVersion``); the CLI exits 2, not a conflict's 75:
    running the same command again cannot help — re-read the target, then review naming its current version."""

    exit_code = 2


class GitOwnedField(ConflictError):
    """An update of a field that git owns (HTTP 409): the file, and the line where known, to edit instead;
    ``note`` says why there is no line, or why the line given does not hold the value as written."""

    def __init__(self, message: str, fields: list[str], path: str | None, line: int | None,
                 note: str | None = None) -> None:
        super().__init__(message)
        self.fields, self.path, self.line, self.note = fields, path, line, note


def git_owned_metadata(record: str, keys: list[str], place: str, path: str | None, line: int | None = None,
                       note: str | None = None) -> GitOwnedField:
    """The refusal of a change of metadata ``keys`` that ``record``'s file sets (``models.sync.file_metadata_keys``),
    to edit at ``place`` (``path``, with its line where known): the API's 409 and the ORM's flush alike."""
    return GitOwnedField(
        f"metadata {', '.join(repr(k) for k in keys)} of {record}: set by its file, so owned by git; edit {place} "
        "and commit (the next sync updates the database), or use another key",
        [f"metadata.{k}" for k in keys], path, line, note,
    )


def refuse_limit(limit: int) -> None:
    """A library caller's ``limit`` outside the API's 1..``MAX_LIMIT``: a ``UsageError`` naming it. Refused, not
    passed on: SQLite took -1 as "no limit" where PostgreSQL raised its ``DataError`` (its transaction aborted)."""
    from tracertm.schemas.filters import MAX_LIMIT

    if isinstance(limit, bool) or not isinstance(limit, int) or not 1 <= limit <= MAX_LIMIT:
        raise UsageError(f"limit={limit!r}: give a whole number from 1 to {MAX_LIMIT}")


def refuse_stale(record: str, current: int, expected_version: object, retry: str) -> None:
    """``Records.update``'s and ``set_deleted``'s guard: ``expected_version`` (a whole number: "2" was compared with
    2 and refused as stale, "is at version 2, not 2") must be the ``current`` version of ``record``, else
    :class:`StaleVersion` saying to re-read it and ``retry``."""
    if isinstance(expected_version, bool) or not isinstance(expected_version, int):
        raise UsageError(f"expected_version={expected_version!r}: give the version read as a whole number (the "
                         f"version of {record}, an int)")
    if current != expected_version:
        raise StaleVersion(f"{record} is at version {current}, not {expected_version}: re-read it and {retry}",
                           current)


def flush_edit(session: Session, what: str, stale: str, expected_version: int, row: Any = None) -> None:
    """Flush a database-side edit (``Records.update``, ``set_deleted``): another writer's commit to the row first is
    ``StaleVersion`` (``stale``) carrying the version that writer left, read again once rolled back (``row``, the
    edited record; without it, or when that read fails, ``expected_version``); on SQLite, another writer's commit to
    the database since this session read is a ``ConflictError`` naming ``what`` (the record); nothing is written
    either way (the session is rolled back).

    The version read again is what the API's 412 names (``current_version`` and ``ETag``): the expected one, which
    it named before, was already gone, and a client retrying with it was refused again.

    In a session that reads before it writes (a library caller's ``db.session``; the server's holds the write lock
    from its start) SQLite cannot turn the read into a write once another connection committed: its "database is
    locked" went out as SQLAlchemy's OperationalError, a traceback, where PostgreSQL's same race gave
    ``StaleVersion``."""
    from sqlalchemy.exc import OperationalError
    from sqlalchemy.orm.exc import StaleDataError

    from tracertm.db.failures import is_conflict

    ident = (type(row), row.id) if row is not None else None  # read now: a failed flush expires the row
    try:
        session.flush()
    except StaleDataError:
        session.rollback()
        current = _version_now(session, *ident) if ident is not None else None
        raise StaleVersion(stale, expected_version if current is None else current) from None
    except OperationalError as exc:
        if not is_conflict(exc):
            raise
        session.rollback()
        lines = str(exc.orig).strip().splitlines()
        raise ConflictError(f"{what}: another writer changed the database while this edit ran "
                            f"({lines[0] if lines else type(exc.orig).__name__}); nothing was written — re-read it "
                            "and apply the change again") from None


def _version_now(session: Session, model: Any, ident: Any) -> int | None:
    """The version of ``model`` row ``ident`` as committed now (a deleted row's too); None when it is gone or the
    read fails (the stale write is reported all the same)."""
    from sqlalchemy import select
    from sqlalchemy.exc import SQLAlchemyError

    try:
        found = session.execute(select(model.version).where(model.id == ident)
                                .execution_options(include_deleted=True)).scalar_one_or_none()
    except SQLAlchemyError:
        session.rollback()
        return None
    return None if found is None else int(found)
