"""Findings of an audit with real projects' files:

* an outline step whose text fails in several Examples rows names every one of them (compatibility-kit, MIT:
  ``devkit/samples/examples-tables-undefined-multiple``), in ``check`` and in ``steps`` (text and JSON);
* behave's cucumber-expressions matcher reads ``define_parameter_type(ParameterType(...))`` and
  ``define_parameter_type_with(...)`` (behave, BSD-2: ``examples/cucumber-expressions``);
* cucumber-jvm's ``{bigdecimal}``/``{float}``/``{double}`` follow the feature's ``# language:`` (cucumber-jvm, MIT:
  ``cucumber-java/src/test/resources/io/cucumber/java/annotation/french-numbers.feature`` and ``FrenchSteps.java``).
"""

from __future__ import annotations

import json
from pathlib import Path

from conftest import GitRepo, run_cli

CCK_FEATURE = """Feature: Examples Tables - With Many Undefined Steps

  Scenario Outline: Eating cucumbers
    Given there are <start> cucumbers
    When I eat <eat> cucumbers
    Then I should have <left> cucumbers

    @undefined
    Examples: These are undefined because many of the values are not an {int}
      | start | eat    | left  |
      | pear  | 1      | apple |
      | pear  | banana | 12    |
      | 0     | banana | apple |
      | pear  | banana | apple |
"""
CCK_STEPS = """import assert from 'node:assert'
import { Given, Then, When } from '@cucumber/fake-cucumber'

Given('there are {int} cucumbers', function (initialCount) {
  this.count = initialCount
})

When('I eat {int} cucumbers', function (eatCount) {
  this.count -= eatCount
})

Then('I should have {int} cucumbers', function (expectedCount) {
  assert.strictEqual(this.count, expectedCount)
})
"""


def test_every_failing_examples_row_is_named(git_repo: GitRepo) -> None:
    git_repo.write("features/eat.feature", CCK_FEATURE)
    git_repo.write("features/step_definitions/eat.ts", CCK_STEPS)
    git_repo.commit()
    out = run_cli("check", str(git_repo.path)).stdout
    assert "features/eat.feature:4:5: warning: undefined step 'Given there are pear cucumbers' " \
        "(Examples rows on lines 11, 12, 14)" in out, out
    assert "'When I eat banana cucumbers' (Examples rows on lines 12, 13, 14)" in out, out
    assert "'Then I should have apple cucumbers' (Examples rows on lines 11, 13, 14)" in out, out
    text = run_cli("steps", str(git_repo.path), "--undefined").stdout
    assert "Given there are pear cucumbers  # features/eat.feature:4 (Examples rows lines 11, 12, 14)" in text, text
    report = json.loads(run_cli("steps", str(git_repo.path), "--format", "json").stdout)
    rows = {u["text"]: u["row_lines"] for u in report["undefined"]}
    assert rows == {"there are pear cucumbers": [11, 12, 14], "I eat banana cucumbers": [12, 13, 14],
                    "I should have apple cucumbers": [11, 13, 14]}
    assert all(u["row_line"] == u["row_lines"][0] for u in report["undefined"])


def test_a_background_step_names_no_row(git_repo: GitRepo) -> None:
    git_repo.write("features/b.feature", (
        "Feature: b\n  Background:\n    Given nothing is defined\n\n  Scenario Outline: o\n    Then <n> is fine\n\n"
        "    Examples:\n      | n |\n      | 1 |\n      | 2 |\n"))
    git_repo.write("features/step_definitions/b.js", "const { Then } = require('@cucumber/cucumber')\n"
                   "Then('{int} is fine', function (n) {})\n")
    git_repo.commit()
    out = run_cli("check", str(git_repo.path)).stdout
    assert "undefined step 'Given nothing is defined': no step definition" in out, out


BEHAVE_COLOR_STEPS = '''from behave import when, then
from behave.cucumber_expression import (
    ParameterType,
    define_parameter_type,
)
from example4me.color import Color

define_parameter_type(ParameterType(
    name="color",
    regexp="red|green|blue",
    type=Color,
    transformer=Color.from_name
))

@when('I select the "{color}" theme colo(u)r')
def step_when_select_color_theme(ctx, color: Color):
    ctx.selected_color = color

@then('the profile colo(u)r should be "{color}"')
def step_then_profile_color_should_be(ctx, the_color: Color):
    assert ctx.selected_color == the_color
'''
BEHAVE_MANY_STEPS = '''from behave import when
from behave.cucumber_expression import TypeBuilder, define_parameter_type_with

parse_size = TypeBuilder.make_choice(["small", "large"])
parse_sizes = TypeBuilder.with_many(parse_size)

define_parameter_type_with(name="sizes", regexp=parse_sizes.pattern, type=list, transformer=parse_sizes)
define_parameter_type_with("shape", ["circle", "square"], str)

@when('I select the "{sizes}" size(s)')
def step_when_select_many_sizes(ctx, sizes):
    pass

@when('I draw a {shape}')
def step_draw(ctx, shape):
    pass
'''


def test_behave_cucumber_expression_parameter_types_are_read(git_repo: GitRepo) -> None:
    git_repo.write("features/environment.py", (
        "from behave.cucumber_expression import use_step_matcher_for_cucumber_expressions\n"
        "use_step_matcher_for_cucumber_expressions()\n"))
    git_repo.write("features/steps/color_steps.py", BEHAVE_COLOR_STEPS)
    git_repo.write("features/steps/many_steps.py", BEHAVE_MANY_STEPS)
    git_repo.write("features/c.feature", (
        "Feature: c\n  Scenario: s\n    When I select the \"red\" theme colour\n"
        "    Then the profile color should be \"red\"\n    When I select the \"small, large\" sizes\n"
        "    When I draw a square\n    When I draw a triangle\n    When I select the \"huge\" size\n"))
    git_repo.commit()
    result = run_cli("steps", str(git_repo.path))
    assert result.returncode == 0, result.stdout + result.stderr
    assert "UNDEFINED STEPS[2]:" in result.stdout, result.stdout
    assert "When I draw a triangle" in result.stdout.split("UNDEFINED STEPS")[1]
    assert 'When I select the "huge" size' in result.stdout.split("UNDEFINED STEPS")[1]


def test_an_undeclared_behave_cucumber_type_names_define_parameter_type(git_repo: GitRepo) -> None:
    git_repo.write("features/steps/s.py", (
        "from behave import when\nfrom behave.cucumber_expression import use_step_matcher_for_cucumber_expressions\n"
        "use_step_matcher_for_cucumber_expressions()\n"
        "@when('I pick {fruit}')\ndef f(ctx, fruit):\n    pass\n"))
    git_repo.write("features/c.feature", "Feature: c\n  Scenario: s\n    When I pick pear\n")
    git_repo.commit()
    result = run_cli("steps", str(git_repo.path))
    assert "uses the parameter type {fruit}, which no define_parameter_type in the step files declares" \
        in result.stderr + result.stdout


FRENCH_FEATURE = """# language: fr
Fonctionnalité: Concombres fractionnaires

  Scénario: dans la ventre
    Étant donné j'ai 5,5 concombres fractionnaires
    Étant donné j'ai 1.000,25 grammes
"""
FRENCH_STEPS = """package io.cucumber.java.annotation;

import io.cucumber.java.fr.Étantdonné;

import java.math.BigDecimal;

public final class FrenchSteps {

    @Étantdonné("j'ai {bigdecimal} concombres fractionnaires")
    public void jAiConcombresFractionnaires(BigDecimal arg0) {
    }

    @Étantdonné("j'ai {double} grammes")
    public void grammes(double arg0) {
    }

    @Étantdonné("I have {float} kilos")
    public void kilos(float arg0) {
    }
}
"""


def test_cucumber_jvm_number_types_follow_the_feature_language(git_repo: GitRepo) -> None:
    git_repo.write("features/french-numbers.feature", FRENCH_FEATURE)
    git_repo.write("features/english.feature", (
        "Feature: e\n  Scenario: s\n    Given I have 1,000.5 kilos\n    Given I have 5,5 kilos\n"))
    git_repo.write("src/test/java/FrenchSteps.java", FRENCH_STEPS)
    git_repo.commit()
    report = json.loads(run_cli("steps", str(git_repo.path), "--format", "json").stdout)
    assert [u["text"] for u in report["undefined"]] == [], report["undefined"]
    args = {m["text"]: m["arguments"] for d in report["definitions"] for m in d["matches"]}
    assert args["j'ai 5,5 concombres fractionnaires"] == ["5,5"]
    assert args["j'ai 1.000,25 grammes"] == ["1.000,25"]
    assert args["I have 1,000.5 kilos"] == ["1,000.5"]  # English: ',' groups thousands in Java's float too


def test_cucumber_js_number_types_do_not_follow_the_language(git_repo: GitRepo) -> None:
    git_repo.write("features/f.feature", FRENCH_FEATURE)
    git_repo.write("features/step_definitions/f.js", (
        "const { Given } = require('@cucumber/cucumber')\n"
        "Given(\"j'ai {float} concombres fractionnaires\", function (n) {})\n"))
    git_repo.commit()
    report = json.loads(run_cli("steps", str(git_repo.path), "--format", "json", "--undefined").stdout)
    assert "j'ai 5,5 concombres fractionnaires" in [u["text"] for u in report["undefined"]]


def _usage(db: str) -> dict[str, int]:
    import sqlite3

    with sqlite3.connect(db) as conn:
        return dict(conn.execute("SELECT function_name, usage_count FROM step_definitions WHERE deleted_at IS NULL"))


def test_a_sync_matches_cucumber_jvm_number_types_in_the_feature_language(git_repo: GitRepo, tmp_path: Path) -> None:
    """The database agrees with the report: the parse workers (a first sync) and the parent's matching after a step
    file's edit (the stored scenarios, their language from the feature) both match in the feature's language."""
    git_repo.write("features/french-numbers.feature", FRENCH_FEATURE)
    git_repo.write("src/test/java/FrenchSteps.java", FRENCH_STEPS)
    git_repo.commit()
    db = tmp_path / "fr.db"
    url = f"sqlite:///{db}"
    assert run_cli("sync", str(git_repo.path), "--database-url", url).returncode == 0
    assert _usage(str(db)) == {"jAiConcombresFractionnaires": 1, "grammes": 1, "kilos": 0}
    # A definition changed (and one added): the parent matches the stored scenarios again.
    git_repo.write("src/test/java/FrenchSteps.java", FRENCH_STEPS.replace("{double} grammes", "{double} gramme(s)")
                   .rstrip().removesuffix("}") + "    @Étantdonné(\"j'ai {bigdecimal} litres\")\n"
                   "    public void litres(BigDecimal l) {\n    }\n}\n")
    git_repo.commit()
    assert run_cli("sync", str(git_repo.path), "--database-url", url).returncode == 0
    assert _usage(str(db)) == {"jAiConcombresFractionnaires": 1, "grammes": 1, "litres": 0, "kilos": 0}
