"""The Markdown body of an ADR as lines, a code mask, headings and a section tree — no meaning attached yet.

HTML comments (template hints) are blanked, fenced code is marked so that nothing inside it counts as a heading,
a key or a reference, and ATX and setext headings are found. All regular expressions are anchored or bounded so
that no input can make them backtrack catastrophically.
"""

from __future__ import annotations

import re
from collections.abc import Iterable, Mapping, Sequence
from dataclasses import dataclass, field
from typing import NamedTuple

FENCE_RE = re.compile(r" {0,3}(`{3,}|~{3,})")
LIST_ITEM_RE = re.compile(r"([ \t]*)([-*+]|\d{1,9}[.)])(?:[ \t]+(.*))?$", re.DOTALL)
_HEADING_NUMBER_RE = re.compile(r"\d{1,3}[.)][ \t]*")
# A link reference definition (CommonMark): ``[label]: destination "title"``, the destination on this line or the
# next. Group 1 the label, group 2 or 3 the destination (``<...>`` or bare), group 4 what follows it.
_DEFINITION_RE = re.compile(r" {0,3}\[([^\[\]\n]{1,999})\]:[ \t]*(?:<([^<>\n]*)>|([^\s<>]+))?(.*)")
_DESTINATION_RE = re.compile(r"[ \t]*(?:<([^<>\n]*)>|([^\s<>]+))(.*)")
_TITLE_RE = re.compile(r"(?:[ \t]+(?:\"[^\"]*\"|'[^']*'|\([^()]*\)))?[ \t]*")


class Heading(NamedTuple):  # NamedTuples: a pathological file may hold a million headings
    at: int  # body line index of the heading text
    end: int  # first body line after the heading (index + 2 for a setext heading)
    level: int
    title: str


class Section(NamedTuple):
    heading: Heading
    start: int  # first line of the section body
    end: int  # exclusive
    children: tuple[Section, ...]

    @property
    def key(self) -> str:
        return heading_key(self.heading.title)


@dataclass(frozen=True)
class Body:
    """The Markdown body: lines with HTML comments blanked, a code-block mask, headings, and a line offset."""

    lines: tuple[str, ...]
    code: tuple[bool, ...]
    first_line: int  # 1-based file line of lines[0]
    headings: tuple[Heading, ...]
    # Link reference definitions: normalised label → destination, and the body lines they take (not prose: a
    # reader sees the links that use them, not the definitions).
    definitions: Mapping[str, str] = field(default_factory=dict)
    definition_lines: frozenset[int] = frozenset()

    def file_line(self, index: int) -> int:
        return self.first_line + index

    def text(self, start: int, end: int, skip: Iterable[tuple[int, int]] = ()) -> str:
        """The Markdown of lines [start, end) without the ``skip`` ranges, trailing spaces dropped, stripped."""
        skipped: set[int] = set()
        for a, b in skip:
            skipped.update(range(max(a, start), min(b, end)))
        kept = [self.lines[i].rstrip() for i in range(start, end) if i not in skipped]
        return "\n".join(kept).strip()


def scan_body(raw_lines: Sequence[str], first_line: int) -> Body:
    """Blank HTML comments (outside code), mark fenced code, and find ATX and setext headings."""
    lines: list[str] = []
    code: list[bool] = []
    fence: str | None = None
    in_comment = False
    for line in raw_lines:
        if fence is not None:
            lines.append(line)
            code.append(True)
            closing = line.strip()
            if closing and closing.strip(fence[0]) == "" and len(closing) >= len(fence):
                fence = None
            continue
        if not in_comment:
            match = FENCE_RE.match(line)
            if match:
                fence = match.group(1)
                lines.append(line)
                code.append(True)
                continue
        cleaned, in_comment = _strip_comment(line, in_comment)
        lines.append(cleaned)
        code.append(False)
    headings = _find_headings(lines, code)
    definitions, definition_lines = _find_definitions(lines, code)
    return Body(tuple(lines), tuple(code), first_line, tuple(headings), definitions, definition_lines)


def link_label(label: str) -> str:
    """A link label for matching a reference to its definition, as CommonMark matches them: case-folded, inner
    white space collapsed (``[Use  Kafka]`` uses ``[use kafka]: ...``)."""
    return " ".join(label.casefold().split())


def _find_definitions(lines: Sequence[str], code: Sequence[bool]) -> tuple[dict[str, str], frozenset[int]]:
    """The link reference definitions outside code (``[kafka]: 0005-use-kafka.md``): a reference-style link
    (``[Use Kafka][kafka]``, ``[kafka][]``, ``[kafka]``) points where its definition says, wherever in the file that
    is. As in CommonMark a definition cannot interrupt a paragraph, and the first of one label wins."""
    definitions: dict[str, str] = {}
    taken: set[int] = set()
    index = 0
    while index < len(lines):
        found = _definition(lines, code, index)
        if found is None or (index and not _may_start_block(lines, code, index, taken)):
            index += 1
            continue
        label, destination, end = found
        definitions.setdefault(label, destination)
        taken.update(range(index, end))
        index = end
    return definitions, frozenset(taken)


def _may_start_block(lines: Sequence[str], code: Sequence[bool], index: int, taken: set[int]) -> bool:
    """Whether line ``index`` interrupts no paragraph: the line before it is blank, code, a heading or a
    definition."""
    previous = lines[index - 1]
    return not previous.strip() or code[index - 1] or index - 1 in taken or atx_heading(previous) is not None


def _definition(lines: Sequence[str], code: Sequence[bool], index: int) -> tuple[str, str, int] | None:
    """(label, destination, first line after it) of a definition starting at line ``index``, else None."""
    line = lines[index]
    match = None if code[index] or "]:" not in line else _DEFINITION_RE.fullmatch(line)
    if match is None or not link_label(match.group(1)):
        return None
    destination = match.group(2) if match.group(2) is not None else match.group(3)
    rest, end = match.group(4), index + 1
    if destination is None:  # ``[label]:`` alone: the destination is on the next line
        following = None
        if not rest.strip() and end < len(lines) and not code[end]:
            following = _DESTINATION_RE.fullmatch(lines[end])
        if following is None:
            return None
        destination = following.group(1) if following.group(1) is not None else following.group(2)
        rest, end = following.group(3), end + 1
    if _TITLE_RE.fullmatch(rest) is None:
        return None
    return link_label(match.group(1)), destination, end


def _strip_comment(line: str, in_comment: bool) -> tuple[str, bool]:
    """Remove ``<!-- ... -->`` parts of one line; comments are template hints, not what the author decided."""
    if not in_comment and "<!--" not in line:
        return line, False
    pieces: list[str] = []
    pos = 0
    while pos <= len(line):
        if in_comment:
            end = line.find("-->", pos)
            if end == -1:
                break
            pos, in_comment = end + 3, False
        else:
            start = line.find("<!--", pos)
            if start == -1:
                pieces.append(line[pos:])
                break
            pieces.append(line[pos:start])
            pos, in_comment = start + 4, True
    return "".join(pieces), in_comment


def atx_heading(line: str) -> tuple[int, str] | None:
    if "#" not in line[:4]:
        return None
    stripped = line.lstrip(" ")
    if len(line) - len(stripped) > 3 or not stripped.startswith("#"):
        return None
    level = len(stripped) - len(stripped.lstrip("#"))
    rest = stripped[level:]
    if level > 6 or (rest and rest[0] not in " \t"):
        return None
    title = rest.strip()
    without_closing = title.rstrip("#")
    if without_closing != title and (not without_closing or without_closing[-1] in " \t"):
        title = without_closing.strip()
    return level, title


def _setext_level(line: str) -> int:
    stripped = line.strip()
    if stripped[:1] not in ("=", "-") or len(line) - len(line.lstrip(" ")) > 3:
        return 0
    if len(stripped) >= 3 and stripped.strip("=") == "":
        return 1
    if len(stripped) >= 3 and stripped.strip("-") == "":
        return 2
    return 0


def _is_paragraph_line(line: str) -> bool:
    stripped = line.strip()
    return bool(stripped) and stripped[0] not in "#>|-*+`~" and LIST_ITEM_RE.match(line) is None


def _find_headings(lines: Sequence[str], code: Sequence[bool]) -> list[Heading]:
    headings: list[Heading] = []
    taken = -1  # index of the last line used as setext heading text
    for index, line in enumerate(lines):
        if code[index]:
            continue
        atx = atx_heading(line)
        if atx is not None:
            headings.append(Heading(index, index + 1, atx[0], atx[1]))
            continue
        level = _setext_level(line)
        # A setext underline only counts under a one-line paragraph (keeps `---` rules from eating text).
        if (
            level
            and index > 0
            and index - 1 != taken
            and not code[index - 1]
            and _is_paragraph_line(lines[index - 1])
            and (index < 2 or not lines[index - 2].strip() or atx_heading(lines[index - 2]) is not None)
        ):
            headings.append(Heading(index - 1, index + 1, level, lines[index - 1].strip()))
            taken = index - 1
    return headings


def heading_key(title: str) -> str:
    """A heading name for matching: case-folded, emphasis/emoji/numbering dropped, ``&`` as ``and``."""
    text = title.casefold().replace("&", " and ")
    text = "".join(ch if ch.isalnum() or ch in " -'." else " " for ch in text).strip()
    match = _HEADING_NUMBER_RE.match(text)
    if match:
        text = text[match.end() :]
    return " ".join(text.replace(".", " ").split())


def build_sections(headings: Sequence[Heading], end: int, level: int | None = None) -> tuple[Section, ...]:
    """Group headings into a tree: headings of ``level`` (default: the shallowest present) and shallower ones split,
    deeper ones become children of the section before them. A shallower heading ends the section before it, as
    it does for a reader (``## Details`` over ``### Assumptions`` in the Tyree and Akerman template, a ``# Notes``
    after the consequences): it is a section of its own, never text of another (see ``section_level``)."""
    if not headings:
        return ()
    level = level if level is not None else min(h.level for h in headings)
    tops = [0] + [i for i, h in enumerate(headings) if h.level <= level and i != 0]
    sections: list[Section] = []
    for n, i in enumerate(tops):
        next_i = tops[n + 1] if n + 1 < len(tops) else len(headings)
        section_end = headings[next_i].at if next_i < len(headings) else end
        heading = headings[i]
        children = build_sections(headings[i + 1 : next_i], section_end) if next_i > i + 1 else ()
        sections.append(Section(heading, heading.end, section_end, children))
    return tuple(sections)


def list_items(body: Body, start: int, end: int) -> list[tuple[str, int]]:
    """Top-level list items in [start, end) as (text, index); continuation lines are joined with a space."""
    return [(" ".join(part for part in parts if part), lines[0]) for parts, lines in _list_items(body, start, end)]


def prose_around_items(body: Body, start: int, end: int) -> str:
    """The text of [start, end) that is no top-level list item (``list_items``): a paragraph before, between or
    after the items, a nested list, a sub-heading — which a field holding only the items would lose."""
    used = {index for _, lines in _list_items(body, start, end) for index in lines}
    kept: list[str] = []
    after_item = False
    for index in range(start, end):
        if index in used:
            after_item = True
            continue
        line = body.lines[index].rstrip()
        if not line and after_item and kept and not kept[-1]:
            continue  # the blank lines around a list left out are one paragraph break, not several
        kept.append(line)
        after_item = after_item and not line
    return "\n".join(kept).strip()


def _list_items(body: Body, start: int, end: int) -> list[tuple[list[str], list[int]]]:
    """Top-level list items in [start, end): (text parts, the body lines each part came from)."""
    items: list[tuple[list[str], list[int]]] = []
    base_indent: int | None = None
    after_blank = False
    for index in range(start, end):
        line = body.lines[index]
        if body.code[index] or atx_heading(line) is not None:
            after_blank = False
            continue
        if not line.strip():
            after_blank = True
            continue
        match = LIST_ITEM_RE.match(line)
        indent = len(match.group(1).expandtabs(4)) if match else len(line) - len(line.lstrip())
        if match and (base_indent is None or indent <= base_indent + 1):
            base_indent = indent if base_indent is None else base_indent
            items.append(([(match.group(3) or "").strip()], [index]))
        elif items and not match and (indent > (base_indent or 0) or not after_blank):
            items[-1][0].append(line.strip())  # a wrapped line of the current item
            items[-1][1].append(index)
        after_blank = False
    return items


def strip_list_marker(line: str) -> str:
    match = LIST_ITEM_RE.match(line)
    return (match.group(3) or "").strip() if match else line.strip()

