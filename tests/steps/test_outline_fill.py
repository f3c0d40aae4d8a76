"""Outline steps filled per Examples row exactly as gherkin's pickle compiler fills them: column by column, in order,
in the text as each replacement left it — also when a value or a column name holds ``<`` or ``>`` and a replacement
makes a placeholder the step did not hold (``scenarios._filled`` replaces only the placeholders it found, and falls
back to the sequential way there)."""

from __future__ import annotations

from hypothesis import given, settings
from hypothesis import strategies as st

from pickles import feature_steps
from tracertm.parsers import parse
from tracertm.steps.scenarios import _filled, feature_uses

CHAINED = '''\
Feature: Chained placeholders

  Scenario Outline: values and names that make placeholders
    Given <a> then <b>
    When <<a>> is <c>
    Then plain <c> and <<b>>
    And nothing to fill here

    Examples:
      | a   | b   | c     |
      | <b> | x   | y     |
      | c   | <c> | z     |
      | b   | 1   | <a>   |
      | q>  | <r  | ok    |
'''


def _texts(uses: list) -> list[tuple[int | None, int, str]]:
    return sorted((u.row_line or 0, u.line, u.text) for u in uses)


def test_chained_placeholders_are_filled_as_gherkin_fills_them() -> None:
    data = CHAINED.encode()
    assert _texts(feature_uses(parse("feature", "chained.feature", data))) == _texts(
        feature_steps("chained.feature", data))


def _sequential(text: str, columns: list[str], values: list[str]) -> str:
    for name, value in zip(columns, values):
        text = text.replace(f"<{name}>", value)
    return text


_PIECES = st.sampled_from(["<", ">", "a", "b", "<a>", "<b>", "<ab>", " ", "x"])
_WORDS = st.lists(_PIECES, max_size=6).map("".join)


@settings(max_examples=300, deadline=None)
@given(texts=st.lists(_WORDS, min_size=1, max_size=4), columns=st.lists(_WORDS, min_size=1, max_size=3),
       rows=st.lists(st.lists(_WORDS, min_size=3, max_size=3), min_size=1, max_size=3))
def test_filled_equals_sequential_replacement(texts: list[str], columns: list[str], rows: list[list[str]]) -> None:
    placed = [(n + 1, "Given ", "given", text, n == 0 and len(texts) > 1) for n, text in enumerate(texts)]
    table = [(columns, row[: len(columns)], 10 + k, ("t",), None) for k, row in enumerate(rows)]
    # A Background step keeps its text (gherkin's pickles) and gives the row's filling apart, when it changes it
    # (behave matches that).
    expected = [(i, text if background else filled, line,
                 (None if not background or filled == text else filled, None), tags)
                for columns_, values, line, tags, _ in table
                for i, (_l, _k, _t, text, background) in enumerate(placed)
                for filled in [_sequential(text, columns, values)]]
    assert list(_filled(placed, table, (True, False))) == expected  # type: ignore[arg-type]
