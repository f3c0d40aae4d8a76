"""The fixed limits of a feature file, which keep a hostile file one error at a line, parsed and checked in bounded
time and memory:

- before gherkin reads it (``check_size``): its lines, and its ``|`` and ``@`` (table cells and tags);
- once it is parsed (``check_expansion``): its steps as a check runs and a sync stores them — the Background's in
  every scenario, a Scenario Outline's (and its Background's, which behave and pytest-bdd fill too) once per
  Examples row with the row's values put in. A 575-byte outline whose
  Examples values name the next column (``<c1><c1>``) doubled its step with every column (gherkin fills column by
  column, each in the text the previous ones left, and so does ``steps.scenarios``: 134 MB of one step), and a 32 KB
  file of 1,000 steps and 1,000 rows, or of a 1,000-step Background and 1,000 scenarios, is a million steps (a minute
  and a gigabyte to check, or 134 MB of database).

``filled`` fills a step with one row as gherkin's pickle compiler does, and ``fill_cost`` is what that costs, counted
by the limit before anything is built; ``steps.scenarios`` fills with ``filled``, so a file the limit lets through is
filled in bounded time.
"""

from __future__ import annotations

import re
import sys
from collections import Counter
from collections.abc import Mapping, Sequence
from typing import Any, NoReturn

from tracertm.errors import ParseError

__all__ = [
    "MAX_FEATURE_CELLS_AND_TAGS", "MAX_FEATURE_LINES", "MAX_FEATURE_STEPS", "MAX_FEATURE_STEP_CHARACTERS",
    "Header", "Row", "Template", "check_expansion", "check_size", "fill_cost", "filled",
]

# gherkin-official spends about 10-15 us on every line (blank ones too) and on every table cell and tag, so a file of
# millions of short lines, cells or tags stalls a sync or a hook for a minute while staying under ``max_file_size``.
# The largest real feature files seen have under 2,000 lines (gherkin's own very_long.feature: 1,702); at these
# limits the worst file parses in a few seconds. Fixed limits, not settings, checked before gherkin reads the file
# (a count of ``|`` and ``@`` characters: one per cell or tag, and far more than any real file holds in text).
MAX_FEATURE_LINES = 50_000
MAX_FEATURE_CELLS_AND_TAGS = 200_000

# A check spends about 100 us on each step it matches and reports, a sync stores each one (and the Background once
# more in every scenario record): a large real outline, 1,000 rows of 20 steps, is 20,000 steps and some 2 million
# characters (as written and as filled). At these limits the worst file checks in about 6 s and adds about 10 MB to
# the database. Fixed limits, not settings, as the ones above.
MAX_FEATURE_STEPS = 50_000
MAX_FEATURE_STEP_CHARACTERS = 10_000_000

_MARK = re.compile(r"[|@]+")
# A placeholder whose name holds no '<' or '>': every such ``<name>`` of a text is one match (matches cannot overlap).
_PLACEHOLDER = re.compile(r"<([^<>]*)>")
# A '<' with another one before its '>': a value put in between could close a placeholder the step did not hold.
_OPEN_TWICE = re.compile(r"<[^<>]*<")
_FEW = 4  # placeholders a step fills with str.replace, one each; more with one regular expression pass


def check_size(path: str, text: str) -> None:
    """Raise ``ParseError`` when ``text`` (LF line ends only) has more lines than ``MAX_FEATURE_LINES`` or more ``|``
    and ``@`` than ``MAX_FEATURE_CELLS_AND_TAGS``, at the first line past the limit."""
    newlines = text.count("\n")
    if newlines >= MAX_FEATURE_LINES:  # else at most MAX_FEATURE_LINES lines, the last one without its line end
        lines = newlines + (0 if text.endswith("\n") else 1)
        if lines > MAX_FEATURE_LINES:
            raise ParseError(
                path,
                MAX_FEATURE_LINES + 1,
                0,
                f"feature file has {lines} lines, over the {MAX_FEATURE_LINES}-line limit for feature files, a "
                "fixed limit; split it into several feature files",
            )
    marks = text.count("|") + text.count("@")
    if marks > MAX_FEATURE_CELLS_AND_TAGS:
        line = text.count("\n", 0, _nth_mark(text, MAX_FEATURE_CELLS_AND_TAGS + 1)) + 1
        raise ParseError(
            path,
            line,
            0,
            f"feature file has {marks} '|' and '@' (table cells and tags), over the limit of "
            f"{MAX_FEATURE_CELLS_AND_TAGS} for feature files, a fixed limit; split it into several feature files",
        )


def _nth_mark(text: str, n: int) -> int:
    """The offset of the ``n``-th ``|`` or ``@`` of ``text`` (1-based; ``text`` holds at least ``n``)."""
    seen = 0
    for match in _MARK.finditer(text):
        seen += len(match.group())
        if seen >= n:
            return match.end() - (seen - n) - 1
    raise AssertionError("fewer marks than counted")  # pragma: no cover


# --------------------------------------------------------------------------------------------------------------
# Filling an outline's steps


class Template:
    """An outline step's text, read once for all the rows of its Examples: the placeholders it holds and how often,
    and whether it holds a '<' that a value put in could pair with another '>' (``_OPEN_TWICE``)."""

    __slots__ = ("counts", "placeholders", "plain", "text")

    def __init__(self, text: str) -> None:
        self.text = text
        self.counts = Counter(_PLACEHOLDER.findall(text))
        self.placeholders = tuple((name, f"<{name}>") for name in self.counts)
        self.plain = _OPEN_TWICE.search(text) is None


class Header:
    """An Examples table's columns, read once for all its rows: each name's column (the first of a name wins:
    gherkin's replacement column by column leaves no placeholder of that name for a later one), and whether no name
    holds '<' or '>'."""

    __slots__ = ("columns", "index", "plain")

    def __init__(self, columns: Sequence[str]) -> None:
        self.columns = columns
        self.index: dict[str, int] = {}
        for number, name in enumerate(columns):
            self.index.setdefault(name, number)
        joined = "".join(columns)
        self.plain = "<" not in joined and ">" not in joined


class Row:
    """An Examples row, read once for all the steps it fills: its values, and whether neither they nor the column
    names hold '<' or '>'."""

    __slots__ = ("header", "plain", "values")

    def __init__(self, header: Header, values: Sequence[str]) -> None:
        self.header, self.values = header, values
        joined = "".join(values)
        self.plain = header.plain and "<" not in joined and ">" not in joined


def filled(template: Template, row: Row) -> str:
    """The step's text with the row's values put in, as gherkin's pickle compiler fills it: column by column, each
    in the text the columns before it left (a value that names a later column is filled in turn). Where no name or
    value holds '<' or '>' and the text no '<' that a value could close (nearly every outline), filling each
    placeholder the text holds once gives that same text; otherwise the columns are replaced in turn."""
    if not (template.plain and row.plain):
        return _fill_in_turn(template.text, row, sys.maxsize)[0]
    text, index, values = template.text, row.header.index, row.values
    if len(template.placeholders) > _FEW:
        return _PLACEHOLDER.sub(
            lambda match: values[index[match.group(1)]] if match.group(1) in index else match.group(), text
        )
    for name, placeholder in template.placeholders:
        number = index.get(name)
        if number is not None:
            text = text.replace(placeholder, values[number])
    return text


def fill_cost(template: Template, row: Row, limit: int) -> int | None:
    """What ``filled`` costs, without building the text where it can be told beforehand: the characters read and
    written, the text as written and as filled at least (more where the columns are replaced in turn: each search
    and each text built). None when that passes ``limit``, found before a text past it is built."""
    if not (template.plain and row.plain):
        return _fill_in_turn(template.text, row, limit)[1]
    index, values, counts = row.header.index, row.values, template.counts
    size = len(template.text)
    for name, placeholder in template.placeholders:
        number = index.get(name)
        if number is not None:
            size += counts[name] * (len(values[number]) - len(placeholder))
    cost = len(template.text) + size
    return cost if cost <= limit else None


def _fill_in_turn(text: str, row: Row, limit: int) -> tuple[str, int | None]:
    """The text filled column by column, and its cost (None past ``limit``: the text is then as far as it got). A
    column whose name holds no '<' or '>' is looked for among the placeholders the text holds, found again after each
    replacement: a text is searched once per replacement, not once per column."""
    cost = len(text) + len(row.header.columns)
    held: set[str] | None = None  # the text's placeholders; None: not found since the last replacement
    for name, value in zip(row.header.columns, row.values):
        if "<" not in text:
            break  # no placeholder is left, nor can one be formed
        if "<" not in name and ">" not in name:
            if held is None:
                held, cost = set(_PLACEHOLDER.findall(text)), cost + len(text)
            if name not in held:
                continue
        placeholder = f"<{name}>"
        count = text.count(placeholder)
        size = len(text) + count * (len(value) - len(placeholder)) if count else 0
        cost += len(text) + size
        if cost > limit:  # (before the text is built: it is at most the limit's size)
            return text, None
        if count:
            text, held = text.replace(placeholder, value), None
    cost += len(text)
    return text, cost if cost <= limit else None


# --------------------------------------------------------------------------------------------------------------
# A parsed file's steps, expanded

_STEP_LISTS = ("given_steps", "when_steps", "then_steps")
_STEPS_WHAT = "the Background's in every scenario, an outline's once per Examples row"


def check_expansion(path: str, scenarios: Sequence[tuple[Mapping[str, Any], int, Sequence[int]]]) -> None:
    """Raise ``ParseError`` when a parsed feature file's scenarios, expanded as a check runs them and a sync stores
    them, hold more than ``MAX_FEATURE_STEPS`` steps or ``MAX_FEATURE_STEP_CHARACTERS`` characters of steps (text,
    tables and doc strings; an outline's filled text with what filling it read, see ``fill_cost``), at the scenario or
    Examples row where the file passes the limit. ``scenarios``: each scenario record's fields, its line and the
    lines of its Examples rows (in the order of its fields' rows). A scenario without steps counts its Background
    too: a check runs none of it, but its record stores it."""
    steps = characters = 0
    for index, (fields, line, row_lines) in enumerate(scenarios):
        each = _step_count(fields)
        if steps + each * max(1, len(row_lines)) > MAX_FEATURE_STEPS:
            passing = (MAX_FEATURE_STEPS - steps) // each  # the first row past the limit
            total = steps + sum(_step_count(f) * max(1, len(lines)) for f, _, lines in scenarios[index:])
            raise ParseError(
                path, row_lines[passing] if passing < len(row_lines) else line, 0,
                f"feature file has {total} steps once its scenarios are expanded ({_STEPS_WHAT}), over the limit of "
                f"{MAX_FEATURE_STEPS} for feature files, a fixed limit; split it into several feature files",
            )
        steps += each * max(1, len(row_lines))
        characters = _add_characters(path, fields, line, row_lines, characters)


def _step_count(fields: Mapping[str, Any]) -> int:
    return len(fields.get("background") or ()) + sum(len(fields.get(key) or ()) for key in _STEP_LISTS)


def _examples_rows(fields: Mapping[str, Any]) -> list[Row]:
    """The rows of a scenario's Examples tables with a header, as ``steps.scenarios`` fills its steps with them."""
    rows: list[Row] = []
    for examples in fields.get("examples") or ():
        if examples.get("columns"):
            header = Header(examples["columns"])
            rows.extend(Row(header, values) for values in examples.get("rows") or ())
    return rows


def _add_characters(
    path: str, fields: Mapping[str, Any], line: int, row_lines: Sequence[int], characters: int
) -> int:
    """``characters`` with one scenario's expanded steps added; ``ParseError`` where they pass the limit."""
    backgrounds = fields.get("background") or ()
    background = sum(_size(step) for step in backgrounds)
    own = [step for key in _STEP_LISTS for step in fields.get(key) or ()]
    rows = _examples_rows(fields) if row_lines else []
    if not rows:  # a scenario, or an outline without rows (run as written by pytest-bdd)
        characters += background + sum(_size(step) for step in own)
        if characters > MAX_FEATURE_STEP_CHARACTERS:
            _too_many_characters(path, line)
        return characters
    # The Background's steps with placeholders too: behave and pytest-bdd fill them with the row as well
    # (``steps.scenarios.StepUse.filled``), and a step match of theirs builds that text.
    templates = [Template(step["text"]) for step in (*backgrounds, *own) if "<" in step["text"]]
    # Each row: the steps without placeholders, the tables and doc strings, as written; then what filling each step
    # with placeholders costs (the text as written and as filled).
    written = background + sum(_size(step) for step in own) - sum(len(template.text) for template in templates)
    for number, row in enumerate(rows):
        characters += written
        for template in templates:
            cost = fill_cost(template, row, MAX_FEATURE_STEP_CHARACTERS - characters)
            if cost is None:  # past the limit (the text that would pass it not built)
                characters = MAX_FEATURE_STEP_CHARACTERS + 1
                break
            characters += cost
        if characters > MAX_FEATURE_STEP_CHARACTERS:
            _too_many_characters(path, row_lines[number] if number < len(row_lines) else line)
    return characters


def _size(step: Mapping[str, Any]) -> int:
    """A stored step's characters: its text, its table's cells, its doc string (``parsers.feature._step``)."""
    size: int = len(step["text"])
    if "data_table" in step:
        size += sum(len(cell) for cells in step["data_table"] for cell in cells)
    if "doc_string" in step:
        size += len(step["doc_string"]["content"])
    return size


def _too_many_characters(path: str, line: int) -> NoReturn:
    raise ParseError(
        path, line, 0,
        f"feature file's steps come to more than {MAX_FEATURE_STEP_CHARACTERS} characters once its scenarios are "
        f"expanded ({_STEPS_WHAT}, with the row's values put in), over the limit for feature files, a fixed limit; "
        "split it into several feature files or shorten its Examples values",
    )

