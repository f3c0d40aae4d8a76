"""The per-commit replay: every commit of the history goes through the ordinary ``plan`` against the in-memory
state, with that commit as provenance — so versions, moves, restores and parse-error handling are exactly sync's.

Blobs are read in bulk (one pipelined ``git cat-file --batch`` round per batch of commits) and parsed once per
(kind, path, blob) through the shared parse pool; results are kept for reverts.
"""

from __future__ import annotations

import uuid
from collections.abc import Callable, Iterable, Iterator, Mapping
from dataclasses import replace

from tracertm import git
from tracertm.config import Settings
from tracertm.engine.moves import pair_moves
from tracertm.engine.parse import Outcome, ParsePool, hash_records
from tracertm.engine.plan import REVISION_ACTIONS, Plan
from tracertm.engine.scan import ScannedFile
from tracertm.history.results import CommitError
from tracertm.history.settings import CONFIG_FILES, SettingsHistory
from tracertm.history.state import HistoryState, NewIds
from tracertm.history.tree import LINK_MODE, SpecTree
from tracertm.parsers.records import ParseResult

_CACHE_LIMIT = 50_000  # parse results kept for reverts (by kind, path, blob id)
PARALLEL_THRESHOLD = 64  # parse jobs of a batch below which worker processes cost more than they save

# One commit to plan: the commit, its changed spec files, and every spec path it touched (deleted ones too).
Step = tuple[git.HistoryCommit, dict[str, ScannedFile], frozenset[str]]
# Where a planned commit goes: the batched writer, or the merge's in-memory collection.
Sink = Callable[[git.HistoryCommit, Plan, NewIds], None]
Counts = dict[str, dict[str, int]]  # kind → change → revisions, for the sync_runs row


class Replay:
    """Walks the history commit by commit, keeping ``state`` in step with what each commit's plan writes."""

    def __init__(self, tree: SpecTree, pool: ParsePool, eras: SettingsHistory) -> None:
        self.tree = tree
        self.pool = pool
        self.eras = eras
        self.state = HistoryState()
        self.cache: dict[tuple[str, str, str], Outcome] = {}
        self.parsed = 0  # blobs parsed
        self.revisions = 0  # revisions planned
        self.errors: list[CommitError] = []

    @property
    def settings(self) -> Settings:
        """The settings of the era the replay is in."""
        return self.tree.settings

    def batches(self, revs: list[str], size: int) -> Iterator[tuple[list[Step], str | None]]:
        """The commits of ``revs`` touching spec files, parsed, in batches of ``size``, each with its last commit
        (None for the final, possibly empty, batch)."""
        batch: list[Step] = []
        config = tuple(self.tree.prefix + name for name in CONFIG_FILES)
        for commit in git.history(self.tree.top, revs, self.tree.prefixes + config, self.tree.prefix):
            files, scope = self.tree.advance(commit, self.enter(commit.sha))
            if scope:
                batch.append((commit, files, scope))
            if len(batch) >= size:
                self._parse(files for _, files, _ in batch)
                yield batch, commit.sha
                batch = []
        self._parse(files for _, files, _ in batch)
        yield batch, None

    def enter(self, commit: str) -> frozenset[str]:
        """Take the settings in force at ``commit``; returns the paths whose kind that changes."""
        settings = self.eras.at(commit)
        if settings is self.tree.settings:
            return frozenset()
        if settings.parser != self.tree.settings.parser:
            self.cache.clear()  # parsed with other options
        return self.tree.use(settings)

    def _parse(self, scans: Iterable[Mapping[str, ScannedFile]]) -> None:
        """Read and parse every (kind, path, blob) of a batch not parsed before, in one pipelined read."""
        wanted: dict[tuple[str, str, str], ScannedFile] = {}
        for files in scans:
            for f in files.values():
                key = (f.kind, f.path, f.blob_sha)
                if f.error is None and key not in self.cache:
                    wanted[key] = f
        if not wanted:
            return
        if len(self.cache) + len(wanted) > _CACHE_LIMIT:
            self.cache.clear()
        blobs = self.tree.reader.read_many([k[2] for k in wanted])
        rounds: list[list[tuple[str, str, str]]] = []  # the pool keys by path: one version of a path per round
        seen: dict[str, int] = {}
        for wanted_key in wanted:
            n = seen.get(wanted_key[1], 0)
            seen[wanted_key[1]] = n + 1
            if n == len(rounds):
                rounds.append([])
            rounds[n].append(wanted_key)
        for keys in rounds:
            work = [(k[1], wanted[k].kind, blobs[k[2]]) for k in keys]
            outcomes = self.pool.parse(work, self.settings.parser, prepare=hash_records)
            for k in keys:
                self.cache[k] = outcomes[k[1]]
        self.parsed += len(wanted)

    def _with_dates(self, outcome: Outcome, commit: git.HistoryCommit) -> Outcome:
        """ADRs without a date take the date of the commit that created them; their content hash is unchanged."""
        if not isinstance(outcome, ParseResult) or outcome.kind != "adr":
            return outcome
        records = []
        for rec in outcome.records:
            if rec.fields.get("date") is None:
                dated = replace(rec, fields={**rec.fields, "date": self.state.adr_created.get(rec.number, commit.date)})
                dated.__dict__["content_hash"] = rec.content_hash  # the cached_property: the file's own hash
                rec = dated
            records.append(rec)
        return replace(outcome, records=tuple(records))

    def _lost(self, scope: frozenset[str]) -> dict[str, ScannedFile]:
        """Files outside ``scope`` that lost an identity to another file: read again by every sync (the winner may
        be gone), so by every commit of the replay too."""
        out: dict[str, ScannedFile] = {}
        for path in self.state.lost - scope:
            entry, kind = self.tree.entries.get(path), self.tree.kind_of(path)
            if entry is not None and kind is not None and entry.mode != LINK_MODE:
                out[path] = ScannedFile(path, kind, entry.sha)
        if out:
            self._parse([out])  # parsed before: from the cache
        return out

    def _plan(self, commit: git.HistoryCommit, files: Mapping[str, ScannedFile], scope: frozenset[str]) -> Plan:
        from tracertm.engine.plan import plan

        state = self.state
        lost = self._lost(scope)
        if lost:
            files, scope = {**files, **lost}, scope | lost.keys()
        db_files = {p: state.files[p] for p in scope if p in state.files}
        parsed: dict[str, Outcome] = {
            p: self._with_dates(self.cache[(f.kind, p, f.blob_sha)], commit) for p, f in files.items() if f.error is None
        }
        moves = {old: new for old, new in commit.renames.items() if old in scope and new in files}
        for kind, old_number, new_number in pair_moves(moves, parsed, state.current):
            state.renumber(kind, old_number, new_number)
        keys: set[tuple[str, str]] = set()
        for outcome in parsed.values():
            if isinstance(outcome, ParseResult):
                keys.update((outcome.kind, r.number) for r in outcome.records)
        for path in scope:
            keys.update(state.by_path.get(path, ()))
        current = {k: state.current[k] for k in keys if k in state.current}
        scenarios = {c.id: state.scenarios.get(c.id, {}) for (kind, _), c in current.items() if kind == "feature"}
        changed = frozenset(
            p
            for p, f in files.items()
            if f.error is None and (p not in db_files or db_files[p].deleted or db_files[p].blob_sha != f.blob_sha)
        )
        return plan(files, scope.__contains__, db_files, parsed, current, scenarios, changed)

    def step(self, commit: git.HistoryCommit, files: Mapping[str, ScannedFile], scope: frozenset[str], sink: Sink,
             counts: Counts) -> None:
        """Plan one commit against the in-memory state, hand it to ``sink``, and move the state past it."""
        the_plan = self._plan(commit, files, scope)
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
        self.state.absorb(the_plan, ids)
        touched = scope | files.keys()
        for op in the_plan.operations:
            if op.action in REVISION_ACTIONS:
                self.revisions += 1
                bucket = counts.setdefault(op.kind, {})
                bucket[op.action] = bucket.get(op.action, 0) + 1
                if op.kind == "adr" and op.action == "created":
                    self.state.adr_created.setdefault(op.number, commit.date)
        # A file that lost an identity is re-planned by every commit; its conflict is news only when it is touched.
        self.errors.extend(CommitError(commit.sha, d) for d in the_plan.errors if d.path in touched)
