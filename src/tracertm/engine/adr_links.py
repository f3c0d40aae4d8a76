"""Trace links to ADRs: which ADR a reference names, and the links to re-derive when the ADRs there are change.

The ADR a reference names depends on which ADRs exist (``crossfile.resolve_adr``, the rule ``check`` applies):
``ADR-0008`` names ``ADR-0008-use-x`` when that is the one ADR of its number, and is ambiguous once ``ADR-0008-b``
comes beside it. So resolving a link to an ADR needs the project's live ADRs (``adr_names``), a link so resolved
holds its target's id and the line of its reference as written (``resolve_links``), and an ADR created, deleted or
moved can change what unchanged records' references name (``_renamed_adrs``). ``links`` (the sync's link writer)
and ``eager`` (the first sync's) call in here; ``_renamed_adrs`` writes through ``links`` again, imported when
called since ``links`` imports this module.
"""

from __future__ import annotations

import uuid
from collections import defaultdict
from collections.abc import Callable, Iterable, Mapping, Sequence
from collections.abc import Set as AbstractSet
from dataclasses import replace
from typing import TYPE_CHECKING

from sqlalchemy import func, or_, select
from sqlalchemy.engine import Connection

from tracertm import kinds
from tracertm.crossfile import adr_base, adr_resolver
from tracertm.errors import Diagnostic
from tracertm.kinds import NUMBER_COLUMN
from tracertm.models import LinkType
from tracertm.parsers.records import ParserOptions
from tracertm.engine.apply import iter_chunks
from tracertm.engine.derive import LinkSpec
from tracertm.engine.plan import Plan

if TYPE_CHECKING:
    from tracertm.engine.links import Source


def adr_names(
    conn: Connection, project_id: uuid.UUID, refs: Iterable[str]
) -> Callable[[str], tuple[str | None, tuple[str, ...]]]:
    """``crossfile.resolve_adr`` over the live ADRs of a project, for the references ``refs``: every ADR id is read
    only when some reference names none exactly."""
    table = kinds.table("adr")
    number = table.c[NUMBER_COLUMN["adr"]]
    live = (table.c.project_id == project_id, table.c.deleted_at.is_(None))
    wanted = set(refs)
    exact: set[str] = set()
    for chunk in iter_chunks(sorted(wanted)):
        exact.update(conn.execute(select(number).where(*live, number.in_(chunk))).scalars())
    if exact >= wanted:
        return lambda ref: (ref, ()) if ref in exact else (None, ())
    return adr_resolver(set(conn.execute(select(number).where(*live)).scalars()))


_Key = tuple[uuid.UUID, LinkSpec]


def _resolve_adrs(
    conn: Connection, project_id: uuid.UUID, sources: Sequence[Source], wanted: dict[uuid.UUID, list[LinkSpec]]
) -> tuple[list[Source], dict[_Key, LinkSpec], dict[_Key, tuple[str, ...]]]:
    """``resolve_links`` of every source over the live ADRs of the project (``wanted``: source id → its links,
    changed in place). Returns the sources, each link resolved so → the link as written, and the links left dangling
    because several ADRs have the number they name → those ADRs."""
    refs = {spec.target_ref for specs in wanted.values() for spec in specs if spec.target_kind == "adr"}
    written: dict[_Key, LinkSpec] = {}
    several: dict[_Key, tuple[str, ...]] = {}
    if not refs:
        return list(sources), written, several
    name = adr_names(conn, project_id, refs)
    out: list[Source] = []
    for s in sources:
        s, wanted[s.id], as_written, ambiguous = resolve_links(s, wanted[s.id], name)
        written.update(((s.id, k), v) for k, v in as_written.items())
        several.update(((s.id, k), v) for k, v in ambiguous.items())
        out.append(s)
    return out, written, several


def resolve_links(
    source: Source, specs: Iterable[LinkSpec], name: Callable[[str], tuple[str | None, tuple[str, ...]]]
) -> tuple[Source, list[LinkSpec], dict[LinkSpec, LinkSpec], dict[LinkSpec, tuple[str, ...]]]:
    """The links of ``source`` with each link to an ADR naming the ADR its reference names (``name``:
    ``crossfile.resolve_adr`` over the ADRs there are, the rule ``check`` applies: ``ADR-0008`` names
    ``ADR-0008-use-x`` when that is the one ADR of its number, ``ADR-0005-use-x`` names ``ADR-0005`` when no ADR has
    that id), so that a resolved link holds its target's id, as every link does; a link whose reference names no ADR
    keeps it as written, and a reference naming ``source`` itself is no link. A ``related`` link to an ADR that a
    ``supersedes`` / ``superseded_by`` link of ``source`` names too is dropped, however each is written
    (``derive`` drops only one written the same way). Returns ``source`` knowing the line of each link to an ADR
    (``Source.link_lines``: the first reference of its type naming that ADR), the links, each link resolved so →
    the link as written, and the links left dangling because several ADRs have the number they name → those ADRs.
    The one way every path resolves them: ``links`` (a sync, ``--full``, a backfill) and ``eager`` (a first sync).
    """
    out: list[LinkSpec] = []
    lines: dict[LinkSpec, int] = {}
    written: dict[LinkSpec, LinkSpec] = {}
    several: dict[LinkSpec, tuple[str, ...]] = {}
    for spec in specs:
        if spec.target_kind != "adr":
            out.append(spec)
            continue
        target, ids = name(spec.target_ref)
        if target is None or target == spec.target_ref:
            if ids:
                several[spec] = ids
            resolved = spec
        elif source.kind == "adr" and target == source.ref:
            # Its own id (``ADR-0008`` in ``ADR-0008-use-x`` while that is the one ADR-0008): no link to itself.
            # (``ADR-0008`` beside ``ADR-0008-b`` is ambiguous, a dangling link as any other: ``name`` says so.)
            continue
        else:
            resolved = spec._replace(target_ref=target)
            written.setdefault(resolved, spec)
        out.append(resolved)
        line = _written_line(source, spec)
        if line is not None:
            lines[resolved] = min(line, lines.get(resolved, line))
    stronger = {s.target_ref for s in out if s.target_kind == "adr" and s.link_type in _STRONGER}
    if stronger:
        out = [s for s in out if s.target_ref not in stronger or s.link_type != LinkType.RELATED
               or s.target_kind != "adr"]
    # (Only lines the source does not give already: most records name each ADR once, by its id.)
    known, refs = source.link_lines or {}, source.ref_lines or {}
    differs = {k: v for k, v in lines.items() if (known.get(k) or refs.get(k.target_ref)) != v}
    if differs:
        source = replace(source, link_lines={**known, **differs})
    return source, list(dict.fromkeys(out)), written, several


def renamed_references(
    stale: Iterable[_Key], new: Iterable[_Key], written: Mapping[_Key, LinkSpec], dangling: AbstractSet[_Key]
) -> dict[_Key, _Key]:
    """The new links to ADRs that are a stale link's reference naming another ADR now, or none, each → that stale
    link (``written``: ``_resolve_adrs``'s, each link resolved → as written; ``dangling``: the new links that name
    no live ADR). ``@ADR-8`` named ``ADR-0008-use-x`` and names none once that is deleted or ``ADR-0008-use-y``
    comes beside it (and names it again once it is back alone); ``ADR-0005-use-kafka`` named ``ADR-0005``. The
    reference is the same, so the link is: it keeps its number and its review (only a review clears a suspect
    link), as a link to a plain id keeps them while its target is gone. Only where a source has one stale and one
    new link of a type to an ADR of that number, and the one reference can name both: an edit naming another ADR
    (``ADR-0008-use-x`` → ``ADR-0008-use-y``) is a new link, and so is one to the ADR with exactly the id written,
    there again (``ADR-0001`` restored after ``ADR-0001-use-a`` stood in for it: another record, as a backfill's
    births see it)."""
    def by_number(keys: Iterable[_Key]) -> dict[tuple[uuid.UUID, str, str], list[_Key]]:
        out: dict[tuple[uuid.UUID, str, str], list[_Key]] = defaultdict(list)
        for key in keys:
            if key[1].target_kind == "adr" and (base := adr_base(key[1].target_ref)) is not None:
                out[(key[0], str(key[1].link_type), base)].append(key)
        return out

    olds = by_number(stale)
    found: dict[_Key, _Key] = {}
    for group, news in by_number(new).items():
        before = olds.get(group, ())
        if len(news) != 1 or len(before) != 1:
            continue
        ref, was = news[0][1].target_ref, before[0][1].target_ref
        as_written = written.get(news[0], news[0][1]).target_ref
        # Dangling → named (``ADR-0008`` stored as written), or named → dangling (``ADR-0008-use-x`` stored as
        # named, ``ADR-0008`` now): a plain id names a slugged one of its number, and the other way round.
        if was == as_written or (news[0] in dangling and ref == as_written
                                 and (ref == group[2]) != (was == group[2])):
            found[news[0]] = before[0]
    return found


# The links a ``related`` link to the same ADR gives way to.
_STRONGER = frozenset({str(LinkType.SUPERSEDES), str(LinkType.SUPERSEDED_BY)})


def _written_line(source: Source, spec: LinkSpec) -> int | None:
    """The line the reference of a link to an ADR is written on: by the reference, as its parse says
    (``ref_lines``), else (a record read back from its links, which name what the references named) by the link,
    else by the first link of its type to an ADR of its number, else by the first link to one."""
    if source.ref_lines:
        line = source.ref_lines.get(spec.target_ref)
        if line is not None:
            return line
    placed = source.link_lines
    if not placed:
        return None
    line = placed.get(spec)
    if line is not None:
        return line
    base = adr_base(spec.target_ref)
    if base is None:
        return None
    found = [(k.link_type != spec.link_type, v) for k, v in placed.items()
             if k.target_kind == "adr" and adr_base(k.target_ref) == base]
    return min(found)[1] if found else None


# Where the references of unchanged spec files are written, read again (``links.RefLines`` of the files at these
# paths that could be read; see ``_renamed_adrs``).
Reread = Callable[[Sequence[str]], Mapping[tuple[str, str], tuple[str, int, Mapping[str, int]]]]


def _renamed_adrs(
    conn: Connection, project_id: uuid.UUID, plan: Plan, done: AbstractSet[uuid.UUID], options: ParserOptions,
    reread: Reread | None = None,
) -> list[Diagnostic]:
    """The links of unchanged records to ADRs whose number some ADR of ``plan`` has (created, restored, deleted,
    moved: with a slug or not), and those of the unchanged ADRs of such a number (whose reference to their own
    number is no link while it names the ADR itself), derived again from their rows: the ADR such a reference names
    depends on the ADRs there are (``_resolve_adrs``: ``ADR-0008`` is ambiguous once ``ADR-0008-b`` comes beside
    ``ADR-0008-a``, names ``ADR-0008-a`` again once ``ADR-0008-b`` goes). ``done``: the records derived by this
    sync already.

    A link points at its reference; the rows hold one link per ADR named, at the first of the references naming
    it (``ADR-0005-use-kafka`` on line 9 and ``ADR-0005`` on line 11 are one link to ADR-0005, on line 9; a
    feature's ``@ADR-5`` tag and its mention ``ADR-0005-use-x`` alike): once they name two ADRs again, or none, each
    reference's own line is known only from its file. ``reread(paths)`` reads their files again for it; without it,
    or for a file it cannot read, the links' lines are kept. Returns the dangling links this made."""
    from tracertm.engine import links  # (it imports this module)

    bases = {
        b for op in plan.operations
        if op.kind == "adr" and op.action in ("created", "restored", "deleted", "moved")
        and (b := adr_base(op.number)) is not None
    }
    if not bases:
        return []
    t = links.LINKS.c
    digits = sorted({str(int(b[4:])) for b in bases})
    found: dict[uuid.UUID, str] = {}
    for chunk in iter_chunks(digits, 50):
        # A reference to ADR ``n`` holds the digits of ``n`` after "adr" (``ADR-0007``, ``adr_7_use_x``): the rest
        # is told apart here.
        rows = conn.execute(
            select(t.source_id, t.source_kind, t.target_ref).where(
                t.project_id == project_id, t.target_kind == "adr", t.link_type.not_in(links.DB_LINK_TYPES),
                or_(*(func.lower(t.target_ref).like(f"adr%{d}%") for d in chunk)))
        )
        for r in rows:
            if r.source_id not in done and adr_base(r.target_ref) in bases:
                found[r.source_id] = r.source_kind
        # The ADRs of these numbers: a reference of one to its own number (``ADR-0008`` in ``ADR-0008-use-x``, the
        # one ADR-0008) names itself, no link to find it by, until another ADR of the number makes it ambiguous or
        # names another ADR (and back).
        adrs = kinds.table("adr")
        number = adrs.c[NUMBER_COLUMN["adr"]]
        for adr_id, adr_number in conn.execute(select(adrs.c.id, number).where(
                adrs.c.project_id == project_id, adrs.c.deleted_at.is_(None),
                or_(*(func.lower(number).like(f"adr%{d}%") for d in chunk)))):
            if adr_id not in done and adr_base(adr_number) in bases:
                found[adr_id] = "adr"
    if not found:
        return []
    # Where the links are: where their references are (by link: two links to one ADR may be on two lines).
    placed: dict[uuid.UUID, dict[LinkSpec, int]] = defaultdict(dict)
    for chunk in iter_chunks(sorted(found, key=str)):
        for source_id, *link, line in conn.execute(
                select(t.source_id, t.link_type, t.target_kind, t.target_ref, t.source_line).where(
                    t.source_id.in_(chunk), t.link_type.not_in(links.DB_LINK_TYPES))):
            placed[source_id][LinkSpec(*link)] = line
    only: dict[str, list[uuid.UUID]] = defaultdict(list)
    for source_id, kind in found.items():
        only[kind].append(source_id)
    sources = [replace(s, link_lines=placed.get(s.id) or None)
               for s in links._live_sources(conn, project_id, only)]
    if reread is not None:
        read = reread(sorted({s.path for s in sources if s.path}))
        if read:
            sources = [links._placed(s, read) for s in sources]
    return links._write_sources(conn, project_id, sources, options)
