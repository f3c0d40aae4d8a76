"""The ADR parser's entry point: one Markdown file → one ``adr`` record (see the package docstring)."""

from __future__ import annotations

from bisect import bisect_right
from collections.abc import Mapping, Sequence
from typing import Any

from tracertm.errors import Diagnostic, ParseError
from tracertm.parsers.adr.dialects import KNOWN_HEADINGS, ROLE_ORDER, detect_dialect
from tracertm.parsers.adr.facts import Facts, read_bold_lines, read_front_matter, read_key_list
from tracertm.parsers.adr.frontmatter import FrontMatter, fm_key, load_front_matter, split_front_matter
from tracertm.parsers.adr.identity import file_identity, title_number
from tracertm.parsers.adr.markdown import Body, Heading, build_sections, heading_key, scan_body
from tracertm.parsers.adr.references import ADR_ID_RE, find_references
from tracertm.parsers.adr.resolve import (
    build_metadata,
    heading_number_warning,
    requirements,
    resolve_date,
    resolve_identity,
    resolve_status,
    title_of,
)
from tracertm.parsers.adr.sections import merge_consequences, read_sections
from tracertm.parsers.adr.values import unique, warning
from tracertm.parsers.common import parse_text_safely, with_warnings
from tracertm.parsers.records import DEFAULT_OPTIONS, ParseResult, ParserOptions, SpecRecord

def parse(path: str, data: bytes, options: ParserOptions = DEFAULT_OPTIONS) -> ParseResult:
    """Parse one ADR Markdown file into a ``ParseResult`` holding one ``adr`` record, or raise ``ParseError``."""
    return parse_text_safely(_parse_text, path, data, options)


def _parse_text(path: str, text: str, options: ParserOptions) -> ParseResult:
    if not text.strip():
        raise ParseError(path, 1, 0, "empty ADR file; write at least a '# Title' line, or delete the file")
    facts = Facts(path)
    errors: list[Diagnostic] = []
    try:
        result = _read(path, text, options, facts, errors)
    except ParseError as exc:
        # The warnings found so far go with the error, each at its line (not one round after it is fixed).
        raise with_warnings([*errors, *exc.diagnostics], facts.warnings) from None
    if errors:
        raise with_warnings(errors, facts.warnings)
    return result


def section_level(headings: list[Heading]) -> int | None:
    """The heading level of the ADR's sections: that of its first known section heading (``## Status``, ``##
    Context`` …), so that a shallower heading further down (a ``# Notes`` after the consequences) is one more
    section rather than the level only it splits at — which would make every known section a child of the one
    before it, leaving none known. None (the shallowest level present) when no heading is a known one."""
    return next((h.level for h in headings if heading_key(h.title) in KNOWN_HEADINGS), None)


def title_heading(headings: Sequence[Heading]) -> Heading | None:
    """The title heading: the first heading, when it is no section name and an H1 — or, in an ADR with no H1, the
    one heading of its level, over the known sections (``## Adopt X`` over ``### Status``, ``### Context``: its
    text was in no field, the title the file's slug). A first ``## Notes`` beside a ``## Context`` is a section,
    and so is a ``## Summary`` over ``### Issue`` beside a ``## Details`` (a group of sections, not a title)."""
    first = headings[0] if headings else None
    if first is None or heading_key(first.title) in KNOWN_HEADINGS:
        return None
    if first.level == 1:
        return first
    rest = list(headings[1:])
    level = section_level(rest)
    alone = all(h.level > first.level for h in rest)
    return first if level is not None and first.level < level and alone else None


def _read(path: str, text: str, options: ParserOptions, facts: Facts, errors: list[Diagnostic]) -> ParseResult:
    """The record of the file; warnings go to ``facts``, errors that do not stop the reading to ``errors`` (the
    rest of the file is still read for its warnings) and the others are raised."""
    all_lines = text.split("\n")
    fm_text, body_start = split_front_matter(path, all_lines)
    fm = load_front_matter(path, fm_text, options, facts.warnings) if fm_text is not None else FrontMatter()
    body = scan_body(all_lines[body_start:], body_start + 1)
    facts.definitions = body.definitions
    file_id = file_identity(path)

    h1 = title_heading(body.headings)
    others = [h for h in body.headings if h is not h1]
    preamble_end = others[0].at if others else len(body.lines)
    sections = build_sections(others, len(body.lines), section_level(others))

    read_front_matter(fm, facts)
    title_lines = [(h1.at, h1.end)] if h1 is not None else []
    preamble = read_key_list(body, 0, preamble_end, title_lines, facts)
    mapped = read_sections(body, sections, facts)
    read_bold_lines(body, preamble_end, sections, facts)

    try:
        number = resolve_identity(fm, file_id, title_number(h1.title) if h1 is not None else None, facts)
    except ParseError as exc:
        errors.extend(exc.diagnostics)
        number = ""  # no record comes of it: the file is in error
    line = body.file_line(h1.at) if h1 else 1
    differs = heading_number_warning(h1, number, fm, file_id, path, line)
    if differs is not None:
        facts.warnings.append(differs)
    superseded_by = [t for t in unique(facts.superseded_by) if t != number]
    supersedes = [t for t in unique(facts.supersedes) if t != number]
    # An ADR cannot replace itself: such a link is never stored, but said at its line (a typo in the number, most
    # likely), never dropped in silence.
    for relation, lines in (("superseded by", facts.superseded_by_lines), ("supersedes", facts.supersedes_lines)):
        if number and number in lines:
            facts.warnings.append(warning(path, lines[number], f"{relation} {number}, which is this ADR itself; "
                                          "ignored (write the number of the other ADR, or remove the reference)"))
    status, raw_status = resolve_status(facts, bool(superseded_by))
    try:
        date = resolve_date(facts, file_id.date, options.date_format)
    except ParseError as exc:
        errors.extend(exc.diagnostics)
        date = None

    # Related ADRs: relation targets first (front matter, key list, sections), then mentions in text order (ids
    # and links to numbered ADR files, outside code and URLs); unique, first seen wins, never the ADR itself.
    mentions, ref_lines = _mentions(fm, body, h1)
    related_adrs = [t for t in unique(facts.related + mentions) if t != number]
    roles = {role: unique(facts.roles[role]) for role in ROLE_ORDER if facts.roles.get(role)}
    metadata = build_metadata(fm, facts, mapped, preamble, number)
    metadata.update(
        dialect=detect_dialect(
            {fm_key(k) for k in fm.values},
            fm.present,
            h1 is not None and h1.level == 1,
            file_id.date is not None,
            facts.styles,
            mapped.names,
        ),
        raw_status=raw_status,
        stakeholder_roles=roles,
        slug=file_id.slug,
    )
    # The ``supersedes`` / ``superseded_by`` columns hold one id each (the first); an ADR replacing two (``adr new -s
    # 2 -s 3``), or replaced by two, names them all here, and each gets its link (``engine.derive``).
    for relation, ids in (("supersedes", supersedes), ("superseded_by", superseded_by)):
        if len(ids) > 1:
            metadata[relation] = ids

    fields: dict[str, Any] = {
        "adr_number": number,
        "title": title_of(fm, h1, number, file_id) or number,
        "status": status,
        "context": "\n\n".join(mapped.context) or None,
        "decision": "\n\n".join(mapped.decision) or None,
        "consequences": merge_consequences(mapped.consequences),
        "decision_drivers": mapped.drivers,
        "considered_options": mapped.options,
        "related_requirements": requirements(path, text, options),
        "related_adrs": related_adrs,
        "supersedes": supersedes[0] if supersedes else None,
        "superseded_by": superseded_by[0] if superseded_by else None,
        "stakeholders": unique(name for role in roles.values() for name in role),
        "tags": unique(facts.tags),
        "date": date,
        "adr_metadata": metadata,
    }
    targets = [*supersedes, *superseded_by, *related_adrs]
    lines, columns = _reference_places(targets, ref_lines, facts, line)
    record = SpecRecord(kind="adr", number=number, fields=fields, line=line, ref_lines=lines, ref_columns=columns)
    return ParseResult(path=path, kind="adr", records=(record,), warnings=tuple(facts.warnings))


def _reference_places(
    targets: Sequence[str], ref_lines: Mapping[str, int], facts: Facts, line: int
) -> tuple[dict[str, int], dict[str, int]]:
    """The first line of each reference to ``targets`` (``line``, the record's, when none is known), and the column
    of those first written as a front matter relation's value. A bare number (``supersedes: 97``) is no reference
    in the text (``_mentions``): the relation's own line places it (it was the title's)."""
    lines: dict[str, int] = {}
    columns: dict[str, int] = {}
    for target in targets:
        known = [at for at in (ref_lines.get(target), facts.supersedes_lines.get(target),
                               facts.superseded_by_lines.get(target)) if at is not None]
        lines[target] = min(known, default=line)
        place = facts.front_places.get(target)
        if place is not None and place[0] == lines[target]:
            columns[target] = place[1]
    return lines, columns


def _mentions(fm: FrontMatter, body: Body, h1: Heading | None) -> tuple[list[str], dict[str, int]]:
    """ADR ids mentioned in the front matter and the prose (in order), and the first file line of every reference
    (relations included, so that a finding about any reference can point at it). Code blocks are not prose, and
    neither is the H1's number prefix (``# ADR-0009: Nine``) nor the front matter's ``id`` / ``number`` value
    (``id: ADR-0001-use-x``, ``id: adrs-adr001``): they name this ADR, no other."""
    lines = [""] * (body.first_line - 1)  # front matter lines (1-based file lines line up with list indexes + 1)
    if fm.raw:
        lines[1 : 1 + fm.raw.count("\n") + 1] = fm.raw.split("\n")
        for key, at in fm.lines.items():
            if fm_key(key) in _OWN_ID_KEYS and 1 <= at - 1 < len(lines):
                lines[at - 1] = _blank_value(lines[at - 1])
    # A link reference definition is no prose: a reader sees the links that use it (resolved below), not it.
    lines += ["" if body.code[n] or n in body.definition_lines else text for n, text in enumerate(body.lines)]
    if h1 is not None and ADR_ID_RE.match(h1.title) and title_number(h1.title).number is not None:
        at = body.first_line - 1 + h1.at
        prefix = ADR_ID_RE.search(lines[at])
        if prefix is not None:  # blanked, not cut: offsets after it keep their place
            start, end = prefix.span()
            lines[at] = lines[at][:start] + " " * (end - start) + lines[at][end:]
    text = "\n".join(lines)
    starts = [0]
    for line in lines[:-1]:
        starts.append(starts[-1] + len(line) + 1)
    mentions: list[str] = []
    first_line: dict[str, int] = {}
    for reference in find_references(text, body.definitions):
        first_line.setdefault(reference.target, bisect_right(starts, reference.offset))
        if reference.in_prose:
            mentions.append(reference.target)
    return mentions, first_line


_OWN_ID_KEYS = frozenset({"id", "number"})


def _blank_value(line: str) -> str:
    """A front matter ``key: value`` line with its value blanked (not cut: offsets after it keep their place); a
    YAML comment after the value (`` # ...``) stays, as the rest of the front matter does."""
    colon = line.find(":")
    if colon < 0:
        return line
    comment = line.find(" #", colon)
    end = comment if comment >= 0 else len(line)
    return line[: colon + 1] + " " * (end - colon - 1) + line[end:]
