"""``tracertm steps`` (text, json, filters, exit codes, --ref, --staged) and the step rules of ``tracertm check``
(every output format, --strict, step_checks, the --staged hook mode and its light imports), on real git repos."""

from __future__ import annotations

import json
import os
import subprocess
import sys

import pytest

from conftest import GitRepo
from tracertm.checker import check
from tracertm.cli import main

FEATURE = """\
Feature: Basket
  Scenario: add
    Given an empty basket
    When I add 2 "apples"
    Then the basket holds 2 items
    And the basket is saved

  Scenario Outline: rows
    When I add <n> "pears"
    Then the basket holds <n> items

    Examples:
      | n   |
      | 1   |
      | two |
"""
STEPS_JS = """\
const { Given, When, Then } = require('@cucumber/cucumber');

Given('an empty basket', function () {});
When('I add {int} {string}', function (n, what) {});
Then(/^the basket holds (\\d+) items?$/, function (n) {});
Then('the basket is emptied', function () {});
Then('the basket is saved', function () {});
Then(/the basket is (saved|kept)/, function (how) {});
"""


def _project(repo: GitRepo) -> None:
    repo.write("features/basket.feature", FEATURE)
    repo.write("features/step_definitions/basket.js", STEPS_JS)
    repo.commit("basket")


def _cli(capsys: pytest.CaptureFixture[str], *argv: str) -> tuple[int, str, str]:
    code = main(list(argv))
    out, err = capsys.readouterr()
    return code, out, err


def test_steps_text_report(git_repo: GitRepo, capsys: pytest.CaptureFixture[str]) -> None:
    _project(git_repo)
    code, out, err = _cli(capsys, "steps", str(git_repo.path))
    assert code == 0
    assert out.splitlines()[:4] == [
        "Given('an empty basket')  # features/step_definitions/basket.js:3  (1 uses)",
        "  Given an empty basket  # features/basket.feature:3",
        "",
        "When('I add {int} {string}')  # features/step_definitions/basket.js:4  (2 uses)",
    ]
    assert "  When I add <n> \"pears\"" not in out and '  When I add 1 "pears"  # features/basket.feature:9' \
        ' (Examples row line 14)' in out
    assert "UNUSED STEP DEFINITIONS[1]:\n  Then('the basket is emptied')  # features/step_definitions/basket.js:6" in out
    assert "UNDEFINED STEPS[2]:" in out and 'When I add two "pears"  # features/basket.feature:9 (Examples row line 15)' in out
    assert "AMBIGUOUS STEPS[1]:\n  And the basket is saved  # features/basket.feature:6\n" in out
    assert "    matches Then(/the basket is (saved|kept)/)  # features/step_definitions/basket.js:8" in out
    assert "Then(/^the basket holds (\\d+) items?$/)  # features/step_definitions/basket.js:5  (2 uses)" in out
    assert "6 step definitions in 1 files, 8 steps in 1 features: 2 undefined, 1 ambiguous, 1 unused" in err


def test_steps_filters_json_and_exit_codes(git_repo: GitRepo, capsys: pytest.CaptureFixture[str]) -> None:
    _project(git_repo)
    code, out, _ = _cli(capsys, "steps", str(git_repo.path), "--undefined", "--format", "json")
    data = json.loads(out)
    assert code == 1 and set(data) == {"step_files", "feature_files", "steps", "errors", "warnings", "undefined"}
    assert [(u["text"], u["line"], u["row_line"]) for u in data["undefined"]] == [
        ("I add two \"pears\"", 9, 15), ("the basket holds two items", 10, 15)]
    code, out, _ = _cli(capsys, "steps", str(git_repo.path), "--unused", "--format", "json")
    [unused] = json.loads(out)["definitions"]
    assert code == 1 and (unused["pattern"], unused["line"], unused["usage_count"]) == ("the basket is emptied", 6, 0)
    code, out, _ = _cli(capsys, "steps", str(git_repo.path), "--format", "json")
    data = json.loads(out)
    by_line = {d["line"]: d for d in data["definitions"]}
    assert code == 0 and by_line[4]["usage_count"] == 2 and by_line[5]["usage_count"] == 2
    assert [m["arguments"] for m in by_line[4]["matches"]] == [["2", "apples"], ["1", "pears"]]
    [ambiguous] = data["ambiguous"]
    assert [m["location"] for m in ambiguous["matches"]] == [
        "features/step_definitions/basket.js:7", "features/step_definitions/basket.js:8"]
    assert [m["arguments"] for m in ambiguous["matches"]] == [[], [{"value": "saved", "start": 14, "end": 19}]]
    code, _, _ = _cli(capsys, "steps", str(git_repo.path), "--ambiguous")
    assert code == 1


def test_steps_lists_every_examples_row_even_where_two_fill_the_same_text(
    git_repo: GitRepo, capsys: pytest.CaptureFixture[str]
) -> None:
    # The rows on lines 10 and 12 give the step the same text: each is a use (as cucumber-js's usage formatter and
    # show STEP-n list them), so the list agrees with the count; the Background step is listed once (naming no row:
    # it runs in every one), counted per scenario.
    git_repo.write("features/f.feature", "Feature: f\n  Background:\n    Given the home page\n\n"
                   "  Scenario Outline: o\n    Given the <page> page\n\n    Examples:\n      | page |\n"
                   "      | home |\n      | about |\n      | home |\n")
    git_repo.write("features/step_definitions/s.js", "const { Given } = require('@cucumber/cucumber')\n"
                   "Given('the {word} page', function (w) {})\n")
    git_repo.commit("pages")
    code, out, _ = _cli(capsys, "steps", str(git_repo.path))
    assert code == 0 and out.splitlines()[:5] == [
        "Given('the {word} page')  # features/step_definitions/s.js:2  (6 uses)",
        "  Given the home page  # features/f.feature:3",
        "  Given the home page  # features/f.feature:6 (Examples row line 10)",
        "  Given the about page  # features/f.feature:6 (Examples row line 11)",
        "  Given the home page  # features/f.feature:6 (Examples row line 12)",
    ], out
    code, out, _ = _cli(capsys, "steps", str(git_repo.path), "--format", "json")
    [definition] = json.loads(out)["definitions"]
    assert definition["usage_count"] == 6
    assert [(m["line"], m["row_line"], m["arguments"]) for m in definition["matches"]] == [
        (3, None, ["home"]), (6, 10, ["home"]), (6, 11, ["about"]), (6, 12, ["home"])]


def test_steps_from_a_ref_and_from_the_index(git_repo: GitRepo, capsys: pytest.CaptureFixture[str]) -> None:
    _project(git_repo)
    git_repo.write("features/step_definitions/basket.js", STEPS_JS + "Then('the basket holds two items', () => {});\n")
    git_repo.git("add", "-A")
    git_repo.write("features/step_definitions/basket.js", "Given('nothing else', () => {});\n")
    counts = {}
    for source in ((), ("--ref", "HEAD"), ("--staged",)):
        code, out, _ = _cli(capsys, "steps", str(git_repo.path), *source, "--format", "json")
        data = json.loads(out)
        counts[source[:1]] = (len(data["definitions"]), len(data["undefined"]))
    assert counts == {(): (1, 8), ("--ref",): (6, 2), ("--staged",): (7, 1)}


def test_steps_error_lines_and_usage_errors(git_repo: GitRepo, capsys: pytest.CaptureFixture[str]) -> None:
    _project(git_repo)
    git_repo.write("features/step_definitions/broken.js", "Given(somePattern, () => {});\n")
    code, _, err = _cli(capsys, "steps", str(git_repo.path))
    assert code == 1
    assert "features/step_definitions/broken.js:1:7: the pattern is not" in err or \
        "features/step_definitions/broken.js:1:7: step definition Given(somePattern) cannot be read" in err
    assert "Traceback" not in err
    code, _, err = _cli(capsys, "steps", str(git_repo.path), "--ref", "nope")
    assert code == 2 and len(err.strip().splitlines()) == 1


def test_step_symlink_out_of_the_tree_is_an_error_not_followed(git_repo: GitRepo, tmp_path, capsys) -> None:  # type: ignore[no-untyped-def]
    _project(git_repo)
    outside = tmp_path / "outside.js"
    outside.write_text("Given('a secret step', () => {});\n")
    os.symlink(outside, git_repo.path / "features/step_definitions/link.js")
    code, out, err = _cli(capsys, "steps", str(git_repo.path), "--format", "json")
    data = json.loads(out)
    assert code == 1 and "secret" not in out
    assert any(e["path"] == "features/step_definitions/link.js" and "outside" in e["message"] for e in data["errors"])


# ------------------------------------------------------------------------------------------------------ check


def test_check_reports_step_findings_as_warnings_in_every_format(
    git_repo: GitRepo, capsys: pytest.CaptureFixture[str]
) -> None:
    _project(git_repo)
    result = check(git_repo.path)
    assert result.ok and not result.errors
    got = [(w.path, w.line, w.column, w.message.split(":")[0]) for w in result.warnings]
    assert got == [
        ("features/basket.feature", 6, 5, "ambiguous step 'And the basket is saved'"),
        ("features/basket.feature", 9, 5, "undefined step 'When I add two \"pears\"' (Examples row on line 15)"),
        ("features/basket.feature", 10, 5, "undefined step 'Then the basket holds two items' (Examples row on line 15)"),
        ("features/step_definitions/basket.js", 6, 1, "unused step definition Then('the basket is emptied')"),
    ]
    assert not check(git_repo.path, strict=True).ok
    code, out, _ = _cli(capsys, "check", str(git_repo.path), "--format", "github")
    assert code == 0
    assert "::warning file=features/basket.feature,line=9,col=5::undefined step 'When I add two \"pears\"'" in out
    assert "::warning file=features/step_definitions/basket.js,line=6,col=1::unused step definition" in out
    code, out, _ = _cli(capsys, "check", str(git_repo.path), "--format", "json", "--strict")
    shown = json.loads(out)  # --strict: the warnings are errors, and every format says so
    assert code == 1 and not shown["warnings"] and len(shown["errors"]) == 4
    assert {e["severity"] for e in shown["errors"]} == {"error"}
    code, out, _ = _cli(capsys, "check", str(git_repo.path), "--format", "github", "--strict")
    assert code == 1 and "::warning" not in out and out.count("::error file=") == 4
    code, out, err = _cli(capsys, "check", str(git_repo.path), "--strict")
    assert code == 1 and "warning:" not in out and "4 errors, 0 warnings" in err


def test_check_reports_a_background_step_at_its_column(git_repo: GitRepo, capsys: pytest.CaptureFixture[str]) -> None:
    # A Background step (the feature's, a Rule's) is not in its scenario's text: its column was 1, not its keyword's.
    git_repo.write("features/f.feature", "Feature: f\n  Background:\n    Given a background step\n    And it is saved"
                   "\n\n  Scenario: s\n    Given a scenario step\n\n  Rule: r\n    Background:\n"
                   "        Given a rule step\n\n    Scenario: t\n      Given a scenario step\n")
    git_repo.write("features/step_definitions/s.js", "const { Given } = require('@cucumber/cucumber')\n"
                   "Given('it is saved', function () {})\nGiven(/it is (saved|kept)/, function (how) {})\n")
    git_repo.commit("backgrounds")
    got = [(w.line, w.column, w.message.split(" '")[0]) for w in check(git_repo.path).warnings]
    assert got == [(3, 5, "undefined step"), (4, 5, "ambiguous step"), (7, 5, "undefined step"),
                   (11, 9, "undefined step"), (14, 7, "undefined step")]
    code, out, _ = _cli(capsys, "check", str(git_repo.path), "--format", "github")
    assert code == 0 and "::warning file=features/f.feature,line=3,col=5::undefined step 'Given a background" in out
    git_repo.write("features/f.feature", git_repo.path.joinpath("features/f.feature").read_text() + "\n")
    git_repo.git("add", "-A")
    staged = [(w.line, w.column) for w in check(git_repo.path, staged=True).warnings]
    assert staged == [(3, 5), (4, 5), (7, 5), (11, 9), (14, 7)]


def test_step_checks_configuration(git_repo: GitRepo, capsys: pytest.CaptureFixture[str]) -> None:
    _project(git_repo)
    git_repo.write(".tracertm.toml", '[step_checks]\nundefined = "error"\nunused = "off"\n')
    result = check(git_repo.path)
    assert [e.message.split(" ")[0] for e in result.errors] == ["undefined", "undefined"]
    assert [w.message.split(" ")[0] for w in result.warnings] == ["ambiguous"]
    git_repo.write(".tracertm.toml", '[step_checks]\nundefind = "error"\n')
    code, _, err = _cli(capsys, "check", str(git_repo.path))
    assert code == 2 and "step_checks.undefind" in err


def test_repository_without_step_definitions_gets_no_step_findings(git_repo: GitRepo) -> None:
    git_repo.write("features/basket.feature", FEATURE)
    git_repo.write("tests/test_plain.py", "def test_x():\n    assert True\n")  # in step_paths, defines nothing
    git_repo.commit("no steps")
    result = check(git_repo.path, strict=True)
    assert result.ok and not result.warnings


def test_check_staged_reports_only_what_the_commit_touches(git_repo: GitRepo) -> None:
    _project(git_repo)
    git_repo.write("features/other.feature", "Feature: Other\n  Scenario: o\n    Given an empty basket\n"
                                             "    Then nobody defined this\n")
    git_repo.git("add", "-A")
    staged = check(git_repo.path, staged=True)
    # Only the changed feature's steps are reported; the committed basket findings are not repeated.
    assert [(w.path, w.line) for w in staged.warnings] == [("features/other.feature", 4)]
    git_repo.commit("other")
    git_repo.write("features/step_definitions/more.js", "Then('an unused one', () => {});\n"
                                                         "Then('nobody defined this', () => {});\n")
    git_repo.git("add", "-A")
    staged = check(git_repo.path, staged=True)
    assert [(w.path, w.line, w.message.split(" ")[0]) for w in staged.warnings] == [
        ("features/step_definitions/more.js", 1, "unused")]
    git_repo.commit("more")
    git_repo.write("docs/adr/0001-x.md", "# 1. X\n\n## Status\n\nAccepted\n")
    git_repo.git("add", "-A")
    assert check(git_repo.path, staged=True).warnings == []


def test_check_staged_imports_no_step_machinery_when_no_step_or_feature_changes(git_repo: GitRepo) -> None:
    _project(git_repo)
    git_repo.write("docs/adr/0001-x.md", "# 1. X\n\n## Status\n\nAccepted\n")
    git_repo.git("add", "-A")
    probe = (
        "import sys\nfrom tracertm.cli import main\n"
        "code = main(['check', '--staged'])\n"
        "heavy = sorted(m for m in sys.modules if m.split('.')[0] in ('tree_sitter', 'cucumber_expressions', 'parse')"
        " or m in ('tracertm.steps.report', 'tracertm.steps.matching'))\n"
        "print(code, heavy)\n"
    )
    out = subprocess.run([sys.executable, "-c", probe], cwd=git_repo.path, capture_output=True, text=True, check=True)
    assert out.stdout.strip() == "0 []", out.stdout + out.stderr


def test_public_api_step_report(git_repo: GitRepo) -> None:
    _project(git_repo)
    code = (
        "import tracertm.steps, inspect, tracertm\n"
        "assert inspect.isfunction(tracertm.step_report)\n"
        f"r = tracertm.step_report({str(git_repo.path)!r})\n"
        "print(len(r.definitions), len(r.undefined()), len(r.unused()), len(r.ambiguous()))\n"
    )
    out = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True, check=True).stdout.split()
    assert out == ["6", "2", "1", "1"]


def test_check_staged_reports_steps_a_removed_or_changed_definition_leaves_undefined(git_repo: GitRepo) -> None:
    _project(git_repo)
    git_repo.write("features/step_definitions/extra.js", "Then('the basket holds two items', () => {});\n")
    git_repo.commit("extra")
    assert not [w for w in check(git_repo.path).warnings if "holds two items" in w.message]
    git_repo.remove("features/step_definitions/extra.js")
    git_repo.git("add", "-A")
    staged = check(git_repo.path, staged=True)
    # The feature did not change, but the commit leaves its step without a definition.
    assert [(w.path, w.line, w.message.split(":")[0]) for w in staged.warnings] == [
        ("features/basket.feature", 10, "undefined step 'Then the basket holds two items' (Examples row on line 15)")]
    git_repo.git("reset", "-q", "--hard")
    git_repo.write("features/step_definitions/extra.js", "Then('the basket holds two items', () => {});\n"
                                                         "Then(/^an empty basket$/, () => {});\n")
    git_repo.git("add", "-A")
    staged = check(git_repo.path, staged=True)
    assert [(w.path, w.line, w.message.split(" ")[0]) for w in staged.warnings] == [
        ("features/basket.feature", 3, "ambiguous")]


def test_check_staged_reports_an_ambiguity_a_new_step_file_brings(git_repo: GitRepo) -> None:
    """A staged new step file whose definition overlaps a committed one makes steps of unchanged features
    ambiguous: the hook reports them, as for a changed step file (a new file has no HEAD version to compare)."""
    _project(git_repo)
    git_repo.write("features/step_definitions/new.js", "Given(/^an empty basket$/, () => {});\n")
    git_repo.git("add", "-A")
    staged = check(git_repo.path, staged=True)
    assert [(w.path, w.line, w.message.split(" ")[0]) for w in staged.warnings] == [
        ("features/basket.feature", 3, "ambiguous")]


def test_check_of_a_sub_folder_project_names_every_file_of_a_finding_from_the_current_folder(
        git_repo: GitRepo, capsys: pytest.CaptureFixture[str], monkeypatch: pytest.MonkeyPatch) -> None:
    """``check svc`` at the top names the finding's file ``svc/features/…``, and so the definitions its message
    names (they were named from ``svc/``: two roots in one line); from ``svc/`` itself, both from there."""
    git_repo.write("svc/.tracertm.toml", "")
    git_repo.write("svc/features/a.feature", "Feature: F\n  Scenario: s\n    Given a step\n")
    git_repo.write("svc/features/step_definitions/s.js", "const { Given } = require('@cucumber/cucumber');\n"
                   "Given('a step', function () {});\nGiven(/^a (.*)$/, function (x) {});\n")
    git_repo.write("svc/features/b.feature", "@FEAT-1\nFeature: B\n")
    git_repo.write("svc/features/c.feature", "@FEAT-1\nFeature: C\n")
    git_repo.commit("a sub-folder project")
    ambiguous = ("features/a.feature:3:5: warning: ambiguous step 'Given a step': matched by "
                 "{0}features/step_definitions/s.js:2 Given('a step'), {0}features/step_definitions/s.js:3 "
                 "Given(/^a (.*)$/); make one pattern narrower")
    duplicate = "features/c.feature:2:1: feature FEAT-1 is already defined in {0}features/b.feature; give"
    for cwd, project, prefix in ((".", "svc", "svc/"), ("svc", ".", "")):
        monkeypatch.chdir(git_repo.path / cwd)
        assert main(["check", project]) == 1
        out = capsys.readouterr().out.splitlines()
        assert prefix + ambiguous.format(prefix) in out, out
        assert any(line.startswith(prefix + duplicate.format(prefix)) for line in out), out
    monkeypatch.chdir(git_repo.path)
    assert main(["check", "svc", "--format", "github"]) == 1
    annotations = capsys.readouterr().out
    assert "matched by svc/features/step_definitions/s.js:2 Given('a step')" in annotations, annotations
    assert main(["check", "svc", "--format", "json"]) == 1  # (JSON names every file from the project, as before)
    assert "matched by features/step_definitions/s.js:2" in capsys.readouterr().out
