"""Step regexes with huge repetition counts or groups nested thousands deep: ``re``'s parser raised OverflowError
(``a{4294967296}``) or RecursionError out of ``check``, ``steps`` and ``sync``, and the ``regex`` package (the
bounded matcher) wrote every required copy of a repeat out — ``(?:(?:a{1000}){1000}){1000}`` ran out of memory,
``a{2147483648}`` got the process killed. Now: a count the framework's own engine refuses is an error at the
definition (Python's re past 4294967294, java.util.regex and .NET past an int, RE2 past 1000, Onigmo past 100000),
and a legal pattern that expands past ``bounded.LARGEST`` items is refused before compiling (tracertm's limit: a
warning), the same way on every path. No test here compiles anything large: the refusals come first."""

from __future__ import annotations

from typing import Any

import pytest

from conftest import GitRepo
from tracertm import db
from tracertm.checker import check
from tracertm.cli import main
from tracertm.engine.sync import sync
from tracertm.steps import bounded
from tracertm.steps.expressions import DefinitionError, Registries, compile_definition, pattern_errors
from tracertm.steps.model import ParameterTypeDecl, StepDefinition
from tracertm.steps.packed import match_rows
from tracertm.steps.project import analyze

FRAMEWORK = {"python": "behave", "javascript": "cucumber-js", "java": "cucumber-jvm", "kotlin": "cucumber-jvm",
             "csharp": "reqnroll", "go": "godog", "ruby": "cucumber-ruby"}
NESTED = "^(?:(?:a{1000}){1000}){1000}$"
DEEP = "(" * 5000 + "a" + ")" * 5000


def _definition(pattern: str, language: str, kind: str = "regex", framework: str | None = None) -> StepDefinition:
    fw = framework or FRAMEWORK[language]
    return StepDefinition("given", pattern, kind, fw, language, "steps/x", 7, 3, "f")  # type: ignore[arg-type]


@pytest.fixture(autouse=True)
def _no_large_compile(monkeypatch: pytest.MonkeyPatch) -> None:
    """The ``regex`` package may compile only small patterns here: a refusal must come before it."""
    import regex

    compile_ = regex.compile

    def guarded(pattern: str, flags: int = 0, *args: Any, **kwargs: Any) -> Any:
        assert len(pattern) < 500 and "{1000}" not in pattern, "compiled a pattern that should have been refused"
        return compile_(pattern, flags, *args, **kwargs)

    monkeypatch.setattr(regex, "compile", guarded)


def _refusal(definition: StepDefinition, lazy: bool, registries: Registries | None = None) -> DefinitionError:
    with pytest.raises(DefinitionError) as info:
        compile_definition(definition, registries or Registries([]), lazy=lazy)
    return info.value


@pytest.mark.parametrize("lazy", [False, True])
@pytest.mark.parametrize(("language", "pattern", "engine", "limit"), [
    ("python", "a{4294967296}", "", "4294967294"),
    ("python", "a{" + "9" * 5000 + "}", "", "4294967294"),
    ("java", "^a{2147483648}$", " in Java", "2147483647"),
    ("kotlin", "^a{1,2147483648}$", " in Java", "2147483647"),
    ("csharp", "^a{2147483648}$", " in .NET", "2147483647"),
    ("go", "^a{1001}$", " in Go", "1000"),
    ("ruby", "^a{100001}$", " in Ruby", "100000"),
])
def test_a_count_the_engine_refuses_is_an_error_at_the_definition(
    language: str, pattern: str, engine: str, limit: str, lazy: bool
) -> None:
    exc = _refusal(_definition(pattern, language), lazy)  # was: OverflowError / ValueError / out of memory
    assert exc.severity == "error" and str(exc).startswith(f"regex does not compile{engine}: ")
    assert f"({limit})" in str(exc) and "count" in str(exc)
    [error] = pattern_errors([_definition(pattern, language)])  # what check reports
    assert (error.path, error.line, error.column, error.severity) == ("steps/x", 7, 3, "error")


@pytest.mark.parametrize("lazy", [False, True])
@pytest.mark.parametrize("language", ["javascript", "csharp", "java", "python", "go", "ruby"])
def test_a_pattern_expanding_past_the_limit_is_refused_before_compiling(language: str, lazy: bool) -> None:
    pattern = NESTED.replace("1000}", "100}") if language in ("go", "ruby") else NESTED
    exc = _refusal(_definition(pattern, language), lazy)  # was: MemoryError after ~3 GB
    assert exc.severity == "warning" and "too large to match" in str(exc), exc
    assert pattern_errors([_definition(pattern, language)]) == []  # tracertm's limit, not the project's error


def test_a_javascript_count_past_pythons_limit_is_tracertms_limit() -> None:
    exc = _refusal(_definition("^a{4294967296}$", "javascript"), lazy=False)
    assert exc.severity == "warning" and "4294967294" in str(exc)


@pytest.mark.parametrize(("language", "severity"), [("python", "error"), ("javascript", "warning"),
                                                    ("csharp", "warning"), ("go", "warning")])
def test_groups_nested_thousands_deep_are_one_finding(language: str, severity: str) -> None:
    exc = _refusal(_definition(DEEP, language), lazy=True)  # was: RecursionError
    assert exc.severity == severity and "nested too deeply" in str(exc)
    assert len(pattern_errors([_definition(DEEP, language)])) == (severity == "error")


def test_large_but_cheap_patterns_still_match() -> None:
    """Only the required copies count: an optional range, or a repeat of a small group, is no large pattern."""
    for pattern, text in [("^a{0,1000000}$", "aaa"), ("^(?:ab){3}c{2,}$", "abababcc"), ("^x{1,4294967294}$", "xx")]:
        assert compile_definition(_definition(pattern, "javascript"), Registries([])).match(text) == ()
    assert compile_definition(_definition(r"^(\d{1000})$", "python"), Registries([])).match("1" * 1000) is not None


def test_compile_pattern_refuses_before_compiling() -> None:
    with pytest.raises(bounded.TooLarge):
        bounded.compile_pattern("(?:a{100}){101}")
    bounded.compile_pattern("(?:a{100}){100}")  # 10,000: the limit itself


def test_a_parse_field_wider_than_re_allows_is_an_error() -> None:
    exc = _refusal(_definition("I have {:99999999999d} apples", "python", "parse"), lazy=False)  # was: OverflowError
    assert exc.severity == "error" and "larger than Python's re allows" in str(exc)


@pytest.mark.parametrize(("language", "framework"), [("javascript", "cucumber-js"), ("python", "behave")])
def test_a_parameter_type_too_large_is_a_warning_at_its_declaration(language: str, framework: str) -> None:
    regexps = ("(?:b{1000}){1000}",)
    # (behave: a type of its cucumber_expressions matcher, ``define_parameter_type``; not a parse ``register_type``)
    decl = ParameterTypeDecl("big", regexps, framework, language, "steps/types", 4,  # type: ignore[arg-type]
                             registry="cucumber" if framework == "behave" else "")
    registries = Registries([decl])
    for lazy in (False, True):
        exc = _refusal(_definition("I have {big}", language, "cucumber-expression", framework), lazy, registries)
        assert exc.severity == "warning" and "steps/types:4" in str(exc)
    assert [(f.path, f.line, f.severity, "too large" in f.message or "past tracertm's limit" in f.message)
            for f in registries.findings] == [("steps/types", 4, "warning", True)]


# ------------------------------------------------------------------------------------------------- end to end

STEPS = {
    "features/steps/a.py": "from behave import given, use_step_matcher\nuse_step_matcher('re')\n"
                           "@given(r'a{4294967296}')\ndef huge(context):\n    pass\n",
    "features/step_definitions/b.js": "const { Given } = require('@cucumber/cucumber');\n"
                                      f"Given(/{NESTED}/, function () {{}});\n"
                                      "Given('a thing', function () {});\n",
}


def _project(repo: GitRepo) -> None:
    repo.write("features/f.feature", "Feature: F\n  Scenario: s\n    Given a thing\n    Given aaa\n")
    for path, text in STEPS.items():
        repo.write(path, text)
    repo.write(".tracertm.toml", 'step_paths = ["features/steps/*.py", "features/step_definitions/*.js"]\n')
    repo.commit("hostile regexes")


def test_steps_and_check_name_each_definition(git_repo: GitRepo, capsys: pytest.CaptureFixture[str]) -> None:
    _project(git_repo)
    report = analyze(git_repo.path)
    assert [(e.path, e.line) for e in report.errors] == [("features/steps/a.py", 3)]
    assert [(w.path, w.line) for w in report.warnings if "too large" in w.message] == [
        ("features/step_definitions/b.js", 2)]
    assert [r.status for r in report.results] == ["defined", "undefined"]
    assert not check(git_repo.path).ok
    code = main(["check", str(git_repo.path)])
    out, err = capsys.readouterr()
    assert code == 1, out + err  # was: 3, internal error: OverflowError
    assert "internal error" not in out + err and "features/steps/a.py:3:" in out + err


def test_sync_goes_on_past_them(git_repo: GitRepo, database_url: str) -> None:
    _project(git_repo)
    result = sync(git_repo.path, database_url=database_url)  # was: parser failed (OverflowError)
    assert [(e.path, e.line, "repetition count" in e.message) for e in result.errors] == [
        ("features/steps/a.py", 3, True)]
    engine = db.make_engine(database_url)
    try:
        with db.session(engine) as session:
            rows = sorted((m.step_text, m.status) for m in match_rows(session))
        assert rows == [("a thing", "defined"), ("aaa", "undefined")]
    finally:
        engine.dispose()
