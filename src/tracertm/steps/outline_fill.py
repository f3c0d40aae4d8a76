"""How behave and pytest-bdd fill a Scenario Outline's Examples row into its steps (the Background's too), where they
differ from gherkin's pickle compiler (``scenarios._filled`` fills the gherkin way: the parser's cells,
Cucumber-unescaped, column by column, each in the text the columns before it left):

- behave reads an Examples table with its own parser (``behave.parser.Parser.action_table``): a row's cells split at
  each ``|`` no backslash precedes, only ``\\|`` unescaped — ``\\n`` stays a backslash and an ``n``, ``\\\\`` two
  backslashes —, then filled column by column as gherkin does (``ScenarioOutlineBuilder.render_template``);
- pytest-bdd (9) reads gherkin's cells but fills them with one pass of the regex ``<(.+?)>`` over a dict of the row
  (``pytest_bdd.parser.render_string``): a column named twice fills with its last value, and a value holding
  ``<column>`` is not filled again.

A runner of a scenario: ``""`` (gherkin's pickles: Cucumber, godog, Reqnroll, ...), ``"behave"`` or
``"pytest-bdd"`` (``lens.runner_of``)."""

from __future__ import annotations

import re
from collections.abc import Sequence

from tracertm.parsers.feature_limits import MAX_FEATURE_STEP_CHARACTERS

BEHAVE = "behave"
PYTEST_BDD = "pytest-bdd"

_BEHAVE_SPLIT = re.compile(r"(?<!\\)\|")
_PYTEST_BDD_PARAM = re.compile(r"<(.+?)>")  # pytest_bdd.parser.PARAM_RE


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


def pytest_bdd_filled(text: str, columns: Sequence[str], values: Sequence[str]) -> str:
    """``text`` as pytest-bdd fills it with an Examples row (``render_string``: one pass of ``<(.+?)>``, each
    placeholder the row names replaced by its value, the last one of a column named twice). Where that would pass
    ``MAX_FEATURE_STEP_CHARACTERS`` (the parser's limit counts gherkin's filling, not this one), the text stops at
    the placeholder that would pass it, unfilled from there."""
    if "<" not in text:
        return text
    context = dict(zip(columns, values))
    pieces: list[str] = []
    size = end = 0
    for match in _PYTEST_BDD_PARAM.finditer(text):
        value = context.get(match.group(1))
        if value is None:
            continue
        size += match.start() - end + len(value)
        if size > MAX_FEATURE_STEP_CHARACTERS:
            break
        pieces.append(text[end : match.start()])
        pieces.append(value)
        end = match.end()
    if not pieces:
        return text
    pieces.append(text[end:])
    return "".join(pieces)


def pytest_bdd_plain_row(columns: Sequence[str], values: Sequence[str]) -> bool:
    """Whether pytest-bdd fills an Examples row into any text ``pytest_bdd_plain_text`` holds as gherkin does: its
    columns named once each, none empty, and neither they nor the values holding ``<`` or ``>`` (then every
    ``<column>`` the text holds is one of the regex's matches, and no value makes a new one)."""
    if len(set(columns)) != len(columns) or "" in columns:
        return False
    joined = "".join(columns) + "".join(values)
    return "<" not in joined and ">" not in joined


def pytest_bdd_plain_text(text: str) -> bool:
    """Whether every match of pytest-bdd's ``<(.+?)>`` in ``text`` is a placeholder holding neither ``<`` nor ``>``
    (no ``<`` opens before another closes): see ``pytest_bdd_plain_row``."""
    return not any("<" in name or ">" in name for name in _PYTEST_BDD_PARAM.findall(text))


__all__ = ["BEHAVE", "PYTEST_BDD", "behave_cells", "fill_in_turn", "pytest_bdd_filled", "pytest_bdd_plain_row",
           "pytest_bdd_plain_text"]
