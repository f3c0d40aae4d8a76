"""Sketches of spec files for ``check``: the identities a file claims and the ADR ids it refers to, with lines.

A sketch is either exact (taken from a real parse: :func:`sketch_result`) or approximate (a few regular expressions
over the bytes, no YAML and no Gherkin: :func:`sketch_text`), so that a hook can cross-check a change against the
whole repository without parsing every file. ``check_changes`` confirms an approximation by a real parse before it
reports an error because of it.
"""

from __future__ import annotations

import re
from collections.abc import Mapping
from typing import Any, NamedTuple

from tracertm.parsers import markdown_gherkin
from tracertm.parsers.common import tag_adr_id
from tracertm.parsers.records import FileKind, ParseResult, ParserOptions, SpecRecord


class RecordSketch(NamedTuple):
    """One record's identity, the line it starts on, its references to ADRs as ``(field, ADR id)``, the line
    each reference is written on (``ref_lines``, aligned with ``refs``; the record's line when unknown) and its
    column (``ref_columns``, aligned too: an ``@ADR-n`` tag's, an ADR front matter relation's value's; 1 when
    unknown)."""

    number: str
    line: int = 1
    refs: tuple[tuple[str, str], ...] = ()
    ref_lines: tuple[int, ...] = ()
    ref_columns: tuple[int, ...] = ()

    def ref_line(self, index: int) -> int:
        return self.ref_lines[index] if index < len(self.ref_lines) else self.line

    def ref_column(self, index: int) -> int:
        return self.ref_columns[index] if index < len(self.ref_columns) else 1


class Sketch(NamedTuple):
    """What cross-file validation needs of one file. ``exact``: from a full parse (a file that failed to parse
    claims nothing); otherwise a regular-expression approximation, confirmed by a parse before it causes an error.
    ``broken``: a file that failed to parse (:func:`broken_sketch`), whose records are only the ADR ids it still
    declares: claimed by none, referred to without error."""

    kind: FileKind
    records: tuple[RecordSketch, ...]
    exact: bool = False
    broken: bool = False

    @property
    def claim_kind(self) -> str:
        """The kind its records are indexed under (``check_cache.Claims``): a broken file's are apart, so that they
        neither collide with the ids of other files nor count as defined."""
        return f"broken-{self.kind}" if self.broken else self.kind


def _relation(fields: Mapping[str, Any], column: str) -> list[Any]:
    """Every ADR an ADR's ``supersedes`` / ``superseded_by`` names, as ``engine.derive`` links them: its column holds
    the first, its metadata all of them when there are several (``adr new -s 2 -s 3``)."""
    metadata = fields.get("adr_metadata")
    listed = metadata.get(column) if isinstance(metadata, Mapping) else None
    if isinstance(listed, list) and listed:
        return [ref for ref in listed if isinstance(ref, str)]
    return [fields.get(column)]


def _refs(kind: str, fields: Mapping[str, Any]) -> tuple[tuple[str, str], ...]:
    if kind == "adr":
        # Each under the relation a sync links it by (its related_adrs list them all too: named there second).
        refs = [(column, r) for column in ("supersedes", "superseded_by") for r in _relation(fields, column)]
        refs += [("related_adrs", r) for r in fields.get("related_adrs") or ()]
    elif kind == "feature":
        refs = [("tag", r) for r in fields.get("related_adrs") or ()]
    else:
        return ()
    return tuple((what, str(target)) for what, target in refs if target)


def sketch_result(result: ParseResult) -> Sketch:
    """The exact sketch of a parsed file."""
    markdown = markdown_gherkin.is_markdown(result.path)
    return Sketch(result.kind, tuple(_sketch_record(result.kind, r, markdown) for r in result.records), True)


def _sketch_record(kind: str, record: SpecRecord, markdown: bool = False) -> RecordSketch:
    refs = _refs(kind, record.fields)
    lines = tuple(record.ref_lines.get(target, record.line) for _, target in refs)
    columns = tuple(record.ref_columns.get(target, 1) for _, target in refs)
    if kind == "feature":  # a scenario's own @ADR-n tags (its feature's are the feature's refs), at their places
        scenario_refs = tuple(
            ((f"scenario {child.number} tag", adr), _tag_place(child, str(tag), markdown))
            for child in record.children
            for tag in child.fields.get("tags") or ()
            if (adr := tag_adr_id(str(tag))) is not None
        ) + tuple(  # then its Examples blocks' (after its own: the first tag naming an ADR is its link's place)
            ((f"scenario {child.number} tag", adr), _examples_tag_place(child, str(tag), adr, markdown))
            for child in record.children
            for block in child.fields.get("examples") or ()
            for tag in block.get("tags") or ()
            if (adr := tag_adr_id(str(tag))) is not None
        )
        refs += tuple(ref for ref, _ in scenario_refs)
        lines += tuple(line for _, (line, _) in scenario_refs)
        columns += tuple(column for _, (_, column) in scenario_refs)
    return RecordSketch(record.number, record.line, refs, lines, columns)


def _examples_tag_place(scenario: SpecRecord, tag: str, adr: str, markdown: bool) -> tuple[int, int]:
    """The file line and column of the tag ``@tag`` of one of a scenario's Examples blocks: its line is where the
    parser found the first tag naming ``adr`` (``ref_lines``); the column where ``@tag`` starts in that line of the
    scenario's text (1 when it is not there: an earlier tag or mention names the ADR, and is its link's place)."""
    line = scenario.ref_lines.get(adr, scenario.line)
    text = str(scenario.fields.get("gherkin_text") or "").split("\n")
    first = _first_line(scenario, text, markdown)
    if first is None or not 0 <= line - first < len(text):
        return line, 1
    column = _column(text[line - first], tag, markdown)
    return line, 1 if column is None else column


def _tag_place(scenario: SpecRecord, tag: str, markdown: bool = False) -> tuple[int, int]:
    """The file line and column of a scenario's own tag ``@tag``; the scenario's line (column 1) when they cannot
    be told."""
    text = str(scenario.fields.get("gherkin_text") or "").split("\n")
    first = _first_line(scenario, text, markdown)
    if first is None:
        return scenario.line, 1
    for index, raw in enumerate(text[: scenario.line - first]):
        column = _column(raw, tag, markdown)
        if column is not None:
            return first + index, column
    return scenario.line, 1


def _first_line(scenario: SpecRecord, text: list[str], markdown: bool) -> int | None:
    """The file line of the first line of a scenario's text (``gherkin_text``); None when it cannot be told.

    The text starts at the scenario's first tag line, its tags (and comments) run up to its keyword line, which is
    the record's line: so the text's first line is ``line - (index of the keyword line)``. Its lines are the
    file's, as written. In Markdown (``markdown``) the keyword line is a heading."""
    if markdown:
        keyword = next((i for i, ln in enumerate(text) if markdown_gherkin.HEADING.match(ln)), None)
    else:
        keyword = next((i for i, ln in enumerate(text) if (s := ln.strip()) and not s.startswith(("@", "#"))), None)
    return None if keyword is None else scenario.line - keyword


def _column(raw: str, tag: str, markdown: bool) -> int | None:
    """The column where the tag ``@tag`` starts in the line ``raw`` (None: not there). In Markdown a tag is written
    in backticks, `` `@tag` `` (its column is the ``@``'s); in a ``.feature`` file a comment line has no tag and a
    line's tags end where `` #`` starts a comment."""
    wanted = f"@{tag}"
    if markdown:
        return next((m.start(1) + 1 for m in markdown_gherkin.TAG.finditer(raw) if m.group(1) == wanted), None)
    if raw.lstrip().startswith("#"):
        return None
    return next((m.start() + 1 for m in re.finditer(r"\S+", raw.split(" #", 1)[0]) if m.group() == wanted), None)


def broken_sketch(path: str, kind: FileKind, data: bytes, options: ParserOptions) -> Sketch:
    """The sketch of a file that failed to parse: it claims nothing and refers to nothing (its own errors say what
    is wrong). An ADR still declares the ids its rough sketch recovers (its file name's number, its title's, its
    front matter's ``id``), records without references: a reference to such an id is no error — the ADR exists,
    broken, and keeps its records in a sync — so a check does not send the user to fix a valid file."""
    if kind != "adr":
        return Sketch(kind, (), True, True)
    rough = sketch_text(path, kind, data, options)
    return Sketch(kind, tuple(RecordSketch(r.number, r.line) for r in rough.records), True, True)


def sketch_text(path: str, kind: FileKind, data: bytes, options: ParserOptions) -> Sketch:
    """An approximate sketch by regular expressions (``tracertm.rough_sketch``): the same identity rules as the
    parsers for ordinary files, and a superset of the ADR references (every ``ADR-n`` mention, link to an ADR
    file, ``supersedes`` value)."""
    from tracertm.rough_sketch import sketch_text as rough

    return rough(path, kind, data, options)
