"""Errors of the query layer. Each maps to one HTTP status in the API and to one exit code in the CLI."""

from __future__ import annotations

from tracertm.errors import ConflictError, UsageError


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
