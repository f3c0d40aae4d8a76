"""The per-commit replay: every commit of the history goes through the ordinary ``plan`` against the in-memory
state, with that commit as provenance — so versions, moves, restores and parse-error handling are exactly sync's.

Blobs are read in bulk (one pipelined ``git cat-file --batch`` round per batch of commits) and parsed once per
(kind, path, blob) through the shared parse pool; results are kept for reverts.
"""

from __future__ import annotations

import uuid
from collections import deque
from collections.abc import Callable, Iterable, Iterator, Mapping
from dataclasses import replace
from typing import cast

from tracertm import git
from tracertm.config import Settings
from tracertm.engine.derived_dates import with_date
from tracertm.engine.links import source_ref
from tracertm.engine.moves import named_candidates, pair_moves, similar_moves
from tracertm.engine.parse import Outcome, ParsePool, Pending, hash_records
from tracertm.engine.plan import REVISION_ACTIONS, Plan
from tracertm.engine.scan import ScannedFile, shown_path, too_large
from tracertm.errors import Diagnostic, ParseError
from tracertm.history.births import LinkBirths
from tracertm.history.results import CommitError
from tracertm.history.settings import CONFIG_FILES, SettingsHistory
from tracertm.history.state import HistoryState, NewIds
from tracertm.history.tree import LINK_MODE, SpecTree
from tracertm.kinds import FileKind
from tracertm.parsers.records import ParseResult

_LINKED = frozenset({"adr", "contract", "feature", "scenario"})  # kinds whose records are links' sources
# Parse results kept for reverts (by kind, path, blob id), bounded by the bytes of their blobs plus a share per
# result: a parsed file holds about a dozen times its size in objects, so the 50,000 results the cache kept before
# took a 3,000-commit history of 6,000 spec files to 775 MB (489 MB bounded so). Trimmed between batches only
# (``Replay.trim``; the backfill trims once a batch is planned): a batch's plans read its files' results from here.
_CACHE_BYTES = 8 << 20
_CACHE_ENTRY = 512  # each result's share beyond its blob's bytes
PARALLEL_THRESHOLD = 64  # parse jobs of a batch below which worker processes cost more than they save
# Spec files changed by the commits of one batch, at most (a batch ends at the commit that reaches it). Big enough
# that a batch's statements carry thousands of rows and rows changed by several of its commits are written once;
# small enough that a batch's plans, rows and revisions stay a few megabytes.
MAX_BATCH_FILES = 2000

# One commit to plan: the commit, its changed spec files, and every spec path it touched (deleted ones too).
Step = tuple[git.HistoryCommit, dict[str, ScannedFile], frozenset[str]]
# Where a planned commit goes: the batched writer, or the merge's in-memory collection.
Sink = Callable[[git.HistoryCommit, Plan, NewIds], None]
Counts = dict[str, dict[str, int]]  # kind → change → revisions, for the sync_runs row
Key = tuple[str, str, str]  # (kind, path, blob id): one parse
_REGULAR_MODES = ("100644", "100755")  # files whose blob is the spec itself (not a link, not gone)


class Replay:
    """Walks the history commit by commit, keeping ``state`` in step with what each commit's plan writes."""

    def __init__(self, tree: SpecTree, pool: ParsePool, eras: SettingsHistory) -> None:
        self.tree = tree
        self.pool = pool
        self.eras = eras
        self.births: LinkBirths | None = None  # a fresh backfill's: when each link was born (``history.births``)
        # Where each record's references are written, as its last replayed parse says (``links.RefLines``): the
        # links the backfill derives at its end point at them.
        self.lines: dict[tuple[str, str], tuple[str, int, Mapping[str, int]]] = {}
        self.state = HistoryState()
        self.cache: dict[tuple[str, str, str], Outcome] = {}  # oldest first (``trim``)
        self._cost: dict[Key, int] = {}  # each cached result's share of ``_CACHE_BYTES``
        self._cached = 0  # their sum
        self._sizes: dict[Key, int] = {}  # the blob sizes of the prefetched parses (``_pending``)
        self.parsed = 0  # blobs parsed
        self.revisions = 0  # revisions planned
        self.errors: list[CommitError] = []
        self._pending: list[tuple[list[Key], Pending]] = []  # parses of the next batch, running in the workers
        self._running: set[Key] = set()  # parses of the current batch, running in the workers (``_parse``)
        # Called once per batch while its parse runs in the workers (the backfill warms up its writer there).
        self.idle: Callable[[], None] | None = None

    @property
    def settings(self) -> Settings:
        """The settings of the era the replay is in."""
        return self.tree.settings

    def batches(self, revs: list[str], size: int, max_files: int | None = None
                ) -> Iterator[tuple[list[Step], str | None]]:
        """The commits of ``revs`` touching spec files, parsed, in batches of ``size`` commits, each with its last
        commit (None for the final, possibly empty, batch). A batch also ends once its commits changed
        ``max_files`` spec files (default ``MAX_BATCH_FILES``): what one transaction holds in memory is bounded by the
        work, not by the number of commits, and a first commit that adds thousands of files is a batch of its own,
        written while the workers parse the next one.

        Before a batch is handed over, the blobs of the next batch's commits are read and their parse started in
        the workers (``_prefetch``): while the caller plans and writes one batch, the next one parses."""
        batch: list[Step] = []
        batch_files = 0
        max_files = max_files or MAX_BATCH_FILES
        config = tuple(self.tree.prefix + name for name in CONFIG_FILES)
        previous: str | None = None
        commits = git.history(self.tree.top, revs, self.tree.prefixes + config, self.tree.prefix)
        ahead: deque[git.HistoryCommit] = deque()  # read from the log, not yet advanced to

        def upcoming() -> Iterator[git.HistoryCommit]:
            while True:
                if ahead:
                    yield ahead.popleft()
                    continue
                commit = next(commits, None)
                if commit is None:
                    return
                yield commit

        def read_ahead() -> None:
            # The next batch, as far as the log tells (a change is about one file): what to start parsing now.
            changes = sum(len(c.changes) for c in ahead)
            while len(ahead) < size and changes < max_files and (commit := next(commits, None)) is not None:
                ahead.append(commit)
                changes += len(commit.changes)
            self._prefetch(ahead)
            if self.idle is not None:
                self.idle()

        def handing_over(batch: list[Step]) -> None:
            # The next batch is read from the log and sent to the workers while they parse this one (queued behind
            # it): the parent's share of the hand-over runs while it would otherwise wait (the first batch, a cold
            # backfill's first commit, is thousands of files parsed while the parent has nothing else to do).
            self.trim()
            self._parse((files for _, files, _ in batch), meanwhile=read_ahead)

        try:
            for commit in upcoming():
                if batch and self.eras.at(commit.sha).parser != self.settings.parser:
                    # The batch so far is parsed with the options of its own commits, before they change.
                    handing_over(batch)
                    yield batch, previous
                    batch, batch_files = [], 0
                files, scope = self.tree.advance(commit, self.enter(commit.sha))
                if scope:
                    batch.append((commit, files, scope))
                    batch_files += len(scope)
                if len(batch) >= size or batch_files >= max_files:
                    handing_over(batch)
                    yield batch, commit.sha
                    batch, batch_files = [], 0
                previous = commit.sha
            self.trim()
            self._parse(files for _, files, _ in batch)
            yield batch, None
        finally:
            self._drop_pending()

    def prefetch_tree(self, commit: str) -> None:
        """Start parsing, in the workers, the spec files of ``commit``'s tree: a cold backfill's first commit adds
        them all, and ``git log --reverse`` answers only once it has walked the whole history (a tenth of a second
        on a thousand commits, more on a long history). Listed with one ``git ls-tree``, the parse runs while the
        log walks; a guess that is only right when ``commit`` is the first commit replayed (otherwise it costs the
        parse and nothing else: outcomes are keyed by kind, path and blob, as ``_prefetch``'s)."""
        if self.pool.jobs <= 1:
            return  # no workers to parse it in: nothing to gain by listing it now
        n = len(self.tree.prefix)
        entries = git.tree_entries(self.tree.top, commit, self.tree.prefixes)
        self._prefetch_changes((path[n:], entry.mode, entry.sha) for path, entry in entries.items()
                               if path.startswith(self.tree.prefix))

    def _prefetch(self, commits: Iterable[git.HistoryCommit]) -> None:
        """Start parsing, in the workers, the blobs the coming ``commits`` add (with the kinds and options in force
        now: a guess that is right unless the configuration changes on the way, and then only costs the parse).
        Links, deletions and blobs parsed before are left to ``_parse``."""
        self._prefetch_changes((c.path, c.mode, c.sha) for commit in commits for c in commit.changes)

    def _prefetch_changes(self, changes: Iterable[tuple[str, str, str]]) -> None:
        """``_prefetch`` of (path, mode, blob id) triples."""
        wanted: dict[Key, None] = {}
        started = {key for keys, _ in self._pending for key in keys}  # by an earlier call, not collected yet
        started |= self._running
        for path, mode, sha in changes:
            if mode not in _REGULAR_MODES:
                continue
            kind = self.tree.kind_of(path)
            key = (kind, path, sha) if kind is not None else None
            if key is not None and key not in self.cache and key not in started:
                wanted[key] = None
        if self.pool.jobs <= 1 or len(wanted) < self.pool.threshold:
            return  # the pool would parse none of them in its workers (``submit``): read them when they are due
        blobs = self.tree.reader.read_limited([k[2] for k in wanted], self.settings.parser.max_file_size)
        for keys in _rounds([k for k in wanted if isinstance(blobs[k[2]], bytes)]):
            work = [(k[1], k[0], blobs[k[2]]) for k in keys]
            pending = self.pool.submit(work, self.settings.parser, prepare=prepare_records)  # type: ignore[arg-type]
            if pending is None:
                return  # too few to be worth the workers: parsed in this process when their batch comes
            self._pending.append((keys, pending))
            self._sizes.update((k, len(cast(bytes, blobs[k[2]]))) for k in keys)

    def _collect(self, count: int | None = None) -> None:
        """Take the outcomes of the prefetched parses into the cache: all of them, or the first ``count`` started
        (those started later, for a later batch, keep running)."""
        count = len(self._pending) if count is None else count
        pending, self._pending = self._pending[:count], self._pending[count:]
        for keys, handle in pending:
            outcomes = handle.result()
            for key in keys:
                self._keep(key, outcomes[key[1]], self._sizes.pop(key, 0))
            self.parsed += len(keys)

    def _drop_pending(self) -> None:
        for _, handle in self._pending:
            handle.cancel()
        self._pending = []
        self._sizes.clear()

    def _keep(self, key: Key, outcome: Outcome, size: int) -> None:
        """Cache ``outcome``, the parse of a blob of ``size`` bytes."""
        cost = size + _CACHE_ENTRY
        self._cached += cost - self._cost.get(key, 0)
        self._cost[key] = cost
        self.cache[key] = outcome

    def _forget(self) -> None:
        self.cache.clear()
        self._cost.clear()
        self._cached = 0

    def trim(self) -> None:
        """Drop the oldest parse results while the cache holds more than ``_CACHE_BYTES`` (down to half of it, so
        that trimming is rare). Only between batches, or once a batch's plans are made: the plans of a batch read
        its files' results from the cache (a result dropped before is parsed again when a later batch needs it)."""
        if self._cached <= _CACHE_BYTES:
            return
        for key in list(self.cache):
            if self._cached <= _CACHE_BYTES // 2:
                break
            del self.cache[key]
            self._cached -= self._cost.pop(key)

    def enter(self, commit: str) -> frozenset[str]:
        """Take the settings in force at ``commit``; returns the paths whose kind that changes."""
        settings = self.eras.at(commit)
        if settings is self.tree.settings:
            return frozenset()
        if settings.parser != self.tree.settings.parser:
            self._drop_pending()
            self._forget()  # parsed with other options
        return self.tree.use(settings)

    def _parse(self, scans: Iterable[Mapping[str, ScannedFile]], meanwhile: Callable[[], None] | None = None) -> None:
        """Read and parse every (kind, path, blob) of a batch not parsed before, in one pipelined read.

        ``meanwhile`` is called once before this returns: while the workers parse, when they do (the outcomes are
        the same either way; what it sends to the workers queues behind this batch)."""
        candidates = [f for files in scans for f in files.values() if f.error is None]
        wanted: dict[tuple[str, str, str], ScannedFile] = {}
        for attempt in range(2):
            for f in candidates:
                key = (f.kind, f.path, f.blob_sha)
                if key not in self.cache:
                    wanted[key] = f
                elif not attempt:  # used again: the newest for ``trim``
                    self.cache[key] = self.cache.pop(key)
            if not wanted or not self._pending or attempt:
                break
            # What is missing may be parsing in the workers already (prefetched).
            started = len(self._pending)
            if meanwhile is not None:
                # The hand-over first, so that the next batch queues behind the parses started before at once, not
                # once they are done (the workers need not wait for the parent's reading of the log and blobs).
                meanwhile()
                meanwhile = None
            self._collect(started)
            wanted.clear()
        if not wanted:
            if meanwhile is not None:
                meanwhile()
            return
        limit = self.settings.parser.max_file_size
        blobs = self.tree.reader.read_limited([k[2] for k in wanted], limit)
        for keys in _rounds(list(wanted)):
            work = [(k[1], wanted[k].kind, data) for k in keys if isinstance(data := blobs[k[2]], bytes)]
            running = self.pool.submit(work, self.settings.parser, prepare=prepare_records) if meanwhile else None
            if running is not None:
                assert meanwhile is not None
                self._running = set(wanted)  # this call's keys, later rounds' too: not to be prefetched
                try:
                    meanwhile()
                    outcomes = running.result()
                finally:
                    running.cancel()
                    self._running = set()
                meanwhile = None
            else:
                outcomes = self.pool.parse(work, self.settings.parser, prepare=prepare_records)
            for k in keys:
                size = blobs[k[2]]
                if isinstance(size, int):  # over max_file_size: rejected from git's header, never read (as sync)
                    self._keep(k, ParseError(k[1], 0, 0, too_large(k[1], size, limit).message), 0)
                else:
                    self._keep(k, outcomes[k[1]], len(size))
        self.parsed += len(wanted)
        if meanwhile is not None:
            meanwhile()

    def _with_dates(self, outcome: Outcome, commit: git.HistoryCommit) -> Outcome:
        """ADRs without a date take the date of the commit that created them; their content hash is unchanged. A
        creating commit whose date git cannot give dates nothing, nor does this one then (``sync --ref``: none)."""
        if not isinstance(outcome, ParseResult) or outcome.kind != "adr":
            return outcome
        records = []
        for rec in outcome.records:
            if rec.fields.get("date") is None:
                created = self.state.adr_created
                rec = with_date(rec, created[rec.number] if rec.number in created else commit.date)
            records.append(rec)
        return replace(outcome, records=tuple(records))

    def _lost(self, scope: frozenset[str]) -> dict[str, ScannedFile]:
        """Files outside ``scope`` that lost an identity to another file: read again by every sync (the winner may
        be gone), so by every commit of the replay too."""
        out: dict[str, ScannedFile] = {}
        for path in self.state.lost - scope:
            # The file as this commit has it: untouched since its row was written (the tree is a batch ahead).
            row = self.state.files.get(path)
            if row is not None and not row.deleted:
                out[path] = ScannedFile(path, cast(FileKind, row.kind), row.blob_sha)
        if out:
            self._parse([out])  # parsed before: from the cache
        return out

    def place(self, commit: str) -> None:
        """Fill ``lines`` from the files of the tree as loaded at ``commit``, for every live record they give: a run
        that resumes one stopped between two batches (which derived no link: its last batch does) would otherwise
        place the links of the records the stopped run parsed last at the records' own lines, not at their
        references. A file that does not parse there holds the records of its last good parse: their lines are
        that parse's (``_last_parse``)."""
        from tracertm.engine.links import parsed_lines

        tree, state = self.tree, self.state
        files: dict[str, ScannedFile] = {}
        for path, entry in tree.entries.items():
            kind = tree.kind_of(path)
            if kind in _LINKED:
                scanned = tree.scanned(path, kind, entry)
                if scanned.error is None:
                    files[path] = scanned
        self._parse([files])
        for path, scanned in files.items():
            outcome = self.cache.get((scanned.kind, path, scanned.blob_sha))
            if not isinstance(outcome, ParseResult):
                if not any(not state.current[k].deleted for k in state.by_path.get(path, ()) if k in state.current):
                    continue  # holds no record: nothing to place
                outcome = self._last_parse(commit, path, scanned.kind)
                if outcome is None:
                    continue
            # Only the records this file holds in the database (an id another file keeps is that file's).
            held = [r for r in outcome.records if (row := state.current.get((outcome.kind, r.number))) is not None
                    and not row.deleted and row.source_path == path]
            self.lines.update(parsed_lines((path, outcome.kind, r) for r in held))

    def _last_parse(self, commit: str, path: str, kind: FileKind) -> ParseResult | None:
        """The newest parse of ``path`` that succeeded at or before ``commit`` on its first-parent history (each
        older version read with the options of the commit that wrote it), as the replay last parsed it; None when
        no version parsed. One ``git rev-list``, then one listing and one parse per version tried (a file broken
        at a checkpoint has rarely been broken for long)."""
        full = self.tree.prefix + path
        out = git.run(self.tree.top, "rev-list", "--first-parent", commit, "--", *git.pathspecs((full,)))
        for sha in out.decode().split():
            if sha not in self.eras.index:
                break  # before the history this run replays
            entry = git.tree_entries(self.tree.top, sha, (full,)).get(full)
            if entry is None or entry.mode not in _REGULAR_MODES:
                continue
            options = self.eras.at(sha).parser
            data = self.tree.reader.read_limited([entry.sha], options.max_file_size)[entry.sha]
            if isinstance(data, bytes):
                outcome = self.pool.parse([(path, kind, data)], options)[path]
                if isinstance(outcome, ParseResult):
                    return outcome
        return None

    def rehold(self) -> None:
        """After the state was read back from the database (a resumed or merged run, the tree loaded at its start):
        find the files a plan held (``Plan.held``) as a sync finds them — an indexed file gone from the tree, a spec
        file without a row — so that the next commit plans them again. In a state written by this module, only held
        files look so; a file that is not held any more settles at the next commit as in a sync."""
        state, tree = self.state, self.tree
        held: dict[str, ScannedFile | None] = {
            p: None for p, row in state.files.items() if not row.deleted and p not in tree.entries}
        if not held:
            return
        for path, entry in tree.entries.items():
            kind = tree.kind_of(path)
            row = state.files.get(path)
            if kind is not None and entry.mode != LINK_MODE and (row is None or row.deleted):
                held[path] = ScannedFile(path, kind, entry.sha)
        state.held = held

    def _moves(self, files: Mapping[str, ScannedFile], scope: frozenset[str],
               parsed: Mapping[str, Outcome]) -> dict[str, str]:
        """Files this commit renamed (old path → new path), decided by the same rule as a sync of the commit
        (``engine.moves.similar_moves``), so that the promise holds for moves too."""
        state = self.state
        removed: dict[str, tuple[str, str]] = {
            p: (row.kind, row.blob_sha) for p in scope
            if p not in files and (row := state.files.get(p)) is not None and not row.deleted
        }
        added: dict[str, tuple[str, str]] = {
            p: (f.kind, f.blob_sha) for p, f in files.items()
            if isinstance(parsed.get(p), ParseResult) and (p not in state.files or state.files[p].deleted)
        }
        if not removed or not added:
            return {}

        def numbers_at(path: str) -> list[str]:
            return [key[1] for key in state.by_path.get(path, ()) if not state.current[key].deleted]

        removed, added = named_candidates(removed, added, parsed, numbers_at)
        if not removed:
            return {}
        reader = self.tree.reader

        def read_new(paths: list[str]) -> dict[str, bytes]:
            blobs = reader.read_many([files[p].blob_sha for p in paths])
            return {p: blobs[files[p].blob_sha] for p in paths}

        return similar_moves(removed, added, reader.read_many, read_new)

    def _plan(self, commit: git.HistoryCommit, files: Mapping[str, ScannedFile], scope: frozenset[str]) -> Plan:
        from tracertm.engine.plan import plan

        state = self.state
        lost = self._lost(scope)
        if lost:
            files, scope = {**files, **lost}, scope | lost.keys()
        held = {p: f for p, f in state.held.items() if p not in scope}
        if held:  # untouched since: the same bytes (parsed before, unless the cache was cleared since), or gone
            again = {p: f for p, f in held.items() if f is not None}
            self._parse([again])
            files, scope = {**files, **again}, scope | held.keys()
        db_files = {p: state.files[p] for p in scope if p in state.files}
        parsed: dict[str, Outcome] = {
            p: self.cache[(f.kind, p, f.blob_sha)] for p, f in files.items() if f.error is None
        }
        for kind, old_number, new_number in pair_moves(self._moves(files, scope, parsed), parsed, state.current):
            state.renumber(kind, old_number, new_number)
        # Dated once renumbered: a renamed ADR takes the date of the commit that created it, which ``renumber``
        # carried to its new number (dated before, its ``moved`` revision had the renaming commit's date).
        parsed = {p: self._with_dates(outcome, commit) for p, outcome in parsed.items()}
        keys: set[tuple[str, str]] = set()
        for outcome in parsed.values():
            if isinstance(outcome, ParseResult):
                keys.update((outcome.kind, r.number) for r in outcome.records)
        for path in scope:
            keys.update(state.by_path.get(path, ()))
        current = {k: state.current[k] for k in keys if k in state.current}
        for cur in current.values():  # whether the file of a deleted record is back and unreadable (plan: a sync
            where = cur.source_path   # knows every file's row)
            if cur.deleted and where is not None and where not in db_files and where in state.files:
                db_files[where] = state.files[where]
        occupied = {  # files of deleted records that still hold a live record (plan)
            c.source_path for c in current.values() if c.deleted and c.source_path is not None
            and any(not state.current[k].deleted for k in state.by_path.get(c.source_path, ()) if k in state.current)
        }
        scenarios = {c.id: state.scenarios.get(c.id, {}) for (kind, _), c in current.items() if kind == "feature"}
        changed = frozenset(
            p
            for p, f in files.items()
            if f.error is None and (p not in db_files or db_files[p].deleted or db_files[p].blob_sha != f.blob_sha)
        )
        return plan(files, scope.__contains__, db_files, parsed, current, scenarios, changed, occupied=occupied)

    def held_errors(self) -> list[Diagnostic]:
        """The errors of the new files the last plan held (``Plan.held``: they do not parse while a removed file of
        their kind keeps its records). A sync of the same tree reports them, but no row stores them (they are read
        again until they parse), so a backfill names them among the files broken at its head from here."""
        out: list[Diagnostic] = []
        news = {p: f for p, f in self.state.held.items()
                if f is not None and (p not in self.state.files or self.state.files[p].deleted)}
        self._parse([news])  # parsed by the last plan already, unless the cache was trimmed since
        for path, f in sorted(news.items()):
            outcome = self.cache.get((f.kind, path, f.blob_sha)) if f.error is None else None
            found = [f.error] if f.error is not None else list(outcome.diagnostics) \
                if isinstance(outcome, ParseError) else []
            out.extend(d for d in found if d.severity == "error")
        return out

    def step(self, commit: git.HistoryCommit, files: Mapping[str, ScannedFile], scope: frozenset[str], sink: Sink,
             counts: Counts) -> None:
        """Plan one commit against the in-memory state, hand it to ``sink``, and move the state past it."""
        the_plan = self._plan(commit, files, scope)
        held = self.state.held
        self.state.held = {p: files.get(p, held.get(p)) for p in the_plan.held}
        if not (the_plan.operations or the_plan.files or the_plan.errors):
            return
        ids: dict[tuple[str, str, str], uuid.UUID] = {}  # rows this commit creates get their ids here
        for op in the_plan.operations:
            if op.action == "created":
                ids[(op.kind, op.parent or "", op.number)] = uuid.uuid4()
        for fop in the_plan.files:
            if fop.existing is None and fop.scanned is not None:
                ids[("file", "", fop.path)] = uuid.uuid4()
        sink(commit, the_plan, ids)
        if self.births is not None:
            self.births.commit(the_plan, ids, self.eras.at(commit.sha).parser)
        lines = self.lines
        for op in the_plan.operations:
            if op.kind in _LINKED:
                key = (op.kind, source_ref(op.kind, op.number, op.parent))
                if op.record is None or op.path is None:
                    lines.pop(key, None)
                else:
                    lines[key] = (op.path, op.record.line, op.record.ref_lines)
        self.state.absorb(the_plan, ids)
        touched = scope | files.keys()
        for op in the_plan.operations:
            if op.action in REVISION_ACTIONS:
                self.revisions += 1
                bucket = counts.setdefault(op.kind, {})
                bucket[op.action] = bucket.get(op.action, 0) + 1
                if op.kind == "adr" and op.action == "created":  # (a date git cannot give: None, undated for good)
                    self.state.adr_created.setdefault(op.number, commit.date)
        # A file that lost an identity is re-planned by every commit; its conflict is news only when it is touched.
        # (A finding names a file whose name is not UTF-8 with its bytes escaped: ``shown_path``.)
        shown = {shown_path(p) for p in touched}
        self.errors.extend(CommitError(commit.sha, d) for d in the_plan.errors if d.path in shown)


def prepare_records(result: ParseResult) -> None:
    """What the parse of a file also does, in the worker that parsed it: its records' content hashes
    (``hash_records``) and their structured fields as JSON texts (``engine.apply.prepare_outcome``, kept on each
    record until the batch writer has used them). The writer would encode them in the parent, which is the
    backfill's critical path (it plans and writes every commit) while the workers have time to spare after the first
    commit. The texts are exactly the parent's (``encode_fields`` takes the kept ones); an ADR dated from its commit
    (``Replay._with_dates``) is a new record, and a record reused from the parse cache (a revert) has had its texts
    dropped: both are encoded by the writer, as before."""
    from tracertm.engine.apply import prepare_outcome  # imported by the parent before its workers start (fork)

    hash_records(result)
    prepare_outcome(result.path, result)


def _rounds(keys: list[Key]) -> list[list[Key]]:
    """``keys`` in rounds with one version of each path per round (the pool keys its outcomes by path)."""
    rounds: list[list[Key]] = []
    seen: dict[str, int] = {}
    for key in keys:
        n = seen.get(key[1], 0)
        seen[key[1]] = n + 1
        if n == len(rounds):
            rounds.append([])
        rounds[n].append(key)
    return rounds
