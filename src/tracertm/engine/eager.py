"""The first sync of a project writes its records while the files parse (the eager writer).

A first sync creates every record it parses, so the rows it will write are known file by file, before the plan is:
each parsed file's records can go to the database as its chunk comes back from the parse workers, while they parse
the rest (``ParsePool.parse(consume=...)``), instead of all of them after the parse. The plan stays the one judge of
what a sync writes: the eager rows go in under a savepoint, and are kept only when the plan, made afterwards from
the same parsed records as always, is exactly "create these records, at these paths and positions". In every other
case (two files claiming one id, a row the database refuses, any operation the eager writer did not foresee) the
savepoint is rolled back and ``apply`` writes the plan as usual. The rows are built by the very code ``apply`` uses
(``apply.write_batch``), so they are the same rows.

Used only when the project holds no file and no record at all when its write lock is taken (then planning needs no
state from the database, and nothing can be "updated"), and when the source is not a commit (a commit's revisions
carry the authors of the paths the plan revises, known only after planning).
"""

from __future__ import annotations

import threading
import time
import uuid
from collections import defaultdict
from typing import Any

from sqlalchemy import bindparam, delete, update

from tracertm.errors import Cancelled, Diagnostic, RecordRefusedError
from tracertm.parsers.records import ParseResult, ParserOptions
from tracertm.engine.apply import _ORDER, Provenance, prepare_outcome, write_batch
from tracertm.engine.derive import LinkSpec, derive
from tracertm.crossfile import adr_resolver
from tracertm.engine.adr_links import resolve_links
from tracertm.engine.links import (
    LINKS, TARGET_MODELS, Source, dangling_of, insert_links, link_line, link_row, source_ref,
)
from tracertm.engine.plan import Operation, Plan
from tracertm.search.deferred import Deferred
from tracertm.steps.eager import EagerMatches

# Records buffered before they are written: small enough that the last file's rows add little after the parse,
# large enough that a statement's fixed costs do not matter.
FLUSH_AT = 1000

Key = tuple[str, str, str]  # (kind, feature number or "", number), as ``apply`` keys its ids


class EagerWriter:
    """Writes a first sync's records (and their revisions) as parsed files arrive, under a savepoint.

    ``consume`` is the parse pool's callback; ``finish(plan)`` keeps the rows and returns their ids when ``plan`` is
    exactly what was written, else rolls them back and returns None (the caller then applies the plan).
    """

    def __init__(
        self,
        conn: Any,
        project_id: uuid.UUID,
        run_id: uuid.UUID,
        options: ParserOptions,
        cancel: threading.Event | None = None,
        index: Deferred | None = None,
    ) -> None:
        self._conn = conn
        self._project_id = project_id
        self._run_id = run_id
        self._cancel, self._next_look = cancel, 0.0
        self._options = options
        self._index = index  # the search index, kept in step with each write (``search.deferred``)
        self._text_json = conn.dialect.name in ("sqlite", "postgresql")
        # (The transaction waits, idle, while the workers parse: the write phase set PostgreSQL's
        # idle_in_transaction_session_timeout off for it before this savepoint, ``sync._idle_allowed``.)
        self._savepoint = conn.begin_nested()
        self._pending: dict[str, list[Operation]] = defaultdict(list)
        self._buffered = 0
        self._written: dict[Key, Operation] = {}
        self._feature_ids: dict[str, uuid.UUID] = {}
        self.ids: dict[Key, uuid.UUID] = {}
        # The outgoing links (``derive.derive``: pure, derived here rather than after the parse) of the records with
        # a link that had to wait for its target (``finish`` names the dangling ones); those of the others are not
        # kept (26,000 lists freed after the parse, on the large corpus).
        self.links: dict[uuid.UUID, list[LinkSpec]] = {}
        # New links to a record whose target was not written yet when their source was, by target key: inserted
        # by the flush that writes the target (while the workers still parse), the rest (dangling) at the end.
        self._waiting: dict[Key, list[tuple[Source, LinkSpec]]] = defaultdict(list)
        # The dangling links of the kept rows (``links.maintain``'s findings), set by ``finish``.
        self.findings: list[Diagnostic] = []
        # Why the eager rows cannot stand (None while they can); said in ``finish``'s fallback, for tests.
        self.abandoned: str | None = None
        # The scenarios' step matches, written after their scenarios (``tracertm.steps.eager``).
        self.steps = EagerMatches(conn, project_id)

    # ------------------------------------------------------------------------------------------- during the parse

    def consume(self, path: str, outcome: Any) -> None:
        """One parsed file: its records become "created" operations, as ``plan`` makes them for a project with no
        records; written when enough are buffered."""
        # A look at ``cancel`` 20 times a second at most: the watch daemon's (``SyncGuard``) stats every file the
        # sync reads while git holds the index, and the sync looks once more, exactly, after the parse.
        if self._cancel is not None and (now := time.monotonic()) >= self._next_look:
            self._next_look = now + 0.05
            if self._cancel.is_set():
                raise Cancelled("sync cancelled; nothing was written")
        prepare_outcome(path, outcome)
        if self.abandoned is not None or not isinstance(outcome, ParseResult):
            return
        if outcome.kind == "feature":
            self.steps.add(path, outcome)
        for record in outcome.records:
            kind = outcome.kind
            if not self._add(Operation("created", kind, record.number, path, record)):
                return
            if kind == "feature":
                for position, child in enumerate(record.children):
                    if not self._add(Operation("created", "scenario", child.number, path, child, None, record.number,
                                               position)):
                        return
        if self._buffered >= FLUSH_AT:
            self._flush()

    def lull(self) -> None:
        """The parse's last round (``engine.parse.Lull``): write what is buffered now, while the last chunks parse,
        so that what is left for after the parse is at most the rows of the last chunk."""
        if self._buffered and self.abandoned is None:
            self._flush()

    def _add(self, op: Operation) -> bool:
        key = (op.kind, op.parent or "", op.number)
        if key in self._written:
            # Two records claim one identity: which one wins, and the conflict, are the plan's to decide.
            self._abandon(f"{op.kind} {op.number} is claimed twice")
            return False
        self._written[key] = op
        self._pending[op.kind].append(op)
        self._buffered += 1
        return True

    def _flush(self) -> None:
        pending, self._pending, self._buffered = self._pending, defaultdict(list), 0
        try:
            for kind in _ORDER:  # features before their scenarios (a scenario's feature is in the same file)
                ops = pending.get(kind)
                if ops:
                    write_batch(self._conn, kind, ops, self._feature_ids, self._project_id, self._run_id,
                                Provenance(), self._text_json, self.ids, probe=False)
            self._write_links([op for kind in _ORDER for op in pending.get(kind, ())])
            self._write_steps(pending)
            if self._index is not None:
                self._index.flush()  # while the workers still parse, not all after them
        except RecordRefusedError as exc:
            # Maybe a record the plan would not write (it may lose its id to another file): let apply decide.
            self._abandon(str(exc))

    def _write_links(self, ops: list[Operation]) -> None:
        """The new links of ``ops`` (just written): what ``links.maintain`` writes for a project's first records.
        A link whose target is a record not written yet waits for ``finish``."""
        rows: list[dict[str, Any]] = []
        waiting = self._waiting
        for op in ops:
            key = (op.kind, op.parent or "", op.number)
            source = self._source(op)
            specs = derive(op.kind, source.fields, self._options)
            for spec in specs:
                if spec.target_kind not in TARGET_MODELS:  # a requirement: never a row of its own
                    rows.append(link_row(self._project_id, source, spec, None))
                    continue
                target_key = (spec.target_kind, "", spec.target_ref)
                target = self.ids.get(target_key)
                if target is None:
                    waiting[target_key].append((source, spec))
                    self.links[source.id] = specs
                else:
                    rows.append(link_row(self._project_id, source, spec, (target, 1)))
        # Links that waited for a record of this flush: their target exists now (the same row ``finish`` would
        # insert for them, earlier, while the workers still parse).
        if waiting:
            for op in ops:
                if op.kind in TARGET_MODELS and not op.parent:
                    target_key = (op.kind, "", op.number)
                    for source, spec in waiting.pop(target_key, ()):
                        rows.append(link_row(self._project_id, source, spec, (self.ids[target_key], 1)))
        insert_links(self._conn, rows)

    def _write_steps(self, pending: dict[str, list[Operation]]) -> None:
        """The step matches of the scenarios just written (``tracertm.steps.eager``)."""
        ids = self.ids
        definitions = pending.get("step_definition")
        if definitions:
            self.steps.definitions((op.number, ids[("step_definition", "", op.number)]) for op in definitions)
        scenarios = pending.get("scenario")
        if scenarios:
            self.steps.write((op.path, op.number, source_ref("scenario", op.number, op.parent),
                              ids[("scenario", op.parent or "", op.number)]) for op in scenarios)

    def _source(self, op: Operation) -> Source:
        assert op.record is not None
        return Source(op.kind, self.ids[(op.kind, op.parent or "", op.number)],
                      source_ref(op.kind, op.number, op.parent), op.path, op.record.line, op.record.fields,
                      op.record.ref_lines)

    def _abandon(self, reason: str) -> None:
        self.abandoned = reason
        self._pending.clear()
        self._buffered = 0

    # -------------------------------------------------------------------------------------------- after the parse

    def finish(self, plan: Plan) -> dict[Key, uuid.UUID] | None:
        """Keep the eager rows when ``plan`` creates exactly them (returns every record's row id, as ``apply``
        does); otherwise roll them back and return None."""
        if self.abandoned is None:
            self._flush()
        if self.abandoned is None:
            mismatch = self._mismatch(plan)
            if mismatch is None:
                self._finish_links(plan)
                self._savepoint.commit()
                return self.ids
            self.abandoned = mismatch
        self.rollback()
        return None

    def _finish_links(self, plan: Plan) -> None:
        """Every record is written now: the links that waited for their target, and the dangling ones (in plan
        order, as ``links.maintain`` reports them). A link whose target is no record's id may still name an ADR
        (``adr_links.resolve_links``: ``ADR-0008`` names ``ADR-0008-use-x``), known only now that every ADR is: the
        links of such a record become those ``resolve_links`` makes of all its references, as a sync that is not
        the first writes them (one link per ADR named, each at the first reference of its type naming it; a
        ``related`` link beside a stronger one to the same ADR, inserted already, goes)."""
        rows = []
        waited: dict[uuid.UUID, tuple[Source, set[LinkSpec]]] = {}  # by source: its links that found no target
        for target_key, sources in self._waiting.items():
            target = self.ids.get(target_key)  # None (each flush took the links whose target it wrote)
            for source, spec in sources:
                if target is not None:
                    rows.append(link_row(self._project_id, source, spec, (target, 1)))
                else:
                    waited.setdefault(source.id, (source, set()))[1].add(spec)
        self._waiting = defaultdict(list)
        dangling: dict[uuid.UUID, tuple[Source, dict[LinkSpec, tuple[str, ...]]]] = {}
        relined: list[dict[str, Any]] = []
        stale: list[dict[str, Any]] = []
        if waited:
            name = adr_resolver({number for kind, parent, number in self.ids if kind == "adr" and not parent})
            for source, unmet in waited.values():
                every = self.links[source.id]
                made = [spec for spec in every if spec not in unmet]  # (inserted: their targets were written)
                placed, resolved, _, several = resolve_links(source, every, name)
                wanted = set(resolved)
                for spec in made:
                    key = {"_sid": source.id, "_type": str(spec.link_type), "_kind": spec.target_kind,
                           "_ref": spec.target_ref}
                    if spec not in wanted:
                        stale.append(key)
                    elif (line := link_line(placed, spec) or 1) != (link_line(source, spec) or 1):
                        relined.append({**key, "_line": line})
                inserted = set(made)
                for spec in resolved:  # (in their order: the findings' order)
                    if spec in inserted:
                        continue
                    target = self.ids.get((spec.target_kind, "", spec.target_ref))
                    rows.append(link_row(self._project_id, placed, spec, (target, 1) if target is not None else None))
                    if target is None:
                        dangling.setdefault(source.id, (placed, {}))[1][spec] = several.get(spec, ())
        insert_links(self._conn, rows)
        t = LINKS.c
        same = (t.source_id == bindparam("_sid"), t.link_type == bindparam("_type"),
                t.target_kind == bindparam("_kind"), t.target_ref == bindparam("_ref"))
        if stale:
            self._conn.execute(delete(LINKS).where(*same), stale)
        if relined:
            self._conn.execute(update(LINKS).where(*same).values(source_line=bindparam("_line")), relined)
        if not dangling:
            return
        for op in plan.operations:
            found = dangling.get(self.ids[(op.kind, op.parent or "", op.number)])
            if found is not None:
                self.findings.extend(dangling_of(found[0], spec, ids) for spec, ids in found[1].items())

    def rollback(self) -> None:
        """Undo every eager row (the caller's transaction goes on)."""
        if self._savepoint.is_active:
            self._savepoint.rollback()
        self._pending.clear()
        self.steps.forget()

    def _mismatch(self, plan: Plan) -> str | None:
        """Why ``plan`` is not exactly the operations written (None when it is)."""
        if len(plan.operations) != len(self._written):
            return f"the plan has {len(plan.operations)} operations, {len(self._written)} were written"
        written = self._written
        for op in plan.operations:
            # The same operation field by field (a "created" one, with no current row nor parent row, the same
            # record — compared by identity first — path and position), as a tuple: 26,000 of them in ~8 ms.
            if written.get((op.kind, op.parent or "", op.number)) != op:
                return f"the plan's {op.action} of {op.kind} {op.number} ({op.path}) was not written so"
        return None


__all__ = ["EagerWriter", "FLUSH_AT"]
