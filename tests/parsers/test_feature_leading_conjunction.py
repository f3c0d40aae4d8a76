"""A scenario whose first step is ``And``/``But``: its step is stored with the Given steps (as always: changing the
stored lists would make a new version of every such scenario), and the warning at it says how the step matching
types it — as the Background's last step, as behave does (a When after a Background that ends in ``When``), or as a
Given with no Background. It said "continues no step; counted as Given" in every case."""

from __future__ import annotations

import textwrap

import pytest

from conftest import GitRepo, run_cli
from tracertm.parsers.feature import parse
from tracertm.steps.scenarios import _keyword_types, executed_steps

PATH = "features/shop.feature"
WHEN_LAST = """
    Feature: Shop
      Background:
        Given a shop
        When I open it

      Scenario: Browse
        And I look around
        Then I see goods
    """


def src(text: str) -> bytes:
    return textwrap.dedent(text).lstrip("\n").encode("utf-8")


@pytest.mark.parametrize(
    ("text", "line", "matched"),
    [
        (WHEN_LAST, 7, "When"),
        # The Rule's Background follows the feature's: its last step decides, over '*' and conjunctions.
        ("""
         Feature: Shop
           Background:
             Given a shop
           Rule: paying
             Background:
               Then the till is open
               * it is noon
               But nobody queues
             Scenario: Pay
               But I pay
         """, 10, "Then"),
        # A Background of a conjunction and '*' only: a first step's type, Given.
        ("""
         Feature: Shop
           Background:
             * a shop
           Scenario: Browse
             And I look around
         """, 5, "Given"),
    ],
)
def test_the_warning_names_the_type_the_step_is_matched_as(text: str, line: int, matched: str) -> None:
    (feature,) = parse(PATH, src(text)).records
    (scenario,) = feature.children
    step = scenario.fields["given_steps"][0]  # stored with the Given steps, as before
    assert step["line"] == line and scenario.fields["when_steps"] == []
    shown = f"{step['keyword']} {step['text']}"
    assert [(w.line, w.message) for w in parse(PATH, src(text)).warnings] == [
        (line, f"step '{shown}' starts its scenario: matched as a {matched} step, continuing the Background's last "
               "step; stored with the Given steps"),
    ]
    typed = {at: kind for at, _keyword, kind, _text, _row in executed_steps(scenario, _keyword_types("en"))}
    assert typed[line] == matched.lower()  # what the step matching does


def test_without_a_background_it_is_counted_as_given() -> None:
    data = src("""
        Feature: Shop
          Scenario: Browse
            And I look around
        """)
    (feature,) = parse(PATH, data).records
    (scenario,) = feature.children
    assert [(w.line, w.message) for w in parse(PATH, data).warnings] == [
        (3, "step 'And I look around' continues no step; counted as Given"),
    ]
    assert [kind for *_, kind, _text, _row in executed_steps(scenario, _keyword_types("en"))] == ["given"]


def test_check_says_it_at_the_step(git_repo: GitRepo) -> None:
    git_repo.write(PATH, src(WHEN_LAST).decode())
    git_repo.commit("shop")
    done = run_cli("check", str(git_repo.path))
    assert done.returncode == 0, done.stderr
    assert done.stdout == (f"{PATH}:7:0: warning: step 'And I look around' starts its scenario: matched as a When "
                           "step, continuing the Background's last step; stored with the Given steps\n"), done.stdout
