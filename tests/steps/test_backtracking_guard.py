"""A step definition whose regex backtracks catastrophically (``^(a|aa)+$``, ``^(a+)+$``, a parameter type like
``(a|aa)+``) against a long step must not hang ``tracertm steps``, ``check`` or ``sync``: each match runs under a
time budget (``tracertm.steps.bounded``) and a definition over it is a finding at its ``file:line``, skipped for
the rest of the run. Without the guard these tests hang (Python's ``re`` needs ~2^60 steps) until pytest-timeout
fails them."""

from __future__ import annotations

import pytest
from sqlalchemy import select

from conftest import GitRepo
from tracertm import db
from tracertm.checker import check
from tracertm.engine.sync import sync
from tracertm.steps.packed import match_rows
from tracertm.steps.project import analyze

LONG = "a" * 60 + "!!"
FEATURE = f"""\
Feature: Backtracking
  Scenario: a long step
    Given {LONG}
    When the customer pays
"""
STEP_FILES = {
    # cucumber-js: a RegExp literal (searched: unanchored), and a parameter type inside a Cucumber Expression.
    "js-regex": ("features/step_definitions/slow.js",
                 "const { Given, When } = require('@cucumber/cucumber');\n"
                 "When('the customer pays', function pays() {});\n"
                 "Given(/^(a|aa)+$/, function slow() {});\n"),
    "js-parameter-type": ("features/step_definitions/slow.js",
                          "const { Given, When, defineParameterType } = require('@cucumber/cucumber');\n"
                          "defineParameterType({ name: 'as', regexp: /(a|aa)+/ });\n"
                          "Given('{as}', function slow(a) {});\n"
                          "When('the customer pays', function pays() {});\n"),
    # behave's re matcher (whole text).
    "behave-re": ("features/steps/slow.py",
                  "from behave import given, when, use_step_matcher\n"
                  "use_step_matcher('re')\n"
                  "@given(r'(a|aa)+')\n"
                  "def slow(context):\n    pass\n"
                  "@when('the customer pays')\n"
                  "def pays(context):\n    pass\n"),
    # behave's default parse matcher with a registered type.
    "behave-parse-type": ("features/steps/slow.py",
                          "import parse\n"
                          "from behave import given, when, register_type\n"
                          "@parse.with_pattern(r'(a|aa)+')\n"
                          "def as_(text):\n    return text\n"
                          "register_type(As=as_)\n"
                          "@given('{x:As}!')\n"
                          "def slow(context, x):\n    pass\n"
                          "@when('the customer pays')\n"
                          "def pays(context):\n    pass\n"),
}
SLOW_LINE = {"js-regex": 3, "js-parameter-type": 3, "behave-re": 3, "behave-parse-type": 7}


@pytest.fixture(autouse=True)
def _short_budget(monkeypatch: pytest.MonkeyPatch) -> None:
    """The guard's budget cut from 0.5 s to 0.1 s, thousands of times what these steps need still: every test waits
    it out once per run (twice for the sync), and the longer wait proves nothing more."""
    from tracertm.steps import bounded, compiled, parse_matchers

    timed = (*compiled.TIMED[:-1], 0.1)  # the budget as the matchers pass it (copied there when imported)
    monkeypatch.setattr(bounded, "BUDGET", 0.1)
    monkeypatch.setattr(compiled, "TIMED", timed)
    monkeypatch.setattr(parse_matchers, "TIMED", timed)


def _project(repo: GitRepo, case: str) -> str:
    path, text = STEP_FILES[case]
    repo.write("features/long.feature", FEATURE)
    repo.write(path, text)
    repo.commit("a catastrophic regex")
    return path


@pytest.mark.timeout(60)
@pytest.mark.parametrize("case", sorted(STEP_FILES))
def test_steps_report_names_the_slow_definition(git_repo: GitRepo, case: str) -> None:
    path = _project(git_repo, case)
    report = analyze(git_repo.path)
    assert [(e.path, e.line) for e in report.errors] == [(path, SLOW_LINE[case])]
    assert "catastrophic backtracking" in report.errors[0].message and "\n" not in report.errors[0].message
    assert [r.use.text for r in report.undefined()] == [LONG]  # skipped: the long step has no definition
    assert [d.function for d in report.unused()] == []  # the slow one is a finding, not "unused"
    assert report.usage_counts()[f"{path}::pays"] == 1  # the rest of the project still counts


@pytest.mark.timeout(60)
def test_nested_plus_against_a_long_step_does_not_hang(git_repo: GitRepo) -> None:
    """The issue's example: ``^(a+)+$``. The ``regex`` package settles this one quickly by itself or hits the budget;
    either way the run ends, and the step is not defined by it."""
    git_repo.write("features/long.feature", FEATURE)
    git_repo.write("features/step_definitions/slow.js", "Given(/^(a+)+$/, function slow() {});\n")
    git_repo.commit("nested plus")
    report = analyze(git_repo.path)
    assert [r.status for r in report.results if r.use.text == LONG] == ["undefined"]
    assert all(e.path == "features/step_definitions/slow.js" and e.line == 1 for e in report.errors)


@pytest.mark.timeout(60)
def test_check_reports_the_slow_definition_as_an_error(git_repo: GitRepo) -> None:
    path = _project(git_repo, "js-regex")
    result = check(git_repo.path)
    assert [(e.path, e.line, e.column) for e in result.errors] == [(path, 3, 1)]
    assert not result.ok


@pytest.mark.timeout(120)
def test_sync_warns_and_links_the_rest(git_repo: GitRepo, database_url: str) -> None:
    path = _project(git_repo, "js-regex")
    result = sync(git_repo.path, database_url=database_url)
    assert not result.errors and result.counts["step_definition"]["created"] == 2
    assert [(w.path, w.line) for w in result.warnings if "catastrophic" in w.message] == [(path, 3)]
    engine = db.make_engine(database_url)
    try:
        with db.session(engine) as session:
            rows = [(m.step_text, m.status) for m in match_rows(session)]
        assert sorted(tuple(r) for r in rows) == [(LONG, "undefined"), ("the customer pays", "defined")]
    finally:
        engine.dispose()
