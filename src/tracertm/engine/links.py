"""Trace links: derived from the records' git-owned fields, kept in the ``links`` table by the sync's one writer.

``derive`` (``engine.derive``) is pure: a record's fields in, its outgoing links out. ``maintain`` runs inside the
sync transaction, right after ``apply``, and touches only the links of the records this sync created, changed or
deleted (as sources) and the links pointing at them (as targets): its cost follows what changed, not the size of the
repository. ``rebuild`` recomputes every link of a project from the database rows (first sync after the migration,
``--full``, backfill), keeping the review state of links that still exist.

Suspect links: a link records the target's version as sync last saw it (``target_version``) and the version it was
last reviewed against (``reviewed_version``). A new link is born reviewed (its author wrote it against the target as
it is); a later content change of the target (sync's ``updated``/``moved``/``restored``) moves ``target_version``
only, so the link turns suspect until ``tracertm review``. Database-side ``annotated`` edits never come through
here, so they never make a link suspect; ``rebuild`` reads a target's ``version`` from its row, which counts them,
and so follows its *content* version instead (``engine.link_versions``). A deleted record's links go, their review
state parked until the record is restored (``engine.parked``).
"""

from __future__ import annotations

import json
import uuid
from collections import defaultdict
from collections.abc import Iterable, Iterator, Mapping, Sequence
from dataclasses import dataclass, replace
from typing import Any, NamedTuple

from sqlalchemy import Table, and_, bindparam, delete, func, insert, select, true, update
from sqlalchemy.engine import Connection

from tracertm.crossfile import ambiguous_text
from tracertm.errors import Diagnostic
from tracertm import kinds
from tracertm.kinds import NUMBER_COLUMN
from tracertm.models import Base, Contract, Feature, LinkType, Project, Scenario
from tracertm.models.link import shown_order
from tracertm.models.types import utcnow
from tracertm.parsers.records import ParserOptions, SpecRecord
from tracertm.engine import scenario_moves
from tracertm.engine.adr_links import Reread, _renamed_adrs, _resolve_adrs, adr_names, renamed_references
from tracertm.engine.apply import iter_chunks
from tracertm.engine.derive import MAX_REF, LinkSpec, derive
from tracertm.engine.ids import as_id
from tracertm.engine.link_versions import content_versions, follow_step_links, followed_version
from tracertm.engine.named_tests import named_pairs
from tracertm.engine.parked import Parked, any_parked, park, park_births, parked_of, revive, take
from tracertm.engine.plan import Operation, Plan, plan_order
from tracertm.steps.packed import defined as defined_steps

LINKS: Table = Base.metadata.tables["links"]
# Kinds whose records can be link targets (top-level records: a scenario is named within its feature).
TARGET_MODELS: dict[str, Any] = {kind: kinds.model(kind) for kind in kinds.FILE_KINDS}
# Bumped when ``derive`` changes meaning: the next sync of every project rebuilds its links once.
# 2: step and test links; 3: ADR references by number or slug (``crossfile.resolve_adr``); 4: test links at their
# scenario's first step as it is now (earlier syncs left them where the import put them, see ``_reline_tests``).
LINKS_FORMAT = 4
_FORMAT_KEY = "links_format"
# Kinds of the records links are derived from (``derive``).
_SOURCE_KINDS = frozenset({"adr", "contract", "feature", "scenario"})

# Link types derived from what the files say (``derive``); the others are derived from database tables kept by other
# writers in the same transaction: ``step`` from ``scenario_steps`` (sync's step matching), ``test`` from the
# scenario ↔ test case mapping (results import) and its ``test_case_ids`` (a PATCH). ``_write_sources`` replaces
# only the file-derived ones.
DB_LINK_TYPES = (str(LinkType.STEP), str(LinkType.TEST))

# ---------------------------------------------------------------------------------------------- maintenance


@dataclass(frozen=True)
class Source:
    """A record whose outgoing links are (re)computed: identity, where it is, and its fields."""

    kind: str
    id: uuid.UUID
    ref: str  # ADR-0001, CTR-1, a feature number, FEATURE/SCENARIO
    path: str | None
    line: int | None  # None: unknown (rows read back from the database); links keep the line they have
    fields: Mapping[str, Any]
    # Where each referenced id is written (``SpecRecord.ref_lines``): a link points at its reference, a link without
    # one at ``line``. None: unknown (rows read back from the database).
    ref_lines: Mapping[str, int] | None = None
    # Where each link is, before ``ref_lines``: a link to an ADR as ``adr_links.resolve_links`` resolved it, at the
    # first reference of its type naming that ADR (``Supersedes ADR-0001`` and ``Superseded by ADR-0001-use-x``
    # are two links to one ADR, each at its own line); the stored links of a record read back from the database.
    link_lines: Mapping[LinkSpec, int] | None = None
    # Where a new link of a record read back from the database points when nothing above places it (a scenario's
    # keyword line, from its row). Not a line its links are moved to: a parse puts a scenario's link at its ``@ADR-n``
    # tag (its own or its feature's), which the row does not hold, so a link it has keeps the line it has.
    new_line: int | None = None


def link_line(source: Source, spec: LinkSpec) -> int | None:
    """The line a link from ``source`` points at: the line its reference is written on (an ``@ADR-n`` tag, a
    mention), else the source's own line; None when neither is known."""
    if source.link_lines:
        line = source.link_lines.get(spec)
        if line:
            return line
    if source.ref_lines:
        line = source.ref_lines.get(spec.target_ref)
        if line:
            return line
    return source.line


def source_ref(kind: str, number: str, parent: str | None) -> str:
    return f"{parent}/{number}" if kind == "scenario" and parent else number


def scenario_ref_splits(ref: str) -> list[tuple[str, str]]:
    """Every (feature, scenario) a scenario's ``FEATURE/SCENARIO`` reference can stand for: either part may hold
    a ``/`` itself (an untagged feature in a sub-folder is ``checkout/pay``; a scenario named ``EUR/USD``), so each
    ``/`` is a candidate; the database says which pair exists."""
    return [(ref[:i], ref[i + 1:]) for i, c in enumerate(ref) if c == "/"]


def maintain(
    conn: Connection,
    project_id: uuid.UUID,
    plan: Plan,
    ids: Mapping[tuple[str, str, str], uuid.UUID],
    options: ParserOptions,
    *,
    fresh: bool = False,
    reread: Reread | None = None,
) -> list[Diagnostic]:
    """Bring the links of what ``plan`` changed up to date (inside the sync's transaction, after ``apply``).

    ``ids``: the row id of every operation's record, keyed by (kind, feature number or "", number). ``fresh``: the
    project had no record before this sync, so it has no link either (nothing to look up or follow). ``reread``:
    where the references of unchanged spec files are written (see ``adr_links._renamed_adrs``). Returns the
    dangling links this sync created or left behind (a reference to a record that does not exist or was deleted).
    """
    targets: dict[str, list[tuple[Operation, uuid.UUID]]] = defaultdict(list)
    sources: list[Source] = []
    gone: list[uuid.UUID] = []
    for op in plan.operations:
        row_id = ids.get((op.kind, op.parent or "", op.number))
        if row_id is None:
            continue
        if op.action == "refresh":
            # The same content, so the same links; but lines moved (a line added above): the links follow them.
            if op.record is not None:
                sources.append(Source(op.kind, row_id, source_ref(op.kind, op.number, op.parent), op.path,
                                      op.record.line, op.record.fields, op.record.ref_lines))
            continue
        if op.kind in TARGET_MODELS:
            targets[op.action].append((op, row_id))
        if op.action == "deleted":
            gone.append(row_id)
        elif op.record is not None:
            sources.append(
                Source(op.kind, row_id, source_ref(op.kind, op.number, op.parent), op.path, op.record.line,
                       op.record.fields, op.record.ref_lines)
            )
    if not fresh:
        _follow_targets(conn, project_id, targets)
    # A deleted record's links go; their reviews wait for it (``engine.parked``), which a restored one takes back.
    park(conn, project_id, gone)
    restored_ids = [row_id for op in plan.operations if op.action == "restored" and op.kind in _SOURCE_KINDS
                    if (row_id := ids.get((op.kind, op.parent or "", op.number))) is not None]
    back = take(conn, project_id, restored_ids) if restored_ids else None
    dangling = _write_sources(conn, project_id, sources, options, fresh=fresh, parked=back)
    if not fresh:
        _reline_tests(conn, sources)
        dangling += _renamed_adrs(conn, project_id, plan, {s.id for s in sources} | set(gone), options, reread)
        # A restored scenario's test mapping survived its deletion (step links come back with re-matching).
        restored = [row_id for op in plan.operations if op.kind == "scenario" and op.action == "restored"
                    if (row_id := ids.get((op.kind, op.parent or "", op.number))) is not None]
        write_scenario_links(conn, project_id, str(LinkType.TEST), restored)
    deleted_refs = [(op.kind, op.number) for op, _ in targets.get("deleted", [])]
    return dangling + _dangling_to(conn, project_id, deleted_refs)


def _follow_targets(
    conn: Connection, project_id: uuid.UUID, targets: Mapping[str, list[tuple[Operation, uuid.UUID]]]
) -> None:
    """Links pointing at records that appeared, changed or went away."""
    t = LINKS.c
    appeared = [
        {"_kind": op.kind, "_ref": op.number, "_id": row_id, "_v": op.version}
        for action in ("created", "restored")
        for op, row_id in targets.get(action, [])
    ]
    if appeared:
        # A dangling link resolves; one never reviewed before is reviewed as of now (the target is new to it).
        conn.execute(
            update(LINKS)
            .where(t.project_id == project_id, t.target_kind == bindparam("_kind"), t.target_ref == bindparam("_ref"),
                   t.target_id.is_(None))
            .values(target_id=bindparam("_id"), target_version=bindparam("_v"),
                    reviewed_version=func.coalesce(t.reviewed_version, bindparam("_v")), updated_at=utcnow()),
            appeared,
        )
    changed = [
        {"_id": row_id, "_v": op.version}
        for action in ("updated", "moved")
        for op, row_id in targets.get(action, [])
        if op.current is None or op.version != op.current.version
    ]
    if changed:
        conn.execute(
            update(LINKS).where(t.target_id == bindparam("_id")).values(
                target_version=bindparam("_v"), updated_at=utcnow()
            ),
            changed,
        )
    # A step link names its definition by identity (file::function), which a definition's move changes: it follows
    # (links from text name what the text says, and stay).
    renamed = [
        {"_id": row_id, "_ref": clip_ref(op.number)}
        for op, row_id in targets.get("moved", [])
        if op.kind == "step_definition"
    ]
    if renamed:
        conn.execute(
            update(LINKS).where(t.target_id == bindparam("_id"), t.link_type == str(LinkType.STEP),
                                t.target_ref != bindparam("_ref"))
            .values(target_ref=bindparam("_ref"), updated_at=utcnow()),
            renamed,
        )
    removed = [{"_id": row_id} for op, row_id in targets.get("deleted", [])]
    steps_gone = [row_id for op, row_id in targets.get("deleted", []) if op.kind == "step_definition"]
    for chunk in iter_chunks(steps_gone):
        # A step link exists only while its definition matches; the scenarios it served are re-matched next.
        conn.execute(delete(LINKS).where(t.target_id.in_(chunk), t.link_type == str(LinkType.STEP)))
    if removed:
        conn.execute(
            update(LINKS).where(t.target_id == bindparam("_id")).values(target_id=None, target_version=None,
                                                                         updated_at=utcnow()),
            removed,
        )


def _reline_tests(conn: Connection, sources: Sequence[Source]) -> None:
    """The ``test`` links of the parsed scenarios among ``sources`` follow their first step's line (a line added
    above moved it), else line 1: the line a results import gives a new link (``trace.results.link_source``). One
    probe per scenario through the links' (source_id, link_type, …) key; nothing is read."""
    t = LINKS.c
    relined = [{"_sid": s.id, "_line": first_step_line(s.fields.get(k) for k in _STEP_LISTS) or 1}
               for s in sources if s.kind == "scenario" and any(k in s.fields for k in _STEP_LISTS)]
    if relined:
        conn.execute(update(LINKS).where(t.source_id == bindparam("_sid"), t.link_type == str(LinkType.TEST),
                                         t.source_line != bindparam("_line"))
                     .values(source_line=bindparam("_line")), relined)


_STEP_LISTS = ("given_steps", "when_steps", "then_steps")


class _Existing(NamedTuple):
    id: int
    path: str | None
    line: int
    ref: str
    reviewed: int | None


def _write_sources(
    conn: Connection, project_id: uuid.UUID, sources: Sequence[Source], options: ParserOptions, *,
    fresh: bool = False,
    reviewed: Mapping[tuple[uuid.UUID, LinkSpec], int] | None = None,
    parked: Mapping[tuple[uuid.UUID, LinkSpec], Parked] | None = None,
) -> list[Diagnostic]:
    """Replace the outgoing links of ``sources`` by what their fields say; links that stay keep their review. A new
    link is born reviewed against its target's version, or the one ``reviewed`` gives it (a backfill's
    ``history.births``: the version its target had when the link appeared in the history); a link of a restored
    record that it had before its deletion takes the review ``parked`` kept of it (``engine.parked``)."""
    t = LINKS.c
    wanted: dict[uuid.UUID, list[LinkSpec]] = {s.id: derive(s.kind, s.fields, options) for s in sources}
    sources, written, several = _resolve_adrs(conn, project_id, sources, wanted)
    existing: dict[tuple[uuid.UUID, LinkSpec], _Existing] = {}
    for chunk in iter_chunks([] if fresh else list(wanted)):
        rows = conn.execute(
            select(t.id, t.source_id, t.link_type, t.target_kind, t.target_ref, t.source_path, t.source_line,
                   t.source_ref, t.reviewed_version).where(t.source_id.in_(chunk), t.link_type.not_in(DB_LINK_TYPES))
        )
        for r in rows:
            existing[(r.source_id, LinkSpec(r.link_type, r.target_kind, r.target_ref))] = _Existing(
                r.id, r.source_path, r.source_line, r.source_ref, r.reviewed_version
            )
    keep = {(s.id, spec) for s in sources for spec in wanted[s.id]}
    new: list[tuple[Source, LinkSpec]] = [
        (s, spec) for s in sources for spec in wanted[s.id] if (s.id, spec) not in existing
    ]
    resolved = resolve(conn, project_id, {(spec.target_kind, spec.target_ref) for _, spec in new})
    # A reference to an ADR that names another one now, or none, stays the link it was (``renamed_references``).
    gone = [key for key in existing if key not in keep]
    renamed = renamed_references(gone, [(s.id, x) for s, x in new], written, {
        (s.id, x) for s, x in new if (x.target_kind, x.target_ref) not in resolved
    }) if gone else {}  # (a first sync, and most later ones, take no link away)
    going_on = set(renamed.values())
    stale = [existing[key].id for key in gone if key not in going_on]
    for chunk in iter_chunks(stale):
        conn.execute(delete(LINKS).where(t.id.in_(chunk)))
    back = parked_of(new, written, parked)
    contents = content_versions(conn, dict(target for s, spec in new if (s.id, spec) in back
                                           if (target := resolved.get((spec.target_kind, spec.target_ref))))
                                ) if back else {}
    rows_: list[dict[str, Any]] = []
    revived: list[dict[str, Any]] = []
    continued: list[dict[str, Any]] = []  # (``renamed``)
    dangling: list[Diagnostic] = []
    for s, spec in new:
        if len(rows_) >= _INSERT_BATCH:  # in batches: a cold sync's tens of thousands of rows are never all in memory
            _insert(conn, rows_)
            rows_ = []
        target = resolved.get((spec.target_kind, spec.target_ref))
        row = link_row(project_id, s, spec, target)
        old = renamed.get((s.id, spec))
        was = back.get((s.id, spec)) if old is None else None
        if old is not None:
            # Its review stays, as ``_follow_targets`` keeps it while a target is gone and when it comes back.
            if (before := existing[old].reviewed) is not None:
                row["reviewed_version"] = before if target is None else min(before, target[1])
            continued.append({"_id": existing[old].id, **{c: row[c] for c in _CONTINUED}})
        elif was is not None:
            revive(row, was, contents[target[0]] if target else None)
            revived.append(row)
        elif reviewed and (
            (then := reviewed.get((s.id, spec))) is not None
            or (then := reviewed.get((s.id, written.get((s.id, spec), spec)))) is not None
        ):
            # A link whose target is gone at the end keeps, in a sync of each commit, the version it was reviewed
            # against (``_follow_targets`` leaves ``reviewed_version``): when the target comes back it is suspect.
            row["reviewed_version"] = min(then, target[1]) if target is not None else then
        if was is None and old is None:
            rows_.append(row)
        if target is None and spec.target_kind in TARGET_MODELS:
            dangling.append(dangling_of(s, spec, several.get((s.id, spec), ())))
    _insert(conn, rows_)
    if revived:  # (with their reviewers: the rows ``_insert`` writes all have ``link_row``'s columns)
        conn.execute(insert(LINKS), revived)
    if continued:
        conn.execute(update(LINKS).where(t.id == bindparam("_id")).values(updated_at=utcnow()), continued)
    # Links that stay: follow their source when it moved (path, line, or a scenario's feature renamed).
    moved = [
        {"_id": e.id, "source_path": s.path, "source_line": line, "source_ref": s.ref}
        for s in sources for spec in wanted[s.id]
        if (e := existing.get((s.id, spec))) is not None
        and (e.path, e.line, e.ref) != (s.path, line := link_line(s, spec) or e.line, s.ref)
    ]
    if moved:
        conn.execute(update(LINKS).where(t.id == bindparam("_id")), moved)
    if not fresh:
        # Step and test links of a scenario that moved (new path, or its feature renumbered) follow it too.
        scenario_moves.follow(conn, [(s.id, s.path, s.ref) for s in sources if s.kind == "scenario"])
    # Targets that exist and are already linked were resolved when the link was made (or followed since).
    return dangling


_INSERT_BATCH = 2000
# The columns of a link that ``renamed_references`` continues that follow its reference: what it names, where.
_CONTINUED = ("source_path", "source_line", "source_ref", "target_ref", "target_id", "target_version",
             "reviewed_version")


# The last project id ``link_row`` was given, and the same as an ``Id`` (its hex digits kept), as one pair.
_LAST_PROJECT: list[tuple[Any, Any]] = [(None, None)]


def link_row(
    project_id: uuid.UUID, source: Source, spec: LinkSpec, target: tuple[uuid.UUID, int] | None
) -> dict[str, Any]:
    """The ``links`` row of a new link from ``source`` (``target``: the live record it names, id and version; a new
    link is born reviewed against it)."""
    # (``link_line``, inline: a cold sync makes tens of thousands of rows)
    placed, refs = source.link_lines, source.ref_lines
    line = ((placed.get(spec) if placed else None) or (refs.get(spec.target_ref) if refs else None) or source.line
            or source.new_line or 1)
    cached = _LAST_PROJECT[0]
    if cached[0] is not project_id:  # one project per sync: converted once (see ``ids.as_id``), not per link
        # A new pair replaces the old one in one assignment: another thread reads one pair or the other.
        cached = _LAST_PROJECT[0] = (project_id, as_id(project_id))
    return {
        "project_id": cached[1], "source_kind": source.kind, "source_id": source.id,
        "source_ref": source.ref, "source_path": source.path, "source_line": line,
        "link_type": str(spec.link_type), "target_kind": spec.target_kind, "target_ref": spec.target_ref,
        "target_id": target[0] if target else None,
        "target_version": target[1] if target else None,
        "reviewed_version": target[1] if target else None,
    }


def dangling_of(source: Source, spec: LinkSpec, several: Sequence[str] = ()) -> Diagnostic:
    """The warning of a new link from ``source`` whose target does not exist (``several``: the ADRs its reference
    may name, when it is ambiguous)."""
    return dangling_finding(source.path, link_line(source, spec) or source.new_line or 1, source.ref,
                            str(spec.link_type), spec.target_kind, spec.target_ref, several)


def insert_links(conn: Connection, rows: list[dict[str, Any]]) -> None:
    """Insert ``link_row`` rows (through the driver, see ``_insert``)."""
    _insert(conn, rows)


def _insert(conn: Connection, rows: list[dict[str, Any]]) -> None:
    """Insert link rows straight through the driver (``engine.bulk``: the statement compiled once, rows as tuples;
    ``COPY`` on PostgreSQL): a cold sync writes tens of thousands of links, and SQLAlchemy's per-row parameter
    processing would cost as much as the database itself."""
    from tracertm.engine import bulk

    if rows:
        bulk.execute_many(conn, insert(LINKS), rows)


def resolve(
    conn: Connection, project_id: uuid.UUID, refs: Iterable[tuple[str, str]]
) -> dict[tuple[str, str], tuple[uuid.UUID, int]]:
    """Live records named by (kind, ref): their id and version. Unknown kinds (requirements) resolve to nothing."""
    by_kind: dict[str, set[str]] = defaultdict(set)
    for kind, ref in refs:
        if kind in TARGET_MODELS:
            by_kind[kind].add(ref)
    out: dict[tuple[str, str], tuple[uuid.UUID, int]] = {}
    for kind, numbers in by_kind.items():
        table = TARGET_MODELS[kind].__table__
        number = table.c[NUMBER_COLUMN[kind]]
        for chunk in iter_chunks(sorted(numbers)):
            rows = conn.execute(
                select(table.c.id, number.label("number"), table.c.version).where(
                    table.c.project_id == project_id, table.c.deleted_at.is_(None), number.in_(chunk)
                )
            )
            for r in rows:
                out[(kind, r.number)] = (r.id, r.version)
    return out


def dangling_finding(
    path: str | None, line: int, source: str, link_type: str, kind: str, ref: str, several: Sequence[str] = ()
) -> Diagnostic:
    """A dangling link as a warning on its source (``several``: the ADRs an ambiguous reference may name)."""
    if several:
        return Diagnostic(path or source, line, 1, f"dangling link: {source} {link_type} {ref}, "
                          f"{ambiguous_text(several)}", severity="warning")
    what = {"adr": "ADR", "contract": "contract", "feature": "feature"}.get(kind, kind)
    return Diagnostic(
        path or source, line, 1,
        f"dangling link: {source} {link_type} {ref}, which is not a live {what} of this project; "
        f"fix the reference or add the {what}",
        severity="warning",
    )


def _dangling_order() -> tuple[Any, ...]:
    """The order of dangling-link warnings: ``models.link.shown_order``, as ``status`` lists them — the same on
    every database (text by code point, links of no file last) and total."""
    return shown_order(LINKS.c)


def _dangling_to(conn: Connection, project_id: uuid.UUID, refs: Sequence[tuple[str, str]]) -> list[Diagnostic]:
    """Links left dangling because their target was deleted by this sync."""
    t = LINKS.c
    out: list[Diagnostic] = []
    by_kind: dict[str, list[str]] = defaultdict(list)
    for kind, ref in refs:
        by_kind[kind].append(ref)
    for kind, numbers in by_kind.items():
        for chunk in iter_chunks(sorted(numbers)):
            rows = conn.execute(
                select(t.source_path, t.source_line, t.source_ref, t.link_type, t.target_ref).where(
                    t.project_id == project_id, t.target_kind == kind, t.target_ref.in_(chunk), t.target_id.is_(None)
                ).order_by(*_dangling_order())
            ).all()
            # A plain ``ADR-0008`` left dangling may be ambiguous now (two ADRs ``ADR-0008-…`` remain): said so, as
            # ``dangling`` (a full rebuild's) says it.
            name = adr_names(conn, project_id, {r.target_ref for r in rows}) if kind == "adr" and rows else None
            out += [dangling_finding(r.source_path, r.source_line, r.source_ref, r.link_type, kind, r.target_ref,
                                     name(r.target_ref)[1] if name is not None else ())
                    for r in rows]
    return out


# ------------------------------------------------------------------------------------ database-derived links


def clip_ref(ref: str) -> str:
    """A target reference that fits ``links.target_ref`` (step identities and test ids can be long); a clipped one
    keeps a digest of the whole so that two long ids stay two links."""
    if len(ref) <= 500:
        return ref
    import hashlib

    return ref[:480] + "…" + hashlib.sha256(ref.encode()).hexdigest()[:16]


def _pairs(
    conn: Connection, link_type: str, scenario_ids: Sequence[uuid.UUID]
) -> dict[tuple[uuid.UUID, uuid.UUID], int]:
    """(scenario, target) → the line the link points at, as the tables say now. ``step``: the definitions a step of
    the scenario matched unambiguously (the first such step's line); ``test``: the test cases mapped to it and those
    its ``test_case_ids`` names (``engine.named_tests``)."""
    tables = Base.metadata.tables
    out: dict[tuple[uuid.UUID, uuid.UUID], int] = {}
    for chunk in iter_chunks(list(scenario_ids)):
        if link_type == LinkType.STEP:
            # From the packed steps (tracertm.models.step_link): a step matched by one definition only.
            m = tables["scenario_steps"].c
            for scenario_id, steps in conn.execute(select(m.scenario_id, m.steps).where(m.scenario_id.in_(chunk))):
                for definition, step_line in defined_steps(steps):
                    key = (scenario_id, uuid.UUID(hex=definition))
                    if key not in out or step_line < out[key]:
                        out[key] = step_line
            continue
        a = tables["scenario_test_case_association"].c
        rows = conn.execute(select(a.scenario_id, a.test_case_id).where(a.scenario_id.in_(chunk)))
        for scenario_id, target_id in [*rows, *named_pairs(conn, chunk)]:
            out[(scenario_id, target_id)] = 0  # a test link points at the first step's line (set by the caller)
    return out


def _first_step_lines(conn: Connection, scenario_ids: Sequence[uuid.UUID]) -> dict[uuid.UUID, int]:
    """The line of each scenario's first own step (where a test link points), from its stored steps."""
    s = Scenario.__table__.c
    out: dict[uuid.UUID, int] = {}
    for chunk in iter_chunks(list(scenario_ids)):
        for scenario_id, *lists in conn.execute(
                select(s.id, s.given_steps, s.when_steps, s.then_steps).where(s.id.in_(chunk))):
            line = first_step_line(lists)
            if line is not None:
                out[scenario_id] = line
    return out


def first_step_line(lists: Iterable[Any]) -> int | None:
    """The line of a scenario's first own step, from its given, when and then step lists (each decoded, or the
    JSON text the driver returns on SQLite, or None)."""
    lines = [step["line"] for steps in lists
             for step in (json.loads(steps) if isinstance(steps, str) else steps) or ()
             if isinstance(step, dict) and isinstance(step.get("line"), int)]
    return min(lines) if lines else None


def write_scenario_links(
    conn: Connection, project_id: uuid.UUID, link_type: str, scenario_ids: Iterable[uuid.UUID], *,
    pairs: Iterable[tuple[uuid.UUID, uuid.UUID]] | None = None,
) -> int:
    """Bring the ``step`` or ``test`` links of ``scenario_ids`` in line with the tables they come from (see
    :func:`_pairs`), set-based: a few statements per 500 scenarios. Links that stay keep their review and move to
    the line their step is at now (a test link's: the scenario's first step, from its stored steps); a new link is
    born reviewed against its target's current version. With ``pairs`` (scenario id, target id) those links are
    added and nothing is removed (results import: a later run never withdraws a mapping). Returns how many links
    were added."""
    t = LINKS.c
    replace = pairs is None
    if pairs is not None:
        wanted = {pair: 0 for pair in pairs}
        ids = sorted({s for s, _ in wanted}, key=str)
    else:
        ids = sorted(set(scenario_ids), key=str)
        wanted = _pairs(conn, link_type, ids) if ids else {}
        if link_type == LinkType.TEST and wanted:
            # A test link points at its scenario's first step, where the stored steps put it now: a link made
            # before a sync moved the step is relined below, as a step link is.
            first = _first_step_lines(conn, sorted({s for s, _ in wanted}, key=str))
            wanted = {key: first.get(key[0]) or 1 for key in wanted}
    if not ids:
        return 0
    existing: dict[tuple[uuid.UUID, uuid.UUID | None], tuple[int, int]] = {}
    for chunk in iter_chunks(ids):
        for r in conn.execute(select(t.id, t.source_id, t.target_id, t.source_line).where(
                t.source_id.in_(chunk), t.link_type == link_type)):
            existing[(r.source_id, r.target_id)] = (r.id, r.source_line)
    if replace:
        stale = [link_id for key, (link_id, _) in existing.items() if key not in wanted]
        for chunk in iter_chunks(stale):
            conn.execute(delete(LINKS).where(t.id.in_(chunk)))
        relined = [{"_id": existing[key][0], "_line": line} for key, line in wanted.items()
                   if key in existing and line and existing[key][1] != line]
        if relined:
            conn.execute(update(LINKS).where(t.id == bindparam("_id")).values(source_line=bindparam("_line")),
                         relined)
    new = {key: line for key, line in wanted.items() if key not in existing}
    if not new:
        return 0
    scenarios, features = Scenario.__table__, Feature.__table__
    sources: dict[uuid.UUID, tuple[str, str | None]] = {}
    for chunk in iter_chunks(sorted({s for s, _ in new}, key=str)):
        for r in conn.execute(
            select(scenarios.c.id, scenarios.c.scenario_number, features.c.feature_number, features.c.source_path)
            .select_from(scenarios.join(features, scenarios.c.feature_id == features.c.id))
            .where(scenarios.c.id.in_(chunk), scenarios.c.deleted_at.is_(None), features.c.deleted_at.is_(None))
        ):
            sources[r.id] = (source_ref("scenario", r.scenario_number, r.feature_number), r.source_path)
    kind = "step_definition" if link_type == LinkType.STEP else "test_case"
    target = Base.metadata.tables["step_definitions" if kind == "step_definition" else "test_cases"]
    number = target.c["step_number" if kind == "step_definition" else "test_case_number"]
    targets: dict[uuid.UUID, tuple[str, int]] = {}
    for chunk in iter_chunks(sorted({x for _, x in new}, key=str)):
        for t_id, t_number, t_version in conn.execute(select(target.c.id, number, target.c.version)
                                                      .where(target.c.id.in_(chunk), number.is_not(None))):
            targets[t_id] = (clip_ref(str(t_number)), t_version)
    lines = _first_step_lines(conn, list(sources)) if link_type == LinkType.TEST and not replace else {}
    rows: list[dict[str, Any]] = []
    for (scenario_id, target_id), line in sorted(new.items(), key=lambda kv: (str(kv[0][0]), str(kv[0][1]))):
        if scenario_id not in sources or target_id not in targets:
            continue  # a deleted scenario links nothing; a definition without identity is not a synced one
        ref, path = sources[scenario_id]
        target_ref, version = targets[target_id]
        rows.append({
            "project_id": project_id, "source_kind": "scenario", "source_id": scenario_id, "source_ref": ref,
            "source_path": path, "source_line": line or lines.get(scenario_id) or 1, "link_type": link_type,
            "target_kind": kind, "target_ref": target_ref, "target_id": target_id, "target_version": version,
            "reviewed_version": version,
        })
    _insert(conn, rows)
    return len(rows)


def _live_scenario_ids(conn: Connection, project_id: uuid.UUID) -> list[uuid.UUID]:
    s, f = Scenario.__table__, Feature.__table__
    return [r.id for r in conn.execute(
        select(s.c.id).select_from(s.join(f, s.c.feature_id == f.c.id))
        .where(f.c.project_id == project_id, s.c.deleted_at.is_(None), f.c.deleted_at.is_(None)))]


# -------------------------------------------------------------------------------------------------- rebuild


def needs_rebuild(project: Project) -> bool:
    """Whether the project's links were never built by this link format (a database older than the links)."""
    return (project.metadata_ or {}).get(_FORMAT_KEY) != LINKS_FORMAT


def mark_built(project: Project) -> None:
    project.metadata_ = {**(project.metadata_ or {}), _FORMAT_KEY: LINKS_FORMAT}


# Where the references of a record are written, as its last parse said: (kind, source ref) → (path, line,
# ``SpecRecord.ref_lines``). The rows hold no lines of references: ``rebuild`` takes them from the caller.
Placed = tuple[str, int, Mapping[str, int]]
RefLines = Mapping[tuple[str, str], Placed]


def parsed_lines(records: Iterable[tuple[str, str, SpecRecord]]) -> dict[tuple[str, str], Placed]:
    """``RefLines`` of parsed records, given as (path, kind, record); a feature's scenarios come with it."""
    out: dict[tuple[str, str], Placed] = {}
    for path, kind, record in records:
        out[(kind, record.number)] = (path, record.line, record.ref_lines)
        for child in record.children:
            ref = source_ref(child.kind, child.number, record.number)
            out[(child.kind, ref)] = (path, child.line, child.ref_lines)
    return out


def rebuild(conn: Connection, project_id: uuid.UUID, options: ParserOptions,
            reviewed: Mapping[tuple[uuid.UUID, LinkSpec], int] | None = None,
            lines: RefLines | None = None,
            gone_reviewed: Mapping[tuple[uuid.UUID, LinkSpec], int] | None = None) -> list[Diagnostic]:
    """Recompute every link of a project from its live rows; review state of surviving links is kept, targets are
    re-resolved, links of deleted records go, their reviews parked (``engine.parked``) as a sync parks them, and
    the live records' parked reviews are taken back (``reviewed``: see ``_write_sources``; ``gone_reviewed``: what a
    backfill's history says the links of records deleted at its end were reviewed against, parked for those that
    have none). ``lines``: where the records' references are written, for the records the caller parsed (a link of
    another record keeps the line it has). Returns every dangling link."""
    t = LINKS.c
    # Sync's order: a link's number is its insert position (``plan.plan_order``).
    sources = sorted(_live_sources(conn, project_id), key=lambda s: plan_order(s.kind, s.path, s.new_line, s.ref))
    if lines:
        sources = [_placed(s, lines) for s in sources]
    live_ids = {s.id for s in sources}
    known = [r.source_id for r in conn.execute(select(t.source_id).where(t.project_id == project_id).distinct())]
    park(conn, project_id, [i for i in known if i not in live_ids])
    if gone_reviewed:
        dead = {key: version for key, version in gone_reviewed.items() if key[0] not in live_ids}
        park_births(conn, project_id, dead,
                    resolve(conn, project_id, {(spec.target_kind, spec.target_ref) for _, spec in dead}))
    back = take(conn, project_id, live_ids) if any_parked(conn, project_id) else None
    _write_sources(conn, project_id, sources, options, reviewed=reviewed, parked=back)
    # Re-resolve every target: ids and versions as they are now. A link that had a target keeps its review.
    rows = conn.execute(
        select(t.id, t.target_kind, t.target_ref, t.target_id, t.target_version, t.reviewed_version).where(
            t.project_id == project_id, t.target_kind.in_(list(TARGET_MODELS)), t.link_type.not_in(DB_LINK_TYPES)
        )
    ).all()
    resolved = resolve(conn, project_id, {(r.target_kind, r.target_ref) for r in rows})
    contents = content_versions(conn, dict(resolved.values()))
    fixes = []
    for r in rows:
        target = resolved.get((r.target_kind, r.target_ref))
        tid, version = (target[0], followed_version(r, *target, contents[target[0]])) if target else (None, None)
        if (tid, version) != (r.target_id, r.target_version):
            review = r.reviewed_version if r.reviewed_version is not None else version
            fixes.append({"_id": r.id, "target_id": tid, "target_version": version, "reviewed_version": review})
    if fixes:
        conn.execute(update(LINKS).where(t.id == bindparam("_id")).values(updated_at=utcnow()), fixes)
    live = _live_scenario_ids(conn, project_id)
    for link_type in DB_LINK_TYPES:
        write_scenario_links(conn, project_id, link_type, live)
    _follow_step_identities(conn, project_id)
    follow_step_links(conn, project_id)  # (a backfill's batches changed definitions under links a sync made)
    return dangling(conn, project_id)


def _placed(source: Source, lines: RefLines) -> Source:
    """``source`` with the lines its parse gave (when it is the record parsed at the same path)."""
    found = lines.get((source.kind, source.ref))
    if found is None or found[0] != source.path:
        return source
    return replace(source, line=found[1], ref_lines=found[2], link_lines=None)


def _follow_step_identities(conn: Connection, project_id: uuid.UUID) -> None:
    """Step links whose definition's identity is not the one they name (a definition moved before syncs followed
    moves with their links, see ``_follow_targets``) name it again."""
    t, d = LINKS.c, TARGET_MODELS["step_definition"].__table__.c
    renamed = [
        {"_id": r.id, "_ref": clip_ref(r.step_number)}
        for r in conn.execute(
            select(t.id, t.target_ref, d.step_number).select_from(LINKS.join(
                TARGET_MODELS["step_definition"].__table__, d.id == t.target_id))
            .where(t.project_id == project_id, t.link_type == str(LinkType.STEP), d.step_number.is_not(None))
        )
        if r.target_ref != clip_ref(r.step_number)
    ]
    if renamed:
        conn.execute(update(LINKS).where(t.id == bindparam("_id")).values(target_ref=bindparam("_ref"),
                                                                          updated_at=utcnow()), renamed)


def dangling(conn: Connection, project_id: uuid.UUID) -> list[Diagnostic]:
    """Every dangling link of a project, as warnings on their sources."""
    t = LINKS.c
    rows = conn.execute(
        select(t.source_path, t.source_line, t.source_ref, t.link_type, t.target_kind, t.target_ref)
        .where(t.project_id == project_id, t.target_id.is_(None), t.target_kind.in_(list(TARGET_MODELS)))
        .order_by(*_dangling_order())
    ).all()
    adrs = {r.target_ref for r in rows if r.target_kind == "adr"}
    name = adr_names(conn, project_id, adrs) if adrs else None
    return [dangling_finding(r.source_path, r.source_line, r.source_ref, r.link_type, r.target_kind, r.target_ref,
                             name(r.target_ref)[1] if name is not None and r.target_kind == "adr" else ())
            for r in rows]


# Columns ``derive`` reads, per kind (the rest of a row does not matter to links).
_DERIVE_COLUMNS = {
    "adr": ("adr_number", "supersedes", "superseded_by", "related_adrs", "related_requirements", "adr_metadata"),
    "feature": ("feature_number", "related_adrs", "related_requirements", "description"),
    "scenario": ("scenario_number", "tags", "examples", "scenario_metadata", "description", "requirement_ids"),
}


def _live_sources(
    conn: Connection, project_id: uuid.UUID, only: Mapping[str, Sequence[uuid.UUID]] | None = None
) -> Iterator[Source]:
    """The live records of a project that links come from (``only``: those with these row ids, by kind)."""

    def picked(kind: str, column: Any) -> Iterator[Any]:
        """Conditions of the queries of ``kind``: one query of every record, or one per chunk of ``only``'s."""
        if only is None:
            yield true()
            return
        for chunk in iter_chunks(sorted(only.get(kind, ()), key=str)):
            yield column.in_(chunk)

    for kind in ("adr", "feature"):
        table = TARGET_MODELS[kind].__table__
        cols = [table.c[c] for c in _DERIVE_COLUMNS[kind]]
        for r in (r for where in picked(kind, table.c.id) for r in conn.execute(
            select(table.c.id, table.c.source_path, *cols)
            .where(table.c.project_id == project_id, table.c.deleted_at.is_(None), where)
        )):
            fields = {c: r._mapping[c] for c in _DERIVE_COLUMNS[kind]}
            yield Source(kind, r.id, fields[NUMBER_COLUMN[kind]], r.source_path, None, fields)
    contract = Contract.__table__
    skip = {"id", "project_id", "version", "deleted_at", "created_at", "updated_at", "content_hash", "source_commit",
            "source_path", "verification_result", "verification_timestamp", "last_verified_at", "approved_by",
            "approved_at"}
    columns = [c for c in contract.c if c.key not in skip]
    for r in (r for where in picked("contract", contract.c.id) for r in conn.execute(
        select(contract.c.id, contract.c.source_path, *columns).where(
            contract.c.project_id == project_id, contract.c.deleted_at.is_(None), where
        )
    )):
        fields = {c.key: r._mapping[c.key] for c in columns}
        yield Source("contract", r.id, str(fields["contract_number"]), r.source_path, None, fields)
    from tracertm.results.scenarios import keyword_line

    s, f = Scenario.__table__, Feature.__table__
    cols = [s.c[c] for c in _DERIVE_COLUMNS["scenario"]]
    # A new link of a scenario points at its keyword's line, the nearest the row tells to where a sync puts it (a
    # backfill derives its links from the stored rows: without the line, every link of its scenarios said line 1);
    # a link it has stays where it is (``Source.new_line``). The other kinds' records start at the top of their
    # files.
    placed = [s.c[c] for c in _LINE_COLUMNS]
    for r in (r for where in picked("scenario", s.c.id) for r in conn.execute(
        select(s.c.id, s.c.source_path, f.c.feature_number, *cols, *placed)
        .select_from(s.join(f, and_(s.c.feature_id == f.c.id)))
        .where(f.c.project_id == project_id, s.c.deleted_at.is_(None), f.c.deleted_at.is_(None), where)
    )):
        fields = {c: r._mapping[c] for c in _DERIVE_COLUMNS["scenario"]}
        line = keyword_line({c: r._mapping[c] for c in _LINE_COLUMNS}, r.source_path)
        yield Source("scenario", r.id, source_ref("scenario", r.scenario_number, r.feature_number), r.source_path,
                     None, fields, new_line=line)


_LINE_COLUMNS = ("gherkin_text", "given_steps", "when_steps", "then_steps", "examples")
