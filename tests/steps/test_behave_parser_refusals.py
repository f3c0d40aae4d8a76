"""behave's own feature parser (1.3.3) refuses two things gherkin takes, and stops its whole run (``ParserError``):
``Examples:`` under a plain ``Scenario:`` or ``Example:`` (gherkin 6 reads the scenario as an outline; behave takes
Examples only in a ``Scenario Outline:``/``Scenario Template:``), and a doc string between ``` lines (behave knows
only \"\"\" and '''). tracertm matched such a scenario as an outline and ``check`` passed: an error now, at the
Examples or the opening ```, in the feature files behave runs — compared with behave's parser itself (skipped when
absent). Each test failed before the fix."""

from __future__ import annotations

import pytest

from conftest import GitRepo, run_cli
from tracertm.parsers import parse

STEPS = "from behave import given\n\n@given('a {x}')\ndef thing(context, x):\n    pass\n"
EXAMPLES = "\n    Examples:\n      | x |\n      | thing |\n"
FENCED = "      ```\n      text\n      ```\n"
QUOTED = '      """\n      text\n      """\n'
# feature file → (its text, the line and column of behave's refusal: None when behave takes it)
FEATURES: dict[str, tuple[str, tuple[int, int] | None]] = {
    "features/scenario.feature": ("Feature: f\n  Scenario: s\n    Given a <x>\n" + EXAMPLES, (5, 5)),
    "features/example.feature": ("Feature: f\n  Example: s\n    Given a <x>\n" + EXAMPLES, (5, 5)),
    "features/no_steps.feature": ("Feature: f\n  Scenario: s\n" + EXAMPLES, (4, 5)),
    "features/tagged.feature": ("Feature: f\n  Scenario: s\n    Given a <x>\n\n    @t\n    Examples:\n"
                                "      | x |\n      | thing |\n", (6, 5)),
    "features/deep/rule.feature": ("Feature: f\n  Rule: r\n    Scenario: s\n      Given a <x>\n" + EXAMPLES,
                                   (6, 5)),
    "features/french.feature": ("# language: fr\nFonctionnalité: f\n  Scénario: s\n    Soit a <x>\n\n"
                                "    Exemples:\n      | x |\n      | thing |\n", (6, 5)),
    "features/fenced.feature": ("Feature: f\n  Scenario: s\n    Given a thing\n" + FENCED, (4, 7)),
    "features/fenced_background.feature": ("Feature: f\n  Background:\n    Given a thing\n" + FENCED
                                           + "  Scenario: s\n    Given a thing\n", (4, 7)),
    # What behave takes.
    "features/outline.feature": ("Feature: f\n  Scenario Outline: s\n    Given a <x>\n" + EXAMPLES, None),
    "features/template.feature": ("Feature: f\n  Scenario Template: s\n    Given a <x>\n" + EXAMPLES, None),
    "features/quoted.feature": ("Feature: f\n  Scenario: s\n    Given a thing\n" + QUOTED, None),
}


def test_behave_refuses_what_tracertm_reports(git_repo: GitRepo) -> None:
    behave_parser = pytest.importorskip("behave.parser")
    for path, (text, refused) in FEATURES.items():
        try:
            behave_parser.parse_feature(text, filename=path)
            theirs = None
        except behave_parser.ParserError as exc:
            theirs = exc.line
        assert theirs == (refused and refused[0]), path


def test_check_reports_them_where_behave_runs(git_repo: GitRepo) -> None:
    git_repo.write("features/steps/steps.py", STEPS)
    for path, (text, _) in FEATURES.items():
        git_repo.write(path, text)
    git_repo.commit()
    result = run_cli("check", str(git_repo.path))
    assert result.returncode == 1
    found = {tuple(line.split(":")[:3]) for line in result.stdout.splitlines() if "behave refuses to parse" in line}
    assert found == {(path, str(at[0]), str(at[1])) for path, (_, at) in FEATURES.items() if at}, result.stdout
    assert ("features/scenario.feature:5:5: Examples under a plain 'Scenario:': behave refuses to parse "
            "features/scenario.feature (ParserError: Examples must only appear inside scenario outline) and runs no "
            "feature — write 'Scenario Outline:' instead of 'Scenario:'") in result.stdout
    assert "features/french.feature:6:5: Examples under a plain 'Scénario:'" in result.stdout
    assert "write 'Plan du scénario:' instead of 'Scénario:'" in result.stdout
    assert ("features/fenced.feature:4:7: doc string between ``` lines: behave refuses to parse "
            "features/fenced.feature (ParserError: Parser failure in state=steps; behave delimits a doc string with "
            "\"\"\" or ''' lines only) and runs no feature — delimit it with \"\"\"") in result.stdout
    steps = run_cli("steps", str(git_repo.path))
    assert steps.returncode == 1
    assert "features/example.feature:5:5: Examples under a plain 'Example:'" in steps.stderr


def test_a_feature_no_behave_folder_runs_gets_no_such_error(git_repo: GitRepo) -> None:
    """Cucumber runs both (gherkin reads them): no behave error there, nor outside behave's features folders."""
    git_repo.write("features/step_definitions/s.js",
                   "const { Given } = require('@cucumber/cucumber');\nGiven('a {word}', function (x) {});\n")
    git_repo.write("features/a.feature", FEATURES["features/scenario.feature"][0])
    git_repo.write("features/b.feature", FEATURES["features/fenced.feature"][0])
    git_repo.commit()
    result = run_cli("check", str(git_repo.path))
    assert "behave refuses" not in result.stdout
    assert result.returncode == 0, result.stdout


def test_a_markdown_feature_is_none_of_behaves() -> None:
    """behave reads no ``*.feature.md``: its ``` code blocks and doc strings are none of its refusals."""
    result = parse("feature", "features/a.feature.md", b"# Feature: f\n\n## Scenario: s\n\n* Given a thing\n"
                   b"  ```\n  text\n  ```\n")
    assert getattr(result, "fences", None) == ()


def test_the_hook_reports_it_in_a_feature_the_commit_changes(git_repo: GitRepo) -> None:
    git_repo.write("features/steps/steps.py", STEPS)
    git_repo.write("features/old.feature", FEATURES["features/outline.feature"][0])
    git_repo.commit()
    git_repo.write("features/old.feature", FEATURES["features/scenario.feature"][0])
    git_repo.git("add", "-A")
    result = run_cli("check", "--staged", str(git_repo.path))
    assert result.returncode == 1
    assert "features/old.feature:5:5: Examples under a plain 'Scenario:': behave refuses to parse" in result.stdout, \
        result.stdout
