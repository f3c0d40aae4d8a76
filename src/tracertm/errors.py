"""One error hierarchy. The CLI maps these to exit codes in one place (``cli.main``).

Every error a user can cause carries where it happened (a file and line, or an option) and what to do, so that
``str(error)`` is a complete one-line message.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from typing import Any


class TracertmError(Exception):
    """Base class of every error tracertm raises on purpose."""

    exit_code = 3


class UsageError(TracertmError):
    """A bad option, argument or configuration value (exit 2)."""

    exit_code = 2


def refuse_blank(**given: str | None) -> None:
    """The Python API's refusal of a blank text argument (``project=""``, ``database_url="  "``), or of a database
    URL the command line's ``--database-url`` would refuse (``sqlite:///x.db?mode=ro``): a ``UsageError``
    naming it, as the command line refuses ``--project ""``. Only ``None`` means "not given" (the configured or
    derived project, the configured or default database): a blank from an unset variable would otherwise pick
    another database or project than the caller named, silently."""
    for name, value in given.items():
        if value is not None and not value.strip():
            raise UsageError(f"{name}={value!r} is blank; give a value, or None for the default")
        if value is not None and name in ("database_url", "target"):
            # Checked here as the command line checks --database-url first, so the refusal names the argument the
            # caller wrote (it named the option "--database-url" to a caller of tracertm.sync).
            from tracertm.config import check_url

            check_url(value, name)


def refuse_blank_path(path: object, name: str = "path",
                      otherwise: str = "or leave it out (None) for the current repository") -> None:
    """The Python API's refusal of a blank path (``sync("")``), as the command line's ``PATH ''`` is refused: an
    empty variable would otherwise sync, check or watch the current folder, another repository than the one meant.
    ``Path("")`` is ``.`` already, so only text can be told apart."""
    if isinstance(path, str) and not path.strip():
        raise UsageError(f"{name}: blank path {path!r}; give a path {otherwise}")


# The most parser processes a command takes (``--jobs``, the Python API's ``jobs``).
MAX_JOBS = 1024


def refuse_jobs(jobs: int | None) -> None:
    """The Python API's refusal of a ``jobs`` the command line's ``--jobs`` would refuse (not 1 to ``MAX_JOBS``):
    a ``UsageError`` naming it, where 0 or a negative count failed inside the parse pool."""
    if jobs is not None and (isinstance(jobs, bool) or not isinstance(jobs, int) or not 1 <= jobs <= MAX_JOBS):
        raise UsageError(f"jobs={jobs!r}: give a whole number of parser processes from 1 to {MAX_JOBS}, or None "
                         "for one per core")


def refuse_lock_timeout(lock_timeout: float | None) -> None:
    """The Python API's refusal of a ``lock_timeout`` the ``lock_timeout`` setting would refuse (not a number of
    seconds from 0 to ``MAX_LOCK_TIMEOUT_S``): a ``UsageError`` naming it, where NaN failed in the lock's wait
    (a bare ``ValueError``) and -1 or 1e12 were taken."""
    from tracertm.config import MAX_LOCK_TIMEOUT_S

    if lock_timeout is None:
        return
    if isinstance(lock_timeout, bool) or not isinstance(lock_timeout, (int, float)) \
            or not 0 <= lock_timeout <= MAX_LOCK_TIMEOUT_S:  # (NaN too: it compares false)
        raise UsageError(f"lock_timeout={lock_timeout!r}: give the seconds to wait for another writer, from 0 to "
                         f"{MAX_LOCK_TIMEOUT_S}, or None for the default")


class InvalidValues(UsageError):
    """Values ``Records.update`` refuses (a figure out of its range, an unknown field, a wrong type): the first one
    as the message (``compliance_score: Input should be less than or equal to 1``); ``errors`` every one as pydantic
    lists them (``loc``, ``msg``, ``type``), which the API answers as its 422 ``errors``."""

    def __init__(self, errors: list[dict[str, Any]]) -> None:
        first = errors[0] if errors else {"loc": (), "msg": "invalid value"}
        super().__init__(f"{'.'.join(str(p) for p in first.get('loc', ())) or 'value'}: {first.get('msg', '')}")
        self.errors = errors


class ConfigError(UsageError):
    """Invalid ``[tool.tracertm]`` / ``.tracertm.toml`` configuration or database URL (exit 2)."""


class GitError(UsageError):
    """A git operation failed: not a repository, unknown ref, shallow clone... (exit 2)."""


class UnnamableFileError(UsageError):
    """A spec file git lists whose name the locale's encoding cannot hold, so it cannot be opened by that name (exit
    2: run tracertm under a UTF-8 locale)."""


class DatabaseError(TracertmError):
    """The database could not be reached or is in an unexpected state (exit 2: fix the URL or the server)."""

    exit_code = 2


class RecordRefusedError(TracertmError):
    """The database refused one record of a sync (a constraint, a value it cannot store); the message names the
    file and the record, and nothing of the sync was written (exit 2). Not an outage: retrying does not help until
    the file changes."""

    exit_code = 2


class LockTimeoutError(DatabaseError):
    """Another writer held the project's write lock for longer than ``lock_timeout`` (exit 2: try again later)."""


class SchemaError(DatabaseError):
    """The database's schema is not one this tracertm can use as it is: newer than it knows, tracertm's tables with
    no revision stamped, or a stamp its tables do not match (exit 2). Not an outage: retrying does not help."""


class SchemaTooNewError(SchemaError):
    """The database was migrated by a newer tracertm than the one installed (exit 2: upgrade tracertm)."""


class Cancelled(TracertmError):
    """The caller asked a run to stop (the watch daemon's second signal); its transaction was rolled back."""

    exit_code = 130


# sysexits.h's EX_TEMPFAIL: a temporary failure; running the same command again is expected to work.
EXIT_CONFLICT = 75


class ConflictError(TracertmError):
    """Another writer changed what this run was about to write (a version guard lost, a deadlock or serialization
    failure, a concurrent sync during a backfill): nothing of this run was written; run it again (exit 75,
    ``EXIT_CONFLICT``, so that CI can retry)."""

    exit_code = EXIT_CONFLICT


class WorkTreeChangedError(ConflictError):
    """A work-tree file changed, vanished or was replaced while a run read it (a save, a checkout, a delete landing
    meanwhile): nothing was written, and the same run started again reads the new state (exit 75). The watch
    daemon retries it once the files are quiet, as it syncs a fresh change, not with an outage's backoff."""


@dataclass(frozen=True)
class Diagnostic:
    """One finding about one file: an error or a warning, with a 1-based line and column (0 = unknown)."""

    path: str
    line: int
    column: int
    message: str
    severity: str = "error"  # "error" | "warning"
    # The files (paths as ``path`` is written) the message names — the definitions an ambiguous step matches... —,
    # so that output names them from where it names ``path`` (``output.diagnostic``'s prefix).
    names: tuple[str, ...] = field(default=(), compare=False)

    def __str__(self) -> str:
        return f"{self.path}:{self.line}:{self.column}: {self.severity}: {self.message}"

    def as_dict(self) -> dict[str, object]:
        return {
            "path": self.path,
            "line": self.line,
            "column": self.column,
            "message": self.message,
            "severity": self.severity,
        }


@dataclass
class ParseError(TracertmError):
    """A file that cannot be turned into records. ``diagnostics`` holds every error found (at least one)."""

    path: str
    line: int
    column: int
    message: str
    diagnostics: list[Diagnostic] = field(default_factory=list)

    exit_code = 1

    def __post_init__(self) -> None:
        if not self.diagnostics:
            self.diagnostics = [Diagnostic(self.path, self.line, self.column, self.message)]
        super().__init__(str(self))

    def __str__(self) -> str:
        return f"{self.path}:{self.line}:{self.column}: {self.message}"

    def __reduce__(self) -> tuple[type[ParseError], tuple[str, int, int, str, list[Diagnostic]]]:
        # Parser worker processes send errors back pickled; Exception's default reduce loses the fields.
        return (type(self), (self.path, self.line, self.column, self.message, self.diagnostics))

    @classmethod
    def from_diagnostics(cls, diagnostics: list[Diagnostic]) -> ParseError:
        first = diagnostics[0]
        return cls(first.path, first.line, first.column, first.message, list(diagnostics))


def first_line(exc: BaseException) -> str:
    """The first line of what ``exc`` says (its type's name when it says nothing): what a one-line error quotes."""
    text = str(exc).strip().splitlines()
    return text[0] if text else type(exc).__name__
