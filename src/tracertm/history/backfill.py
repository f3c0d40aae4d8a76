"""``tracertm.backfill()``: replay the first-parent history of a ref into the database, one revision per change.

The promise: a backfill of REF ends in the state that syncing each first-parent commit of REF in order would give
(``sync --ref`` of every commit, oldest first, each with that commit's configuration) — a file that parsed in the
past and is broken at REF keeps its last good records, as in sync — with one revision per change carrying its
commit's sha, author and date (tests/history/test_backfill_promise.py checks it on scripted and random histories).
Records deleted along the way are soft-deleted at the author date of the deleting commit. One addition: an ADR
without a date in its file gets the date of the commit that created it (its content hash is unchanged, so never a
version; none when git cannot give that commit's date).

The rooms of ``tracertm.history``:

- ``git.history`` streams the commits that touch the spec folders from one ``git log`` process;
  ``history.tree`` keeps the spec tree as the commits advance, with the configuration of each commit
  (``history.settings``);
- ``history.replay`` plans each commit with the ordinary ``plan`` against ``history.state`` (an in-memory view
  of the database, kept in step with what is written), parsing through the shared ``ParsePool`` and pairing
  renamed files whose records are named after them (``engine.moves``);
- ``history.writer`` writes the plans of ``batch_size`` commits in one transaction under the project lock,
  with one ``sync_runs`` row (trigger ``backfill``) and the checkpoint (``history.checkpoint``);
- ``history.merge`` merges the history into a project that was synced before;
- ``history.at`` answers "as of a commit" from the revisions.

This module decides which of these a run needs (full, resumed, merged, up to date) and drives them.
"""

from __future__ import annotations

import datetime as dt
import os
import time
from collections.abc import Iterator
from contextlib import contextmanager
from typing import TYPE_CHECKING, Any

from tracertm import git
from tracertm.config import Settings, load_settings
from tracertm.engine.parse import ParsePool, default_jobs
from tracertm.engine.plan import REVISION_ACTIONS
from tracertm.engine.scan import Location, check_ref, name_error
from tracertm.errors import Diagnostic, GitError, UsageError, refuse_blank, refuse_jobs
from tracertm.history.at import record_at, revision_at
from tracertm.history.checkpoint import CHECKPOINT_KEY, Checkpoints, Target, links_pending
from tracertm.history.replay import PARALLEL_THRESHOLD, Counts, Replay, Step
from tracertm.history.settings import CONFIG_FILES, SettingsHistory
from tracertm.history.synced import SyncedSince
from tracertm.history.results import MAX_BATCH_SIZE, BackfillResult, CommitError, Mode, Progress, ProgressCallback
from tracertm.history.tree import LINK_MODE, SpecTree
from tracertm.history.writer import date_deletions
from tracertm.text import is_text

if TYPE_CHECKING:
    from sqlalchemy.engine import Engine
    from sqlalchemy.orm import Session

    from tracertm.models import Project

__all__ = ["CHECKPOINT_KEY", "BackfillResult", "CommitError", "Progress", "backfill", "record_at", "revision_at"]

# Commits per batch, at most; a batch also ends at ``replay.MAX_BATCH_FILES`` changed files. A batch is one
# transaction: rows touched by several of its commits are written once (batches of 100 commits wrote them again
# and again, and spent a third of the parent's time in statements).
DEFAULT_BATCH_SIZE = 1000
ENV_BATCH_SIZE = "TRACERTM_BACKFILL_BATCH_SIZE"


class _Backfill:
    """One run: picks the mode from the checkpoint and the project's rows, then replays and writes."""

    def __init__(self, target: Target, location: Location, settings: Settings, batch_size: int, jobs: int,
                 on_progress: ProgressCallback | None) -> None:
        self.target = target
        self.location = location
        self.settings = settings
        self.batch_size = max(1, batch_size)
        self.on_progress = on_progress
        self.reader = git.BlobReader(target.top)
        self.pool = ParsePool(jobs, PARALLEL_THRESHOLD)
        import tracertm.engine.apply  # noqa: F401 - before the workers fork: ``replay.prepare_records`` uses it
        eras = SettingsHistory.read(target.top, location.prefix, target.head, target.index, self.reader, settings)
        tree = SpecTree(target.top, location.prefix, eras.settings[0], self.reader, eras.prefixes)
        self.replay = Replay(tree, self.pool, eras)
        self.replay.idle = _warm_up
        self.checkpoints = Checkpoints(target)
        self.checkpoints.eras = eras.digest()
        self.synced: SyncedSince | None = None  # the syncs since the checkpoint stand for the replay (merge mode)
        self.base = 0  # commits of the chain written before this run
        self.batches = 0
        self.reconcile = False  # a final sync --ref is due (merge mode)
        self.orphaned = 0  # commits an earlier backfill recorded that are no longer in the history (merge mode)
        self.derived_at: str | None = None  # the commit whose history this run derived the links of
        self.replayed = 0  # commits a merge replayed in memory before its graft
        # Every record of the history is made by this version of the parsers: this run writes all of it (mode full),
        # or continues a run of this version that did. Rows another run wrote (merged; resumed from an older
        # tracertm's) may be an older version's: the next sync parses every file once.
        self.whole = False
        self.continued = False  # it continues a backfill nothing else wrote after (``LinkBirths.recorded``)
        self.started = time.monotonic()

    def close(self, *, stop: bool = False) -> None:
        """Stop the parse workers and the blob reader; ``stop``: the run gave up (``ParsePool.close``)."""
        # Workers were forked holding the reader's pipes: stop them first, or git cat-file never sees EOF.
        self.pool.close(stop=stop)
        self.reader.close()

    def progress(self, done: int, revisions: int | None = None) -> None:
        """Tell ``on_progress`` that ``done`` commits of this run are planned, with the revisions the summary will
        count for them (``revisions``; default: the replay's, planned to be written as planned)."""
        if self.on_progress is not None:
            total = len(self.target.chain) - self.base
            counted = self.replay.revisions if revisions is None else revisions
            self.on_progress(Progress(min(done, total), total, counted, len(self.replay.errors),
                                      time.monotonic() - self.started))

    def position(self, commit: str | None) -> int:
        """Commits of this run done once ``commit`` is (None: all of them)."""
        if commit is None:
            return len(self.target.chain) - self.base
        return self.target.index[commit] + 1 - self.base

    # ------------------------------------------------------------------------------------------------- driver

    def run(self, resume: bool) -> BackfillResult:
        """Pick the mode, replay and write what it needs, and report."""
        from tracertm import db
        from tracertm.engine.parsed_by import PARSER_OUTPUT
        from tracertm.history.births import LinkBirths
        from tracertm.history.state import load_state

        target = self.target
        with db.session(target.engine) as session:
            project = target.project(session)
            checkpoint = self.checkpoints.read(session, project)
            valid = self.checkpoints.continues(checkpoint)
            if resume and not valid:
                raise UsageError(
                    f"--resume: project {target.name} has no interrupted backfill of this history to continue; "
                    "run 'tracertm backfill' without --resume"
                )
            synced = project.last_synced_commit if project is not None else None
            mode = self._mode(session, project, checkpoint, valid)
            if mode != "up-to-date":
                self.fetch_missing(checkpoint.get("last_commit") if mode == "resumed" else None)
            if mode == "merged" and project is not None:
                self.synced = SyncedSince.find(session, project, checkpoint, self.checkpoints.recorded, target,
                                               self.replay.eras, self.reader, self.pool, self.location.prefix,
                                               self.replay.tree.prefixes)
            # The runs whose errors are those of the history written so far (``Checkpoints.errors_in``).
            if mode in ("resumed", "up-to-date"):
                found = self.checkpoints.recorded.get("errors_in")
                self.checkpoints.errors_in = list(found) if isinstance(found, list) else None
            if mode in ("resumed", "up-to-date", "full") and project is not None:
                self.replay.state = load_state(session, project.id, self.reader)
        if resume and mode == "up-to-date" and not links_pending(checkpoint):
            raise UsageError(f"--resume: the backfill of project {target.name} is complete up to {target.ref}; "
                             "nothing to continue (run 'tracertm backfill' without --resume to add new commits)")
        result = BackfillResult(target.name, self.location.root, target.ref, target.head, mode, 0, len(target.chain))
        continuing = mode == "resumed" or (mode == "up-to-date" and links_pending(checkpoint))
        # Every record of the history is this version of the parsers': a run that writes all of it, or one that
        # continues such a run of this version (its checkpoint says so). A merge's rows may be older syncs'.
        if mode == "full" or (continuing and checkpoint.get("parsed_by") == PARSER_OUTPUT):
            self.whole = True
            self.checkpoints.parsed_by = PARSER_OUTPUT
        if continuing and not self.reconcile and project is not None:
            # Continuing a backfill (not a merge, whose links keep their reviews): the links of the part written
            # before are born as they were in its history, not at this run's end.
            self.continued = True
            with db.session(target.engine) as session:
                self.replay.births = LinkBirths.recorded(session, project.id, target.index,
                                                         lambda sha: self.replay.eras.at(sha).parser)
        if mode == "up-to-date":
            if links_pending(checkpoint):  # the last run was stopped after its last batch, before the links
                self.replay.tree.load(target.head)
                self.replay.place(target.head)  # where the references are: no link holds their lines yet
                self.rebuild_links()
            return self.finish(result, replayed=False)

        start: str | None = None
        if mode == "resumed":
            start = checkpoint["last_commit"]
            assert isinstance(start, str)
            self.base = target.index[start] + 1
            self.replay.enter(start)
            self.replay.tree.load(start)
            self.replay.rehold()
            if not checkpoint.get("complete"):  # stopped mid-way: no link holds the lines of its records yet
                self.replay.place(start)
        elif mode == "merged":
            if self.synced is not None:
                start = self.synced.end
                self.merge_synced(self.synced)
                # Then as a resumed run: the tree and the settings at ``start``, the lines its replay would hold.
                self.replay.enter(start)
                self.replay.tree.load(start)
                self.replay.lines = dict(self.synced.lines)
            else:
                start = synced if synced is not None and synced in target.index else self.fork(synced, checkpoint)
                if start is not None:
                    self.merge(start)
                else:
                    self.rewritten_from_the_root()
            with db.session(target.engine) as session:
                project = target.project(session)
                assert project is not None
                self.replay.state = load_state(session, project.id, self.reader)
            # (From the root: the tree is empty, so every file the rows hold is gone until the chain adds it, and
            # the first commit replayed deletes the records of those it does not hold, as its ``sync --ref`` would.)
            self.replay.rehold()
        if mode == "full":  # links are born in this run's history (merged ones keep their reviews)
            self.replay.births = LinkBirths()
        if start is None and target.chain:
            self.replay.prefetch_tree(target.chain[0])  # parses while ``git log`` walks the history
        if start != target.head:
            self.apply_range([target.head] + ([f"^{start}"] if start else []))
        elif mode == "resumed":
            self.write_batch([], target.head, complete=True)
        if self.reconcile:
            self.reconcile_head()
        return self.finish(result, replayed=True)  # every mode above leaves the tree at the head

    def fetch_missing(self, start: object) -> None:
        """In a partial clone, fetch the spec files and configurations of the commits this run reads (after
        ``start``, the checkpoint of a resumed run) in one go: git would fetch each blob as it is read."""
        config = tuple(self.location.prefix + name for name in CONFIG_FILES)
        revs = [self.target.head] + ([f"^{start}"] if isinstance(start, str) else [])
        git.fetch_missing(self.target.top, revs, self.replay.tree.prefixes + config, walk=True)

    def _mode(self, session: Session, project: Project | None, checkpoint: dict[str, Any], valid: bool) -> Mode:
        if valid:
            self.reconcile = bool(checkpoint.get("reconcile"))
            complete = checkpoint.get("last_commit") == self.target.head and checkpoint.get("complete")
            return "up-to-date" if complete and not self.reconcile else "resumed"
        if project is not None and _has_records(session, project):
            return "merged"
        return "full"

    def fork(self, synced: str | None, checkpoint: dict[str, Any]) -> str | None:
        """Where a merge whose project was synced from outside the history starts: the head (the history goes before
        what the database has), unless the last writer was a backfill of another history — the branch was rewritten
        (an amend, a rebase, a reset and new commits) or another branch was backfilled. That one recorded the
        history up to where the two part: start there, so that the commits after it are applied as commits against
        what the database has, numbered after the revisions of the commits no longer on the branch (which stay:
        ``merge.orphaned``). None when the two share no commit of the chain: they part before its root
        (``rewritten_from_the_root``)."""
        head = self.target.head
        if synced is None or synced != checkpoint.get("last_commit"):
            return head
        # The commits of the chain that ``synced`` reaches are a prefix of it (each one's first parent is in it).
        out = git.run(self.target.top, "rev-list", "--first-parent", "--count", head, f"^{synced}", "--",
                      check=False).strip()
        if not out.isdigit():
            return head  # not in this repository any more (a fresh clone after a force-push)
        if int(out) >= len(self.target.chain):
            # No commit of the chain is in the history that backfill recorded (an orphan branch, maybe one that
            # merged it as a later commit's second parent): grafted before its revisions, the whole chain came
            # "before" commits it merged, and ``show --at`` a commit after that merge found nothing there.
            return None
        return self.target.chain[len(self.target.chain) - int(out) - 1]

    def rewritten_from_the_root(self) -> None:
        """``fork`` found no commit both histories share: the whole chain is a rewrite, applied from its first
        commit as commits against what the database has (nothing grafted before it), numbered after the revisions
        kept, then settled by the final ``sync --ref`` (as after any rewrite)."""
        from tracertm import db
        from tracertm.history.synced import off_chain

        with db.session(self.target.engine) as session:
            project = self.target.project(session)
            assert project is not None
            self.orphaned = len(off_chain(session, project.id, self.target.index))
        self.reconcile = True

    # -------------------------------------------------------------------------------------------- apply phase

    def write_batch(self, batch: list[Step], last: str, complete: bool) -> None:
        """Plan the commits of one batch in order, then write them in one transaction with the checkpoint."""
        from tracertm import db
        from tracertm.history.writer import BatchWriter, close_run, open_run

        errors_before = len(self.replay.errors)
        counts: Counts = {}
        writer = BatchWriter(self.replay.state.written)
        for commit, files, scope in batch:
            self.replay.step(commit, files, scope, writer.add, counts)
            self.progress(self.position(commit.sha))
        # The batch's plans are made: its parse results are read again only by a later batch, so the cache is
        # trimmed now rather than at the next hand-over, and a first commit's thousands of results are freed
        # before its rows are written and its links derived, which reuse that memory (with ``BatchWriter.flush``
        # dropping its batch: 459-467 → 369 MB peak for the large benchmark corpus in one commit).
        self.replay.trim()
        committed = self._committed_at(last) if writer.steps else None  # git before the lock
        with db.write_session(self.target.engine, self.target.name, self.settings.lock_timeout, bulk=True,
                              identity=self.target.identity) as session:
            project = self.checkpoints.lock(session)
            if writer.steps:
                run = open_run(session, project.id, self.target.ref, last, committed)
                writer.flush(session, project.id, run.id)
                close_run(session, run, writer.steps, counts, self.replay.errors[errors_before:])
                # (A run without errors adds none to the history's: not listed, so the list grows with the runs
                # that found errors, not with every incremental backfill's.)
                if self.checkpoints.errors_in is not None and self.replay.errors[errors_before:]:
                    self.checkpoints.errors_in.append(str(run.id))
            finished = complete and not self.reconcile
            self.checkpoints.save(session, project, last, complete=finished, reconcile=self.reconcile)
            if finished:  # the last batch: its run turns ok in the transaction that derives the links
                if writer.steps or self.derived_at != last:
                    self.derive_links(session, project, last)
                else:  # the empty batch after one that ended at the head: derived already, kept so
                    Checkpoints.links_built(project)
        self.batches += 1
        _settle_heap()

    def _committed_at(self, commit: str) -> dt.datetime | None:
        """The commit date of ``commit`` (a batch's run records it: ``sync_runs.committed_at``)."""
        top = self.location.top
        return git.commit_info(top, commit).committed_at if top is not None else None

    def apply_range(self, revs: list[str]) -> None:
        """Stream ``revs`` and write it batch by batch; the last checkpoint is the head."""
        head = self.target.head
        for batch, last in self.replay.batches(revs, self.batch_size):
            self.write_batch(batch, last or head, complete=(last or head) == head)
            self.progress(self.position(last))

    # -------------------------------------------------------------------------------------------- merge phase

    def merge(self, end: str) -> None:
        """Replay the history up to ``end`` in memory and graft it onto the project's rows (``history.merge``)."""
        from tracertm import db
        from tracertm.history.merge import GAPS_KEY, Simulation, graft
        from tracertm.history.writer import close_run, open_run

        self.replayed = self.position(end)
        sim = Simulation(chain=self.target.index, deleted_next=self._deleted_next(end), read=self._stored_blobs)
        # The replay plans in memory the revisions of every commit up to ``end``, most of which the rows a sync
        # wrote hold already: the summary counts those the graft writes. Until it has, the progress says the
        # revisions counted before (none) and ``end`` not done: its figures never go down, and end on the summary's.
        before, reached = self.replay.revisions, self.position(end)
        for batch, last in self.replay.batches([end], self.batch_size):
            for commit, files, scope in batch:
                sim.order.setdefault(commit.sha, len(sim.order))
                self.replay.step(commit, files, scope, sim.collect, {})
                self.progress(min(self.position(commit.sha), reached - 1), before)
            self.progress(min(self.position(last or end), reached - 1), before)
        committed = self._committed_at(end)
        with db.write_session(self.target.engine, self.target.name, self.settings.lock_timeout,
                              identity=self.target.identity) as session:
            project = self.checkpoints.lock(session)
            run = open_run(session, project.id, self.target.ref, end, committed)
            counts, self.orphaned, gaps = graft(session, project.id, run.id, sim, self.replay.state)
            if gaps:  # kept beside the checkpoint, which every batch writes again
                meta = dict(project.metadata_ or {})
                known = [g for g in meta.get(GAPS_KEY) or [] if isinstance(g, list)]
                meta[GAPS_KEY] = known + [list(g) for g in gaps if list(g) not in known]
                project.metadata_ = meta
            # Counted again as they are written: those of the graft, then those of the commits after ``end``.
            self.replay.revisions = sum(n for bucket in counts.values() for n in bucket.values())
            close_run(session, run, self.target.index[end] + 1, counts, self.replay.errors)
            self.checkpoints.errors_in = [str(run.id)]  # the errors of the whole history up to ``end``
            self.reconcile = True
            self.checkpoints.save(session, project, end, complete=False, reconcile=True)
        self.batches += 1
        self.progress(reached)

    def _deleted_next(self, end: str) -> frozenset[str] | None:
        """The spec paths the commit after ``end`` in the history deletes, renames included (None: ``end`` is the
        head)."""
        after = self.target.index[end] + 1
        if after >= len(self.target.chain):
            return None
        tree = self.replay.tree
        out = git.run(self.target.top, "diff-tree", "-r", "-z", "--no-renames", "--name-only", "--diff-filter=D",
                      end, self.target.chain[after], "--", *git.pathspecs(tree.prefixes))
        paths = out.decode("utf-8", "surrogateescape").split("\0")
        return frozenset(p[len(tree.prefix):] for p in paths if p and p.startswith(tree.prefix))

    def _stored_blobs(self, shas: list[str]) -> dict[str, bytes]:
        """The bytes of those of ``shas`` git has (a file synced but never staged has none: the reader would fail)."""
        stored = git.existing_objects(self.target.top, shas)
        return self.reader.read_many([sha for sha in shas if sha in stored])

    def merge_synced(self, synced: SyncedSince) -> None:
        """``merge`` when the syncs since a complete backfill stand for the history (``history.synced``): the graft
        would write no revision and change no row but the dates of the ADRs those syncs wrote without one. The same
        run row and checkpoint as ``merge``."""
        from sqlalchemy import bindparam, update

        from tracertm import db
        from tracertm.engine.apply import TABLES
        from tracertm.history.merge import fill_snapshot_dates
        from tracertm.history.writer import close_run, open_run

        end = synced.end
        committed = self._committed_at(end)
        with db.write_session(self.target.engine, self.target.name, self.settings.lock_timeout,
                              identity=self.target.identity) as session:
            project = self.checkpoints.lock(session)
            run = open_run(session, project.id, self.target.ref, end, committed)
            if synced.adr_dates:
                table = TABLES["adr"]
                session.connection().execute(
                    update(table).where(table.c.project_id == project.id, table.c.adr_number == bindparam("_number"),
                                        table.c.date.is_(None)).values(date=bindparam("_date")),
                    [{"_number": n, "_date": d} for n, d in synced.adr_dates.items()])
                fill_snapshot_dates(session.connection(), project.id, synced.adr_dates)
            self.replay.revisions = 0
            self.replay.errors = list(synced.errors)
            close_run(session, run, self.target.index[end] + 1, {}, self.replay.errors)
            self.checkpoints.errors_in = [str(run.id)]
            self.reconcile = True
            self.checkpoints.save(session, project, end, complete=False, reconcile=True)
        self.batches += 1
        self.progress(self.position(end))

    def rebuild_links(self) -> None:
        """Derive the links of a history an earlier run finished without them (``links_pending``: a run of an older
        tracertm killed between its last batch and its links), in a transaction of their own."""
        from tracertm import db
        from tracertm.engine import state as db_state

        with db.write_session(self.target.engine, self.target.name, self.settings.lock_timeout,
                              identity=self.target.identity) as session:
            project = db_state.find_project(session, self.target.name)
            if project is not None:
                self.derive_links(session, project, self.target.head)

    def derive_links(self, session: Session, project: Project, head: str) -> None:
        """Backfill writes rows through its own batches, not through sync: derive the project's links afresh, in the
        caller's transaction — the one that marks the history complete (its last batch, whose run turns ``ok``, or
        the final ``sync --ref`` of a merge): a kill at any point leaves the state before that transaction or the
        finished backfill, never a complete history, its run ``ok``, without its links."""
        from tracertm.engine import links
        from tracertm.engine.link_versions import rebirth_step_links
        from tracertm.engine.parsed_by import mark_parsed
        from tracertm.engine.step_sync import mark_matched

        self.match_steps(session, project.id)
        if self.continued:  # its step links are born at this head, as an uninterrupted run's are
            rebirth_step_links(session.connection(), project.id)
        mark_matched(project)  # every scenario matched again, by this step matcher
        if self.whole:
            mark_parsed(project)
        births = self.replay.births
        links.rebuild(session.connection(), project.id, self.settings.parser,
                      reviewed=births.reviewed() if births is not None else None, lines=self.replay.lines,
                      gone_reviewed=births.parked() if births is not None else None)
        links.mark_built(project)
        Checkpoints.links_built(project)
        self.derived_at = head

    def match_steps(self, session: Session, project_id: Any) -> None:
        """Match every scenario's steps against the head's step definitions, as a sync of the head does (the step
        matches, usage counts and step links: what the batches do not derive). Nothing when the head has no step
        file and the project no definition (a sync writes no rows of undefined steps then either)."""
        from sqlalchemy import select

        from tracertm.engine.step_sync import types_changed
        from tracertm.models import StepDefinition
        from tracertm.parsers.records import strips_trailing_colon
        from tracertm.steps.links import refresh
        from tracertm.steps.project import parse_step_files

        tree = self.replay.tree
        if not tree.entries:  # a run that only derives the links of a finished history
            tree.load(self.target.head)
        paths = sorted(p for p, e in tree.entries.items()
                       if tree.kind_of(p) == "step_definition" and e.mode != LINK_MODE)
        if not paths and session.execute(select(StepDefinition.id).where(
                StepDefinition.project_id == project_id).limit(1)).first() is None:
            return
        settings = self.replay.eras.at(self.target.head)
        raw = self.reader.read_limited([tree.entries[p].sha for p in paths], settings.parser.max_file_size)
        sources = [(p, data) for p in paths if isinstance(data := raw[tree.entries[p].sha], bytes)]
        step_files = dict(parse_step_files(sources, settings.parser))
        refresh(session, project_id, step_files, changed_features=(), changed_definitions=(),
                types_changed=types_changed(session, project_id, step_files), full=True,
                strip_colon=strips_trailing_colon(settings.parser))

    def reconcile_head(self) -> None:
        """Merge mode: finish with an ordinary ``sync --ref`` so the rows are exactly what it gives."""
        from tracertm import db
        from tracertm.engine.sync import sync

        target = self.target
        done = sync(self.location.root, ref=target.head, project=target.name, engine=target.engine,
                    trigger="backfill")
        # Its revisions are this run's too (a record of a rewritten history or of another branch deleted, one the
        # graft left to it): the summary counts what the run wrote, whichever step wrote it.
        written = sum(op.action in REVISION_ACTIONS for op in done.operations)
        if written:
            self.replay.revisions += written
            self.progress(self.position(None))  # the progress ends on the summary's figure
        self.reconcile = False
        with db.write_session(target.engine, target.name, self.settings.lock_timeout,
                              identity=target.identity) as session:
            project = self.checkpoints.lock(session, own=1)  # the sync just above wrote one run; anyone else?
            if done.run_id is not None:  # its deletions dated by the head commit, as the replay's (README)
                date_deletions(session.connection(), project.id, done.run_id)
            self.checkpoints.save(session, project, target.head, complete=True, reconcile=False)
            self.derive_links(session, project, target.head)

    def finish(self, result: BackfillResult, replayed: bool) -> BackfillResult:
        """Fill in the counts, the errors and the files still broken at the ref (``replayed``: the replay's tree is
        the head's)."""
        from sqlalchemy import select

        from tracertm import db
        from tracertm.engine.plan import file_findings
        from tracertm.models import SourceFile

        result.commits = len(self.target.chain) - self.base
        result.revisions = self.replay.revisions
        result.batches = self.batches
        result.orphaned = self.orphaned
        result.replayed = self.replayed
        result.files_parsed = self.replay.parsed
        eras = self.replay.eras
        result.errors = [e for e in eras.errors if self.target.index[e.commit] >= self.base] + self.replay.errors
        with db.session(self.target.engine) as session:
            project = self.target.project(session)
            if project is not None:
                # Only the live files with an error are read (not every file row of the project).
                t = SourceFile.__table__.c
                broken = session.connection().execute(select(t.path, t.parse_error).where(
                    t.project_id == project.id, t.parse_error.is_not(None), t.deleted_at.is_(None)))
                for path, error in sorted(broken, key=lambda r: str(r[0])):
                    if error:
                        result.head_errors.extend(d for d in file_findings(path, error) if d.severity == "error")
        # (Not replayed, up to date: no state is loaded, and loading it to find them would cost a no-op backfill.)
        held = self.replay.held_errors() if replayed else []
        result.head_errors = sorted([*result.head_errors, *held, *self.unnamed_at_head(replayed)],
                                    key=lambda d: d.path)
        result.elapsed = time.monotonic() - self.started
        return result

    def unnamed_at_head(self, replayed: bool) -> list[Diagnostic]:
        """The spec files at the head whose names are not UTF-8: still broken at the ref, as a sync of it reports
        (``plan``), but never stored, so no file row holds their error (``replayed``: the replay's tree is the
        head's)."""
        head = self.target.head
        if not self.target.chain:
            return []
        tree = self.replay.tree
        if not replayed:  # nothing replayed (up to date): what the head holds, one git ls-tree
            n = len(tree.prefix)
            listed = git.tree_entries(self.target.top, head, tree.prefixes)
            paths = [p[n:] for p in listed if p.startswith(tree.prefix)]
        else:
            paths = list(tree.entries)
        settings = self.replay.eras.at(head)
        return [d for p in paths if not is_text(p) and settings.kind_of(p) is not None
                and (d := name_error(p)) is not None]


@contextmanager
def _long_lived_heap() -> Iterator[None]:
    """Keep the garbage collector off what a backfill keeps for its whole run, and off its per-commit work.

    A backfill keeps a large heap of small objects for its whole run (the modules, the parse cache of every blob,
    the in-memory state of every record) and allocates many more per commit. Each full collection walked all of it
    (a sixth of the parent's time on a 9,000-commit history); with that heap frozen after every batch, the young
    collections, which ran every few hundred allocations and walked what the current batch had built so far, still
    took a quarter of the parent's CPU (1,000 commits: 0.36 of 1.55 s in about 600 collections). So the collector
    is paused for the run (``collector_paused``: reference counting frees everything as usual), and what survived a
    batch is moved into the permanent generation (``_settle_heap``: it lives as long as the run). A batch makes
    next to no cyclic garbage (a collection after each batch of the benchmark's 1,000 commits found 55 objects in
    the first batch and none in the others, and cost 0.15 s): what there is waits for the end of the run, when the
    frozen objects are unfrozen and the collector is back on — unless the caller had frozen objects itself (then
    its choice stands)."""
    import gc

    from tracertm.collector import collector_paused

    ours = gc.get_freeze_count() == 0
    # Unfrozen inside the pause: when the pause ends, ``collector._age`` asks how many objects are frozen, which
    # walks them one by one (about 30-90 ms for a test process's heap, once per backfill); unfrozen first, the
    # count is 0 and free.
    with collector_paused():
        gc.freeze()
        try:
            yield
        finally:
            if ours:
                gc.unfreeze()


def _settle_heap() -> None:
    """What survived a batch lives as long as the run: out of the collector's way (see ``_long_lived_heap``)."""
    import gc

    gc.freeze()


def _warm_up() -> None:
    """Import what writing a batch and rebuilding the links use, while the workers parse the first batch (the
    parent would only wait there); a no-op once they are imported."""
    import tracertm.engine.apply
    import tracertm.engine.links
    import tracertm.history.writer
    import tracertm.search.deferred  # noqa: F401


def _has_records(session: Session, project: Project) -> bool:
    """Whether the project holds any record or revision (then a backfill merges instead of starting afresh)."""
    from sqlalchemy import exists, select

    from tracertm.models import ADR, Contract, Feature, SpecRevision

    return bool(session.execute(select(
        exists().where(SpecRevision.project_id == project.id)
        | exists().where(ADR.project_id == project.id)
        | exists().where(Contract.project_id == project.id)
        | exists().where(Feature.project_id == project.id)
    )).scalar())


def _batch_size(option: int | None) -> int:
    """Commits per batch: ``batch_size``, else ``$TRACERTM_BACKFILL_BATCH_SIZE``, else the default; each bounded
    as ``--batch-size`` is (``UsageError`` naming the one out of range)."""
    if option is not None:
        if not 1 <= option <= MAX_BATCH_SIZE:
            raise UsageError(f"--batch-size {option}: must be 1 to {MAX_BATCH_SIZE}")
        return option
    env = os.environ.get(ENV_BATCH_SIZE)
    if env:
        try:
            value = int(env)
        except ValueError:
            raise UsageError(f"${ENV_BATCH_SIZE}={env!r}: not a number of commits") from None
        if not 1 <= value <= MAX_BATCH_SIZE:
            raise UsageError(f"${ENV_BATCH_SIZE}={env}: must be 1 to {MAX_BATCH_SIZE} (commits per batch)")
        return value
    return DEFAULT_BATCH_SIZE


def backfill(
    path: str | os.PathLike[str] | None = None,
    *,
    ref: str | None = None,
    project: str | None = None,
    database_url: str | None = None,
    resume: bool = False,
    batch_size: int | None = None,
    jobs: int | None = None,
    on_progress: ProgressCallback | None = None,
    engine: Engine | None = None,
) -> BackfillResult:
    """Replay the first-parent history of ``ref`` (default HEAD) of the repository at ``path`` into the database.

    Every record gets one revision per commit that changed its content (created, updated, deleted, restored,
    moved), carrying the commit's sha, author and date; at the end the rows are what syncing each first-parent
    commit of ``ref`` in order gives (see the module docs). Interrupted runs continue from their last checkpoint
    (automatically; ``resume=True`` insists on one); a second run adds nothing. ``on_progress`` is called after
    every batch. Spec errors of old commits are in ``result.errors`` (they never stop the backfill); files still
    broken at ``ref`` in ``result.head_errors``. Without ``engine``, the engine made for this call is disposed
    before it returns, as ``sync``'s is.
    """
    from tracertm import db
    from tracertm.engine.identity import RepoIdentity, followed, spec_root_of
    from tracertm.engine.naming import project_name

    check_ref(ref, "(--ref main), or leave --ref out for HEAD")
    refuse_blank(project=project, database_url=database_url)
    refuse_jobs(jobs)
    location = Location.find(path)
    if location.top is None:
        raise UsageError(f"{location.root}: not a git repository; backfill reads the history of a git repository")
    if git.is_shallow(location.top):
        raise GitError(
            f"{location.top} is a shallow clone; backfill needs the full history: run 'git fetch --unshallow' first"
        )
    settings = load_settings(location.root)
    name = project_name(location, settings, project)
    size = _batch_size(batch_size)
    wanted = ref or "HEAD"
    head = git.resolve_commit(location.top, wanted, "--ref" if ref else "backfill:")
    own_engine = engine is None
    if engine is None:
        engine = db.open_engine(database_url, settings.database_url)
    else:
        db.ensure_schema(engine)
    try:
        url = git.origin_url(location.top)
        from_remote = project is None and settings.project is None and location.top == location.root \
            and git.remote_name(url) == name
        folder = location.root.name if project is None and settings.project is None \
            and location.top == location.root else None
        # (the folder it was synced from is asked of ``head``: gone there, the project moved with its folder)
        identity = RepoIdentity(location.top, url, from_remote, folder, spec_root_of(location.root, location.top),
                                ref=head)
        note = None
        if project is None and settings.project is None and not from_remote:
            # As sync: a project whose folder moved here is followed, not forked under the new folder's name (every
            # later sync would then write to the fork, its name being a project's now).
            name, note = followed(engine, name, identity)
        target = Target.of(engine, location.top, name, identity, wanted, head)
        runner = _Backfill(target, location, settings, size, jobs if jobs is not None else default_jobs(),
                           on_progress)
        with _long_lived_heap():
            try:
                result = runner.run(resume)
            except BaseException:
                runner.close(stop=True)  # (an interrupt, a SIGTERM: the chunks being parsed are nobody's now)
                raise
            runner.close()
        result.warnings[:0] = [Diagnostic("", 0, 0, note, "warning")] if note is not None else []
        return result
    finally:
        if own_engine:  # as ``sync``: the engine made for this call goes with it (a pooled PostgreSQL session)
            engine.dispose()
