"""``tracertm.sync()``: scan → parse → plan → apply for one repository, in one transaction under the project lock."""

from __future__ import annotations

import datetime as dt
import os
import threading
import traceback
import uuid
from collections.abc import Callable
from contextlib import ExitStack
from dataclasses import dataclass, field
from pathlib import Path
from typing import TYPE_CHECKING, Any

from tracertm import git
from tracertm.cancellation import watching
from tracertm.collector import collector_paused
from tracertm.config import PARSER_OPTIONS_KEY, Settings, load_settings
from tracertm.errors import Cancelled, Diagnostic, UsageError, refuse_blank, refuse_jobs, refuse_lock_timeout
from tracertm.history.settings import READ_KEY, read_digest
from tracertm.kinds import RECORD_KINDS
from tracertm.parsers.records import ParseResult
from tracertm.engine import behave
from tracertm.engine.link_sync import maintain_links
from tracertm.engine.naming import name_and_origin
from tracertm.engine.parse import Consume, Lull, Outcome
from tracertm.engine.parsed_by import ids_by_name_as_written, mark_parsed, parsed_by_older
from tracertm.engine.reading import parse_changed, reading_work_tree
from tracertm.engine.scan import Location, Snapshot, StatEntry, accepted, check_ref, scan, shown_path
from tracertm.engine.step_sync import (mark_matched, matched_by_older, parsed_step_files, refresh_step_links,
                                      step_sources)

if TYPE_CHECKING:
    from sqlalchemy.engine import Engine

    from tracertm.engine.plan import Operation, Plan
    from tracertm.fastpath import Scanned
    from tracertm.git.log import CommitInfo

KINDS = RECORD_KINDS
# A project's first sync writes its records while its files parse (``engine.eager``); False: after, as any sync.
EAGER_FIRST_SYNC = True
# A write phase with at least this many record operations indexes its rows for search once, at its end
# (``search.deferred``); a smaller one keeps the row-by-row triggers (the extra statements would cost more).
DEFER_INDEX_AT = 200  # = search.deferred.DEFER_INDEX_AT, not imported here: the hook path stays light
ACTIONS = ("created", "updated", "deleted", "restored", "moved", "unchanged", "errors")


@dataclass
class SyncResult:
    """What one sync did (or, with ``dry_run``, would do)."""

    project: str
    root: Path
    source: str
    commit: str | None
    dry_run: bool
    counts: dict[str, dict[str, int]]
    errors: list[Diagnostic] = field(default_factory=list)
    warnings: list[Diagnostic] = field(default_factory=list)
    operations: list[Operation] = field(default_factory=list)
    files_scanned: int = 0
    files_parsed: int = 0
    run_id: uuid.UUID | None = None
    # Dangling links this run created or left behind (every one of the project's on a full rebuild).
    links: list[Diagnostic] = field(default_factory=list)
    # A sync of some paths: every file whose findings ``errors``/``warnings`` report in full — the paths given, and
    # the files read with them (the other claimants of an id one of them held, which may take it over: their
    # errors can be gone though their bytes did not change). None for a sync of every file.
    covered: list[str] | None = None
    # Files whose rows this sync left as they were while a new file of their kind does not parse (``Plan.held``): a
    # later sync of some paths that names one of them must name them all (the watcher's: ``Watcher._kept``).
    held: list[str] = field(default_factory=list)
    # (action, path) of each file whose stored findings (what ``status`` lists) this sync sets, clears or changes
    # (``FileOp.findings_change``): drift too, though no record changes (a broken file put back as it was).
    findings: list[tuple[str, str]] = field(default_factory=list)

    @property
    def changed(self) -> bool:
        """Whether the database differs (or, in a dry run, would differ) from the source."""
        return bool(self.findings) or any(op.action != "refresh" for op in self.operations)

    def as_dict(self) -> dict[str, Any]:
        return {
            "project": self.project,
            "root": str(self.root),
            "source": self.source,
            "commit": self.commit,
            "dry_run": self.dry_run,
            "counts": self.counts,
            "files": {"scanned": self.files_scanned, "parsed": self.files_parsed,
                      "findings": [{"action": action, "path": path} for action, path in self.findings]},
            "errors": [d.as_dict() for d in self.errors],
            "warnings": [d.as_dict() for d in self.warnings],
            "operations": [op.as_dict() for op in self.operations if op.action != "refresh"],
            "run_id": str(self.run_id) if self.run_id else None,
            "links": [d.as_dict() for d in self.links],
        }


def _source(ref: str | None, staged: bool) -> str:
    """The kind of snapshot a repository's scan of ``ref`` / ``staged`` gives."""
    return "commit" if ref else "index" if staged else "worktree"


def _trigger(trigger: str | None) -> str:
    if trigger:
        return trigger
    return "ci" if os.environ.get("CI") else "cli"


def _settings(location: Location, staged: bool) -> Settings:
    """The configuration of a sync: the work tree's, but for ``staged`` (the index: ``staged_sync_settings``)."""
    if staged and location.top is not None:
        from tracertm.staged_config import staged_sync_settings

        return staged_sync_settings(location)
    return load_settings(location.root)


def sync(
    path: str | os.PathLike[str] | None = None,
    *,
    ref: str | None = None,
    staged: bool = False,
    project: str | None = None,
    database_url: str | None = None,
    dry_run: bool = False,
    full: bool = False,
    paths: list[str] | None = None,
    trigger: str | None = None,
    jobs: int | None = None,
    engine: Engine | None = None,
    lock_timeout: float | None = None,
    cancel: threading.Event | None = None,
    start_method: str | None = None,
    on_commit: Callable[[], object] | None = None,
    scanned: Scanned | None = None,
) -> SyncResult:
    """Bring the database in line with the spec files of the repository at ``path``.

    ``ref`` syncs a commit (read from git objects), ``staged`` the index, default the work tree. ``paths`` limits
    the sync to those repository-relative paths (the watcher uses this). ``full`` re-parses every file instead of
    trusting blob ids. Returns a ``SyncResult``; spec errors are in ``result.errors`` (their files keep their
    previous records), never raised. Without ``engine``, the engine made for this call is disposed before it returns
    (no pooled connection stays open); a caller's ``engine`` is left open.

    Scanning and parsing happen before the project's write lock is taken; under the lock the file index is read
    again and only what another writer changed meanwhile is parsed. A project's first sync (no file known yet; not
    a ``ref``) parses under the lock instead and writes its records while they parse (``engine.eager``). The wait
    for the lock is bounded by ``lock_timeout`` seconds (default: the ``lock_timeout`` setting, 60 s) and ends in
    ``LockTimeoutError`` naming the other writer. A project whose recorded repository is not this one, or whose
    recorded folder of it is another one that still holds a file, raises ``ProjectMismatchError``.

    ``cancel``: an event another thread may set (and interrupt the database call, as the watch daemon does) to
    stop the run at the next safe point (also inside the parse: ``tracertm.cancellation``); it raises ``Cancelled``
    and nothing is written. ``start_method``: the parse pool's multiprocessing start method (see ``parse_files``).
    ``on_commit``: called the moment the write phase's transaction has committed, with Ctrl-C and SIGTERM held back
    from the COMMIT to its return (the CLI: a SIGTERM from then on no longer says "nothing was written" of a run the
    database holds).
    ``scanned``: the scan of the same ``path``, ``ref`` and ``staged`` that ``fastpath.attempt`` made before it gave
    up (``Miss.scanned``), used instead of scanning again (not with ``paths``).
    """
    if ref and staged:
        raise UsageError("--ref and --staged exclude each other; pick one source")
    check_ref(ref)
    refuse_blank(project=project, database_url=database_url)
    refuse_jobs(jobs)
    refuse_lock_timeout(lock_timeout)
    if trigger is not None:
        from tracertm.models.sync import TRIGGER_VALUES

        if trigger not in TRIGGER_VALUES:  # (the run's column takes these only)
            raise UsageError(f"trigger={trigger!r}: use one of {', '.join(TRIGGER_VALUES)}, or None (cli, or ci "
                             "where $CI is set)")
    from tracertm import db
    from tracertm.engine.identity import RepoIdentity, followed, spec_root_of

    if scanned is not None and (paths is not None or scanned.snapshot.source != _source(ref, staged)):
        raise AssertionError(f"a {scanned.snapshot.source} scan for a sync of {paths=} {ref=} {staged=}")
    if scanned is not None:
        location, settings, origin = scanned.location, scanned.settings, scanned.origin
    else:
        location = Location.find(path)
        settings = _settings(location, staged)
        origin = git.origin_url(location.top) if location.top is not None else None
    timeout = settings.lock_timeout if lock_timeout is None else lock_timeout
    name, from_remote = name_and_origin(location, settings, project, origin)
    identity = RepoIdentity(
        location.top, origin, from_remote,
        folder=location.root.name if not project and not settings.project and location.top == location.root else None,
        spec_root=spec_root_of(location.root, location.top), ref=ref, staged=staged,
    )
    own_engine = engine is None
    database: Engine | None = engine
    if dry_run:
        # A dry run writes nothing: it neither creates the database (file, folder) nor migrates it. With no
        # tracertm schema there yet it plans against an empty state (everything would be created); an older schema
        # is refused (see ``db.open_for_dry_run``).
        if engine is None:
            database = db.open_for_dry_run(database_url, settings.database_url)
        elif not db.dry_run_schema(engine):
            database = None
    elif engine is None:
        database = db.open_engine(database_url, settings.database_url, timeout=timeout)
    else:
        db.ensure_schema(engine, timeout)
    try:
        note = None
        if database is not None and not (project or settings.project or from_remote):
            name, note = followed(database, name, identity)
        job = _Job(
            database, location, settings, name, identity, ref, staged, paths, full, jobs, _trigger(trigger),
            timeout, cancel, start_method, on_commit, scanned.snapshot if scanned is not None else None,
        )
        with watching(cancel):  # (and the parse's own safe points, between files, lines and records, look at it)
            result = job.dry_run() if dry_run else job.run()
        result.warnings[:0] = [Diagnostic("", 0, 0, note, "warning")] if note is not None else []
        return result
    finally:
        if own_engine and database is not None:
            database.dispose()


@dataclass
class _Job:
    """One sync: the read phase (scan, parse; no lock), registration of the run, and the write phase (under the
    project's write lock: re-read the file index, parse what changed meanwhile, plan, apply)."""

    database: Engine | None  # None: a dry run with no tracertm schema to read yet (``dry_run`` plans from nothing)
    location: Location
    settings: Settings
    name: str
    identity: Any
    ref: str | None
    staged: bool
    paths: list[str] | None
    full: bool
    jobs: int | None
    trigger: str
    timeout: float
    cancel: threading.Event | None = None
    start_method: str | None = None
    on_commit: Callable[[], object] | None = None  # (``sync``'s)
    scanned: Snapshot | None = None  # the fast path's scan (``sync``'s ``scanned``), taken by the first ``_scan``
    # The parser options differ from those the project's files were last parsed with (``_options_changed``), or the
    # records were made by another version of the parsers (``engine.parsed_by``: an upgrade, whose unchanged records
    # are refreshed in place): every file is parsed again and every link rebuilt, as with ``full``.
    options_changed: bool = False
    parser_changed: bool = False

    @property
    def engine(self) -> Engine:
        """The database of a real run (every run but a dry run against no schema has one)."""
        if self.database is None:
            raise AssertionError("only a dry run goes without a database")
        return self.database

    @property
    def rebuild(self) -> bool:
        """Whether this run re-parses every file: ``--full``, or the parser options or parsers changed since."""
        return self.full or self.options_changed or self.parser_changed

    def _checkpoint(self) -> None:
        """A safe point to stop at: nothing of this run is written yet."""
        if self.cancel is not None and self.cancel.is_set():
            raise Cancelled("sync cancelled; nothing was written")

    def dry_run(self) -> SyncResult:
        from contextlib import nullcontext

        from tracertm import db
        from tracertm.engine import identity, state

        # No database (no tracertm schema yet): no project, no file known, so every record would be created.
        with db.session(self.database) if self.database is not None else nullcontext() as session:
            project = None if session is None else identity.resolve(session, self.name, self.identity, write=False)
            db_files = state.load_files(session, project.id) if session is not None and project is not None else {}
            self.options_changed = _options_changed(project, self.settings)
            self.parser_changed = parsed_by_older(project, db_files)
            snapshot = self._scan(db_files)
            try:
                # A dry run writes no step links: its feature parse matches no steps (tracertm.steps.prematch).
                parsed = self._parse_changed(snapshot, db_files, {}, match_steps=False)
            finally:
                snapshot.close()
            result = self._plan(session, project, snapshot, db_files, parsed, dry_run=True)[0]
            if project is not None:  # (found under a former name: the project the real sync names, ``_write``)
                result.project = identity.name_after_sync(project, self.name, self.identity)
            return result

    def run(self) -> SyncResult:
        return self.write(self.read())

    def read(self) -> tuple[Snapshot, dict[str, Outcome] | None]:
        """The read phase, with no lock: scan, and parse what differs from the database now. Another writer may
        commit before ``write``; the write phase catches up with it.

        A project's first sync (no file known yet; a work tree, folder or index) does not parse here (``None``):
        its write phase parses under the lock and writes the records while they parse (``engine.eager``)."""
        from tracertm import db
        from tracertm.engine import identity, state

        with db.session(self.engine) as session:
            project = identity.resolve(session, self.name, self.identity, write=False)
            seen = state.load_files(session, project.id) if project is not None else {}
            self.options_changed = _options_changed(project, self.settings)
            self.parser_changed = parsed_by_older(project, seen)
        snapshot = self._scan(seen)
        if not seen and snapshot.source != "commit" and EAGER_FIRST_SYNC:
            return snapshot, None
        try:
            self._checkpoint()
            parsed = self._parse_changed(snapshot, seen, {})
            self._checkpoint()
        except BaseException:
            snapshot.close()
            raise
        return snapshot, parsed

    def write(self, prepared: tuple[Snapshot, dict[str, Outcome] | None]) -> SyncResult:
        """Register the run, then the write phase under the lock (see ``_write``)."""
        snapshot, parsed = prepared
        try:
            run_id, started = self._register()
            try:
                return self._write(snapshot, parsed, run_id, started)
            except BaseException as exc:
                # The frames of a write cut short (Ctrl-C, SIGTERM) may still hold its statement: SQLite's connection,
                # closed by the rollback, stays open until the statement goes — holding the write lock, so the
                # run could not be marked failed and stayed ``running``. The locals go first; the traceback stays.
                traceback.clear_frames(exc.__traceback__)
                _mark_failed(self.engine, run_id)
                raise
        finally:
            snapshot.close()

    # ------------------------------------------------------------------------------------------ phases

    def _scan(self, db_files: dict[str, Any]) -> Snapshot:
        from tracertm.engine.plan import claimants

        if self.scanned is not None:  # (a repository's scan: ``known``, a folder's stat cache, plays no part)
            snapshot, self.scanned = self.scanned, None
            return snapshot
        known = {p: StatEntry(r.blob_sha, r.size, r.mtime_ns) for p, r in db_files.items() if not r.deleted}
        wanted = self.paths
        if wanted is not None:
            # A full sync reads every file that lost an identity again (``must_reparse``); a sync of some paths reads
            # those that lost it to one of them: when the winner is gone, renamed or renumbered, the other claimant
            # takes the identity over in this sync, as a full sync would have it — never a delete.
            wanted = [*wanted, *sorted(claimants(db_files, wanted))]
        paths = behave.scope(self.location, self.settings, self.ref, self.staged, wanted)
        return scan(self.location, self.settings, ref=self.ref, staged=self.staged, paths=paths, known=known)

    def _changed(self, snapshot: Snapshot, db_files: dict[str, Any]) -> list[str]:
        from tracertm.engine.plan import must_reparse

        changed = sorted(
            p
            for p, f in snapshot.files.items()
            if f.error is None
            and (
                self.rebuild
                or p not in db_files
                or db_files[p].deleted
                or db_files[p].blob_sha != f.blob_sha
                or must_reparse(db_files[p])  # lost an identity: may take it over now
            )
        )
        with reading_work_tree(snapshot.root):  # (reads the step modules that may set behave's default matcher)
            return behave.with_modules(snapshot, db_files, changed)

    def _parse_changed(
        self, snapshot: Snapshot, db_files: dict[str, Any], done: dict[str, Outcome],
        consume: Consume | None = None, match_steps: bool = True, lull: Lull | None = None,
    ) -> dict[str, Outcome]:
        """Outcomes of every file that differs from ``db_files``, parsing only those not in ``done`` already (a
        parse depends on the file's bytes alone, so an outcome stays valid whoever wrote in between). ``consume``:
        called with each outcome as it arrives (default: ``apply.prepare_outcome``); ``match_steps``: whether the
        feature parse may match steps in its workers (see ``_parse``)."""
        changed = self._changed(snapshot, db_files)
        todo = [p for p in changed if p not in done]
        fresh = parse_changed(snapshot, todo, self.settings, self.jobs, self.start_method, consume,
                              match_steps=match_steps, lull=lull)
        return {p: done[p] if p in done else fresh[p] for p in changed}

    def _register(self) -> tuple[uuid.UUID, dt.datetime]:
        """Create the project if needed and commit this run's ``sync_runs`` row (status ``running``) before the
        write phase: a writer that has to wait for us can then name us. A short transaction under the lock."""
        from tracertm import db
        from tracertm.engine import identity
        from tracertm.models import SyncRun

        from tracertm.models.types import database_now

        run_id = uuid.uuid4()
        with db.write_session(self.engine, self.name, self.timeout, cancel=self.cancel,
                              identity=self.identity) as session:
            project = identity.resolve(session, self.name, self.identity, write=True)
            assert project is not None
            started = database_now(session)  # the database's clock, as every run's: runners' clocks differ
            session.add(
                SyncRun(
                    id=run_id,
                    project_id=project.id,
                    trigger=self.trigger,
                    ref=self.ref or ("INDEX" if self.staged else None),
                    started_at=started,
                    status="running",
                )
            )
        return run_id, started

    def _write(
        self, snapshot: Snapshot, parsed: dict[str, Outcome] | None, run_id: uuid.UUID, started: dt.datetime
    ) -> SyncResult:
        """The write phase, under the project's write lock. ``parsed`` None: a first sync that has parsed nothing
        yet; when the project is still empty under the lock, its records are written while the files parse
        (``engine.eager``), and kept when the plan agrees."""
        from tracertm import db
        from tracertm.engine import identity, state
        from tracertm.engine.apply import Provenance, apply, apply_files
        from tracertm.models import SyncRun
        from tracertm.models.types import database_now
        from tracertm.search.deferred import deferred_index

        with db.write_session(self.engine, self.name, self.timeout, run_id, self.cancel, bulk=True,
                              identity=self.identity, on_commit=self.on_commit) as session:
            _idle_allowed(session)
            project = identity.resolve(session, self.name, self.identity, write=True)
            assert project is not None
            _close_abandoned_runs(session, project.id, run_id, started)
            db_files = state.load_files(session, project.id)
            # Under the lock: another writer may have synced with the new options meanwhile (the outcomes parsed
            # before stay valid: they were parsed with this run's options).
            self.options_changed = _options_changed(project, self.settings)
            self.parser_changed = parsed_by_older(project, db_files)
            # The full-text index of a large write is brought up to date once, set-based, at its end (SQLite).
            with ExitStack() as indexing:
                # The cyclic collector stays off for the whole phase, plan and the eager rows' end included (the
                # blocks paused below nest in this one): the parsed records and the plan are hundreds of thousands
                # of live objects, and each collection between the parse and the writes re-scanned them all (a
                # first sync of 6,000 files spent about 1 s of CPU in it, half in full collections in ``finish``).
                indexing.enter_context(collector_paused())
                eager = None
                if parsed is None and not db_files and state.is_empty(session, project.id):
                    from tracertm.engine.eager import EagerWriter

                    index = indexing.enter_context(deferred_index(session.connection()))
                    eager = EagerWriter(session.connection(), project.id, run_id, self.settings.parser, self.cancel,
                                        index)
                    with collector_paused():
                        parsed = self._parse_changed(snapshot, db_files, {}, consume=eager.consume,
                                                     lull=eager.lull)
                else:
                    parsed = self._parse_changed(snapshot, db_files, parsed or {})
                self._checkpoint()
                result, the_plan, counts = self._plan(
                    session, project, snapshot, db_files, parsed, dry_run=False, empty=eager is not None
                )
                # Before any ORM change of this phase (the run row below): rolling back the eager rows must not
                # undo it.
                written = eager.finish(the_plan) if eager is not None else None
                commit_info = (
                    git.commit_info(self.location.top, snapshot.commit, _revised_paths(the_plan),
                                    self.location.prefix)
                    if self.location.top and snapshot.source == "commit" and snapshot.commit
                    else None
                )
                if commit_info is not None and commit_info.unknown_authors:
                    result.warnings.append(_unknown_authors(commit_info, self.location.top))
                run = session.get(SyncRun, run_id)
                assert run is not None
                run.commit_sha = snapshot.commit
                if snapshot.source == "worktree" and _revised_paths(the_plan):
                    # The revisions of a work tree whose synced files are exactly HEAD's are HEAD's state: the run
                    # records HEAD, and ``show --at`` (``history.at``) dates those revisions by it.
                    run.commit_sha = _clean_head(snapshot, self.settings)
                if run.commit_sha and self.location.top:  # a commit, or the index's or work tree's HEAD: its date
                    dated = commit_info or git.commit_info(self.location.top, run.commit_sha)
                    run.committed_at = dated.committed_at
                # Links never computed for this project (a first sync, or after a backfill), or step matches made by
                # an older step matcher (an upgrade): match every scenario once.
                rematch = self.rebuild or "step_parameter_types" not in (project.metadata_ or {}) \
                    or matched_by_older(project)
                removed = {
                    p for p, r in db_files.items()
                    if not r.deleted and p not in snapshot.files and snapshot.in_scope(p)
                }
                with reading_work_tree(snapshot.root):  # every step file, changed or not, is read from disk
                    step_bytes = step_sources(
                        snapshot, db_files, list(parsed), removed, rematch, self.settings,
                        self.ref, self.staged, parsed_step_files(parsed),
                    )
                    # The step libraries behave modules import from outside step_paths (``steps``' and check's hint).
                    result.warnings += behave.library_warnings(snapshot, self.settings, step_bytes, parsed, self.ref,
                                                               self.staged)
                if eager is None and _writes(the_plan) >= DEFER_INDEX_AT:
                    indexing.enter_context(deferred_index(session.connection()))
                with collector_paused():
                    if written is None:
                        ids = apply(session, project.id, the_plan, run.id, Provenance(commit_info))
                    else:
                        ids = written
                        apply_files(session, project.id, the_plan, Provenance(commit_info))
                    result.links = maintain_links(
                        session, project, the_plan, ids, self.settings, full=self.rebuild, known=bool(db_files),
                        written=eager.findings if eager is not None and written is not None else None,
                        parsed=parsed, snapshot=snapshot, db_files=db_files,
                    )
                    if step_bytes is not None:
                        result.warnings += refresh_step_links(
                            session, project.id, the_plan, parsed, removed, step_bytes, self.settings,
                            rematch, eager.steps if eager is not None and written is not None else None,
                        )
                        if rematch:
                            mark_matched(project)
            if self.paths is None or not self.options_changed:
                # (A sync of some paths, the watcher's, re-parsed only those: the next full sync re-parses the rest.)
                _record_options(project, self.settings)
            if self.paths is None or not self.parser_changed:  # (the same: the next full sync parses the rest)
                mark_parsed(project)
            run.finished_at = database_now(session)
            run.status = "errors" if the_plan.errors else "ok"
            # What this run read and with which settings (``history.synced``: a backfill stands on the rows of a
            # run only if it read a whole commit as the backfill would; the work tree's configuration may differ).
            # Not on a run that changed nothing: that one is the run ``tracertm.fastpath`` records for a no-op.
            changed = bool(the_plan.operations or the_plan.files or the_plan.errors or self.rebuild)
            run.counts = {**counts, READ_KEY: read_digest(self.settings, snapshot.source, self.paths)} if changed \
                else counts
            run.errors = [d.as_dict() for d in the_plan.errors]
            if snapshot.source == "commit":
                project.last_synced_commit = snapshot.commit
            elif snapshot.source == "worktree" and self.paths is None:
                # HEAD as the run names it when the synced files are exactly HEAD's (``_clean_head``), not read again
                top = self.location.top
                project.last_synced_commit = run.commit_sha or (git.head_commit(top) if top is not None else None)
            project.last_synced_at = run.finished_at
            result.run_id = run.id
            result.project = project.name  # a clone under a former name writes to (and reports) the renamed one
            return result

    def _plan(
        self,
        session: Any,
        project: Any,
        snapshot: Snapshot,
        db_files: dict[str, Any],
        parsed: dict[str, Outcome],
        *,
        dry_run: bool,
        empty: bool = False,
    ) -> tuple[SyncResult, Plan, dict[str, dict[str, int]]]:
        """Plan the sync. ``empty``: the project was found to hold no file and no record under this transaction's
        lock, so nothing is read back (the eager writer's rows, if any, are not the project's state yet)."""
        from tracertm.engine import derived_dates, state
        from tracertm.engine.moves import pair_moves, renumbered, snapshot_moves
        from tracertm.engine.plan import plan
        from tracertm.engine.replaced import replaced_warnings

        changed_blobs = frozenset(
            p
            for p in parsed
            if p not in db_files or db_files[p].blob_sha != snapshot.files[p].blob_sha or db_files[p].deleted
        )
        numbers: dict[str, set[str]] = {}
        if not empty:  # (a project with no record yet: nothing to read back by number)
            for outcome in parsed.values():
                if isinstance(outcome, ParseResult):
                    numbers.setdefault(outcome.kind, set()).update(r.number for r in outcome.records)
        removed = {
            p for p, r in db_files.items() if not r.deleted and p not in snapshot.files and snapshot.in_scope(p)
        }
        touched = {p for p, o in parsed.items() if isinstance(o, ParseResult)} | removed
        live_before: dict[str, int]
        elsewhere: dict[tuple[str, str], str | None] = {}  # records of other kinds with a parsed id (plan's)
        occupied: set[str] = set()  # (plan's)
        if empty:
            current, scenarios, live_before = {}, {}, dict.fromkeys(KINDS, 0)
        elif project is not None and (numbers or touched):
            current = state.load_current(session, project.id, numbers, touched)
            elsewhere = state.load_shared(session, project.id, numbers)
            # Files of deleted records not read this run: whether each still holds a live record (plan)
            unread = {c.source_path for c in current.values()
                      if c.deleted and c.source_path is not None and c.source_path not in touched}
            occupied = {c.source_path for c in state.load_current(session, project.id, {}, unread).values()
                        if not c.deleted and c.source_path is not None} if unread else set()
            feature_ids = [c.id for (kind, _), c in current.items() if kind == "feature"]
            scenarios = state.load_scenarios(session, feature_ids)
            live_before = state.count_live(session, project.id)
        else:
            current, scenarios = {}, {}
            live_before = state.count_live(session, project.id) if project is not None else dict.fromkeys(KINDS, 0)
        moves = snapshot_moves(snapshot, db_files, parsed, current)
        current = renumbered(current, pair_moves(moves, parsed, current))
        with collector_paused():
            the_plan = derived_dates.from_history(project, snapshot, plan(snapshot.files, snapshot.in_scope, db_files,
                parsed, current, scenarios, changed_blobs, elsewhere, occupied, restyle=self.parser_changed,
                earlier_ids=self.parser_changed and ids_by_name_as_written(project)))
        counts = _counts(the_plan, live_before, {p: f.kind for p, f in snapshot.files.items()})
        # A record whose id written in its file changed is a new record: say what the old one keeps (its suspect
        # links, test results, approval), which nothing else shows once it is deleted.
        replaced = replaced_warnings(session, project.id, the_plan) if project is not None and not empty else []
        result = SyncResult(
            project=self.name,
            root=self.location.root,
            source=snapshot.source,
            commit=snapshot.commit,
            dry_run=dry_run,
            counts=counts,
            errors=the_plan.errors,
            # A configured glob that matched nothing, an unusable .adr-dir, a spec folder that is a symbolic link:
            # each worth a word (only a full scan can tell).
            warnings=(self.settings.warnings(snapshot.files) + snapshot.linked if self.paths is None else [])
            + the_plan.warnings + replaced,
            operations=the_plan.operations,
            files_scanned=len(snapshot.files),
            files_parsed=len(parsed),
            # (The plan reports every finding of each scanned file, read this run or stored; a removed file has none.)
            covered=None if self.paths is None else sorted({*self.paths, *snapshot.files, *removed}),
            held=sorted(the_plan.held),
            findings=_findings(session if project is not None and not empty else None, project, db_files, the_plan),
        )
        return result, the_plan, counts


def _options_changed(project: Any, settings: Settings) -> bool:
    """Whether ``settings.parser`` differs from the options the project's files were last parsed with (their
    digest, kept in the project's metadata by ``_record_options``): a date format, an id or requirement pattern,
    the size limit or the feature folders change what the same bytes parse to, so every file is parsed again. A
    project that never recorded one (a first sync, a backfill, a database older than the digest) was parsed with
    these options as far as anyone knows: nothing to redo."""
    if project is None:
        return False
    stored = (project.metadata_ or {}).get(PARSER_OPTIONS_KEY)
    return stored is not None and stored != settings.parser_digest


def _record_options(project: Any, settings: Settings) -> None:
    """Keep the digest of the parser options this run parsed with (read by ``_options_changed`` and by the no-op
    fast path, which must not answer "nothing changed" when they changed)."""
    metadata = dict(project.metadata_ or {})
    if metadata.get(PARSER_OPTIONS_KEY) != settings.parser_digest:
        metadata[PARSER_OPTIONS_KEY] = settings.parser_digest
        project.metadata_ = metadata


def _writes(the_plan: Plan) -> int:
    """Record operations of ``the_plan`` that write a row."""
    return len(the_plan.operations)


def _clean_head(snapshot: Snapshot, settings: Settings) -> str | None:
    """HEAD, when the spec files of a work-tree ``snapshot`` (within its scope) are exactly HEAD's: none differs
    from git's index (the scan knows which do) and the index holds HEAD's blobs for them (one ``git diff-index
    --cached``, answered from the index's cache tree); else None. Costs what changed, not the tree's size."""
    top = snapshot.location.top
    if top is None or snapshot.dirty is None or snapshot.dirty:
        return None
    head = git.head_commit(top)
    if head is None or any(f.error is not None for f in snapshot.files.values()):
        return None
    prefix = snapshot.location.prefix
    staged = git.index_changes(top, head, tuple(prefix + p for p in settings.prefixes))
    if any(accepted(p[len(prefix):], settings, snapshot.scope) for p in staged if p.startswith(prefix)):
        return None
    return head


def _revised_paths(the_plan: Any) -> list[str]:
    """The files this plan writes revisions for: a merge commit names the merged side's author of each."""
    from tracertm.engine.plan import REVISION_ACTIONS

    return sorted({op.path for op in the_plan.operations if op.action in REVISION_ACTIONS and op.path})


def _unknown_authors(info: CommitInfo, top: Path | None) -> Diagnostic:
    """The warning of a merge whose merged side a shallow clone cut off: who wrote the files it brought in cannot
    be read, and their revisions name no author rather than whoever merged (README "Dates and people")."""
    paths = info.unknown_authors
    boundary = ", ".join(sorted(c[:12] for c in git.shallow_boundary(top))) if top is not None else ""
    named = paths[0] if len(paths) == 1 else f"{paths[0]} and {len(paths) - 1} more file(s)"
    return Diagnostic("", 0, 0, (
        f"{info.sha[:12]} is a merge whose merged side this shallow clone cut off (its history stops at {boundary}): "
        f"who wrote {named} in it is unknown, so their revisions name no author (the committer is the merge's); "
        "fetch that history before syncing ('git fetch --deepen=N', or actions/checkout's fetch-depth: 0)"),
        "warning")


def _close_abandoned_runs(session: Any, project_id: uuid.UUID, run_id: uuid.UUID, started: dt.datetime) -> None:
    """Runs of this project registered before ours and still ``running`` while we hold the lock were killed
    (SIGKILL, power loss) before they could say so: mark them ``failed``. (A run that registered earlier but is
    still parsing would only be mislabelled until its own write sets its final status.)"""
    from sqlalchemy import update

    from tracertm.models import SyncRun
    from tracertm.models.types import clock

    session.execute(
        update(SyncRun)
        .where(
            SyncRun.project_id == project_id,
            SyncRun.status == "running",
            SyncRun.id != run_id,
            SyncRun.started_at < started,
        )
        .values(status="failed", finished_at=clock())
        .execution_options(synchronize_session=False)
    )


def _mark_failed(engine: Engine, run_id: uuid.UUID) -> None:
    """Best effort: the write phase failed or was interrupted; its registered run says so (not ``running``)."""
    from sqlalchemy import update

    from tracertm.models import SyncRun
    from tracertm.models.types import clock

    try:  # a short wait: the run is ending, possibly because another writer holds the lock
        with engine.execution_options(tracertm_write=True, tracertm_busy_ms=2000).begin() as conn:
            conn.execute(
                update(SyncRun)
                .where(SyncRun.id == run_id, SyncRun.status == "running")
                .values(status="failed", finished_at=clock())
            )
    except Exception:  # noqa: BLE001 - the original error is the one to report
        pass


def _idle_allowed(session: Any) -> None:
    """PostgreSQL: no ``idle_in_transaction_session_timeout`` for this write phase's transaction. It waits, idle,
    while files parse under the lock (every file of a first sync, written as they parse: ``engine.eager``; what
    differs from what another writer stored meanwhile, a first sync's every file when that writer synced it first)
    and while the plan is made; a role's timeout shorter than that ended the session and failed the sync. ``SET
    LOCAL``: any role may, for this transaction only; before any savepoint (the eager writer's), whose rollback
    would undo it."""
    conn = session.connection()
    if conn.dialect.name == "postgresql":
        conn.exec_driver_sql("SET LOCAL idle_in_transaction_session_timeout = 0")


def _counts(the_plan: Plan, live_before: dict[str, int], kinds: dict[str, str]) -> dict[str, dict[str, int]]:
    planned = the_plan.counts()
    counts: dict[str, dict[str, int]] = {}
    for kind in KINDS:
        row = {action: planned.get(kind, {}).get(action, 0) for action in ACTIONS}
        row["unchanged"] = live_before.get(kind, 0) - row["updated"] - row["moved"] - row["deleted"]
        counts[kind] = row
    shown = {shown_path(p): kind for p, kind in kinds.items() if not p.isascii()}  # (errors name them escaped)
    for path in {diag.path for diag in the_plan.errors}:
        counts[kinds.get(path) or shown.get(path, "adr")]["errors"] += 1
    return counts


def _findings(session: Any, project: Any, db_files: dict[str, Any], the_plan: Plan) -> list[tuple[str, str]]:
    """(action, path) of each file whose findings ``status`` lists the plan sets, clears or changes, by path: those
    stored on its row (``FileOp.findings_change``), and those of a file with no row (a new file held while it does
    not parse, a name that is not UTF-8), which ``status`` takes from the newest finished run's errors
    (``held_findings``): after this run, from this plan's."""
    out = {op.path: change for op in the_plan.files if (change := op.findings_change) is not None}
    if session is not None:  # (else no project yet, or none of its rows: no run to list a file in error)
        _held_findings(session, project, db_files, the_plan, out)
    return [(change, path) for path, change in sorted(out.items(), key=lambda item: item[0])]


def _held_findings(session: Any, project: Any, db_files: dict[str, Any], the_plan: Plan, out: dict[str, str]) -> None:
    """``_findings`` of the files with no row, into ``out`` (path → action)."""
    from tracertm.engine.plan import file_findings
    from tracertm.repositories.projects import held_findings, unrowed_errors

    rowed = {p for p, row in db_files.items() if not row.deleted and row.parse_error is not None}
    before = held_findings(session, project.id, rowed)
    ops = {op.path: op for op in the_plan.files}
    rowed_after = (rowed - ops.keys()) | {p for p, op in ops.items() if op.scanned and op.parse_error is not None}
    after = dict(unrowed_errors([d.as_dict() for d in the_plan.errors], rowed_after))
    for path in before.keys() | after.keys():
        op = ops.get(path)  # (a held file that parses now gets its row: its findings are the row's)
        now = after.get(path) or (op.parse_error if op is not None and op.scanned is not None else None)
        was, will = file_findings(path, before.get(path)), file_findings(path, now)
        change = None if was == will else "set" if not was else "cleared" if not will else "changed"
        if change is None:
            out.pop(path, None)
        else:
            out[path] = change


__all__ = ["sync", "SyncResult"]
