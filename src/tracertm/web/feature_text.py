"""How a feature's text shows on its pages beyond its fields: the description's user story as the file words it
(``story_and_rest``), and each step's data table or doc string (``with_arguments``). Pure."""

from __future__ import annotations

from typing import Any

from tracertm.parsers.step_text import separator


def story_and_rest(description: str | None) -> tuple[list[str], str]:
    """A feature's description as its page shows it: the lines of its user story — each paragraph holding a line
    the parser reads ``as_a``, ``i_want`` or ``so_that`` from (``As a …``, ``I want …``, ``So that …``,
    ``In order to …``), a wrapped line included — as the file words them, and the rest of it, Markdown. Not the
    story retold from those fields, which drop the article and the keyword (``As a shopper`` is ``as_a``
    "shopper"), nor the story instead of the description: no line of it is hidden."""
    from tracertm.parsers.feature_story import STORY

    story: list[str] = []
    rest: list[str] = []
    paragraph: list[str] = []
    for line in [*(description or "").split("\n"), ""]:  # a blank line ends each paragraph, the last one too
        if line.strip():
            paragraph.append(line)
            continue
        if any(pattern.match(text.strip()) for text in paragraph for _, pattern in STORY):
            story.extend(text.strip() for text in paragraph)
        else:
            rest.extend([*paragraph, line])
        paragraph = []
    return story, "\n".join(rest).strip("\n")


def with_arguments(scenario: Any, steps: list[dict[str, Any]]) -> list[dict[str, Any]]:
    """``steps`` of ``scenario``, each with the argument the file gives it (``argument``: its data table as the file
    lays one out, or its doc string; None without one) — a step such as "the ledger holds these postings:" says
    nothing without its table. Not on the steps of an outline's Examples rows: the file's argument is the template's,
    its ``<placeholders>`` not filled in (the scenario's Gherkin shows it). And each with the ``separator`` between
    its keyword and its text as the file has it (none after ``Lorsqu'``, ``前提``)."""
    given: dict[int, str] = {}
    for group in ("background", "given_steps", "when_steps", "then_steps"):
        for step in getattr(scenario, group) or []:
            if not isinstance(step, dict) or not isinstance(step.get("line"), int):
                continue
            if step.get("data_table"):
                given[step["line"]] = table_text(step["data_table"])
            elif isinstance(step.get("doc_string"), dict):
                given[step["line"]] = str(step["doc_string"].get("content") or "")
    return [{**step, "argument": given.get(step["line"]) if step.get("row_line") is None else None,
             "separator": separator(str(step.get("keyword") or "").strip())}
            for step in steps]


def table_text(rows: list[list[Any]]) -> str:
    """A data table as Gherkin lays it out: cells padded to their column's width, a ``|`` in a cell escaped."""
    cells = [[str(c).replace("\\", "\\\\").replace("|", "\\|").replace("\n", "\\n") for c in row] for row in rows]
    widths = [max(len(row[i]) for row in cells if i < len(row)) for i in range(max(map(len, cells), default=0))]
    return "\n".join("| " + " | ".join(c.ljust(widths[i]) for i, c in enumerate(row)) + " |" for row in cells)
