"""Where a field of a record is written in its file, so that a refused edit can say "edit path:line instead".

A best effort over the file as it is in the work tree: YAML keys and front matter (``status:``), Markdown section
headings (``## Decision``), the ADR's ``# Title``, Gherkin ``Feature:``/``Scenario:`` lines. None when not found.
"""

from __future__ import annotations

import re
from pathlib import Path

MAX_BYTES = 4 * 1024 * 1024

# Column → the words a file uses for it, when they differ from the column name.
_ALIASES: dict[str, tuple[str, ...]] = {
    "contract_type": ("type",),
    "adr_number": ("id", "number"),
    "contract_number": ("id",),
    "feature_number": ("id",),
    "decision_drivers": ("decision drivers", "drivers"),
    "considered_options": ("considered options", "options"),
    "related_adrs": ("related", "links"),
    "superseded_by": ("superseded by",),
    "executable_spec": ("spec",),
    "spec_language": ("language",),
    "as_a": ("as a",),
    "i_want": ("i want",),
    "so_that": ("so that",),
}


def field_line(text: str, kind: str, field: str, title: str | None = None) -> int | None:
    """The 1-based line of ``field`` in ``text`` (a file of ``kind``), or None."""
    lines = text.splitlines()
    if kind == "adr" and field == "title":
        return _first(lines, re.compile(r"^#\s+\S")) or _key(lines, ("title",))
    if kind == "feature" and field == "name":
        return _first(lines, re.compile(r"^\s*Feature:"))
    if kind == "scenario" and title:
        return _first(lines, re.compile(r"^\s*Scenario( Outline)?:\s*" + re.escape(title) + r"\s*$"))
    if field == "tags":
        return _first(lines, re.compile(r"^\s*@\S")) or _key(lines, ("tags",))
    return _key(lines, (field, field.replace("_", " "), *_ALIASES.get(field, ())))


def _first(lines: list[str], pattern: re.Pattern[str]) -> int | None:
    return next((i for i, line in enumerate(lines, 1) if pattern.search(line)), None)


def _key(lines: list[str], words: tuple[str, ...]) -> int | None:
    alternatives = "|".join(re.escape(w) for w in words)
    # "key:" (YAML, front matter, "Date: ..." lines) or a Markdown heading "## Key".
    pattern = re.compile(rf"^\s*(?:(?:{alternatives})\s*:|#+\s*(?:{alternatives})\s*$)", re.IGNORECASE)
    return _first(lines, pattern)


def line_in_file(top: Path, path: str, kind: str, field: str, title: str | None = None) -> int | None:
    """:func:`field_line` for the file ``path`` under the repository ``top`` (never outside it)."""
    try:
        root = top.resolve()
        target = (root / path).resolve()
        if not target.is_relative_to(root) or not target.is_file() or target.stat().st_size > MAX_BYTES:
            return None
        text = target.read_text(encoding="utf-8", errors="replace")
    except OSError:
        return None
    return field_line(text, kind, field, title)
