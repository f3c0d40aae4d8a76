"""The sections of an ADR mapped onto fields: context, decision, consequences, drivers, considered options with
their pros and cons; every unmapped section is kept under its heading so nothing the author wrote is lost.
"""

from __future__ import annotations

import re
from collections.abc import Sequence
from dataclasses import dataclass, field
from typing import Any

from tracertm.parsers.adr.dialects import (
    CONSEQUENCE_HEADINGS,
    CONTEXT_HEADINGS,
    DECISION_HEADINGS,
    DRIVER_HEADINGS,
    LINK_HEADINGS,
    OPTION_HEADINGS,
    PLAIN_CONSEQUENCE_HEADINGS,
    PROS_CONS_HEADINGS,
    status_heading,
)
from tracertm.parsers.adr.dates import read_date
from tracertm.parsers.adr.facts import Declared, Facts, read_status_section
from tracertm.parsers.adr.markdown import (
    Body, Section, atx_heading, heading_key, list_items, prose_around_items, strip_list_marker,
)
from tracertm.parsers.adr.references import LINK_RE, relation_line

# Fuzzy (prefix) matching of pros/cons headings to considered options is skipped above this many options.
_MAX_FUZZY_OPTIONS = 64
_PROS_CONS_RE = re.compile(
    r"(good|bad|neutral|pro|con)[ \t]*[,:][ \t]*(?:because\b[ \t]*)?(.*)", re.IGNORECASE | re.DOTALL
)


@dataclass
class Sections:
    """The mapped section texts."""

    context: list[str] = field(default_factory=list)
    decision: list[str] = field(default_factory=list)
    consequences: list[tuple[str, str]] = field(default_factory=list)  # (heading as written, text)
    drivers: list[str] = field(default_factory=list)
    options: list[dict[str, Any]] = field(default_factory=list)
    option_keys: dict[str, dict[str, Any]] = field(default_factory=dict)  # option_key → option
    option_details: dict[str, dict[str, Any]] = field(default_factory=dict)
    other: dict[str, str] = field(default_factory=dict)
    names: set[str] = field(default_factory=set)
    repeats: dict[str, int] = field(default_factory=dict)

    def keep(self, title: str, text: str) -> None:
        """Keep an unmapped section's text under its heading (numbered if the heading repeats)."""
        if not text:
            return
        title = title or "(untitled)"
        name = title
        while name in self.other:  # amortised O(1): the counter remembers how far each title got
            self.repeats[title] = self.repeats.get(title, 1) + 1
            name = f"{title} ({self.repeats[title]})"
        self.other[name] = text


def read_sections(body: Body, sections: Sequence[Section], facts: Facts) -> Sections:
    out = Sections()
    for section in sections:
        key = section.key
        out.names.add(key)
        title = section.heading.title
        whole = body.text(section.start, section.end)
        if key in CONTEXT_HEADINGS:
            out.context.append(whole)
        elif key in DECISION_HEADINGS:
            _read_decision(body, section, out)
        elif key in CONSEQUENCE_HEADINGS:
            out.consequences.append((title, whole))
        elif key in DRIVER_HEADINGS:
            items = [text for text, _ in list_items(body, section.start, section.end)]
            out.drivers.extend(items or ([whole] if whole else []))
            if items:  # the text around the items (an introduction, a note after them) is kept under the heading
                out.keep(title, prose_around_items(body, section.start, section.end))
        elif key in OPTION_HEADINGS:
            for text, _ in list_items(body, section.start, section.end):
                _option(out, text)
            out.keep(title, prose_around_items(body, section.start, section.end))
        elif key in PROS_CONS_HEADINGS:
            _read_pros_and_cons(body, section, out)
        elif (used := _date_section(body, section, title, facts)) is not None:
            out.names.add("date")
            out.keep(title, body.text(section.start, section.end, used))
        elif status_heading(title)[0]:
            out.names.add("status")  # `## ✅ Status (2021)` is the Status section, for dialect detection too
            inline = status_heading(title)[1]  # `## Status: Accepted`
            if inline:
                facts.add_status(inline, "## Status heading", body.file_line(section.heading.at))
            out.keep(title, read_status_section(body, section, facts, have_status=bool(inline)))
        else:
            if key in LINK_HEADINGS:
                for index in range(section.start, section.end):
                    relation = None if body.code[index] else relation_line(body.lines[index], body.definitions)
                    if relation is not None:
                        facts.add_relation(*relation, body.file_line(index))
            out.keep(title, whole)
    return out


# ``## Date``, ``## 📅 Date``, ``## **Date**: 2024-03-10``: the heading of the ADR's date, its value after a separator.
_DATE_HEADING_RE = re.compile(r"[\W_]*(?:\d{1,3}[.)][ \t]*)?date[\W_]*?(?:[ \t]*[:\-–—|][ \t]*(.*))?",
                              re.IGNORECASE | re.DOTALL)


def _date_section(body: Body, section: Section, title: str, facts: Facts) -> list[tuple[int, int]] | None:
    """A ``## Date`` section, whose first line is the ADR's date, or a ``## Date: 2024-03-10`` heading: the date is
    declared (read, and warned about when unreadable, as a ``Date:`` line is); returns the lines it used (the rest
    of the section is kept under its heading). None for any other heading, and for a Date section whose first line
    reads as no date (``## Date`` over prose): a section like any other. Both forms were no date at all, and the
    heading with its date in it vanished whole."""
    match = _DATE_HEADING_RE.fullmatch(title.strip())
    if match is None:
        return None
    inline = (match.group(1) or "").replace("*", "").strip()
    if inline:
        facts.dates.append(Declared(inline, "## Date heading", body.file_line(section.heading.at)))
        return []
    for index in range(section.start, section.end):
        line = body.lines[index]
        if body.code[index] or not line.strip() or atx_heading(line) is not None:
            continue
        value = strip_list_marker(line).strip()
        if read_date(value).problem == "missing":
            return None
        facts.dates.append(Declared(value, "## Date section", body.file_line(index)))
        return [(index, index + 1)]
    return None


def _read_decision(body: Body, section: Section, out: Sections) -> None:
    """Decision (Outcome): consequence sub-sections move to consequences, Confirmation to the kept sections."""
    skip: list[tuple[int, int]] = []
    for child in section.children:
        if child.key in CONSEQUENCE_HEADINGS:
            out.consequences.append((child.heading.title, body.text(child.start, child.end)))
        elif child.key == "confirmation":
            out.keep(child.heading.title, body.text(child.start, child.end))
        else:
            continue
        out.names.add(child.key)
        skip.append((child.heading.at, child.end))
    text = body.text(section.start, section.end, skip)
    if text:
        out.decision.append(text)


def _option(out: Sections, text: str) -> dict[str, Any]:
    """The considered option named ``text`` (matched loosely), created if new."""
    key = option_key(text)
    known = out.option_keys.get(key)
    if known is not None:
        return known
    # A pros/cons heading may spell the option out longer (or shorter) than the list item did. The scan is
    # quadratic, so it is only done for the handful of options a real ADR has.
    if key and len(out.options) <= _MAX_FUZZY_OPTIONS:
        prefixed = [
            option
            for other, option in out.option_keys.items()
            if other and (other.startswith(key) or key.startswith(other))
        ]
        if len(prefixed) == 1:
            return prefixed[0]
    option: dict[str, Any] = {"option": text, "pros": [], "cons": []}
    out.options.append(option)
    out.option_keys.setdefault(key, option)
    return option


def _read_pros_and_cons(body: Body, section: Section, out: Sections) -> None:
    """Each ``### <option>``: ``Good, because`` → pros, ``Bad, because`` → cons, neutral/description kept."""
    for child in section.children:
        option = _option(out, child.heading.title)
        neutral: list[str] = []
        items = list_items(body, child.start, child.end)
        item_lines = {index for _, index in items}
        for text, _ in items:
            match = _PROS_CONS_RE.fullmatch(text)
            if match is None:
                neutral.append(text)
                continue
            kind, argument = match.group(1).casefold(), match.group(2).strip()
            if kind in ("good", "pro"):
                option["pros"].append(argument)
            elif kind in ("bad", "con"):
                option["cons"].append(argument)
            else:
                neutral.append(argument)
        description = body.text(
            child.start,
            child.end,
            [(i, i + 1) for i in range(child.start, child.end) if i in item_lines or _is_continuation(body, i)],
        )
        details: dict[str, Any] = {}
        if neutral:
            details["neutral"] = neutral
        if description:
            details["description"] = description
        if details:
            out.option_details[option["option"]] = details


def _is_continuation(body: Body, index: int) -> bool:
    """An indented line right below a list item (its wrapped text), which ``list_items`` already joined."""
    line = body.lines[index]
    return bool(line.strip()) and line[:1] in (" ", "\t") and index > 0 and bool(body.lines[index - 1].strip())


def merge_consequences(pieces: Sequence[tuple[str, str]]) -> str | None:
    """One consequences text; Positive/Negative parts keep their heading so the merge loses nothing."""
    parts = [
        text if heading_key(title) in PLAIN_CONSEQUENCE_HEADINGS else f"### {title}\n\n{text}"
        for title, text in pieces
        if text
    ]
    return "\n\n".join(parts) or None


def option_key(text: str) -> str:
    """An option name for matching a ``### heading`` to a list item: link text only, no emphasis or quotes."""
    plain = LINK_RE.sub(lambda m: m.group(1), text)
    plain = "".join(ch for ch in plain if ch not in "*_`\"'“”")
    return " ".join(plain.casefold().split())
