"""What behave's own feature parser (1.3.3, ``behave.parser.Parser``) refuses in a feature file that gherkin takes,
read from gherkin's document where no record keeps it (``records.FeatureParseResult``; ``steps.behave_features``
reports it for the files behave runs):

- a doc string between ``` (triple backtick) lines, gherkin's second delimiter: behave knows only ``\"\"\"``
  and ``'''`` (``action_steps``), reads the ``` line as no step and stops ("Parser failure in state=steps");
- an ``Examples:`` of a plain ``Scenario:``/``Example:`` (gherkin 6 reads such a scenario as an outline): behave
  takes Examples only in a ``Scenario Outline:``/``Scenario Template:`` (``_build_examples``: "Examples must only
  appear inside scenario outline").

Markdown feature files are none of behave's (it reads ``*.feature`` files only)."""

from __future__ import annotations

from collections.abc import Collection, Iterable, Mapping
from typing import Any

Node = Mapping[str, Any]


def fences(holders: Iterable[Node]) -> tuple[tuple[int, int], ...]:
    """(line, column) of the opening ``` of each doc string of the steps of ``holders`` (the Backgrounds and the
    scenarios of a gherkin document)."""
    return tuple((int(doc["location"]["line"]), int(doc["location"]["column"]))
                 for node in holders for step in node.get("steps", ())
                 if (doc := step.get("docString")) is not None and doc.get("delimiter") == "```")


def plain_examples(holders: Iterable[Node], outline_keywords: Collection[str]) -> tuple[tuple[int, int, str], ...]:
    """(line, column, the scenario's keyword) of the first ``Examples:`` of each scenario of ``holders`` whose keyword
    is none of the language's ``outline_keywords``: where behave's parser stops."""
    return tuple((int(first["location"]["line"]), int(first["location"]["column"]), keyword)
                 for node in holders if node.get("examples")
                 for keyword in [str(node.get("keyword", "")).strip()] if keyword not in outline_keywords
                 for first in node["examples"][:1])


__all__ = ["fences", "plain_examples"]
