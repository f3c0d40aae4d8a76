"""behave's registration order and its load-time ``AmbiguousStep``, checked against behave's own dry run; each
test failed before its fix.

- Stacked decorators: Python applies a function's decorators innermost (bottom) first, so behave registers the
  bottom one first and checks the upper ones against it (``StepRegistry.add_step_definition``).
- ``use_step_matcher(...)`` in ``features/environment.py``: behave runs it before loading the step modules and
  makes the matcher in effect then the default of every step module (``runner_util.load_step_modules``).
- ``re`` against ``re0``: behave checks an earlier definition against the new one's pattern *as written* (``re``'s
  without the ``^…$`` it matches with), so tracertm must know which matcher a ``^…$`` regex was written for.
"""

from __future__ import annotations

import pytest

from conftest import GitRepo
from test_behave_rules_more import _behave_output
from test_framework_rules import _behave_usage, _ours
from tracertm.steps import python
from tracertm.steps.project import analyze

FEATURE = "Feature: A\n  Scenario: one\n    Given a user\n"


# ---------------------------------------------------------------------------------------- stacked decorators

UPPER_SPECIFIC = """from behave import given

@given('a user')
@given('a {thing}')
def f(context, thing=None): pass
"""

UPPER_GENERIC = """from behave import given

@given('a {thing}')
@given('a user')
def f(context, thing=None): pass
"""


def test_stacked_decorators_are_discovered_in_registration_order() -> None:
    """The bottom decorator is registered first; each is at its function's first decorator's line, as behave
    locates it (``co_firstlineno``), keeps the identity it had, and ``definitions`` stay in file order."""
    text = UPPER_GENERIC + "\n@given('b')\n@given('c')\ndef g(context): pass\n"
    parsed = python.parse("features/steps/s.py", text)
    assert isinstance(parsed, python.BehaveStepFile)
    assert [(d.pattern, d.line) for d in parsed.registered] == [("a user", 3), ("a {thing}", 3), ("c", 7), ("b", 7)]
    assert [d.pattern for d in parsed.definitions] == ["a {thing}", "a user", "b", "c"]
    assert [d.identity for d in parsed.registered] == [
        "features/steps/s.py::f:given(a user)", "features/steps/s.py::f:given(a {thing})",
        "features/steps/s.py::g:given(c)", "features/steps/s.py::g:given(b)"]


FIRST_LINE = """from behave import step, when


# a comment between
@step('I do {what}')
@when('I do x')
def a2(context, what=None): pass
"""


def test_stacked_decorators_are_where_behave_locates_them(git_repo: GitRepo) -> None:
    """behave locates a definition by its function's code object (``Match.make_location``: ``co_firstlineno``),
    which Python puts at the first decorator's line: ``steps.usage`` shows both at line 5. tracertm gave the lower
    one its own line (6)."""
    pytest.importorskip("behave")
    git_repo.write("features/a.feature", "Feature: A\n  Scenario: one\n    When I do x\n    When I do y\n")
    git_repo.write("features/steps/a.py", FIRST_LINE)
    git_repo.commit("stacked")
    theirs, output = _behave_usage(git_repo.path)
    assert theirs == {"features/steps/a.py:5": ["features/a.feature:3", "features/a.feature:4"]}, output
    assert _ours(git_repo.path) == theirs
    assert [(d.keyword, d.location) for d in analyze(git_repo.path).definitions] == [
        ("step", "features/steps/a.py:5"), ("when", "features/steps/a.py:5")]


def test_stacked_decorator_matched_by_the_one_below_is_ambiguous_at_load(git_repo: GitRepo) -> None:
    pytest.importorskip("behave")
    git_repo.write("features/a.feature", FEATURE)
    git_repo.write("features/steps/s.py", UPPER_SPECIFIC)
    git_repo.commit("stacked")
    output = _behave_output(git_repo.path)
    assert "AmbiguousStep: @given('a user') has already been defined in\n  existing step @given('a {thing}') at " \
        "features/steps/s.py:3" in output, output
    errors = analyze(git_repo.path).errors
    assert [(e.path, e.line) for e in errors] == [("features/steps/s.py", 3)]
    assert errors[0].message.startswith("step definition @given('a user') would be ambiguous with "
                                        "@given('a {thing}') at features/steps/s.py:3: behave refuses to load it")


def test_stacked_decorator_matching_the_one_below_is_no_error(git_repo: GitRepo) -> None:
    """behave registers ``a user`` first, then ``a {thing}``, which ``a user`` does not match: it loads."""
    pytest.importorskip("behave")
    git_repo.write("features/a.feature", FEATURE)
    git_repo.write("features/steps/s.py", UPPER_GENERIC)
    git_repo.commit("stacked")
    assert "AmbiguousStep" not in _behave_output(git_repo.path)
    assert not analyze(git_repo.path).errors


def test_stacked_decorators_first_match_follows_registration(git_repo: GitRepo) -> None:
    pytest.importorskip("behave")
    git_repo.write("features/a.feature", FEATURE)
    git_repo.write("features/steps/s.py", UPPER_GENERIC)
    git_repo.commit("stacked")
    report = analyze(git_repo.path)
    # behave runs the bottom decorator's definition (registered first); the upper one is unused.
    assert [r.definition.pattern for r in report.results if r.definition is not None] == ["a user"]


# ------------------------------------------------------------------------ use_step_matcher in environment.py

ENVIRONMENT = "from behave import use_step_matcher\nuse_step_matcher('re')\n\ndef before_all(context):\n" \
              "    use_step_matcher('parse')  # runs after the step modules are loaded: no effect on them\n"
A_STEPS = "from behave import then\n\n@then(r'the total is (?P<n>\\d+)')\ndef total(context, n): pass\n"
B_STEPS = "from behave import then, use_step_matcher, use_default_step_matcher\nuse_step_matcher('parse')\n\n" \
          "@then('a parse {thing}')\ndef parse_one(context, thing): pass\n\nuse_default_step_matcher()\n\n" \
          "@then(r'back to (?P<x>re)')\ndef back(context, x): pass\n"
C_STEPS = "from behave import then\n\n@then(r'the total is (?P<n>\\d+) or so')\ndef about(context, n): pass\n"


def test_environment_matcher_is_the_default_of_the_step_modules() -> None:
    assert python.environment_matcher(ENVIRONMENT) == "re"
    assert python.environment_matcher("import behave\n") == "parse"
    assert python.environment_matcher("def broken(:\n") == "parse"
    a = python.parse("features/steps/a_steps.py", A_STEPS, step_matcher="re")
    assert [(d.kind, d.pattern) for d in a.definitions] == [("regex", r"^the total is (?P<n>\d+)$")]
    b = python.parse("features/steps/b_steps.py", B_STEPS, step_matcher="re")
    # A module's own use_step_matcher switches; use_default_step_matcher() goes back to environment.py's.
    assert [(d.kind, d.pattern) for d in b.definitions] == [
        ("parse", "a parse {thing}"), ("regex", "^back to (?P<x>re)$")]
    assert [(d.kind, d.pattern) for d in python.parse("features/steps/c_steps.py", C_STEPS).definitions] == [
        ("parse", r"the total is (?P<n>\d+) or so")]  # without environment.py's matcher: behave's own default


def test_environment_matcher_applies_to_the_step_modules_end_to_end(git_repo: GitRepo) -> None:
    pytest.importorskip("behave")
    git_repo.write("features/a.feature", "Feature: A\n  Scenario: one\n    Then the total is 5\n")
    git_repo.write("features/environment.py", ENVIRONMENT)
    git_repo.write("features/steps/a_steps.py", A_STEPS)
    git_repo.write("features/steps/b_steps.py", B_STEPS)
    git_repo.write("features/steps/c_steps.py", C_STEPS)
    git_repo.commit("environment matcher")
    theirs, output = _behave_usage(git_repo.path)
    assert theirs["features/steps/a_steps.py:3"] == ["features/a.feature:3"], output
    assert _ours(git_repo.path) == theirs, output


# ---------------------------------------------------------------------------------------------- re against re0

def _two_modules(git_repo: GitRepo, a: str, b: str) -> str:
    git_repo.write("features/a.feature", "Feature: A\n  Scenario: one\n    Then the total is 5\n")
    git_repo.write("features/steps/a_steps.py", a)
    git_repo.write("features/steps/b_steps.py", b)
    git_repo.commit("two modules")
    return _behave_output(git_repo.path)


def test_re_definition_checked_by_its_text_as_written_against_an_earlier_re0(git_repo: GitRepo) -> None:
    """``re0``'s ``the total is .+`` matches ``re``'s ``the total is 5`` as written (not ``^the total is 5$``)."""
    pytest.importorskip("behave")
    output = _two_modules(
        git_repo,
        "from behave import then, use_step_matcher\nuse_step_matcher('re0')\n\n"
        "@then(r'the total is .+')\ndef anything(context): pass\n",
        "from behave import then, use_step_matcher\nuse_step_matcher('re')\n\n"
        "@then(r'the total is 5')\ndef five(context): pass\n")
    assert "AmbiguousStep: @then('^the total is 5$') has already been defined in" in output, output
    report = analyze(git_repo.path)
    assert [(e.path, e.line) for e in report.errors] == [("features/steps/b_steps.py", 4)]
    assert report.errors[0].message.startswith(
        "step definition @then('^the total is 5$') would be ambiguous with @then('the total is .+') at "
        "features/steps/a_steps.py:4: behave refuses to load it")
    # The refused definition is not registered: it matches nothing.
    assert [(r.status, [d.path for d, _ in r.matches]) for r in report.results] == [
        ("defined", ["features/steps/a_steps.py"])]


def test_re0_definition_equal_to_an_earlier_re_pattern_is_ambiguous_at_load(git_repo: GitRepo) -> None:
    """behave's ``Matcher.matches`` first compares the earlier pattern (``re``'s with its ``^…$``) with the new
    text: ``re0``'s ``^the total is \\d$`` equals it, though the regex does not match that text."""
    pytest.importorskip("behave")
    output = _two_modules(
        git_repo,
        "from behave import then, use_step_matcher\nuse_step_matcher('re')\n\n"
        "@then(r'the total is \\d')\ndef digit(context): pass\n",
        "from behave import then, use_step_matcher\nuse_step_matcher('re0')\n\n"
        "@then(r'^the total is \\d$')\ndef same(context): pass\n")
    assert "AmbiguousStep: @then('^the total is \\d$') has already been defined in" in output, output
    report = analyze(git_repo.path)
    assert [(e.path, e.line) for e in report.errors] == [("features/steps/b_steps.py", 4)]
    assert [(r.status, [d.path for d, _ in r.matches]) for r in report.results] == [
        ("defined", ["features/steps/a_steps.py"])]


def test_re_against_re0_no_error_where_behave_loads(git_repo: GitRepo) -> None:
    """``re``'s ``the total is \\d`` is written without anchors: ``re0``'s ``^the total is \\d$`` neither equals it
    nor matches it, so behave loads both (and runs the first)."""
    pytest.importorskip("behave")
    output = _two_modules(
        git_repo,
        "from behave import then, use_step_matcher\nuse_step_matcher('re0')\n\n"
        "@then(r'^the total is \\d$')\ndef digit(context): pass\n",
        "from behave import then, use_step_matcher\nuse_step_matcher('re')\n\n"
        "@then(r'the total is \\d')\ndef same(context): pass\n")
    assert "AmbiguousStep" not in output, output
    assert not analyze(git_repo.path).errors
