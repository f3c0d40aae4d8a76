"""The executed steps derived from the feature parser's records equal gherkin's own pickles (tests/steps/pickles.py):
Backgrounds (feature and Rule), outlines with several Examples (row lines), conjunctions, ``*``, other languages,
data tables and doc strings in between."""

from __future__ import annotations

from pathlib import Path

import pytest

from pickles import feature_steps
from tracertm.parsers import parse
from tracertm.steps.scenarios import StepUse, feature_uses

REPO = Path(__file__).resolve().parents[2]

TRICKY = '''\
# language: en
@FEAT-9
Feature: Tricky
  Background:
    Given a base
    And another base

  @SC-1 @tagged
  # a comment between the tags and the keyword
  Scenario Outline: two tables
    Given a table
      | a | b |
      | 1 | 2 |
    When I use "<x>" and <y>
      """
      | not | a | row |
      """
    * it is <x>
    But not <y>

    @first
    Examples: first
      | x   | y |
      | one | 1 |

    # between
    Examples: second
      | x   | y |
      | two | 2 |
      | 3   | 4 |

    Examples: empty
      | x | y |

  Scenario: empty

  Rule: a rule
    Background:
      Then a rule base

    Scenario: in rule
      And starts with a conjunction
      When acting
'''

FRENCH = """\
# language: fr
Fonctionnalité: Remboursement
  Contexte:
    Soit un client
  Scénario: total
    Quand il demande
    Alors il reçoit
    Et il sourit
"""


def _normal(uses: list[StepUse]) -> list[StepUse]:
    key = lambda u: (u.scenario_line, u.row_line or 0, u.background is False, u.line)  # noqa: E731
    # The pickles do not know the feature parser's scenario numbers, nor the feature's title and the tags (which
    # only Reqnroll's scopes read).
    return sorted((u._replace(scenario_number="", feature="", tags=())
                   for u in uses), key=key)


@pytest.mark.parametrize("name, text", [("tricky.feature", TRICKY), ("french.feature", FRENCH)])
def test_records_give_the_pickles(name: str, text: str) -> None:
    data = text.encode()
    assert _normal(feature_uses(parse("feature", name, data))) == _normal(feature_steps(name, data))


def test_records_give_the_pickles_on_every_feature_of_the_repository() -> None:
    paths = sorted(p for p in {*REPO.glob("sample-repo/**/*.feature"), *REPO.glob("tests/**/*.feature")}
                   if "node_modules" not in p.parts)  # not the installed cucumber-js's test data
    compared = 0
    for path in paths:
        data = path.read_bytes()
        try:
            expected = feature_steps(path.name, data)
            result = parse("feature", path.name, data)
        except Exception:  # noqa: BLE001 - fixtures of broken files
            continue
        assert _normal(feature_uses(result)) == _normal(expected), path
        compared += 1
    assert compared >= 5


def test_outline_rows_and_types() -> None:
    uses = feature_uses(parse("feature", "t.feature", TRICKY.encode()))
    outline = [(u.line, u.type, u.text, u.row_line) for u in uses if u.scenario_line == 10 and not u.background]
    assert outline[:4] == [(11, "given", "a table", 24), (14, "when", 'I use "one" and 1', 24),
                           (18, "when", "it is one", 24), (19, "when", "not 1", 24)]
    assert sorted({r for *_, r in outline}) == [24, 29, 30]
    assert not [u for u in uses if u.scenario == "empty"]
    rule = [(u.text, u.type, u.background) for u in uses if u.scenario == "in rule"]
    assert rule == [("a base", "given", True), ("another base", "given", True), ("a rule base", "then", True),
                    ("starts with a conjunction", "then", False), ("acting", "when", False)]  # as gherkin: the
    # conjunction continues the Background's last type


def test_positions_come_from_the_fields_not_the_record_line() -> None:
    """A scenario row from the database has no line: the same steps come out of its fields alone."""
    from tracertm.parsers.records import SpecRecord
    from tracertm.steps.scenarios import _keyword_types, scenario_uses

    result = parse("feature", "t.feature", TRICKY.encode())
    for scenario in result.records[0].children:
        row = SpecRecord("scenario", scenario.number, scenario.fields, line=1)
        assert scenario_uses("t.feature", row, _keyword_types("en")) == \
            scenario_uses("t.feature", scenario, _keyword_types("en"))


def _executed(uses: list[StepUse]) -> list[tuple[object, ...]]:
    return [(u.line, u.keyword, u.type, u.text, u.row_line) for u in uses]


def test_executed_steps_are_scenario_uses_without_the_rest() -> None:
    """``executed_steps`` (what the parse workers build match rows from) gives every scenario's steps exactly as
    ``scenario_uses`` does — order, line, keyword, type, substituted text, Examples row line — on the tricky and
    French features and every feature file of the repository."""
    from tracertm.steps.scenarios import _keyword_types, executed_steps, scenario_uses

    texts = [("tricky.feature", TRICKY.encode()), ("french.feature", FRENCH.encode())]
    texts += [(p.name, p.read_bytes()) for p in sorted({*REPO.glob("sample-repo/**/*.feature"),
                                                         *REPO.glob("tests/**/*.feature")})
              if "node_modules" not in p.parts]
    compared = steps = outlines = 0
    for name, data in texts:
        try:
            result = parse("feature", name, data)
        except Exception:  # noqa: BLE001 - fixtures of broken files
            continue
        for feature in result.records:
            types = _keyword_types(str(feature.fields.get("feature_metadata", {}).get("language") or "en"))
            for scenario in feature.children:
                expected = _executed(scenario_uses(name, scenario, types))
                assert executed_steps(scenario, types) == expected, (name, scenario.number)
                compared += 1
                steps += len(expected)
                outlines += any(row_line is not None for *_, row_line in expected)
    assert compared >= 20 and steps >= 50 and outlines >= 3
