"""A step as its line reads: its keyword, then its text.

The parser stores a step's keyword stripped (``Given``): gherkin's step keywords end with the space that separates
them from the text (``Given ``), except those that run into it — French ``Étant donné qu'`` (``qu'il y a``),
``Lorsqu'``, Japanese and Chinese ``前提``, ``假如``, the emoji dialect's. Joined to the text with a space, such a step
is no line of its file (``Étant donné qu' il y a``), and a line of the file is not found by it.
"""

from __future__ import annotations

from functools import cache
from typing import Any

__all__ = ["as_written", "is_step_line", "render_steps", "separator"]

_STEP_KEYS = ("given", "when", "then", "and", "but")


@cache
def _joined() -> frozenset[str]:
    """The step keywords of every language that take no space before the text (no stripped keyword of one language
    is another's with a space: gherkin's list of languages, checked when this was written)."""
    from gherkin.dialect import DIALECTS

    specs: list[Any] = list(DIALECTS.values())
    return frozenset(k for spec in specs for key in _STEP_KEYS for k in spec[key] if not k.endswith(" "))


def separator(keyword: str) -> str:
    """What stands between the (stripped) step keyword ``keyword`` and its text: nothing for a keyword that runs into
    the text (``Lorsqu'``, ``前提``), else a space."""
    return "" if keyword in _joined() else " "


def as_written(keyword: str, text: str) -> str:
    """The step ``keyword`` ``text`` as its line reads it (``Given a cart``, ``Étant donné qu'il y a``, ``前提1``)."""
    return f"{keyword}{separator(keyword)}{text}"


def is_step_line(line: str, keyword: str, text: str) -> bool:
    """Whether ``line`` (a line of a feature's text) is the step ``keyword`` ``text``, whatever whitespace its words
    are separated by: gherkin trims the text after the keyword, and one that runs into the text may be followed by a
    space too (``Lorsqu' il``)."""
    written = line.strip()
    if not written.startswith(keyword):
        return False
    rest = written[len(keyword):]
    if rest and separator(keyword) and not rest[0].isspace():
        return False  # (``Givena``: another word, not the keyword)
    return rest.split() == text.split()


def render_steps(steps: list[dict[str, Any]]) -> str | None:
    """Steps (the parser's) back as Gherkin text (for ``features.background``), layout-independent."""
    out: list[str] = []
    for step in steps:
        out.append(as_written(step["keyword"], step["text"]))
        for row in step.get("data_table", ()):
            out.append("  | " + " | ".join(_escape_cell(cell) for cell in row) + " |")
        if "doc_string" in step:
            doc = step["doc_string"]
            out.append('  """' + (doc["media_type"] or ""))
            out.extend("  " + line for line in doc["content"].split("\n"))
            out.append('  """')
    return "\n".join(out) or None


def _escape_cell(cell: str) -> str:
    return cell.replace("\\", "\\\\").replace("|", "\\|").replace("\n", "\\n")
