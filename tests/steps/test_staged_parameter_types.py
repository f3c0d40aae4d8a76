"""``check --staged`` (the pre-commit hook) reports the definition errors a commit causes in step files it leaves
alone when it adds, removes or changes a parameter type: a definition using a type the commit removes (cucumber-jvm,
cucumber-js and cucumber-ruby refuse to start), a type whose new regex cannot be used, a new rival declaration that
outranks an unchanged one. Errors those files had before the commit are not reported again, and a commit that
changes no parameter type does no comparison at all."""

from __future__ import annotations

import pytest

from conftest import GitRepo, run_cli
from tracertm.steps import checks

FEATURE = "Feature: p\n  Scenario: s\n    Given the colour is red\n"

KOTLIN_TYPES = ('import io.cucumber.java.ParameterType\nclass Types {\n    @ParameterType("{regex}")\n'
                "    fun colour(s: String): String = s\n}\n")
KOTLIN_STEPS = ('import io.cucumber.java.en.Given\nclass Steps {\n    @Given("the colour is {colour}")\n'
                "    fun c(s: String) {}\n}\n")
JAVA_TYPES = ('package steps;\nimport io.cucumber.java.ParameterType;\npublic class Types {\n'
              '    @ParameterType("red|blue")\n    public String colour(String s) { return s; }\n}\n')
JAVA_STEPS = ('package steps;\nimport io.cucumber.java.en.Given;\npublic class Steps {\n'
              '    @Given("the colour is {colour}")\n    public void c(String s) {}\n}\n')
JS_TYPES = ("const { defineParameterType } = require('@cucumber/cucumber');\n"
            "defineParameterType({ name: 'colour', regexp: REGEXP });\n")
JS_STEPS = ("const { Given } = require('@cucumber/cucumber');\n"
            "Given('the colour is {colour}', function (c) {});\n")
JS_DIR = "features/step_definitions"  # cucumber-js's and cucumber-ruby's


def _js_types(regexp: str) -> str:
    return JS_TYPES.replace("REGEXP", regexp)


def _kotlin_types(regex: str) -> str:
    return KOTLIN_TYPES.replace("{regex}", regex)


def _committed(repo: GitRepo, files: dict[str, str]) -> None:
    """The feature and ``files`` committed, which ``check`` accepts."""
    repo.write("features/a.feature", FEATURE)
    for path, text in files.items():
        repo.write(path, text)
    repo.commit("steps")
    full = run_cli("check", str(repo.path))
    assert full.returncode == 0, full.stdout + full.stderr


def _staged(repo: GitRepo) -> tuple[int, str]:
    """``check --staged`` of what ``git add -A`` stages: its exit code and its findings."""
    repo.git("add", "-A")
    result = run_cli("check", str(repo.path), "--staged")
    return result.returncode, result.stdout + result.stderr


def _undeclared(path: str, line: int, column: int, where: str) -> str:
    return (f"{path}:{line}:{column}: step definition 'the colour is {{colour}}' uses the parameter type "
            f"{{colour}}, which no {where} in the step files declares")


def test_kotlin_commit_removing_a_used_parameter_type_fails(git_repo: GitRepo) -> None:
    """The audit's case: Types.kt loses its ``@ParameterType``; Steps.kt, unchanged, still uses {colour}."""
    _committed(git_repo, {"src/test/kotlin/Types.kt": _kotlin_types("red|blue"),
                          "src/test/kotlin/Steps.kt": KOTLIN_STEPS})
    git_repo.write("src/test/kotlin/Types.kt", "class Types { fun colour(s: String): String = s }\n")
    code, out = _staged(git_repo)
    assert code == 1, out
    assert _undeclared("src/test/kotlin/Steps.kt", 3, 5, "@ParameterType") in out
    assert run_cli("check", str(git_repo.path)).returncode == 1  # the same verdict as the whole tree's


def test_java_commit_deleting_the_file_declaring_a_used_type_fails(git_repo: GitRepo) -> None:
    _committed(git_repo, {"src/test/java/steps/Types.java": JAVA_TYPES,
                          "src/test/java/steps/Steps.java": JAVA_STEPS})
    git_repo.remove("src/test/java/steps/Types.java")
    code, out = _staged(git_repo)
    assert code == 1, out
    assert _undeclared("src/test/java/steps/Steps.java", 4, 5, "@ParameterType") in out


@pytest.mark.parametrize("removal", ["emptied", "deleted"])
def test_javascript_commit_removing_define_parameter_type_in_another_file_fails(
    git_repo: GitRepo, removal: str
) -> None:
    _committed(git_repo, {f"{JS_DIR}/types.js": _js_types("/red|blue/"), f"{JS_DIR}/steps.js": JS_STEPS})
    if removal == "deleted":
        git_repo.remove(f"{JS_DIR}/types.js")
    else:
        git_repo.write(f"{JS_DIR}/types.js", "// the colours are gone\n")
    code, out = _staged(git_repo)
    assert code == 1, out
    assert _undeclared(f"{JS_DIR}/steps.js", 2, 1, "defineParameterType") in out


def test_ruby_commit_removing_a_used_parameter_type_fails(git_repo: GitRepo) -> None:
    types = "ParameterType(\n  name: 'colour',\n  regexp: /red|blue/,\n  transformer: ->(s) { s }\n)\n"
    _committed(git_repo, {f"{JS_DIR}/types.rb": types,
                          f"{JS_DIR}/steps.rb": "Given('the colour is {colour}') do |c|\nend\n"})
    git_repo.write(f"{JS_DIR}/types.rb", "# the colours are gone\n")
    code, out = _staged(git_repo)
    assert code == 1, out
    assert _undeclared(f"{JS_DIR}/steps.rb", 1, 1, "ParameterType") in out


def test_javascript_type_changed_to_a_regex_cucumber_refuses_fails_at_its_users(git_repo: GitRepo) -> None:
    """A changed type (a flag cucumber-js refuses): the declaration's own error was reported before the fix (its
    file is the commit's); the definition using it, in an unchanged file, is now too."""
    _committed(git_repo, {f"{JS_DIR}/types.js": _js_types("/red|blue/"), f"{JS_DIR}/steps.js": JS_STEPS})
    git_repo.write(f"{JS_DIR}/types.js", _js_types("/red|blue/g"))
    code, out = _staged(git_repo)
    assert code == 1, out
    assert (f"{JS_DIR}/steps.js:2:1: step definition 'the colour is {{colour}}' uses the parameter type {{colour}}, "
            f"which cannot be used: see {JS_DIR}/types.js:2") in out
    assert f"{JS_DIR}/types.js:2:1: parameter type 'colour' cannot be used" in out


def test_javascript_type_changed_to_a_regex_that_does_not_compile_fails_at_its_users(git_repo: GitRepo) -> None:
    _committed(git_repo, {f"{JS_DIR}/types.js": _js_types("/red|blue/"), f"{JS_DIR}/steps.js": JS_STEPS})
    git_repo.write(f"{JS_DIR}/types.js", _js_types("'red|(blue'"))
    code, out = _staged(git_repo)
    assert code == 1, out
    assert (f"{JS_DIR}/steps.js:2:1: step definition 'the colour is {{colour}}' is not a valid Cucumber Expression: "
            "the regex of one of its parameter types does not compile") in out


def test_kotlin_type_changed_to_a_regex_that_does_not_compile_fails_at_its_users(git_repo: GitRepo) -> None:
    _committed(git_repo, {"src/test/kotlin/Types.kt": _kotlin_types("red|blue"),
                          "src/test/kotlin/Steps.kt": KOTLIN_STEPS})
    git_repo.write("src/test/kotlin/Types.kt", _kotlin_types("red|(blue"))
    code, out = _staged(git_repo)
    assert code == 1, out
    assert ("src/test/kotlin/Steps.kt:3:5: step definition 'the colour is {colour}' is not a valid Cucumber "
            "Expression") in out


def test_a_new_rival_declaration_reports_the_unchanged_one_it_outranks(git_repo: GitRepo) -> None:
    """A new file that sorts first declares {colour} otherwise: the finding lands on the unchanged declaration."""
    _committed(git_repo, {f"{JS_DIR}/types.js": _js_types("/red|blue/"), f"{JS_DIR}/steps.js": JS_STEPS})
    git_repo.write(f"{JS_DIR}/a_types.js", _js_types("/green/"))
    code, out = _staged(git_repo)
    assert code == 1, out
    assert (f"{JS_DIR}/types.js:2:1: parameter type 'colour' is already declared at {JS_DIR}/a_types.js:2; "
            "rename one") in out


def test_errors_the_unchanged_files_had_before_are_not_reported_again(git_repo: GitRepo) -> None:
    """The commit moves a type cucumber-js already refused (its message names the new line): the definition using
    it was broken before the commit, which did not cause it; only the changed file's own error is reported."""
    git_repo.write("features/a.feature", FEATURE)
    git_repo.write(f"{JS_DIR}/types.js", _js_types("/red|blue/g"))
    git_repo.write(f"{JS_DIR}/steps.js", JS_STEPS)
    git_repo.commit("already broken")
    git_repo.write(f"{JS_DIR}/types.js", "\n\n" + _js_types("/red|blue/g") + _js_types("/red|blue/g").replace(
        "'colour'", "'shade'"))
    code, out = _staged(git_repo)
    assert code == 1, out  # the changed file's own refused types
    assert f"{JS_DIR}/types.js:4:1: parameter type 'colour' cannot be used" in out
    assert f"{JS_DIR}/steps.js" not in out


def test_a_commit_changing_no_parameter_type_compares_nothing(
    git_repo: GitRepo, monkeypatch: pytest.MonkeyPatch
) -> None:
    """The common commit (a step file changed, every type as it was) does not look for caused definition errors:
    the unchanged step file's undeclared type, committed earlier, is not reported (as before)."""
    git_repo.write("features/a.feature", FEATURE + "    And nothing else\n")
    git_repo.write(f"{JS_DIR}/steps.js", JS_STEPS)
    git_repo.write(f"{JS_DIR}/types.js", _js_types("/red|blue/"))
    git_repo.write(f"{JS_DIR}/other.js", "const { Given } = require('@cucumber/cucumber');\n"
                   "Given('nothing else', function () {});\n")
    git_repo.commit("steps")
    git_repo.write(f"{JS_DIR}/broken.js", "const { Given } = require('@cucumber/cucumber');\n"
                   "Given('the shade is {shade}', function () {});\n")
    git_repo.commit("broken")

    def refuse(*args: object) -> object:
        raise AssertionError("compared although no parameter type changed")

    monkeypatch.setattr(checks, "_caused_findings", refuse)
    # The types file is edited (a comment, lines moved: no declaration changes), the other steps file too.
    git_repo.write(f"{JS_DIR}/types.js", "// colours\n" + _js_types("/red|blue/"))
    git_repo.write(f"{JS_DIR}/other.js", "const { Given } = require('@cucumber/cucumber');\n"
                   "Given('nothing else', () => {});\n")
    code, out = _staged(git_repo)
    assert (code, out.splitlines()[-1]) == (0, "5 files checked, 2 parsed: 0 errors, 0 warnings"), out
