"""How behave and pytest-bdd fill a Scenario Outline's Examples row into its steps (the Background's too), where they
differ from gherkin's pickle compiler (``scenarios._filled`` fills the gherkin way: the parser's cells,
Cucumber-unescaped, column by column, each in the text the columns before it left):

- behave reads an Examples table with its own parser (``behave.parser.Parser.action_table``): a row's cells split at
  each ``|`` no backslash precedes, only ``\\|`` unescaped — ``\\n`` stays a backslash and an ``n``, ``\\\\`` two
  backslashes —, then filled column by column as gherkin does (``ScenarioOutlineBuilder.render_template``).

A runner of a scenario: ``""`` (gherkin's pickles: Cucumber, godog, Reqnroll, ...), ``"behave"`` or
``"pytest-bdd"`` (``lens.runner_of``)."""

from __future__ import annotations

import re
from collections.abc import Sequence

from tracertm.parsers.feature_limits import MAX_FEATURE_STEP_CHARACTERS

BEHAVE = "behave"
PYTEST_BDD = "pytest-bdd"

_BEHAVE_SPLIT = re.compile(r"(?<!\\)\|")


def behave_cells(line: str, cells: Sequence[str]) -> list[str] | None:
    """The cells behave's parser reads from table row ``line`` (as written), when they differ from ``cells`` (the
    gherkin parser's, unescaped); None when they are the same or behave would read another number of them (behave
    then refuses the table, "Malformed table": not modelled here, the gherkin cells stand)."""
    if "\\" not in line:
        return None  # nothing escaped: behave reads the cells gherkin reads
    stripped = line.strip()
    found = [cell.replace("\\|", "|").strip() for cell in _BEHAVE_SPLIT.split(stripped[1:-1])]
    if len(found) != len(cells) or found == list(cells):
        return None
    return found


def fill_in_turn(text: str, columns: Sequence[str], values: Sequence[str]) -> str:
    """``text`` filled column by column, each in the text the columns before it left (gherkin's pickle compiler and
    behave); stops growing past ``MAX_FEATURE_STEP_CHARACTERS`` (a record stored before the parser's limit)."""
    for name, value in zip(columns, values):
        text = text.replace(f"<{name}>", value)
        if len(text) > MAX_FEATURE_STEP_CHARACTERS:
            break
    return text


__all__ = ["BEHAVE", "PYTEST_BDD", "behave_cells", "fill_in_turn"]
