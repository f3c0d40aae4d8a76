"""The watch daemon: watchdog observers record changed paths, a debouncer batches them per repository, and one
loop thread runs the ordinary incremental sync for each batch (a full blob-gated reconcile when git's HEAD or refs
moved). Database outages are ridden out with the dirty paths kept and capped exponential backoff.

Threads: watchdog's emitter/dispatcher threads only classify events and record paths (``_on_event``); everything
that touches git, the database or the watch set runs on the loop thread (``run``).
"""

from __future__ import annotations

import logging
import os
import threading
import time
from collections import deque
from collections.abc import Callable, Sequence
from pathlib import Path
from typing import TYPE_CHECKING, Self

from watchdog.events import FileSystemEvent

from tracertm import db, git
from tracertm.db.failures import is_damaged
from tracertm.errors import Cancelled, SchemaError, TracertmError, first_line
from tracertm.watcher import pools
from tracertm.watcher.checkouts import SyncGuard, checkout_done, moved_unseen
from tracertm.watcher.database_file import log_reopened
from tracertm.watcher.debounce import DEFAULT_CEILING_S, Batch, Debouncer
from tracertm.watcher.engines import Engines, is_unavailable
from tracertm.watcher import failures
from tracertm.watcher.failures import refusal, waits_for_change
from tracertm.watcher.findings import FindingLog, log_change
from tracertm.watcher.logs import LOGGER
from tracertm.watcher.observe import OverflowHook, WatchSet, log_watch_error
from tracertm.watcher.repos import FileSignature, Repository, WatchSpec, repositories_in, split_targets
from tracertm.watcher.runs import LastRuns
from tracertm.watcher.stats import SyncRecord, WatchStats, Health
from tracertm.watcher.writers import OpenWrites

if TYPE_CHECKING:
    from sqlalchemy.engine import Engine

    from tracertm.engine.sync import SyncResult

log = logging.getLogger(LOGGER)

DEFAULT_DEBOUNCE_MS = 200
DEFAULT_RECONCILE_S = 600.0
DEFAULT_RETRY_BASE_S = 0.5
DEFAULT_RETRY_CAP_S = 30.0
DEFAULT_DISCOVER_S = 2.0
# After git lets go of the index, how long a held batch waits at most for git to move HEAD (the last step of a
# checkout, merge or reset) while the index still disagrees with HEAD. Only a bound: the wait ends as soon as HEAD
# agrees with the index; it runs out only when nothing is going to move HEAD (``git add``, ``git checkout -- FILE``).
REF_WAIT_S = 5.0

ACTIONS = ("created", "updated", "deleted", "restored", "moved", "errors")


class Watcher:
    """The daemon object. ``run()`` blocks on the calling thread; ``start()`` runs it on a background thread.

    ``targets``: repositories or folders holding repositories. ``database_url``: overrides the usual resolution
    (``$TRACERTM_DATABASE_URL``, the repository's configuration, the default file). ``debounce_ms``: quiet period
    before a batch syncs; ``ceiling_s``: longest a batch waits while changes keep coming. ``reconcile_every``:
    seconds between full reconciles of every repository. ``retry_base``/``retry_cap``: backoff after a failure.
    ``ref_wait_s``: how long a batch held by a checkout waits at most, once git lets go of the index, for git to
    move HEAD (see ``REF_WAIT_S``).
    """

    def __init__(
        self,
        targets: Sequence[str | os.PathLike[str]] = (".",),
        *,
        database_url: str | None = None,
        debounce_ms: float = DEFAULT_DEBOUNCE_MS,
        ceiling_s: float | None = None,
        reconcile_every: float = DEFAULT_RECONCILE_S,
        retry_base: float = DEFAULT_RETRY_BASE_S,
        retry_cap: float = DEFAULT_RETRY_CAP_S,
        discover_every: float = DEFAULT_DISCOVER_S,
        ref_wait_s: float = REF_WAIT_S,
        clock: Callable[[], float] = time.monotonic,
    ) -> None:
        from tracertm.errors import UsageError

        if debounce_ms < 0:
            raise UsageError(f"--debounce {debounce_ms:g}: must be 0 or more milliseconds")
        if reconcile_every <= 0:
            raise UsageError(f"--reconcile-every {reconcile_every:g}: must be a positive number of seconds")
        quiet = debounce_ms / 1000.0
        ceiling = ceiling_s if ceiling_s is not None else max(DEFAULT_CEILING_S, 4 * quiet)
        if ceiling < quiet:
            raise UsageError(f"ceiling {ceiling:g} s is shorter than the debounce period {quiet:g} s")
        self._repo_args, self.workspaces = split_targets(list(targets) or ["."])
        self.database_url = database_url
        self.reconcile_every = reconcile_every
        self.retry_base, self.retry_cap = retry_base, retry_cap
        self.discover_every = discover_every
        self.ref_wait_s = ref_wait_s
        self._clock = clock
        self.stats = WatchStats()
        self.history: deque[SyncRecord] = deque(maxlen=1000)
        self.ready = threading.Event()
        self._debouncer = Debouncer(quiet, ceiling, clock)
        self._repos: dict[str, Repository] = {}
        self._engines = Engines()  # per database URL; a SQLite file deleted or replaced lets go of its engine
        self._start_method: str | None = None  # the parse pools' (``pools.acquire``), while the daemon runs
        self._db_health: dict[str, Health] = {}
        self._repo_health: dict[str, Health] = {}
        self._open_errors: dict[str, str] = {}
        self._lock = threading.Lock()
        self._rewatch: dict[str, bool] = {}
        self._periodic: set[str] = set()
        # Repositories whose batch waits for a git command rewriting the work tree: None while git holds the index,
        # then when it was first seen free (the batch waits on for git to move HEAD, see ``REF_WAIT_S``).
        self._held: dict[str, float | None] = {}
        # Per repository, the refs (``Repository.ref_state``) as the last full reconcile saw them.
        self._reconciled_refs: dict[str, str] = {}
        self._indexes: dict[str, tuple[int, ...] | None] = {}  # (``checkouts.moved_unseen``)
        # Per repository, each file as the last sync that read it was about to (see ``_drop_synced``).
        self._signatures: dict[str, dict[str, FileSignature]] = {}
        # Per repository, the files the last syncs held (``SyncResult.held``): a file gone whose records stay while
        # the new file of its kind (a rename broken in the same save) does not parse, and those new files. Every
        # sync syncs them all: the fixed (or deleted) new file alone would find the gone file still holding the
        # records, which a sync of some paths does not read (and see ``_process``).
        self._kept: dict[str, set[str]] = {}
        self._runs = LastRuns()  # per repository, the run its last sync committed (see ``runs``)
        self._writes = OpenWrites(clock)  # per repository, the spec files a writer has not closed since it wrote
        # Per repository, the spec errors, warnings and dangling links already logged (each is logged once).
        self._findings = FindingLog()
        self._discover_now = False
        self._stop = threading.Event()
        self._busy = self._in_sync = False
        # Set by abort() (a second signal): the sync in flight stops at its next safe point or database call.
        self._abort = threading.Event()
        self._git = git.Scope()  # the git commands the loop runs (its syncs' too): abort() ends them
        self._watches: WatchSet | None = None
        self._overflow: OverflowHook | None = None
        self._thread: threading.Thread | None = None
        self._limit_logged: set[int] = set()
        self._error: BaseException | None = None

    # ------------------------------------------------------------------------------------------ lifecycle

    @property
    def repositories(self) -> list[Path]:
        return [r.root for r in list(self._repos.values())]

    @property
    def stopping(self) -> bool:
        return self._stop.is_set()

    def start(self) -> Self:
        """Run the daemon on a background thread; returns once the watches are in place."""
        self._thread = threading.Thread(target=self._run_in_background, name="tracertm-watch", daemon=True)
        self._thread.start()
        self.ready.wait()
        if self._error is not None:
            raise self._error
        return self

    def _run_in_background(self) -> None:
        try:
            self.run()
        except BaseException:
            if self._error is None:  # a start-up error is raised by start() instead
                raise

    def stop(self) -> None:
        """Stop accepting events; the sync in flight (if any) finishes, then ``run`` returns."""
        self._stop.set()
        self._debouncer.close()

    def abort(self) -> None:
        """Stop, and roll back the sync in flight: safe to call from a signal handler or any thread.

        Nothing is raised into the syncing thread at an arbitrary point: a flag is set, which the sync checks at
        its safe points (before the lock, while waiting for it, inside its parse and plan: ``tracertm.cancellation``,
        before COMMIT), and the database call (``sqlite3`` interrupt, a PostgreSQL cancel request) or git command
        (a slow filter: ``git.Scope``) in progress is ended, which makes it fail and roll back. A sync that had
        already committed stays committed."""
        self._abort.set()
        self.stop()
        self._engines.interrupt()
        self._git.cancel()

    @property
    def aborted(self) -> bool:
        return self._abort.is_set()

    def join(self, timeout: float | None = None) -> None:
        if self._thread is not None:
            self._thread.join(timeout)

    def __enter__(self) -> Self:
        return self.start()

    def __exit__(self, *exc: object) -> None:
        self.stop()
        self.join(30)

    def wait_idle(self, timeout: float = 10.0) -> bool:
        """Wait until nothing is pending and no sync runs (events still in the kernel are not seen)."""
        deadline = time.monotonic() + timeout
        while True:
            with self._lock:
                rewatch = bool(self._rewatch)
            # What the loop takes work from, read before whether it is busy: it is marked busy before it takes any.
            if not (rewatch or self._discover_now or len(self._debouncer)) and not self._busy:
                return True
            if time.monotonic() >= deadline:
                return False
            time.sleep(0.01)

    def run(self) -> None:
        """Watch until ``stop()`` (or a signal, through ``watch()``); after ``abort()``, return quietly."""
        with self._git:  # (on this thread: the loop's)
            try:
                try:
                    self._setup()
                except BaseException as exc:
                    if not self._cancelled(exc):  # (an abort during the start-up discovery is a stop, no error)
                        self._error = exc
                    raise
                self.ready.set()
                self._loop()
            except Cancelled as exc:
                # abort() ended a git command of the loop's own, outside a sync (a repository's discovery): nothing
                # was being written, and the daemon stops as after an aborted sync, without a traceback.
                if not self._cancelled(exc):
                    raise
                log.debug("aborted outside a sync (%s)", first_line(exc))
            finally:
                self.ready.set()
                self._teardown()

    def _cancelled(self, exc: BaseException) -> bool:
        """Whether ``exc`` is what ``abort()`` makes a git command (or a sync) raise: a stop, not a failure."""
        return isinstance(exc, Cancelled) and self._abort.is_set()

    def _setup(self) -> None:
        self._start_method = pools.acquire()
        self._watches = WatchSet(self._watch_failed)
        self._watches.start()
        self._overflow = OverflowHook(self._on_overflow)
        logging.getLogger("watchdog.observers.inotify_c").addFilter(self._overflow)
        for ws in self.workspaces:
            self._watches.add_folder(ws, self._request_discovery)
        self._discover()
        log.info(
            "watching %d repositor%s%s; debounce %g ms, reconcile every %g s",
            len(self._repos),
            "y" if len(self._repos) == 1 else "ies",
            f" in {len(self.workspaces)} workspace folder(s)" if self.workspaces else "",
            self._debouncer.quiet * 1000,
            self.reconcile_every,
            extra={
                "fields": {
                    "event": "start",
                    "repositories": [str(r) for r in self.repositories],
                    "workspaces": [str(w) for w in self.workspaces],
                }
            },
        )

    def _teardown(self) -> None:
        self._stop.set()
        self._debouncer.close()
        if self._overflow is not None:
            logging.getLogger("watchdog.observers.inotify_c").removeFilter(self._overflow)
        if self._watches is not None:
            self._watches.stop()
        pending = self._debouncer.pending()
        self._engines.dispose()
        if self._start_method is not None:
            # The fork server (and the resource tracker, when the pools started it) ends with the last Watcher.
            self._start_method = None
            pools.release()
        log.info(
            "stopped%s",
            f"; {len(pending)} repositor{'y' if len(pending) == 1 else 'ies'} with unsynced changes "
            "will be reconciled at the next start"
            if pending
            else "",
            extra={"fields": {"event": "stop", "pending": sorted(pending), **self.stats.as_dict()}},
        )

    # ------------------------------------------------------------------------------------------ loop

    def _loop(self) -> None:
        clock = self._clock
        next_reconcile = clock() + self.reconcile_every
        next_discovery = clock() + self.discover_every
        while not self._stop.is_set():
            now = clock()
            self._busy = True  # before it takes any work (folders to watch, a discovery, batches): see wait_idle
            self._apply_rewatch()
            if self._discover_now or now >= next_discovery:
                self._discover_now = False
                self._discover()
                next_discovery = now + self.discover_every
            if now >= next_reconcile:
                for repo in list(self._repos.values()):
                    self._apply_watch_plan(repo)
                    self._periodic.add(repo.key)
                    self._debouncer.add(repo.key, reconcile=True, now=now)
                next_reconcile = now + self.reconcile_every
            for batch in self._debouncer.pop_due(now):
                if self._stop.is_set():
                    break
                try:
                    self._process(batch)
                except Exception:  # a bug must not end the daemon, nor lose the batch
                    log.exception("%s: unexpected error; changes kept, retrying", batch.key)
                    self.stats.failures += 1
                    self._debouncer.requeue(batch, self._clock() + self.retry_cap)
            self._busy = False
            due = self._debouncer.next_due()
            deadline = min(next_reconcile, next_discovery, due if due is not None else next_reconcile)
            self._debouncer.wait(min(max(deadline - clock(), 0.0), 1.0))

    def _process(self, batch: Batch) -> None:
        repo = self._repos.get(batch.key)
        if repo is None:
            return
        if not repo.root.is_dir():
            self._remove_repo(batch.key)
            return
        if repo.replaced():  # (before discovery saw it: these events may be the moved-away folder's)
            self._replace_repo(repo)
            return
        guard = SyncGuard(self._abort, repo)  # (the index as it is before the look at git: see SyncGuard)
        if repo.git_busy():
            # A checkout (merge, rebase, reset...) is rewriting the work tree: syncing now would record a state
            # half-way between two commits and sync again when git is done. Hold the batch until git lets go of
            # the index, however long that takes on a loaded machine (or with a slow smudge filter, like LFS).
            # The ceiling is for continuous editing: a held batch starts a new window.
            if batch.key not in self._held:
                log.debug("%s: git holds the index (a checkout, merge or reset): waiting for it", batch.key)
                self._held[batch.key] = None  # (seen again later, git does not start the wait for HEAD again)
            self._hold(batch)
            return
        if batch.key in self._held and not checkout_done(
            repo, batch, self._held, self._reconciled_refs.get(batch.key), self.ref_wait_s, self._clock()
        ):
            self._hold(batch)
            return
        if batch.reconcile and repo.relocate():  # ``git init`` in a plain folder, or its ``.git`` deleted
            self._apply_watch_plan(repo)
        if batch.reconcile and repo.settings_stale():  # a sparse checkout's configuration, changed in the index
            self._reload(repo)
            self._apply_watch_plan(repo)
        moved_unseen(repo, batch, self._indexes, self._reconciled_refs.get(batch.key))
        if self._writes.holding(batch.key, None if batch.reconcile else batch.paths):
            self._hold(batch)  # a file half-written (``writers``): synced once its writer closes it
            return
        periodic = batch.reconcile and batch.events == 1 and batch.key in self._periodic
        self._periodic.discard(batch.key)
        if repo.settings_error is not None:
            # Logged when read (``config_error``); a sync would fail on it again. The edit that fixes the
            # configuration reconfigures the repository and reconciles it.
            self._repo_health.setdefault(batch.key, Health()).parked = True
            self.stats.failures += 1
            log.debug("%s: configuration invalid; not syncing", batch.key)
            return
        parked = self._repo_health.get(batch.key)
        if parked is not None and parked.parked:  # the changes the failed batch held were dropped: sync them all
            batch.reconcile = True
            batch.other_reconciles += 1
        self._drop_synced(repo, batch)
        if not (batch.reconcile or batch.paths or batch.dirs):
            log.debug("%s: the changed files are as the last sync read them; nothing to sync", batch.key)
            return
        now = self._clock()
        try:
            engine, url = self._engine_for(repo, batch)
        except Exception as exc:  # noqa: BLE001 - a bad URL, or a database folder that cannot be created (yet)
            self.stats.failures += 1
            self._repo_failed(repo, batch, exc)
            return
        health = self._db_health[url]
        if health.down and now < health.retry_at:
            self._debouncer.requeue(batch, health.retry_at)
            return
        if not batch.reconcile and (health.down or not self._runs.holds(batch.key, engine)):
            # The database may not hold what this daemon last wrote (``runs``): back after an outage, dropped and
            # created again, a backup restored in place, or another writer synced. Syncing the changed paths alone
            # would leave the rest as the database has it now.
            log.debug("%s: the database may not hold this daemon's last sync; reconciling", batch.key)
            batch.reconcile = True
            batch.other_reconciles += 1
        paths: list[str] | None = None
        refs: str | None = None
        if batch.reconcile:
            refs = repo.ref_state()
            if batch.refs_only and refs is not None and refs == self._reconciled_refs.get(batch.key):
                # The ref events of a move the last reconcile already synced (a checkout's HEAD update, whose
                # events can come after that reconcile started on a loaded machine): nothing new to sync.
                log.debug("%s: refs as last reconciled; nothing to sync", batch.key)
                return
        else:
            expanded = set(batch.paths)
            for folder in batch.dirs:
                expanded.update(repo.spec_files_under(folder))
            if not expanded:
                return
            kept = self._kept.get(batch.key)
            if kept:
                # Every sync while files are held reads them all, not only one of them: the new broken files have
                # no row, so a run's errors are where ``status`` finds them (``repositories.projects._unrowed``),
                # and a run that left them out would say it found none.
                expanded |= kept
            paths = sorted(expanded)
        every = repo.spec_files() if paths is None else paths
        signatures = repo.signatures(every)
        guard.reading(signatures, every if paths is None else None)  # (what git must leave alone)
        repo.note_links(every, every=paths is None)
        from tracertm.engine.sync import sync

        log.debug(
            "sync started %s paths=%s events=%d", batch.key, "all" if paths is None else len(paths), batch.events
        )
        started = self._clock()
        self._in_sync = True
        try:
            # forkserver: this process has threads (observers, this loop), and a forked parse worker could inherit
            # a lock another thread held at the fork (``pools``: workers that never run the main module).
            result = sync(
                repo.root, paths=paths, trigger="watch", engine=engine, cancel=guard,
                start_method=self._start_method or "forkserver",
            )
        except Exception as exc:  # noqa: BLE001 - never crash: keep the batch and retry
            if guard.overtook(exc):  # rolled back: synced once git is done, as a batch that came due meanwhile
                log.debug("%s: git took the index while this sync read the work tree: waiting for it", batch.key)
                self._held[batch.key] = None
                self._hold(batch)
                return
            if self._abort.is_set():
                log.warning(
                    "aborted the sync in flight; its transaction was rolled back (%s)",
                    first_line(exc),
                    extra={"fields": {"event": "aborted", "repository": repo.key}},
                )
                return
            self.stats.failures += 1
            if isinstance(exc, SchemaError):  # no retry can help: stop, as the command would, in one line
                log.error("%s; stopping", first_line(exc),
                          extra={"fields": {"event": "fatal", "database": db.redact(url), "error": first_line(exc)}})
                self._error = exc
                self.stop()
                return
            # A damaged SQLite file is no outage a retry outlasts: its repositories are parked (``failures``).
            if not is_damaged(exc) and (is_unavailable(exc) or refusal(exc)):
                if refusal(exc):
                    self._engines.refresh(url)
                self._db_failed(url, health, batch, exc)
            else:
                self._repo_failed(repo, batch, exc, url)
            return
        finally:
            self._in_sync = False
        committed = self._clock()
        self._runs.note(batch.key, result.run_id)
        if refs is not None:
            self._reconciled_refs[batch.key] = refs
        if paths is None:
            self._signatures[batch.key] = signatures
        else:
            self._signatures.setdefault(batch.key, {}).update(signatures)
        kept = set(result.held) if paths is None else self._kept.get(batch.key, set()).difference(paths)
        kept.update(result.held)
        if kept:
            self._kept[batch.key] = kept
        else:
            self._kept.pop(batch.key, None)
        self._succeeded(repo, url, health, batch, result, paths, started, committed, quiet=periodic)

    def _hold(self, batch: Batch) -> None:
        """Put a batch back to look again after the quiet period. The ceiling is for continuous editing: a held
        batch starts a new window."""
        self.stats.held += 1
        self._debouncer.again_when_quiet(batch)

    def _drop_synced(self, repo: Repository, batch: Batch) -> None:
        """Forget the changed files that are still as a sync read them: events that arrived after that sync began
        (the observers run behind the loop on a loaded machine, e.g. the last files of a checkout the reconcile
        that ended it already read). Signatures are taken before a sync reads, so an equal one is safe — but for a
        file absent then: it may have been written, read by that sync and deleted again since (two absences look
        alike, where a file's stat changes with every write), and its late events are that deletion's."""
        known = self._signatures.get(batch.key)
        if not known or not batch.paths:
            return
        synced = {p for p in batch.paths
                  if p in known and known[p].stat is not None and known[p].unchanged(repo.root / p)}
        batch.paths -= synced

    def _succeeded(
        self,
        repo: Repository,
        url: str,
        health: Health,
        batch: Batch,
        result: SyncResult,
        paths: list[str] | None,
        started: float,
        committed: float,
        *,
        quiet: bool,
    ) -> None:
        self.stats.syncs += 1
        if paths is None:
            self.stats.reconciles += 1
        if health.down:
            log.info(
                "database %s is available again after %.1f s (%d failed attempt(s)); pending changes applied",
                db.redact(url),
                committed - health.since,
                health.failures,
                extra={"fields": {"event": "database_up", "database": db.redact(url), "failures": health.failures}},
            )
            self._db_health[url] = Health()
            # What the database holds now may not be what the daemon wrote before the outage (another database
            # came up, a backup restored): every repository syncing into it is reconciled, not only this one.
            for key, other in list(self._repos.items()):
                if key != repo.key and self._url_of(other)[0] == url:
                    self._debouncer.add(key, reconcile=True)
        repo_health = self._repo_health.pop(repo.key, None)
        if repo_health is not None and repo_health.down:
            log.info(
                "%s: syncing again", repo.root, extra={"fields": {"event": "repository_ok", "repository": repo.key}}
            )
        totals = {a: sum(row.get(a, 0) for row in result.counts.values()) for a in ACTIONS}
        record = SyncRecord(
            repo.key,
            result.project,
            paths is None,
            None if paths is None else len(paths),
            totals,
            batch.events,
            batch.first,
            started,
            committed,
        )
        self.history.append(record)
        change = self._findings.after_sync(repo.key, result, paths)
        # A periodic reconcile that found nothing new is no news, even with broken files (logged already).
        level = logging.DEBUG if quiet and not result.changed and not change else logging.INFO
        record.log(repo.root, result.run_id, level)
        log_change(log, repo.root, change,
                   {"repository": repo.key, "project": result.project, "root": str(repo.root)})

    def _backoff(self, failures: int) -> float:
        return float(min(self.retry_base * (2 ** max(failures - 1, 0)), self.retry_cap))

    def _db_failed(self, url: str, health: Health, batch: Batch, exc: BaseException) -> None:
        now = self._clock()
        health.failures += 1
        health.retry_at = now + self._backoff(health.failures)
        if not health.down:
            health.down, health.since, health.message = True, now, refusal(exc) or first_line(exc)
            pending = "all files" if batch.reconcile else f"{len(batch.paths | batch.dirs)} changed path(s)"
            failures.log_database_down(db.redact(url), health.message, pending, batch.key, self.retry_cap)
        else:
            log.debug("database still unavailable (%s); retry in %.1f s", first_line(exc), health.retry_at - now)
        self._debouncer.requeue(batch, health.retry_at)

    def _repo_failed(self, repo: Repository, batch: Batch, exc: BaseException, url: str | None = None) -> None:
        """A failed sync of ``repo``: put back as a fresh change when a file changed while it read (``failures.
        retried_when_quiet``), else retried with backoff, or parked when the same sync would meet it again
        (``failures.waits_for_change``): logged once, and the batch dropped instead of retried. A parked repository's
        next batch is a full reconcile. ``url``: the database the sync wrote to (a damaged file named)."""
        health = self._repo_health.setdefault(repo.key, Health())
        if failures.retried_when_quiet(repo.root, self._debouncer, batch, health, exc):
            return
        now, exc = self._clock(), failures.as_reported(exc, url)
        parked = waits_for_change(exc)
        message = first_line(exc)
        if not health.down or message != health.message:
            health.since = health.since or now
            failures.log_sync_failed(repo.root, repo.key, exc, message, parked)
        health.down, health.message = True, message
        if parked:
            health.parked = True
            self._reconciled_refs.pop(repo.key, None)  # (a refs-only batch must not find the refs synced)
            log.debug("%s: dropped %s until a change", batch.key, "a reconcile" if batch.reconcile else "changes")
            return
        health.failures += 1
        health.retry_at = now + self._backoff(health.failures)
        self._debouncer.requeue(batch, health.retry_at)

    def _url_of(self, repo: Repository) -> tuple[str, str]:
        configured = repo.settings.database_url if repo.settings is not None else None
        return db.resolve_database_url(self.database_url, configured)

    def _engine_for(self, repo: Repository, batch: Batch | None = None) -> tuple[Engine, str]:
        url, source = self._url_of(repo)
        moved = self._engines.moved(url)
        if moved is not None:
            self._database_moved(url, *moved, batch)
        engine = self._engines.get(url, source)
        self._db_health.setdefault(url, Health())
        return engine, url

    def _database_moved(self, url: str, path: Path, how: str, batch: Batch | None) -> None:
        """The SQLite file of ``url`` was deleted or replaced since the engine's connections opened it, and the
        engine let go of it (``database_file``): reconcile every repository syncing into that database, ``batch``'s
        own among them. A new, empty file makes that reconcile a first sync."""
        keys = [key for key, repo in list(self._repos.items()) if self._url_of(repo)[0] == url]
        for key in keys:
            self._reconciled_refs.pop(key, None)
            self._signatures.pop(key, None)
            self._runs.forget(key)
            if batch is None or key != batch.key:
                self._debouncer.add(key, reconcile=True)
        if batch is not None:
            batch.reconcile = True
            batch.other_reconciles += 1
        log_reopened(url, path, how, keys)

    # ------------------------------------------------------------------------------------------ events

    def _on_event(self, key: str, spec: WatchSpec, event: FileSystemEvent) -> None:
        """Observer thread: classify and record; nothing slow happens here."""
        self.stats.events_seen += 1
        if self._stop.is_set():
            return
        repo = self._repos.get(key)
        if repo is None:
            return
        paths = [os.fsdecode(event.src_path)]
        if event.event_type == "moved" and event.dest_path:
            paths.append(os.fsdecode(event.dest_path))
        change = repo.classify(spec.role, spec.anchor, event.event_type, event.is_directory, paths)
        if change.git_activity:
            self._debouncer.touch(key)
        if change.empty:
            return
        self._writes.note(key, event.event_type, event.is_directory, change.paths)
        self.stats.events_recorded += 1
        if change.rewatch:
            with self._lock:
                self._rewatch[key] = self._rewatch.get(key, False) or change.reconfigure
        self._debouncer.add(key, change.paths, dirs=change.dirs, reconcile=change.reconcile, refs=change.refs)
        if change.rewatch:
            self._debouncer.wake()

    def _on_overflow(self) -> None:
        log.warning(
            "the kernel dropped file-system events (queue overflow); reconciling every repository",
            extra={"fields": {"event": "overflow"}},
        )
        for key in list(self._repos):
            self._debouncer.add(key, reconcile=True)

    def _request_discovery(self) -> None:
        self._discover_now = True
        self._debouncer.wake()

    # ------------------------------------------------------------------------------------------ repositories

    def _discover(self) -> None:
        wanted = list(self._repo_args)
        for ws in self.workspaces:
            wanted.extend(repositories_in(ws))
        wanted_keys = {str(p) for p in wanted}
        for path in wanted:
            if str(path) not in self._repos:
                self._add_repo(path)
        for key, repo in list(self._repos.items()):
            if key not in wanted_keys or not repo.root.is_dir():
                self._remove_repo(key)
            elif repo.replaced():
                self._replace_repo(repo)

    def _replace_repo(self, repo: Repository) -> None:
        """Another folder is at ``repo``'s path (``Repository.replaced``): let go of the folder moved away (its
        edits are no change of this path) and watch and reconcile the one there now, as a new repository."""
        self._remove_repo(repo.key, "replaced by another folder")
        self._add_repo(repo.root)

    def _add_repo(self, path: Path) -> None:
        try:
            repo = Repository.open(path)
        except Cancelled:
            raise  # abort() ended its git command: stopping (``run``), no unreadable repository
        except (TracertmError, OSError) as exc:
            message = first_line(exc)
            if self._open_errors.get(str(path)) != message:
                self._open_errors[str(path)] = message
                log.warning("%s: not watched yet (%s); retrying", path, message,
                            extra={"fields": {"event": "repository_unreadable", "path": str(path), "error": message}})
            return
        self._open_errors.pop(str(path), None)
        if repo.key in self._repos:
            return
        self._repos[repo.key] = repo
        self.stats.repositories = len(self._repos)
        if repo.settings_error:
            failures.log_config_error(repo.root, repo.key, repo.settings_error)
        self._apply_watch_plan(repo)
        self._recheck_config(repo)
        if self.ready.is_set():
            log.info(
                "%s: now watched", repo.root, extra={"fields": {"event": "repository_added", "repository": repo.key}}
            )
        self._debouncer.add(repo.key, reconcile=True)

    def _remove_repo(self, key: str, reason: str = "gone") -> None:
        repo = self._repos.pop(key, None)
        self._held.pop(key, None)
        self._reconciled_refs.pop(key, None)
        self._indexes.pop(key, None)
        self._signatures.pop(key, None)
        self._kept.pop(key, None)
        self._runs.forget(key)
        self._writes.forget(key)
        self._findings.forget(key)
        if self._watches is not None:
            self._watches.release_all(key)
        self.stats.repositories = len(self._repos)
        if repo is not None:
            log.info("%s: no longer watched (%s)", repo.root, reason,
                     extra={"fields": {"event": "repository_removed", "repository": key, "reason": reason}})

    def _apply_rewatch(self) -> None:
        with self._lock:
            todo, self._rewatch = self._rewatch, {}
        for key, reconfigure in todo.items():
            repo = self._repos.get(key)
            if repo is None:
                continue
            if reconfigure:
                self._reload(repo)
            if self._apply_watch_plan(repo) and not repo.git_busy():
                # What changed in a new folder before its watch existed made no event: a reconcile after the watch
                # finds it (the one the folder's own event asked for may have run before this loop got here). Not
                # while git rewrites the work tree: its held batch syncs after the checkout, watches in place.
                self._debouncer.add(key, reconcile=True)
            if reconfigure:
                self._recheck_config(repo)

    def _reload(self, repo: Repository) -> None:
        """Read ``repo``'s configuration again, and log it invalid (or valid again)."""
        before = repo.settings_error
        try:
            repo.reload()
        except Exception as exc:  # a bug in reading one repository's file must not end every repository's
            log.exception("%s: unexpected error reading the configuration", repo.root)
            repo.settings, repo.settings_error = None, f"cannot read the configuration ({exc!r})"
        if repo.settings_error and repo.settings_error != before:
            failures.log_config_error(repo.root, repo.key, repo.settings_error)
        elif before and not repo.settings_error:
            failures.log_config_ok(repo.root, repo.key)

    def _recheck_config(self, repo: Repository) -> None:
        """After the configuration was read and the watches it asks for are in place: if a configuration file (or
        the target of a configuration link, whose folder may have been watched only now) changed since it was
        read, read it again (that change may have made no event the daemon saw)."""
        if not repo.config_unchanged():
            with self._lock:
                self._rewatch[repo.key] = True
            self._debouncer.add(repo.key, reconcile=True)
            self._debouncer.wake()

    # ------------------------------------------------------------------------------------------ watches

    def _apply_watch_plan(self, repo: Repository) -> bool:
        """Watch what ``repo``'s plan names; whether a folder is watched that was not before."""
        assert self._watches is not None
        plan = repo.watch_plan()
        added = self._watches.apply(repo.key, plan, self._on_event)
        # A folder made after the plan was read but before the root's watch existed made no event: read it again.
        again = repo.watch_plan()
        return (again != plan and self._watches.apply(repo.key, again, self._on_event)) or added

    def _watch_failed(self, path: Path, exc: OSError) -> None:
        if log_watch_error(path, exc, self._limit_logged, self.reconcile_every):
            self.stats.watch_limit_reached = True


__all__ = ["SyncRecord", "WatchStats", "Watcher"]
