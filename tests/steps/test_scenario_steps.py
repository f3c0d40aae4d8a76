"""The executed steps derived from the feature parser's records equal gherkin's own pickles (tests/steps/pickles.py):
Backgrounds (feature and Rule), outlines with several Examples (row lines), conjunctions, ``*``, other languages,
data tables and doc strings in between."""

from __future__ import annotations

from pathlib import Path

import pytest

from conftest import GitRepo
from pickles import feature_steps
from tracertm.checker import check
from tracertm.parsers import parse
from tracertm.steps.project import analyze
from tracertm.steps.report import render_text
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

# Step keywords that run into their text (no space after them, as gherkin's list writes them): ``qu'il``, ``前提1``.
FRENCH_ELIDED = """\
# language: fr
Fonctionnalité: f

  Plan du scénario: s
    Étant donné qu'il y a <n> gâteaux
          | a |
    Lorsqu'il mange <n>
    Alors je mange <n>

    Exemples:
      | n |
      | 1 |
      | 2 |
"""

JAPANESE = """\
# language: ja
フィーチャ: 計算

  シナリオアウトライン: 足し算
    前提<a>を入力
    もし足す
    ならば<b>を表示

    例:
      | a | b |
      | 1 | 2 |
"""


def _normal(uses: list[StepUse]) -> list[StepUse]:
    key = lambda u: (u.scenario_line, u.row_line or 0, u.background is False, u.line)  # noqa: E731
    # The pickles do not know the feature parser's scenario numbers, nor the feature's title and the tags (which
    # only the frameworks' scopes read).
    return sorted((u._replace(scenario_number="", feature="", tags=(), row_tags=())
                   for u in uses), key=key)


@pytest.mark.parametrize("name, text", [("tricky.feature", TRICKY), ("french.feature", FRENCH),
                                        ("elided.feature", FRENCH_ELIDED), ("japanese.feature", JAPANESE)])
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


@pytest.mark.parametrize("text, expected", [
    (FRENCH_ELIDED, [(5, 5, "il y a 1 gâteaux", 4, 12), (7, 5, "il mange 1", 4, 12), (8, 5, "je mange 2", 4, 13)]),
    (JAPANESE, [(5, 5, "1を入力", 4, 11), (6, 5, "足す", 4, 11), (7, 5, "2を表示", 4, 11)]),
])
def test_a_keyword_that_runs_into_its_text_places_its_scenario(text: str, expected: list[tuple[object, ...]]) -> None:
    """``Étant donné qu'il``, ``前提1``: the keyword has no space after it, and the scenario's line, its Examples
    rows' lines and its steps' columns are those of the file (they were found one line off, from a step written
    ``qu' il``, which is no line of it)."""
    uses = feature_uses(parse("feature", "t.feature", text.encode()))
    got = [(u.line, u.column, u.text, u.scenario_line, u.row_line) for u in uses]
    assert [g for g in got if g in expected] == expected


def test_check_and_steps_show_such_a_step_as_written(git_repo: GitRepo) -> None:
    """A finding at a step whose keyword runs into its text is at the step's keyword and names its row's line, and
    the step is quoted as the file writes it (it was ``qu' il``, ``前提 1``)."""
    git_repo.write("features/fr.feature", FRENCH_ELIDED)
    git_repo.write("features/ja.feature", JAPANESE)
    git_repo.write("features/steps/s.py", "from behave import given\n\n@given('il y a {n:d} gâteaux')\n"
                                          "def step_a(context, n):\n    pass\n")
    git_repo.commit("elided keywords")
    warnings = [f"{w.path}:{w.line}:{w.column}: {w.message}" for w in check(git_repo.path).warnings]
    assert any(w.startswith("features/fr.feature:8:5: undefined step 'Alors je mange 1' (Examples row on line 12)")
               for w in warnings), warnings
    assert any(w.startswith("features/ja.feature:5:5: undefined step '前提1を入力' (Examples row on line 11)")
               for w in warnings), warnings
    text = render_text(analyze(git_repo.path))
    assert "  Étant donné qu'il y a 1 gâteaux  # features/fr.feature:5 (Examples row line 12)" in text, text
    assert "  Lorsqu'il mange 2  # features/fr.feature:7 (Examples row line 13)" in text, text


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

    texts = [("tricky.feature", TRICKY.encode()), ("french.feature", FRENCH.encode()),
             ("elided.feature", FRENCH_ELIDED.encode()), ("japanese.feature", JAPANESE.encode())]
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
