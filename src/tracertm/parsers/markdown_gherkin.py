"""Markdown with Gherkin (``*.feature.md``, as cucumber-js reads it), line by line, as gherkin's Markdown token
matcher (``gherkin.token_matcher_markdown.GherkinInMarkdownTokenMatcher``) reads it — for the code that finds lines
in a scenario's stored text after the parse (results, step rows, finding places), without importing gherkin.

A keyword line is a heading (``## Scenario: x``), a step a bullet (``* Given x``), a tag is written in backticks
(`` `@tag` ``), and a table row is indented 2 to 5 spaces; a GFM separator row (``| --- |``) is no row, and every
other line is Markdown prose.
"""

from __future__ import annotations

import re

__all__ = ["HEADING", "TAG", "gherkin_line", "is_markdown"]

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
