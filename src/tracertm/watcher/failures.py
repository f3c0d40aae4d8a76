"""What a failed sync means for the watch daemon: which failures a retry with backoff can outlast and which only a
change can mend.

- The database cannot be used right now (down, unreachable, locked by another writer, read-only, the role lacking
  a privilege): the whole database waits, retried with capped backoff (``engines.is_unavailable``, ``refusal``).
  Only the retry can tell when an administrator has fixed it (a grant, a standby promoted, a file made writable).
- A database schema this tracertm cannot use (``SchemaError``): the daemon stops, as any command would.
- A failure of one repository that the same sync would meet again however often it ran (``waits_for_change``):
  its project in the database belongs to another repository, its configuration is invalid, the database refused
  one of its records. The repository is parked: logged once, not retried with backoff, synced again (in full)
  when one of its files or its configuration changes, or at the periodic reconcile (which catches a fix made in
  the database). Other repositories go on syncing.
- A SQLite file whose pages are damaged (``db.failures.is_damaged``: "database disk image is malformed"): no retry
  mends it, only a file restored or built again. Each repository syncing into it is parked as above, logged once
  with what ``tracertm sync`` says of it (the file, and what mends it); the file replaced, the daemon reconciles
  every repository of that database (``Watcher._database_moved``).
- A file that changed, vanished or was replaced while the sync read it (``WorkTreeChangedError``: a save landing
  mid-sync, more so under continuous writes): no failure of the repository nor an outage. The batch is put back
  as a fresh change (``retried_when_quiet``): synced once the files have been quiet for the debounce period (that
  change is an event itself), with no backoff and nothing counted towards the repository's retries.
- Anything else (a git command failing, a bug): retried with backoff.
"""

from __future__ import annotations

import logging
from pathlib import Path

from tracertm.db.failures import refusal
from tracertm.errors import GitError, RecordRefusedError, TracertmError, UsageError, WorkTreeChangedError, first_line
from tracertm.watcher.debounce import Batch, Debouncer
from tracertm.watcher.logs import LOGGER
from tracertm.watcher.stats import Health

__all__ = ["PARKED", "log_config_error", "log_config_ok", "log_database_down", "log_sync_failed", "refusal",
           "retried_when_quiet", "waits_for_change"]

log = logging.getLogger(LOGGER)

# What the log says the daemon does with a parked repository (after the error, which says what to fix).
PARKED = "not retrying until one of its files or its configuration changes"


def waits_for_change(exc: BaseException) -> bool:
    """Whether a sync that failed with ``exc`` would fail the same way until the repository changes: a user error
    about this repository (its project belongs to another repository, its configuration or database URL is
    invalid, its project name cannot be used), a record the database refused, or a damaged SQLite file (as
    raised, or as ``as_reported`` says it). A git command failing is not (git may have been busy, or the
    repository half-written)."""
    from tracertm.db.failures import is_damaged

    return (isinstance(exc, (UsageError, RecordRefusedError)) and not isinstance(exc, GitError)) or is_damaged(exc)


def retried_when_quiet(root: Path, debouncer: Debouncer, batch: Batch, health: Health, exc: BaseException) -> bool:
    """Whether ``batch``, whose sync failed with ``exc``, was put back as a fresh change: when a file changed while
    the sync read it (``WorkTreeChangedError``), due once the repository has been quiet for the debounce period, in
    a window of its own (the ceiling still syncs continuous writes), ``health`` left as it was (no backoff grows,
    nothing is parked). False, for the caller's backoff, on any other failure, and when the last such failure had
    no change behind it: no event came since its sync took its batch (the change that breaks a read is an event,
    which may reach the daemon after the failure, but before the retry). A read that fails while the work tree
    stays as it is must not be tried again every quiet period."""
    if not isinstance(exc, WorkTreeChangedError) or batch.events == health.quiet_retry:
        return False
    health.quiet_retry = batch.events  # (the batch as taken: a later event joins the batch its retry takes)
    debouncer.again_when_quiet(batch)
    message = first_line(exc)
    log.info("%s: sync failed (%s); changes kept, syncing again once the files are quiet", root, message,
             extra={"fields": {"event": "sync_failed", "repository": batch.key, "error": message,
                               "retry": "on_quiet"}})
    return True


def as_reported(exc: BaseException, url: str | None = None) -> BaseException:
    """``exc`` as the daemon logs it: a project of another repository names what mends it for ``watch``, which has
    no ``--project``: the configuration's ``project`` key; a damaged SQLite file is named (the file of ``url``,
    the repository's database) with what mends it, in the one line ``tracertm sync`` prints, not as an
    unexpected error with its traceback."""
    from tracertm.db.failures import damaged_error, is_damaged
    from tracertm.engine.identity import CONFIG_HINT, ProjectMismatchError

    if isinstance(exc, ProjectMismatchError):
        return exc.hinted(CONFIG_HINT)
    if not isinstance(exc, TracertmError) and is_damaged(exc):
        return damaged_error(_file(url), exc)
    return exc


def _file(url: str | None) -> str | None:
    """The SQLite file ``url`` names; None for another database, or a URL that cannot be read."""
    from tracertm import db

    if url is None:
        return None
    try:
        file = db.sqlite_file(db.parse_url(url))
    except TracertmError:  # (the daemon opened it: it was readable then; unnamed rather than a second error)
        return None
    return str(file) if file is not None else None


def log_database_down(database: str, message: str, pending: str, key: str, cap: float) -> None:
    """The one line (``database_down``) for a database that cannot be used: what is kept, and the retry."""
    log.warning("database unavailable (%s); keeping %s of %s and retrying with backoff (at most every %g s)",
                message, pending, key, cap,
                extra={"fields": {"event": "database_down", "database": database, "error": message}})


def log_sync_failed(root: Path, key: str, exc: BaseException, message: str, parked: bool) -> None:
    """The one line (``sync_failed``) for a failed sync of a repository: retried with backoff, or parked (see the
    module docstring). An unexpected error (a bug) gets its traceback."""
    unexpected = not isinstance(exc, TracertmError)
    shown = f"{type(exc).__name__}: {message}" if unexpected else message
    fields = {"event": "sync_failed", "repository": key, "error": message}
    if parked:
        log.error("%s: sync failed (%s); %s", root, shown, PARKED, extra={"fields": {**fields, "retry": "on_change"}})
    else:
        log.error("%s: sync failed (%s); changes kept, retrying with backoff", root, shown,
                  exc_info=exc if unexpected else None, extra={"fields": fields})


def log_config_error(root: Path, key: str, error: str | None) -> None:
    """The one line (``config_error``) for a repository whose configuration is invalid: what to fix, and that it
    waits for the fix."""
    log.error("%s: %s; not syncing it until its configuration changes", root, error,
              extra={"fields": {"event": "config_error", "repository": key, "error": error}})


def log_config_ok(root: Path, key: str) -> None:
    """The line (``config_ok``) for a repository whose configuration is valid again (``log_config_error`` said it
    was not): it syncs again."""
    log.info("%s: configuration valid again", root, extra={"fields": {"event": "config_ok", "repository": key}})
