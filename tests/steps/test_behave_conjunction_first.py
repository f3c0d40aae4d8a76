"""behave's own feature parser refuses an ``And``/``But`` with no Given, When or Then before it in its scenario (the
Backgrounds' steps count; each scenario starts afresh), and stops the whole run (``ParserError``); gherkin and
Cucumber take it. tracertm matched such a step as a Given, with only the feature parser's "counted as Given"
warning: an error now, at that step, in the feature files behave runs — compared with behave's parser itself."""

from __future__ import annotations

import subprocess
import sys

import pytest

from conftest import GitRepo, run_cli

STEPS = "from behave import given, when\n\n@given('a thing')\ndef thing(context):\n    pass\n"
# feature file → whether behave's parser refuses it (checked below against behave itself)
FEATURES = {
    "features/scenario.feature": ("Feature: f\n  Scenario: s\n    And a thing\n", True),
    "features/second.feature": ("Feature: f\n  Scenario: a\n    Given a thing\n  Scenario: b\n    But a thing\n",
                                True),
    "features/background.feature": ("Feature: f\n  Background:\n    But a thing\n  Scenario: s\n    Given a thing\n",
                                    True),
    "features/outline.feature": ("Feature: f\n  Scenario Outline: o\n    And a <x>\n    Examples:\n      | x |\n"
                                 "      | thing |\n", True),
    "features/deep/rule.feature": ("Feature: f\n  Rule: r\n    Scenario: s\n      And a thing\n", True),
    # A Background step before it gives the conjunction its type; a * first is behave's Given.
    "features/after_background.feature": ("Feature: f\n  Background:\n    Given a thing\n  Scenario: s\n"
                                          "    And a thing\n", False),
    "features/rule_background.feature": ("Feature: f\n  Background:\n    Given a thing\n  Rule: r\n"
                                         "    Scenario: s\n      And a thing\n", False),
    "features/star.feature": ("Feature: f\n  Scenario: s\n    * a thing\n    And a thing\n", False),
}


def test_behave_refuses_what_tracertm_reports(git_repo: GitRepo) -> None:
    behave_parser = pytest.importorskip("behave.parser")
    git_repo.write("features/steps/steps.py", STEPS)
    for path, (text, _) in FEATURES.items():
        git_repo.write(path, text)
    git_repo.write("other/x.feature", "Feature: f\n  Scenario: s\n    And a thing\n")  # no features folder of behave
    git_repo.commit()
    for path, (text, refused) in FEATURES.items():
        try:
            behave_parser.parse_feature(text, filename=path)
            theirs = False
        except behave_parser.ParserError as exc:
            theirs = "STEP REQUIRES: An previous Given/When/Then step" in str(exc)
        assert theirs is refused, path

    result = run_cli("check", str(git_repo.path))
    assert result.returncode == 1
    errors = {line.split(":")[0] for line in result.stdout.splitlines()
              if "behave refuses to parse" in line and ": warning:" not in line}
    assert errors == {path for path, (_, refused) in FEATURES.items() if refused}, result.stdout
    assert ("features/second.feature:5:5: step 'But a thing' starts scenario 'b' with no Given, When or Then step "
            "before it: behave refuses to parse features/second.feature (ParserError: BUT-STEP REQUIRES: An previous "
            "Given/When/Then step.) and runs no feature — start it with Given, When or Then") in result.stdout
    assert "features/background.feature:3:5: step 'But a thing' starts the Background" in result.stdout
    steps = run_cli("steps", str(git_repo.path))
    assert steps.returncode == 1
    assert "features/outline.feature:3:5: step 'And a thing' starts scenario 'o'" in steps.stderr
    # behave's run itself stops at such a file.
    run = subprocess.run([sys.executable, "-m", "behave", "--dry-run", "features/scenario.feature"],
                         cwd=git_repo.path, capture_output=True, text=True, timeout=60)
    assert "ParserError" in run.stdout + run.stderr


def test_a_feature_no_behave_folder_runs_gets_no_such_error(git_repo: GitRepo) -> None:
    """Cucumber runs a conjunction that starts a scenario (gherkin: type Unknown): no behave error there."""
    git_repo.write("features/step_definitions/s.js",
                   "const { Given } = require('@cucumber/cucumber');\nGiven('a thing', function () {});\n")
    git_repo.write("features/a.feature", "Feature: f\n  Scenario: s\n    And a thing\n")
    git_repo.commit()
    result = run_cli("check", str(git_repo.path))
    assert "behave refuses" not in result.stdout
    assert result.returncode == 0, result.stdout


def test_the_hook_reports_it_in_a_feature_the_commit_changes(git_repo: GitRepo) -> None:
    git_repo.write("features/steps/steps.py", STEPS)
    git_repo.write("features/old.feature", "Feature: f\n  Scenario: s\n    Given a thing\n")
    git_repo.commit()
    git_repo.write("features/old.feature", "Feature: f\n  Scenario: s\n    And a thing\n")
    git_repo.git("add", "-A")
    result = run_cli("check", "--staged", str(git_repo.path))
    assert result.returncode == 1
    assert "features/old.feature:3:5: step 'And a thing' starts scenario 's' with no Given, When or Then step " \
        "before it: behave refuses to parse features/old.feature" in result.stdout, result.stdout
