"""Where a git-owned field of a record is written in its file, so that a refused edit can say "edit path:line".

A best effort over the file as it is in the work tree, per kind: a contract's YAML key in the record's own document
(``status:``, ``info.title`` of an OpenAPI document, ``metadata: owner:``); an ADR's front matter key, key list or
bold line (``* Status:``), ``## Status`` section or section heading; a feature's or scenario's Gherkin line (its
keyword line, the tag carrying its id or status, its first ``Given`` step: ``locate_gherkin``); a step
definition's decorator or ``def`` line. The answer is a :class:`Spot`: the line to edit and, when that line does not
hold the value as written (a default status, an id taken from the file's path) or no line is known, a note saying
so: a line is never left out silently.
"""

from __future__ import annotations

import posixpath
import re
from collections.abc import Iterable, Sequence
from dataclasses import dataclass
from pathlib import Path
from typing import Any

from tracertm.parsers.common import declared_text
from tracertm.text import file_lines

MAX_BYTES = 4 * 1024 * 1024


@dataclass(frozen=True)
class Spot:
    """The line to edit (1-based; None when unknown) and, when needed, why that line or why none."""

    line: int | None
    note: str | None = None


@dataclass(frozen=True)
class Facts:
    """What the locators need of a record: its human id, title, own line (a step definition's), function name and
    the current value of the field looked for (to find a list's first item)."""

    number: str | None = None
    title: str | None = None
    line: int | None = None
    function: str | None = None
    value: Any = None


# Fields no file sets: figures computed from imported test results.
COMPUTED: dict[tuple[str, str], str] = {
    ("scenario", name): "computed from the imported test results (tracertm results import); no file sets it"
    for name in ("last_status", "execution_count", "flaky")
}


def missing(label: str, where: str, line: int | None = None) -> Spot:
    """A field the file does not write (it holds its default, or nothing): the line to add it at, if any."""
    at = f" {where}" if where else ""
    return Spot(line, f"{label} is not written in the file (it has its default value); add it{at}")


def field_spot(text: str, path: str, kind: str, field: str, facts: Facts = Facts()) -> Spot:
    """The :class:`Spot` of ``field`` (a column name or ``metadata.<key>``) of a ``kind`` record in ``text``."""
    if (kind, field) in COMPUTED:
        return Spot(None, COMPUTED[(kind, field)])
    if kind == "contract":
        from tracertm.repositories.locate_yaml import contract_spot

        return contract_spot(text, path, field, facts)
    if kind in ("feature", "scenario"):
        from tracertm.repositories.locate_gherkin import gherkin_spot

        return gherkin_spot(text, kind, field, facts, path)
    lines = file_lines(text)
    if kind == "adr":
        return adr_spot(lines, path, field, facts)
    if kind == "step_definition":
        return step_spot(lines, field, facts)
    found = key_line(lines, _words(field))
    return Spot(found) if found else Spot(None, f"no line of the file names {field}")


def field_line(text: str, kind: str, field: str, title: str | None = None) -> int | None:
    """The 1-based line of ``field`` in ``text`` (a file of ``kind``), or None (see :func:`field_spot`)."""
    spot = field_spot(text, "", kind, field, Facts(title=title, number=title))
    return spot.line if spot.note is None else None


def read_text(top: Path, path: str) -> str | None:
    """The text of ``path`` under the repository ``top``: None when it is outside it (never followed), missing or
    too large."""
    try:
        root = top.resolve()
        target = (root / path).resolve()
        if not target.is_relative_to(root) or not target.is_file() or target.stat().st_size > MAX_BYTES:
            return None
        data = target.read_bytes()
    except OSError:
        return None
    from tracertm.steps.parsing import language_of

    language = language_of(path)
    if language is not None:
        # A step file is read in the encoding its language's tool reads it in (a Python coding comment, a Ruby magic
        # comment, C#'s UTF-16), as the parser reads it.
        from tracertm.errors import ParseError
        from tracertm.steps.source_text import step_text

        try:
            return step_text(path, language, data)[0]
        except ParseError:
            pass
    try:
        return data.decode("utf-8")
    except UnicodeDecodeError:
        # A feature file cucumber-jvm reads in the encoding its "# encoding:" comment names: the parser reads it so.
        declared = declared_text(data) if path.endswith(".feature") else None
        return declared if declared is not None else data.decode("utf-8", errors="replace")


def spot_in_file(top: Path, path: str, kind: str, field: str, facts: Facts = Facts()) -> Spot:
    """:func:`field_spot` for the file ``path`` under the repository ``top``."""
    text = read_text(top, path)
    if text is None:
        return Spot(None, f"{path} is not in the repository's work tree at {top} (moved or deleted since the last "
                          "sync?), so its line is unknown")
    return field_spot(text, path, kind, field, facts)


def line_in_file(top: Path, path: str, kind: str, field: str, title: str | None = None) -> int | None:
    """:func:`field_line` for the file ``path`` under the repository ``top`` (never outside it)."""
    text = read_text(top, path)
    return None if text is None else field_line(text, kind, field, title)


# ------------------------------------------------------------------------------------------------ shared helpers

# Column → the words a file uses for it, when they differ from the column name.
_ALIASES: dict[str, tuple[str, ...]] = {
    "contract_type": ("type",),
    "adr_number": ("id", "number"),
    "contract_number": ("id",),
    "feature_number": ("id",),
    "decision_drivers": ("decision drivers", "drivers"),
    "considered_options": ("considered options", "pros and cons of the options", "options"),
    "related_adrs": ("related", "links"),
    "superseded_by": ("superseded by", "superceded by"),
    "supersedes": ("supercedes",),
    "executable_spec": ("spec",),
    "spec_language": ("language",),
    "stakeholders": ("deciders", "decision-makers", "consulted", "informed"),
    "context": ("context and problem statement",),
    "decision": ("decision outcome",),
    "consequences": ("positive consequences", "negative consequences"),
}


def _words(field: str) -> tuple[str, ...]:
    return (field, field.replace("_", " "), field.replace("_", "-"), *_ALIASES.get(field, ()))


def first(lines: Sequence[str], pattern: re.Pattern[str], start: int = 0, stop: int | None = None) -> int | None:
    """The 1-based number of the first line in ``lines[start:stop]`` that ``pattern`` finds something in."""
    end = len(lines) if stop is None else min(stop, len(lines))
    return next((i + 1 for i in range(start, end) if pattern.search(lines[i])), None)


def key_line(lines: Sequence[str], words: Iterable[str], start: int = 0, stop: int | None = None, *,
             inline: bool = False) -> int | None:
    """A line setting one of ``words``: ``key:`` (YAML, front matter, ``Date: ...``), a list item or a bold key
    (``* Status: accepted``, ``**Status:** Accepted``), or a Markdown heading ``## Key``; with ``inline`` (an ADR's
    body, never YAML) also a later label of a line of several (``**Date:** 2024-01-02 | **Status:** Rejected``),
    exactly where the ADR parser reads one (``parsers.adr.values.key_values``): whichever line comes first."""
    names = tuple(words)
    alternatives = "|".join(re.escape(w) for w in names)
    pattern = re.compile(
        rf"^\s*(?:(?:[-*+]\s+)?(?:\*\*|__)?(?:{alternatives})(?:\*\*|__)?\s*:|#+\s*(?:{alternatives})\s*#*\s*$)",
        re.IGNORECASE,
    )
    found = first(lines, pattern, start, stop)
    if not inline:
        return found
    end = min(len(lines), len(lines) if stop is None else stop, len(lines) if found is None else found - 1)
    return _inline_label_line(lines, names, start, end) or found


def _inline_label_line(lines: Sequence[str], words: tuple[str, ...], start: int, stop: int) -> int | None:
    """The 1-based number of the first line in ``lines[start:stop]`` whose second or later ``Label: value`` pair,
    as the ADR parser splits a line at ``|``, is one of ``words``."""
    if not any("|" in lines[i] for i in range(start, stop)):
        return None
    from tracertm.parsers.adr.frontmatter import fm_key
    from tracertm.parsers.adr.values import key_values

    keys = {fm_key(w) for w in words}
    return next((i + 1 for i in range(start, stop) if "|" in lines[i] and
                 any(kv.key in keys for kv in key_values(lines[i])[1:])), None)


def value_line(lines: Sequence[str], value: Any, start: int = 0) -> int | None:
    """The first line holding one of the texts of ``value`` (a text, or a list of texts or of ``{option: ...}``)."""
    items = value if isinstance(value, list) else [value]
    texts = [str(i.get("option") if isinstance(i, dict) else i) for i in items if i not in (None, "")]
    found = [n for n in (first(lines, re.compile(re.escape(t)), start) for t in texts if t.strip()) if n]
    return min(found) if found else None


# ------------------------------------------------------------------------------------------------------ ADRs

_HEADING = re.compile(r"^\s*#+\s")
_SUPERSEDED_BY = re.compile(
    r"super[sc]eded\s+by|remplacée?\s+par|ersetzt\s+durch|reemplazad[oa]\s+por|substituíd[oa]\s+por", re.IGNORECASE
)
_SUPERSEDES = re.compile(r"^\W*(?:super[sc]edes|remplace|reemplaza|substitui)\b", re.IGNORECASE)
_SECTIONS = ("context", "decision", "consequences", "decision_drivers", "considered_options")


def _front_matter_end(lines: Sequence[str]) -> int:
    """How many lines the YAML front matter takes (0 without one)."""
    if not lines or lines[0].strip() != "---":
        return 0
    closing = next((i for i in range(1, len(lines)) if lines[i].strip() in ("---", "...")), None)
    return closing + 1 if closing is not None else 0


def _adr_words(field: str) -> tuple[str, ...]:
    """``_words`` and the labels of other languages the ADR parser reads as ``field`` (``Statut``, ``Datum``)."""
    from tracertm.parsers.adr.dialects import LABEL_ALIASES

    return (*_words(field), *(label for label, name in LABEL_ALIASES.items() if name == field))


def _title_line(lines: Sequence[str], fm: int) -> int | None:
    """The title heading's line as the parser picks it: an H1 outside code, or an ADR's one ``## Title`` over
    ``### Status``-level sections (a first H1 test alone would send such an ADR's author to its file name)."""
    from tracertm.parsers.adr.markdown import scan_body
    from tracertm.parsers.adr.parser import title_heading

    body = scan_body(lines[fm:], fm + 1)
    heading = title_heading(body.headings)
    return body.file_line(heading.at) if heading is not None else None


def adr_spot(lines: Sequence[str], path: str, field: str, facts: Facts) -> Spot:
    """An ADR's field: front matter first, then the body (key lists, bold lines, headings), as the parser reads."""
    fm = _front_matter_end(lines)
    in_fm = key_line(lines, _words(field), 0, fm) if fm else None
    if field.startswith("metadata."):
        key = field.removeprefix("metadata.")
        if key == "raw_status":
            return adr_spot(lines, path, "status", facts)
        found = _front_matter_key_line(lines, path, key) or key_line(lines, (key, key.replace("_", " ")), fm,
                                                                      inline=True)
        return Spot(found) if found else Spot(None, f"no line of the file sets {key!r} (it is derived from the text)")
    if field == "adr_number":
        found = key_line(lines, ("id", "number"), 0, fm) if fm else None
        if found:
            return Spot(found)
        return Spot(None, f"the number comes from the file name {posixpath.basename(path) or 'of the ADR'}: "
                          "rename the file (or set `id:` in front matter)")
    if field == "title":
        found = (key_line(lines, ("title",), 0, fm) if fm else None) or _title_line(lines, fm)
        return Spot(found) if found else Spot(None, "the title comes from the file name: rename the file or add a "
                                                    "`# Title` line")
    if field == "status":
        found = in_fm or key_line(lines, _adr_words("status"), fm, inline=True)
        if found and _HEADING.match(lines[found - 1]):  # "## Status": the value is the section's first line
            found = next((i + 1 for i in range(found, len(lines)) if lines[i].strip()), found)
        return Spot(found) if found else missing("status", "as a `Status:` line (or `status:` in front matter)")
    if field == "superseded_by":
        found = first(lines, _SUPERSEDED_BY)
        return Spot(found) if found else missing("superseded_by", "as a `Superseded by [..](file.md)` line")
    if field == "supersedes":
        found = first(lines, _SUPERSEDES) or in_fm
        return Spot(found) if found else missing("supersedes", "as a `Supersedes [..](file.md)` line")
    if field in ("related_requirements", "related_adrs"):
        found = value_line(lines, facts.value) or (_adr_link_line(lines, facts.value) if field == "related_adrs"
                                                   else None) or key_line(lines, _words(field), fm, inline=True)
        return Spot(found) if found else missing(field, "by naming the id in the text")
    found = in_fm or key_line(lines, _adr_words(field), fm, inline=True)
    if field == "stakeholders":
        found = found or value_line(lines, facts.value, fm)
    if field in _SECTIONS and not found:
        found = value_line(lines, facts.value, fm)
    return Spot(found) if found else missing(field, "")


def _front_matter_key_line(lines: Sequence[str], path: str, key: str) -> int | None:
    """The line of the front matter key the ADR parser keeps as the metadata key ``key``: the key as written, or
    ``front_matter:<key>`` for one named as a key the parser computes (``slug``). Found as the parser loads the
    block (a quoted or flow-style key too); a block it cannot load is searched for a ``key:`` line."""
    from tracertm.errors import ParseError
    from tracertm.parsers.adr.dialects import RESERVED_METADATA
    from tracertm.parsers.adr.frontmatter import load_front_matter, split_front_matter
    from tracertm.parsers.records import ParserOptions

    name = key.removeprefix("front_matter:")
    if (name != key) != (name in RESERVED_METADATA):  # "slug" is computed; "front_matter:owner" no key's name
        return None
    try:
        block, _ = split_front_matter(path, lines)
        loaded = load_front_matter(path, block, ParserOptions(), []) if block is not None else None
    except ParseError:
        end = _front_matter_end(lines)
        return key_line(lines, (name,), 0, end) if end else None
    return loaded.lines.get(name) if loaded is not None else None


def _adr_link_line(lines: Sequence[str], ids: Any) -> int | None:
    """The first line naming one of the ADR ``ids`` as ``ADR 3``/``adr-0003`` or linking its file (``0003-x.md``),
    as ADRs usually refer to each other."""
    numbers = [int(m.group(1)) for i in (ids if isinstance(ids, list) else []) if (m := re.search(r"(\d+)$", str(i)))]
    if not numbers:
        return None
    alternatives = "|".join(f"0*{n}" for n in numbers)
    pattern = re.compile(rf"\bADR[-\s]?(?:{alternatives})\b|\((?:\S*/)?(?:{alternatives})[-_][^)]*\.md\)",
                         re.IGNORECASE)
    return first(lines, pattern)


# ------------------------------------------------------------------------------------------- step definitions

def step_spot(lines: Sequence[str], field: str, facts: Facts) -> Spot:
    """A step definition's field: its decorator line (``facts.line``), or its function's ``def`` line for what the
    function's own text sets (name, parameters, code, docstring)."""
    own = facts.line
    if field in ("function_name", "implementation_code", "parameters", "documentation", "step_number") and \
            facts.function:
        name = re.escape(facts.function)
        found = first(lines, re.compile(rf"\b(?:def|function|func|fn)\s+{name}\b|\b{name}\s*[(=:]"), (own or 1) - 1)
        if found:
            return Spot(found)
    if field in ("implementation_path", "language"):
        return Spot(own, f"{field} is the file's own path and type: move or rename the file")
    if own:
        return Spot(own)
    return Spot(None, "the step definition's line was not recorded by the last sync")


# ------------------------------------------------------------------------------------------------------ records

NO_REPOSITORY = ("the server does not know where the project's repository is (run `tracertm serve` inside it, or "
                 "with --path), so the line is unknown")


def record_spot(kind: str, row: Any, field: str, top: Path | None) -> Spot:
    """Where ``field`` of the ORM ``row`` (a record of ``kind``) is written: from its file under ``top`` when the
    repository is known; else what the database itself records (a scenario's step lines, a step definition's own
    line), or a note saying that the line is unknown."""
    if (kind, field) in COMPUTED:
        return Spot(None, COMPUTED[(kind, field)])
    path = getattr(row, "source_path", None)
    column = field.removeprefix("metadata.")
    facts = Facts(
        number=_number(kind, row), title=getattr(row, "title", None), line=getattr(row, "line", None),
        function=getattr(row, "function_name", None), value=None if field.startswith("metadata.") else
        getattr(row, column, None),
    )
    if top is not None and path:
        spot = spot_in_file(top, path, kind, field, facts)
        if spot.line is not None or kind not in ("scenario", "step_definition"):
            return spot
    if kind == "step_definition":
        return step_spot([], field, facts)
    if kind == "scenario":
        line = _scenario_line(row, field)
        if line:
            return Spot(line)
    return Spot(None, NO_REPOSITORY)


def _number(kind: str, row: Any) -> str | None:
    from tracertm.kinds import NUMBER_COLUMN

    name = NUMBER_COLUMN.get(kind)
    return str(getattr(row, name)) if name and getattr(row, name, None) is not None else None


def _scenario_line(row: Any, field: str) -> int | None:
    """A scenario's line from the database alone: the first step of a step list, else its first line (its first
    step's line less the lines before that step in its own text)."""
    if field in ("given_steps", "when_steps", "then_steps"):
        lines = [int(s["line"]) for s in getattr(row, field, None) or [] if isinstance(s, dict) and
                 isinstance(s.get("line"), int)]
        if lines:
            return min(lines)
    from tracertm.repositories.records import source_line

    return source_line(row)
