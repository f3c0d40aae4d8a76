"""Markdown with Gherkin (``*.feature.md``, as cucumber-js reads it), line by line, as gherkin's Markdown token
matcher (``gherkin.token_matcher_markdown.GherkinInMarkdownTokenMatcher``) reads it — for the code that finds lines
in a scenario's stored text after the parse (results, step rows, finding places), without importing gherkin.

A keyword line is a heading (``## Scenario: x``), a step a bullet (``* Given x``), a tag is written in backticks
(`` `@tag` ``), and a table row is indented 2 to 5 spaces; a GFM separator row (``| --- |``) is no row, and every
other line is Markdown prose.
"""

from __future__ import annotations

import bisect
import re
from collections.abc import Mapping
from typing import Any

__all__ = ["HEADING", "TAG", "descriptions", "gherkin_line", "is_markdown"]

HEADING = re.compile(r"#{1,6}\s")  # the matcher's KEYWORD_PREFIX_HEADER (at the line's start)
TAG = re.compile(r"`(@[^`]+)`")  # its match_TagLine
_BULLET = re.compile(r"(\s*)([*+-]\s*)")  # its KEYWORD_PREFIX_BULLET
_TABLE_ROW = re.compile(r"\s\s\s?\s?\s?\|")  # its match_TableRow
_SEPARATOR_CELL = re.compile(r"\s*:?-+:?\s*")
_CELL_SPLIT = re.compile(r"(?<!\\)\|")


def is_markdown(path: str | None) -> bool:
    """Whether a feature file is Markdown with Gherkin: ``x.feature.md``, or any ``.md`` a feature glob names."""
    return bool(path) and str(path).endswith(".md")


def gherkin_line(line: str) -> str:
    """A line of a Markdown feature as the Gherkin line it stands for, each character at its column: a heading's
    ``#``s and a step's bullet become spaces (``  * Given x`` → ``    Given x``); a ``|`` line gherkin does not read
    as a table row (not indented 2 to 5 spaces, or a separator row) becomes empty."""
    if line.lstrip().startswith("|"):
        cells = _CELL_SPLIT.split(line.strip())[1:-1]
        # As gherkin: a row with any cell like ``---`` / ``:-:`` is a separator, whatever the other cells hold.
        if not _TABLE_ROW.match(line) or any(_SEPARATOR_CELL.fullmatch(c) for c in cells):
            return ""
        return line
    heading = HEADING.match(line)
    if heading is not None:
        return " " * heading.end() + line[heading.end():]
    bullet = _BULLET.match(line)
    if bullet is not None and bullet.group(2):
        return " " * bullet.end() + line[bullet.end():]
    return line


def descriptions(document: Mapping[str, Any], lines: list[str]) -> None:
    """Give each Feature, Rule, Background, Scenario and Examples of a parsed Markdown feature (gherkin's AST,
    ``document``, of the file's ``lines``) its description: the prose between its heading and the next line gherkin
    reads (a step, a tag line, a table row, the next heading). gherkin's Markdown matcher reads prose lines as empty
    ones (cucumber's Markdown with Gherkin ignores them), so its descriptions are always empty, where a ``.feature``
    file has the same prose as its description."""
    read: set[int] = set()  # the lines gherkin read: every node of the document has its own location
    headings: list[dict[str, Any]] = []

    def walk(value: Any) -> None:
        if isinstance(value, dict):
            if "location" in value:
                read.add(int(value["location"]["line"]))
                if "description" in value:  # (the first line as the feature has no keyword)
                    headings.append(value)
            for item in value.values():
                walk(item)
        elif isinstance(value, list):
            for item in value:
                walk(item)

    walk(document.get("feature"))
    following = sorted(read)
    for node in headings:
        start = int(node["location"]["line"])
        index = bisect.bisect_right(following, start)
        stop = following[index] if index < len(following) else len(lines) + 1
        node["description"] = "\n".join(lines[start:stop - 1])
