"""behave keeps two type registries: ``register_type(Name=fn)`` goes to the parse matchers' (``ParseMatcher``'s
``TYPE_REGISTRY``, when parse is the current matcher), ``define_parameter_type(...)`` to the cucumber_expressions
matcher's own ``ParameterTypeRegistry``. A parse type named like a built-in Cucumber Expression type
(``register_type(int=int)``) must not reach the cucumber registry: cucumber-expressions refuses a second ``int``,
and every ``{int}`` definition became an error (its steps undefined) where behave runs them.

The fixture is cut down from behave's own repository (https://github.com/behave/behave, BSD-2-Clause):
``behave4cmd0/command_steps.py`` (``register_type(int=int)``), ``features/steps/use_steplib_behave4cmd.py`` and
``features/steps/cucumber_expression_steps.py`` with ``features/step_matcher.cucumber_expressions.feature``."""

from __future__ import annotations

import subprocess
import sys

import pytest

from conftest import GitRepo
from tracertm.steps.project import analyze

STEPLIB = '''\
from behave import when, register_type

register_type(int=int)


@when('I wait "{seconds:int}" seconds')
def step_wait(ctx, seconds):
    assert isinstance(seconds, int)
'''

USE_STEPLIB = "import steplib.command_steps\n"

CUCUMBER_STEPS = '''\
from behave import given, when, then
from behave.cucumber_expression import use_step_matcher_for_cucumber_expressions

use_step_matcher_for_cucumber_expressions()


@given('I provide a/an "{int}" value as int')
@when('I provide a/an "{int}" value as int')
def step_provide_value_as_int(ctx, value):
    assert type(value) is int
    ctx.value = value


@then('the stored value equals "{int}" as int')
def step_stored_value_equals_int(ctx, value):
    assert ctx.value == value
'''

FEATURE = """\
Feature: Cucumber expressions next to a parse step library
  Scenario Outline: int values
    When I provide an "<value>" value as int
    Then the stored value equals "<value>" as int
    When I wait "2" seconds

    Examples:
      | value |
      | 11    |
      | -12   |
"""


def _project(git_repo: GitRepo) -> None:
    git_repo.write("steplib/__init__.py", "")
    git_repo.write("steplib/command_steps.py", STEPLIB)
    git_repo.write("features/steps/use_steplib.py", USE_STEPLIB)
    git_repo.write("features/steps/cucumber_expression_steps.py", CUCUMBER_STEPS)
    git_repo.write("features/ce.feature", FEATURE)
    git_repo.write(".tracertm.toml", 'step_paths = ["features/steps/**/*.py", "steplib/**/*.py"]\n')
    git_repo.commit("behave project")


def test_parse_type_does_not_reach_the_cucumber_registry(git_repo: GitRepo) -> None:
    _project(git_repo)
    report = analyze(git_repo.path)
    assert not report.errors, report.errors
    assert not report.undefined()
    # As behave: the Given of the stacked pair is unused, the rest used; the parse step keeps its registered type.
    # Both of the pair are at the first decorator's line, as behave locates them.
    assert [(d.location, d.keyword) for d in report.unused()] == [
        ("features/steps/cucumber_expression_steps.py:7", "given")]
    counts = report.usage_counts()
    assert {(d.location, d.keyword): counts.get(d.identity, 0) for d in report.definitions} == {
        ("features/steps/cucumber_expression_steps.py:7", "given"): 0,
        ("features/steps/cucumber_expression_steps.py:7", "when"): 2,
        ("features/steps/cucumber_expression_steps.py:14", "then"): 2, ("steplib/command_steps.py:6", "when"): 2}


def test_behave_agrees(git_repo: GitRepo) -> None:
    pytest.importorskip("behave.cucumber_expression")
    _project(git_repo)
    proc = subprocess.run(
        [sys.executable, "-m", "behave", "--dry-run", "--no-summary", "--no-snippets", "-f", "steps.usage",
         "features"], cwd=git_repo.path, capture_output=True, text=True, timeout=120,
        env={"PYTHONPATH": str(git_repo.path), "PATH": "/usr/bin:/bin"})
    assert "UNUSED STEP DEFINITIONS[1]" in proc.stdout, proc.stdout + proc.stderr
    assert "UNDEFINED" not in proc.stdout, proc.stdout
    assert "'I provide a/an \"{int}\" value as int')  # features/steps/cucumber_expression_steps.py:7" in proc.stdout


COLOR_CUCUMBER = '''\
from behave import given
from behave.cucumber_expression import define_parameter_type_with, use_step_matcher_for_cucumber_expressions

use_step_matcher_for_cucumber_expressions()
define_parameter_type_with("Color", "red|blue", str)


@given('a {Color} ball')
def step_ball(ctx, color):
    pass
'''

COLOR_PARSE = '''\
from behave import given, register_type
import parse


@parse.with_pattern(r"green|yellow")
def parse_color(text):
    return text


register_type(Color=parse_color)


@given('a {color:Color} cube')
def step_cube(ctx, color):
    pass
'''


def test_one_name_in_both_registries(git_repo: GitRepo) -> None:
    """A cucumber type and a parse type of one name are two types: neither is "already declared", each matches its
    own texts only."""
    git_repo.write("features/steps/a_cucumber.py", COLOR_CUCUMBER)
    git_repo.write("features/steps/b_parse.py", COLOR_PARSE)
    git_repo.write("features/colors.feature", "Feature: Colors\n  Scenario: s\n    Given a red ball\n"
                   "    Given a green ball\n    Given a green cube\n    Given a red cube\n")
    git_repo.commit("two registries")
    report = analyze(git_repo.path)
    assert not report.errors, report.errors
    assert [(r.use.text, r.status) for r in report.results] == [
        ("a red ball", "defined"), ("a green ball", "undefined"), ("a green cube", "defined"),
        ("a red cube", "undefined")]
