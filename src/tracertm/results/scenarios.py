"""What mapping needs to know of a scenario, built from its parsed fields (a live row, a revision snapshot or a
freshly parsed file), including the line of the scenario and of each example row.

Lines are not columns: they are recovered from ``gherkin_text`` (the scenario's own source, which starts at its
first tag or keyword line) anchored on the first step's ``line``, so a revision snapshot tells where the scenario
stood at that commit. In Markdown with Gherkin (``*.feature.md``) the keyword line is a heading (``## Scenario:``),
a step a bullet (``* Given ...``), and a table's GFM separator row (``| --- |``) is no row.
"""

from __future__ import annotations

import re
from collections.abc import Mapping
from dataclasses import dataclass
from typing import Any

from tracertm.parsers.markdown_gherkin import HEADING, gherkin_line, is_markdown
from tracertm.parsers.step_text import is_step_line

__all__ = ["ScenarioRef", "scenario_ref"]

_CELL_SPLIT = re.compile(r"(?<!\\)\|")


@dataclass(frozen=True)
class Row:
    """One example row of an outline: ``ident`` is ``<examples>.<row>`` (1-based), as behave and Cucumber name it."""

    ident: str
    line: int | None
    cells: tuple[str, ...]
    examples_name: str
    columns: tuple[str, ...] = ()

    def fill(self, template: str) -> str:
        """``template`` with ``<column>`` placeholders replaced by this row's values (as runners name rows)."""
        values = dict(zip(self.columns, self.cells))
        return re.sub(r"<([^<>]+)>", lambda m: values.get(m.group(1), m.group(0)), template)


@dataclass(frozen=True)
class ScenarioRef:
    """A scenario as mapping sees it. ``key`` is the database id (or ``(feature, scenario)`` outside a database)."""

    key: Any
    number: str
    feature_number: str
    feature_name: str
    path: str | None
    title: str
    rule: str | None
    line: int | None
    rows: tuple[Row, ...]
    status: str = "draft"

    @property
    def label(self) -> str:
        return f"{self.feature_number}/{self.number}"


def scenario_ref(
    key: Any, feature_number: str, feature_name: str, path: str | None, fields: Mapping[str, Any],
    line: int | None = None,
) -> ScenarioRef:
    """A ``ScenarioRef`` from a scenario's parsed fields (the columns of ``scenarios`` / a revision snapshot).
    ``line``: the keyword's line when the caller parsed the file itself (``SpecRecord.line``), which places a
    scenario whose stored text has no step to anchor on."""
    line, row_lines = _lines(fields, line, is_markdown(path))
    rows: list[Row] = []
    for i, examples in enumerate(fields.get("examples") or [], start=1):
        for j, cells in enumerate(examples.get("rows") or [], start=1):
            ident = f"{i}.{j}"
            rows.append(
                Row(
                    ident,
                    row_lines.get(ident),
                    tuple(str(c) for c in cells),
                    str(examples.get("name") or ""),
                    tuple(str(c) for c in examples.get("columns") or []),
                )
            )
    metadata = fields.get("scenario_metadata") or {}
    return ScenarioRef(
        key=key,
        number=str(fields.get("scenario_number", "")),
        feature_number=feature_number,
        feature_name=feature_name,
        path=path,
        title=str(fields.get("title") or ""),
        rule=metadata.get("rule") if isinstance(metadata, dict) else None,
        line=line,
        rows=tuple(rows),
        status=str(fields.get("status") or "draft"),
    )


def keyword_line(fields: Mapping[str, Any], path: str | None = None) -> int | None:
    """The file line of a scenario's keyword, from its stored fields (``gherkin_text`` and its steps' lines): where
    the parser put it when the scenario was synced (``engine.links`` gives a scenario's links this line when it
    derives them from stored rows, as a backfill does). ``path``: its feature file (``*.md`` is Markdown)."""
    return _lines(fields, None, is_markdown(path))[0]


def _lines(
    fields: Mapping[str, Any], known: int | None = None, markdown: bool = False
) -> tuple[int | None, dict[str, int]]:
    """(the scenario keyword's line, {row ident: line}) recovered from ``gherkin_text`` and the steps' lines, or,
    when no step places the text, from the keyword's line ``known`` by a parse of the file (a scenario without
    steps: an outline with only its Examples; nothing stored tells its line otherwise)."""
    text = fields.get("gherkin_text") or ""
    raw = str(text).split("\n")
    lines = [line.strip() for line in raw]
    if markdown:
        # The keyword line is a heading; before it only tag lines and prose. A step is compared without its bullet;
        # a table row is indented 2-5 spaces (else it is prose), and a GFM separator row is none.
        keyword = next((i for i, line in enumerate(raw) if HEADING.match(line)), 0)
        lines = [gherkin_line(line).strip() for line in raw]
    else:
        keyword = next((i for i, line in enumerate(lines) if line and line[0] not in "@#"), 0)
    steps = sorted(
        (s for key in ("given_steps", "when_steps", "then_steps") for s in fields.get(key) or [] if s.get("line")),
        key=lambda s: s["line"],
    )
    start: int | None = None  # the file line of gherkin_text's first line
    cursor = keyword + 1  # where the Examples tables are looked for: after the last step, else after the keyword
    if steps:
        first = steps[0]
        written, text = str(first.get("keyword", "")), str(first.get("text", ""))
        index = next((i for i, line in enumerate(lines) if is_step_line(line, written, text)), None)
        if index is not None:
            start = int(first["line"]) - index
            cursor = int(steps[-1]["line"]) - start + 1
    if start is None:
        if known is None:
            return None, {}
        start = known - keyword
    rows: dict[str, int] = {}
    for i, examples in enumerate(fields.get("examples") or [], start=1):
        header = [str(c) for c in examples.get("columns") or []]
        body = examples.get("rows") or []
        found = next((k for k in range(cursor, len(lines)) if _cells(lines[k]) == header), None)
        if found is None:
            break
        cursor = found + 1
        for j in range(1, len(body) + 1):
            while cursor < len(lines) and not lines[cursor].startswith("|"):
                cursor += 1
            if cursor >= len(lines):
                break
            rows[f"{i}.{j}"] = start + cursor
            cursor += 1
    return start + keyword, rows


def _cells(line: str) -> list[str] | None:
    if not line.startswith("|"):
        return None
    parts = _CELL_SPLIT.split(line.strip())[1:-1]
    return [p.strip().replace("\\|", "|").replace("\\n", "\n").replace("\\\\", "\\") for p in parts]
