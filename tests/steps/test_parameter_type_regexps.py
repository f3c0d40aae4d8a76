"""Parameter types that share a regexp (cucumber-expressions' ``parameterTypesByRegexp``): two preferential ones
(``preferForRegexpMatch``) make cucumber refuse to start; several none of which is preferential make cucumber throw
``AmbiguousParameterTypeError`` when a regex definition with a group of that regexp matches a step. An audit found
tracertm silent on both ("defined", 0 errors). Checked against cucumber-js's own dry run when it is installed
(``tests/steps/node``; ``TRACERTM_REQUIRE_NODE=1`` makes a missing install fail)."""

from __future__ import annotations

import os
import subprocess

import pytest

from conftest import GitRepo, run_cli
from test_cucumber_js_dry_run import CUCUMBER, NODE, _require_cucumber

JS = "features/step_definitions/s.js"
REQUIRE = "const { Given, defineParameterType } = require('@cucumber/cucumber');\n"


def _check(repo: GitRepo, step: str, code: str) -> subprocess.CompletedProcess[str]:
    repo.write(JS, REQUIRE + code)
    repo.write("features/a.feature", f"Feature: f\n  Scenario: s\n    Given {step}\n")
    repo.commit()
    return run_cli("check", str(repo.path))


def test_two_preferential_types_of_one_regexp_are_refused(git_repo: GitRepo) -> None:
    """cucumber-js: "There can only be one preferential parameter type per regexp. The regexp /[A-Z]{2}/ is used for
    two preferential parameter types, {code} and {code2}", and it does not start; the built-in {int} is preferential
    for -?\\d+ and \\d+."""
    result = _check(git_repo, "code AB here", (
        "defineParameterType({ name: 'code', regexp: /[A-Z]{2}/, preferForRegexpMatch: true });\n"
        "defineParameterType({ name: 'code2', regexp: /[A-Z]{2}/, preferForRegexpMatch: true });\n"
        "defineParameterType({ name: 'num', regexp: [/x/, /-?\\d+/], preferForRegexpMatch: true });\n"
        "defineParameterType({ name: 'code3', regexp: /[A-Z]{2}/, preferForRegexpMatch: false });\n"
        "Given('code {code} here', function (s) {});\n"))
    assert result.returncode == 1
    assert (f"{JS}:3:1: parameter type 'code2' is preferential for the regexp /[A-Z]{{2}}/, and so is 'code' at "
            f"{JS}:2: cucumber allows one preferential parameter type per regexp and refuses to start; drop "
            "preferForRegexpMatch: true from one") in result.stdout, result.stdout
    assert (f"{JS}:4:1: parameter type 'num' is preferential for the regexp /-?\\d+/, and so is the built-in {{int}}"
            in result.stdout), result.stdout
    assert "'code3'" not in result.stdout  # one preferential type and others on a regexp are fine
    assert len(result.stdout.splitlines()) == 2, result.stdout


def test_the_jvm_and_ruby_options_are_read(git_repo: GitRepo) -> None:
    """cucumber-jvm's ``@ParameterType(preferForRegexMatch = true)`` (Java and Kotlin) and Ruby's
    ``prefer_for_regexp_match: true`` go to the same registry rule."""
    git_repo.write("src/test/java/S.java", (
        "import io.cucumber.java.ParameterType;\nimport io.cucumber.java.en.Given;\n"
        "public class S {\n"
        "  @ParameterType(value = \"[a-z]+\", preferForRegexMatch = true)\n"
        "  public String lower(String s) { return s; }\n"
        "  @Given(\"lower {lower}\")\n  public void given(String s) {}\n}\n"))
    git_repo.write("src/test/kotlin/K.kt", (
        "import io.cucumber.java.ParameterType\n"
        "class K {\n"
        "  @ParameterType(value = \"[a-z]+\", preferForRegexMatch = true)\n"
        "  fun small(s: String): String = s\n}\n"))
    git_repo.write("features/step_definitions/s.rb", (
        "ParameterType(name: 'up', regexp: /[A-Z]+/, transformer: ->(s) { s }, prefer_for_regexp_match: true)\n"
        "ParameterType(name: 'upper', regexp: /[A-Z]+/, transformer: ->(s) { s }, prefer_for_regexp_match: true)\n"
        "Given('up {up}') { |s| }\n"))
    git_repo.write("features/a.feature", "Feature: f\n  Scenario: s\n    Given lower ab\n    Given up AB\n")
    git_repo.commit()
    result = run_cli("check", str(git_repo.path))
    assert result.returncode == 1, result.stdout
    assert ("src/test/kotlin/K.kt:3:1: parameter type 'small' is preferential for the regexp /[a-z]+/, and so is "
            "'lower' at src/test/java/S.java:4: cucumber allows one preferential parameter type per regexp and "
            "refuses to start; drop preferForRegexMatch = true from one") in result.stdout, result.stdout
    assert ("features/step_definitions/s.rb:2:1: parameter type 'upper' is preferential for the regexp /[A-Z]+/, "
            "and so is 'up' at features/step_definitions/s.rb:1") in result.stdout, result.stdout
    assert "prefer_for_regexp_match: true from one" in result.stdout


def test_a_regex_group_of_several_types_is_an_error_once_a_step_matches_it(git_repo: GitRepo) -> None:
    """The audit's case: cucumber-js's dry run stops with AmbiguousParameterTypeError ("matches multiple parameter
    types with regexp [A-Z]{2}: {code} {code2}"). A built-in type counts ({word}: [^\\s]+), and so does a group that
    takes no part in the match; a definition no step matches, a preferential type among them, or the group inside
    another capturing group is no error."""
    result = _check(git_repo, "code AB here", (
        "defineParameterType({ name: 'code', regexp: /[A-Z]{2}/ });\n"
        "defineParameterType({ name: 'code2', regexp: '[A-Z]{2}' });\n"
        "defineParameterType({ name: 'token', regexp: /[^\\s]+/ });\n"
        "Given(/^code ([A-Z]{2}) here$/, function (s) {});\n"
        "Given(/^never (?:([A-Z]{2})) matched$/, function (s) {});\n"
        "Given(/^(code) (?:x([A-Z]{2}))?(\\w)\\w here$/, function (s) {});\n"  # (its group takes no part: looked up)
        "Given(/^(code ([A-Z]{2})) here$/, function (s) {});\n"
        "Given(/^([^\\s]+) AB here$/, function (s) {});\n"))
    assert result.returncode == 1
    assert (f"{JS}:5:1: step definition '/^code ([A-Z]{{2}}) here$/' matches the step 'Given code AB here' "
            "(features/a.feature:3), and cucumber cannot tell which parameter type its group ([A-Z]{2}) is: "
            f"{{code}} ({JS}:2), {{code2}} ({JS}:3) all have that regexp, none preferential (cucumber stops: "
            "AmbiguousParameterTypeError) — make one preferForRegexpMatch: true, or write a Cucumber Expression"
            ) in result.stdout, result.stdout
    assert (f"{JS}:9:1: step definition '/^([^\\\\s]+) AB here$/' matches the step 'Given code AB here' "
            f"(features/a.feature:3), and cucumber cannot tell which parameter type its group ([^\\s]+) is: "
            f"{{token}} ({JS}:4), {{word}} all have that regexp") in result.stdout, result.stdout
    assert f"{JS}:6:1: warning: unused step definition" in result.stdout  # matches no step: never looked up
    assert f"{JS}:7:1: step definition '/^(code) (?:x([A-Z]{{2}}))?(\\\\w)\\\\w here$/' matches" in result.stdout
    assert f"{JS}:8:1: step definition" not in result.stdout  # a group inside a capturing group is not looked up
    errors = [line for line in result.stdout.splitlines() if ": warning: " not in line]
    assert len(errors) == 3, result.stdout  # (the step's ambiguity is a warning)

    preferred = "regexp: '[A-Z]{2}', preferForRegexpMatch: true"
    git_repo.write(JS, git_repo.read(JS).replace("regexp: '[A-Z]{2}'", preferred))
    git_repo.commit()
    assert f"{JS}:5:1: step definition" not in run_cli("check", str(git_repo.path)).stdout


def test_group_regexps_as_cucumber_scans_them() -> None:
    """cucumber-expressions' ``TreeRegexp``: the top-level capturing groups, those of non-capturing groups and
    lookarounds lifted up; a named group's text keeps its ``?<name>``; parentheses in a class are characters."""
    from tracertm.steps.parameter_types import group_regexps

    assert group_regexps(r"^a (\d+) (?:b|(c+))$") == [r"\d+", "c+"]
    assert group_regexps(r"(x(y))(?=(z))(?<n>w)(?<=v)(?<!u)") == ["x(y)", "z", "?<n>w"]
    assert group_regexps(r"[(]\((a[)\]]b)") == [r"a[)\]]b"]


# (step, step definitions after the require, whether cucumber-js's dry run fails, tracertm's error at that line)
DRY_RUNS = [
    ("code AB here", "defineParameterType({ name: 'code', regexp: /[A-Z]{2}/ });\n"
     "defineParameterType({ name: 'code2', regexp: /[A-Z]{2}/ });\n"
     "Given(/^code ([A-Z]{2}) here$/, function () {});\n",
     True, 4),
    ("nothing here", "defineParameterType({ name: 'code', regexp: /[A-Z]{2}/ });\n"
     "defineParameterType({ name: 'code2', regexp: /[A-Z]{2}/ });\n"
     "Given(/^code ([A-Z]{2}) here$/, function () {});\n",
     False, None),
    ("code AB here", "defineParameterType({ name: 'code', regexp: /[A-Z]{2}/, preferForRegexpMatch: true });\n"
     "defineParameterType({ name: 'code2', regexp: /[A-Z]{2}/, preferForRegexpMatch: true });\n"
     "Given('code {code} here', function () {});\n", True, 3),
    ("code AB here", "defineParameterType({ name: 'code', regexp: /[A-Z]{2}/, preferForRegexpMatch: true });\n"
     "defineParameterType({ name: 'code2', regexp: /[A-Z]{2}/ });\n"
     "Given(/^code ([A-Z]{2}) here$/, function () {});\n",
     False, None),
    ("code 1 here", "defineParameterType({ name: 'num', regexp: /-?\\d+/, preferForRegexpMatch: true });\n"
     "Given('code {num} here', function () {});\n", True, 2),
    ("code 1 here", "defineParameterType({ name: 'num', regexp: /\\d+/ });\n"
     "Given(/^code (\\d+) here$/, function () {});\n", False, None),
    ("code AB here", "defineParameterType({ name: 'token', regexp: /[^\\s]+/ });\n"
     "Given(/^code ([^\\s]+) here$/, function () {});\n", True, 3),
    ("code 1.5 here", "Given(/^code ((?=.*\\d.*)[-+]?\\d*(?:\\.(?=\\d.*))?\\d*(?:\\d+[E][+-]?\\d+)?) here$/, "
     "function () {});\n", True, 2),
    ("code AB here", "defineParameterType({ name: 'code', regexp: /[A-Z]{2}/ });\n"
     "defineParameterType({ name: 'code2', regexp: /[A-Z]{2}/ });\n"
     "Given(/^(code) (?:x([A-Z]{2}))?(\\w)\\w here$/, function () {});\n", True, 4),
    ("code xAB here", "defineParameterType({ name: 'code', regexp: /[A-Z]{2}/ });\n"
     "defineParameterType({ name: 'code2', regexp: /[A-Z]{2}/ });\n"
     "Given(/^code (x([A-Z]{2})) here$/, function () {});\n",
     False, None),
]


@pytest.mark.parametrize(("step", "code", "fails", "line"), DRY_RUNS, ids=[
    "two-types", "no-step-matches", "two-preferential", "one-preferential", "preferential-like-int",
    "int-is-preferred", "like-word", "built-in-floats", "group-taking-no-part", "group-in-a-group"])
def test_cucumber_js_dry_run_agrees(git_repo: GitRepo, step: str, code: str, fails: bool, line: int | None) -> None:
    _require_cucumber()
    result = _check(git_repo, step, code)
    (git_repo.path / "node_modules").symlink_to(NODE / "node_modules", target_is_directory=True)
    (git_repo.path / ".git" / "info" / "exclude").write_text("node_modules\n")
    proc = subprocess.run([str(CUCUMBER), "--dry-run"], cwd=git_repo.path, capture_output=True, text=True,
                          timeout=180, env={**os.environ, "FORCE_COLOR": "0"})
    assert (proc.returncode != 0) == fails, proc.stdout + proc.stderr
    assert (result.returncode == 1) == fails, result.stdout
    if line is not None:
        assert f"{JS}:{line}:1: " in result.stdout.replace(": warning:", ""), result.stdout
