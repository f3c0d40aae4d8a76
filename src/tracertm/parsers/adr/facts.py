"""Facts gathered from one ADR before they become fields: statuses and dates with where each was declared,
relations, roles, tags, attributes — read from the front matter, the key list, the Status section and bold lines.
"""

from __future__ import annotations

from collections.abc import Iterable, Mapping, Sequence
from dataclasses import dataclass, field
from typing import Any

from tracertm.errors import Diagnostic
from tracertm.parsers.adr.dialects import INLINE_LABELS, ROLE_ALIASES, SUPERSEDED_BY, SUPERSEDES, status_heading
from tracertm.parsers.adr.frontmatter import FrontMatter, fm_key, json_value
from tracertm.parsers.adr.markdown import Body, Section, atx_heading, strip_list_marker
from tracertm.parsers.adr.references import (
    adr_targets, is_external, normalise_adr_ref, relation_line, says_more,
)
from tracertm.parsers.adr.values import (
    KeyValue,
    front_matter_list,
    is_delimiter_row,
    key_values,
    loose_key_value,
    name_list,
    names_nobody,
    shape,
    status_start,
    status_text,
    table_cells,
    table_pair,
    tag_list,
    warning,
)


@dataclass(frozen=True)
class Declared:
    """One declaration of a status or date, with where it came from."""

    raw: Any
    source: str
    line: int


@dataclass
class Facts:
    """Everything gathered from one file before it becomes the record's fields. Lives for one ``parse`` call."""

    path: str
    statuses: list[Declared] = field(default_factory=list)
    dates: list[Declared] = field(default_factory=list)
    superseded_by: list[str] = field(default_factory=list)
    supersedes: list[str] = field(default_factory=list)
    related: list[str] = field(default_factory=list)
    links: list[dict[str, str]] = field(default_factory=list)
    roles: dict[str, list[str]] = field(default_factory=dict)
    tags: list[str] = field(default_factory=list)
    attributes: dict[str, str] = field(default_factory=dict)
    warnings: list[Diagnostic] = field(default_factory=list)
    styles: set[str] = field(default_factory=set)  # hints for dialect detection
    # The first line naming each successor / predecessor, so that a finding about one (the ADR naming itself)
    # points at the reference, not at the title.
    superseded_by_lines: dict[str, int] = field(default_factory=dict)
    supersedes_lines: dict[str, int] = field(default_factory=dict)
    # The first (line, column) of each ADR a front matter relation names (``supersedes: 97``): its value's place.
    front_places: dict[str, tuple[int, int]] = field(default_factory=dict)
    # The body's link reference definitions (``markdown.Body.definitions``): ``Superseded by [Use Y][y]`` names
    # the ADR that ``[y]: 0005-use-y.md`` at the end of the file points to.
    definitions: Mapping[str, str] = field(default_factory=dict)

    def add_role(self, role: str, names: Iterable[str]) -> None:
        self.roles.setdefault(role, []).extend(names)  # de-duplicated once, when the fields are built

    def add_relation(self, relation: str, targets: Sequence[str], line: int) -> None:
        """A relation line at file line ``line`` naming ``targets``."""
        if relation in SUPERSEDED_BY:
            self.superseded_by.extend(targets)
            for target in targets:
                self.superseded_by_lines.setdefault(target, line)
        elif relation in SUPERSEDES:
            self.supersedes.extend(targets)
            for target in targets:
                self.supersedes_lines.setdefault(target, line)
        else:
            self.links.extend({"relation": relation, "target": target} for target in targets)
        self.related.extend(targets)

    def add_status(self, raw: str, source: str, line: int) -> None:
        """A declared status; ``superseded by [..](0005-x.md)`` also names the successor."""
        self.statuses.append(Declared(raw, source, line))
        successor = status_relation(raw, self.definitions)
        if successor is not None and successor[0] in SUPERSEDED_BY:
            self.add_relation(*successor, line)

    def add_key_value(self, kv: KeyValue, source: str, line: int, keep_unknown: bool) -> None:
        """Route one key/value line: status, date, roles, tags, relations; other keys kept if ``keep_unknown``."""
        role = ROLE_ALIASES.get(kv.key)
        relation = kv.key.replace("-", " ")
        targets = adr_targets(kv.value, self.definitions) if kv.value else []
        if kv.key == "status":
            if kv.value:
                self.add_status(kv.value, source, line)
        elif kv.key == "date":
            if kv.value:
                self.dates.append(Declared(kv.value, source, line))
        elif role is not None:
            self.add_role(role, name_list(kv.value))
        elif kv.key == "tags":
            self.tags.extend(tag_list(kv.value))
        elif relation in SUPERSEDED_BY | SUPERSEDES or (targets and (kv.bold or keep_unknown)):
            # `**Supersedes:** N/A` names nothing; `**Related:** ADR-0002` is a custom link.
            self.add_relation(relation, targets, line)
        elif keep_unknown and kv.value:
            self.attributes.setdefault(kv.label, kv.value)


def status_relation(raw: str, definitions: Mapping[str, str] | None = None) -> tuple[str, list[str]] | None:
    """``relation_line`` of a status: struck-out text left out (``~~Superseded by [..]~~ Accepted`` names no
    successor), and ``Superseded by [..]`` read from the status word on, as the status word itself is
    (``✅ Superseded by [..]``, ``2020-03-04 superseded by [..]``): the successor is never lost to what precedes it.
    """
    text = status_text(raw)
    found = relation_line(text, definitions)
    start = status_start(raw)
    if found is None and start:
        found = relation_line(text[start:], definitions)
        if found is not None and found[0] not in SUPERSEDED_BY:
            return None  # only the status's own relation is read past its prefix
    return found


def read_front_matter(fm: FrontMatter, facts: Facts) -> None:
    found = _single(fm, facts, "status")
    if found is not None and str(json_value(found[0])).strip():
        facts.add_status(str(json_value(found[0])).strip(), "front matter", found[1])
    found = _single(fm, facts, "date")
    if found is not None:
        facts.dates.append(Declared(found[0], "front matter", found[1]))
    _single(fm, facts, "title")  # only said here; ``resolve.title_of`` leaves such a title out
    for key, value in fm.values.items():
        role = ROLE_ALIASES.get(fm_key(key))
        if role is not None:
            people, problems = front_matter_list(value, name_list, key, names_nobody)
            facts.warnings.extend(warning(facts.path, fm.lines.get(key, 1), problem) for problem in problems)
            facts.add_role(role, people)
    found = fm.get("tags")
    if found is not None:
        tags, problems = front_matter_list(found[0], tag_list, "tags")
        facts.warnings.extend(warning(facts.path, found[1], problem) for problem in problems)
        facts.tags.extend(tags)
    for names, kind in ((("supersedes",), "supersedes"), (("superseded-by", "superceded-by"), "superseded by")):
        written = fm.key(*names)
        if written is not None:
            _read_relation(fm, written, kind, facts)


def _read_relation(fm: FrontMatter, key: str, kind: str, facts: Facts) -> None:
    """The front matter relation ``key`` (``supersedes``, ``superseded_by``), each ADR it names at its own place:
    the value's (line, column), a list item's in a list."""
    found = fm.values[key]
    values = found if isinstance(found, list) else [found]
    places = fm.places.get(key, ())
    for index, value in enumerate(values):
        line, column = places[index] if index < len(places) else (fm.lines.get(key, 1), 1)
        usable = isinstance(value, (str, int)) and type(value) is not bool
        target = normalise_adr_ref(value) if usable else None
        if target:
            facts.add_relation(kind, [target], line)
            facts.front_places.setdefault(target, (line, column))
        elif value is not None and not (isinstance(value, str) and _names_nothing(value)):
            # Never a silent guess: a value that names no ADR is said, not dropped.
            facts.warnings.append(warning(facts.path, line, f"{kind}: {json_value(value)!r} names no ADR "
                                          "(write an ADR number, an id like ADR-0003 or a link); ignored"))


def _single(fm: FrontMatter, facts: Facts, name: str) -> tuple[Any, int] | None:
    """The front matter value of ``name`` when it is a single value; a list or a mapping (``status: [a, b]``) is a
    warning at its line and no value (never its Python text, never a pick among the items)."""
    found = fm.get(name)
    kind = shape(found[0]) if found is not None else None
    if found is not None and kind is not None:
        facts.warnings.append(
            warning(facts.path, found[1], f"front matter {name} must be a single value, got {kind}; ignored")
        )
        return None
    return found


def _names_nothing(value: str) -> bool:
    """``supersedes: ""``, ``n/a``, ``none``, ``-`` (the file says there is none), or an ADR of another repository
    (a link elsewhere: not one of this repository's records)."""
    return value.strip().casefold() in ("", "n/a", "none", "-") or is_external(value.strip())


def _pairs(line: str) -> list[KeyValue]:
    """The ``Label: value`` pairs of a key list or Status section line (``key_values``), else its one label
    without a colon (``Status Accepted``: ``loose_key_value``)."""
    kvs = key_values(line)
    if kvs:
        return kvs
    loose = loose_key_value(line)
    return [loose] if loose is not None else []


@dataclass(frozen=True)
class KeyTables:
    """The two-column tables of a stretch of lines, read as key lists (``| Status | Accepted |``, as many teams
    write their ADR's metadata, often under a ``| Field | Value |`` header)."""

    rows: dict[int, list[KeyValue]]  # every line of such a table → its pair (none: header, delimiter, not a label)
    whole: frozenset[int]  # the lines of the tables whose every row is a pair: no text is left of them


def key_tables(body: Body, start: int, end: int) -> KeyTables:
    """The two-column tables in lines [start, end). The header row is a pair only when its label is one this
    parser reads (``| Status | Accepted |`` over ``|---|---|``); else it names the columns (``| Field | Value |``)."""
    rows: dict[int, list[KeyValue]] = {}
    whole: set[int] = set()
    index = start
    while index + 1 < end:
        header = None if body.code[index] or body.code[index + 1] else table_cells(body.lines[index])
        delimiter = table_cells(body.lines[index + 1]) if header is not None and len(header) == 2 else None
        if delimiter is None or len(delimiter) != 2 or not is_delimiter_row(delimiter):
            index += 1
            continue
        stop = index + 2
        while stop < end and not body.code[stop] and table_cells(body.lines[stop]) is not None:
            stop += 1
        head = table_pair(header or [])
        rows[index] = [head] if head is not None and head.key in INLINE_LABELS else []
        rows[index + 1] = []
        complete = True
        for row in range(index + 2, stop):
            pair = table_pair(table_cells(body.lines[row]) or [])
            rows[row] = [pair] if pair is not None else []
            complete = complete and pair is not None
        if complete:
            whole.update(range(index, stop))
        index = stop
    return KeyTables(rows, frozenset(whole))


def read_key_list(body: Body, start: int, end: int, title_lines: Sequence[tuple[int, int]], facts: Facts) -> str:
    """Read the key list before the first section heading; return the rest of that text (kept as preamble)."""
    leftover: list[tuple[int, int]] = list(title_lines)
    tables = key_tables(body, start, end)
    for index in range(start, end):
        line = body.lines[index]
        if body.code[index] or not line.strip() or any(a <= index < b for a, b in title_lines):
            continue
        if index in tables.rows:
            for kv in tables.rows[index]:
                facts.add_key_value(kv, "key list", body.file_line(index), keep_unknown=True)
                facts.styles.add("table")
            if index in tables.whole:  # (a table read in part stays whole in the preamble)
                leftover.append((index, index + 1))
            continue
        kvs = _pairs(line)
        relation = relation_line(line, body.definitions) if not kvs else None
        if kvs:
            for kv in kvs:
                facts.add_key_value(kv, "key list", body.file_line(index), keep_unknown=True)
                facts.styles.add("bold" if kv.bold else f"list{kv.bullet}")
                if kv.key == "tags":
                    facts.styles.add("tags")
        elif relation is not None:
            facts.add_relation(*relation, body.file_line(index))
            if says_more(line):
                continue  # (a sentence that starts with a link, kept as written: nothing the author wrote is lost)
        else:
            continue
        leftover.append((index, index + 1))
    return body.text(start, end, leftover)


def read_status_section(body: Body, section: Section, facts: Facts, *, have_status: bool = False) -> str:
    """The ``## Status`` section: its first meaningful line is the status (unless the heading named it already,
    ``have_status``); relation lines anywhere in it.

    Returns the section's other text (an explanation of the status, say), which is kept rather than dropped.
    """
    used: list[tuple[int, int]] = []
    tables = key_tables(body, section.start, section.end)
    for index in range(section.start, section.end):
        line = body.lines[index]
        if body.code[index] or not line.strip() or atx_heading(line) is not None or index in body.definition_lines:
            continue
        line_no = body.file_line(index)
        if index in tables.rows:
            # A table's rows are pairs, never the status line. Its text stays in the section: the labels this
            # section does not keep (``| ARB decision | … |``) are read nowhere else.
            for kv in tables.rows[index]:
                facts.add_key_value(kv, "## Status section", line_no, keep_unknown=False)
                have_status = have_status or kv.key == "status"
            continue
        kvs = _pairs(line)
        relation = status_relation(line, body.definitions)
        if any(kv.key in ("status", "date") for kv in kvs):
            for kv in kvs:  # `**Status:** Accepted | **Date:** ...` gives both
                facts.add_key_value(kv, "## Status section", line_no, keep_unknown=False)
            have_status = have_status or any(kv.key == "status" for kv in kvs)
        elif relation is not None and relation[0] not in SUPERSEDED_BY:
            facts.add_relation(*relation, line_no)
            if says_more(line):
                continue  # (its prose stays in the section's text)
        elif relation is not None or not have_status:
            # `Superceded by [..]` (adr-tools replaces `Accepted` with it) is a status line and a relation.
            if relation is not None:
                facts.add_relation(*relation, line_no)
            if not have_status:
                facts.statuses.append(Declared(strip_list_marker(line), "## Status section", line_no))
                have_status = True
        else:
            continue
        used.append((index, index + 1))
    return body.text(section.start, section.end, used)


def read_bold_lines(body: Body, start: int, sections: Sequence[Section], facts: Facts) -> None:
    """``**Status:** ...`` style lines after the key list that speak for the whole ADR.

    Only lines directly in a top-level section count: a ``**Status**: done`` inside a ``###`` sub-section or a
    list item (the task list of a long ADR) is the status of that task, not of the ADR. Status sections are read
    by ``read_status_section``.
    """
    skip: set[int] = set()
    for section in sections:
        if status_heading(section.heading.title)[0]:
            skip.update(range(section.heading.at, section.end))
        for child in section.children:
            skip.update(range(child.heading.at, child.end))
    for index in range(start, len(body.lines)):
        line = body.lines[index]
        if body.code[index] or index in skip or ("**" not in line and "__" not in line):
            continue
        kvs = key_values(line)
        if kvs and kvs[0].bold and not kvs[0].bullet:  # a line that starts with a bold label: all its pairs
            for kv in kvs:
                facts.add_key_value(kv, "bold line", body.file_line(index), keep_unknown=False)
            facts.styles.add("bold")
