"""``.``, ``\\s`` and ``\\S`` as each framework's language reads them, in regexes and in the Cucumber Expression
built-ins written with them (``{}`` is ``.*``, ``{word}`` is ``[^\\s]+``): JavaScript's ``.`` stops at U+2028, its
``\\s`` takes the BOM and not \\x1c-\\x1f; Java's ``.`` stops at NEL, its ``\\s`` is ASCII; .NET's ``\\s`` has no
\\x1c-\\x1f. Steps holding such characters were defined (or undefined) for tracertm and not for the framework. The
JavaScript verdicts are cucumber-js's own when it is installed (``test_cucumber_js_dry_run``)."""

from __future__ import annotations

from conftest import GitRepo
from test_cucumber_js_dry_run import NODE, _cucumber, _require_cucumber, _verdicts
from tracertm.steps.project import analyze

# (step text, whether cucumber-js runs a definition for it)
JS_STEPS = [
    ("say x\u2028y", False), ("say x\x85y", True),  # {}: JavaScript's . stops at U+2028, not at NEL
    ("word a\ufeffb", False), ("word a\x1fb", True),  # {word}: the BOM is JavaScript white space, \x1f is not
    ("gap x\x1cy", False), ("gap x\ufeffy", True),
    ("dot a\u2029b", False), ("dotall a\u2029b", True),  # the s flag
    ("not space a\ufeffb", False), ("not space a\x1cb", True),
]
JS_DEFINITIONS = """const { Given } = require('@cucumber/cucumber');
Given('say {}', function (s) {});
Given('word {word}', function (w) {});
Given(/^gap x\\sy$/, function () {});
Given(/^dot a.b$/, function () {});
Given(/^dotall a.b$/s, function () {});
Given(/^not space a[\\S]b$/, function () {});
"""


def _feature(steps: list[str]) -> str:
    return "Feature: f\n" + "".join(f"  Scenario: s{i}\n    Given {text}\n" for i, text in enumerate(steps))


def _undefined(repo: GitRepo) -> set[str]:
    report = analyze(repo.path)
    assert not report.errors and not report.warnings, (report.errors, report.warnings)
    return {r.use.text for r in report.undefined()}


def _javascript_project(repo: GitRepo) -> None:
    repo.write("features/a.feature", _feature([text for text, _ in JS_STEPS]))
    repo.write("features/step_definitions/steps.js", JS_DEFINITIONS)
    repo.commit("steps")


def test_javascript_steps_are_defined_as_javascript_reads_them(git_repo: GitRepo) -> None:
    _javascript_project(git_repo)
    assert _undefined(git_repo) == {text for text, defined in JS_STEPS if not defined}


def test_cucumber_js_agrees(git_repo: GitRepo) -> None:
    _require_cucumber()
    _javascript_project(git_repo)
    (git_repo.path / "node_modules").symlink_to(NODE / "node_modules", target_is_directory=True)
    (git_repo.path / ".git" / "info" / "exclude").write_text("node_modules\nreport/\n")
    _, messages = _cucumber(git_repo.path)
    assert {text for _, _, text in _verdicts(messages)["undefined"]} == _undefined(git_repo)


def test_java_steps_are_defined_as_java_reads_them(git_repo: GitRepo) -> None:
    """cucumber-jvm: ``.`` (and ``{}``) stops at NEL and U+2028, not at U+00A0; ``{word}`` takes U+3000 (``\\s`` is
    ASCII)."""
    steps = {"say x\x85y": False, "say x\xa0y": True, "dot a\u2028b": False, "dotall a\u2028b": True,
             "word a\u3000b": True, "word a\x0bb": False}
    git_repo.write("features/a.feature", _feature(list(steps)))
    git_repo.write("src/test/java/Steps.java", (
        "import io.cucumber.java.en.*;\npublic class Steps {\n"
        '  @Given("say {}") public void say(String s) {}\n'
        '  @Given("^dot a.b$") public void dot() {}\n'
        '  @Given("^dotall (?s)a.b$") public void dotall() {}\n'
        '  @Given("word {word}") public void word(String w) {}\n}\n'))
    git_repo.commit("steps")
    assert _undefined(git_repo) == {text for text, defined in steps.items() if not defined}


def test_reqnroll_steps_are_defined_as_dotnet_reads_them(git_repo: GitRepo) -> None:
    """Reqnroll: .NET's ``\\s`` takes NEL and U+3000 but not \\x1c-\\x1f, in a regex and in ``{word}``."""
    steps = {"gap x\x1fy": False, "gap x\x85y": True, "word a\x1cb": True, "word a\u3000b": False}
    git_repo.write("features/a.feature", _feature(list(steps)))
    git_repo.write("StepDefinitions/Steps.cs", (
        "using Reqnroll;\n[Binding]\npublic class Steps {\n"
        '    [Given(@"^gap x\\sy$")] public void Gap() { }\n'
        '    [Given("word {word}")] public void Word(string w) { }\n}\n'))
    git_repo.commit("steps")
    assert _undefined(git_repo) == {text for text, defined in steps.items() if not defined}
