"""``tracertm steps``: a pattern holding a newline (a Python string's ``\\n``) is one line of the text report,
escaped as ``check`` shows it; a feature file that is not valid Gherkin is a warning at its error (its steps are
not matched, so a definition only it uses would otherwise show as unused with no word why)."""

from __future__ import annotations

import json

from conftest import GitRepo, run_cli

STEPS = ('from behave import given\n\n\n@given("a\\nb")\ndef s(ctx):\n    pass\n\n\n'
         '@given("ok")\ndef t(ctx):\n    pass\n')
GOOD = "Feature: x\n  Scenario: y\n    Given ok\n"
BROKEN = 'Feature: z\n  Scenario: w\n    Given ok\n      """\n'


def _project(repo: GitRepo) -> None:
    repo.write("features/steps/s.py", STEPS)
    repo.write("features/a.feature", GOOD)
    repo.write("features/b.feature", BROKEN)
    repo.commit("steps")


def test_a_pattern_with_a_newline_is_one_line(git_repo: GitRepo) -> None:
    _project(git_repo)
    done = run_cli("steps", str(git_repo.path), "--unused")
    assert done.stdout.splitlines() == ["UNUSED STEP DEFINITIONS[1]:", "  @given('a\\nb')  # features/steps/s.py:4"]


def test_a_broken_feature_is_a_warning(git_repo: GitRepo) -> None:
    _project(git_repo)
    done = run_cli("steps", str(git_repo.path))
    warning = ("features/b.feature:5:0: warning: not valid Gherkin, so its steps are not matched (unexpected end of "
               "file, expected: #DocStringSeparator, #Other); 'tracertm check' lists its errors")
    assert warning in done.stderr.splitlines()
    report = json.loads(run_cli("steps", str(git_repo.path), "--format", "json").stdout)
    assert [(w["path"], w["line"]) for w in report["warnings"]] == [("features/b.feature", 5)]
    assert done.returncode == 0, "a warning, as check's own error for the file is the failure"
