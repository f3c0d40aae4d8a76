"""Columns of step files are characters, as editors and GitHub annotations count them: tree-sitter (every language
but Python) and Python's ``ast`` count a line's UTF-8 bytes, which run ahead of its characters after any character
that is not ASCII (``/* é */ Given(...)`` was at column 10, ``Given`` is the 9th character). Definitions, unreadable
definitions, syntax errors and warnings alike; a real repository for what ``check`` annotates."""

from __future__ import annotations

import pytest

from conftest import GitRepo, run_cli
from tracertm.steps.parsing import parse_step_file
from tracertm.steps.project import analyze

SOURCES = {
    "javascript": ("features/step_definitions/a.js",
                   'const { Given } = require("@cucumber/cucumber");\n/* é */ Given("a", function () {});\n'
                   "/* ü */ Given(`x ${y}`, function () {});\n",
                   [(2, 9), (3, 15)]),
    "typescript": ("features/step_definitions/a.ts",
                   'import { Given } from "@cucumber/cucumber";\n/* é */ Given("a", function () {});\n', [(2, 9)]),
    "java": ("src/test/java/Steps.java",
             'import io.cucumber.java.en.Given;\npublic class Steps {\n  /* é */ @Given("a") public void a() {}\n'
             '  /* é */ @Given(X) public void b() {}\n}\n',
             [(3, 11), (4, 11)]),
    "kotlin": ("src/test/kotlin/Steps.kt",
               'import io.cucumber.java8.En\nclass Steps : En {\n  init {\n    /* é */ Given("a") { -> }\n  }\n}\n',
               [(4, 13)]),
    "go": ("steps_test.go",
           'package main\nimport "github.com/cucumber/godog"\nfunc InitializeScenario(ctx *godog.ScenarioContext) {\n'
           "\t/* é */ ctx.Step(`^a$`, a)\n\t/* é */ ctx.Step(x, a)\n}\n",
           [(4, 10), (5, 19)]),
    "ruby": ("features/step_definitions/a_steps.rb", 'x = "é"; Given(/^a$/) do\nend\nx = "é"; Given(y) do\nend\n',
             [(1, 10), (3, 16)]),
    "csharp": ("Steps/Steps.cs",
               'using Reqnroll;\n[Binding]\npublic class Steps {\n  /* é */ [Given("a")] public void A() {}\n'
               '  /* é */ [Given(X)] public void B() {}\n}\n',
               [(4, 12), (5, 18)]),
    "python": ("features/steps/env.py",
               "from behave import register_type\nregister_type(日本語日本語=lambda s: s, Bad=undefined_fn)\n",
               [(2, 39)]),
    "pytest-bdd": ("tests/test_a.py", 'from pytest_bdd import scenarios\nscenarios("é.feature", PATH)\n', [(2, 24)]),
}


@pytest.mark.parametrize("language", SOURCES)
def test_definitions_and_findings_are_at_character_columns(language: str) -> None:
    path, source, expected = SOURCES[language]
    parsed = parse_step_file(path, source.encode("utf-8"))
    found = [(d.line, d.column) for d in parsed.definitions]
    found += [(d.line, d.column) for d in (*parsed.errors, *parsed.warnings)]
    assert sorted(found) == expected, (parsed.errors, parsed.warnings)


@pytest.mark.parametrize(("path", "source", "expected"), [
    pytest.param("features/step_definitions/s.js",
                 'const { Given } = require("@cucumber/cucumber");\n'
                 'Given("ユーザーがログインしている", function () { return 1 + ; });\n',
                 (2, 48), id="javascript"),  # the missing operand, right after the "+" (the 47th character)
    pytest.param("src/test/kotlin/Steps.kt",
                 'import io.cucumber.java8.En\nclass Steps : En {\n  init {\n    /* é */ Given("a") { -> }\n'
                 "    /* é */ ) ) )\n  }\n}\n",
                 (5, 13), id="kotlin"),
])
def test_syntax_errors_are_at_character_columns(path: str, source: str, expected: tuple[int, int]) -> None:
    parsed = parse_step_file(path, source.encode("utf-8"))
    assert [(e.line, e.column) for e in parsed.errors][:1] == [expected], parsed.errors


def test_a_library_import_is_at_its_character_column(git_repo: GitRepo) -> None:
    git_repo.write("features/a.feature", "Feature: F\n  Scenario: s\n    Given a browser\n")
    git_repo.write("features/steps/use_lib.py", 'GREETING = "héllo"; import steplib.web_steps\n')
    git_repo.write("steplib/__init__.py", "")
    git_repo.write("steplib/web_steps.py",
                   "from behave import given\n\n@given('a browser')\ndef b(context):\n    pass\n")
    git_repo.commit("library")
    hints = [(w.line, w.column) for w in analyze(git_repo.path).warnings if "step library" in w.message]
    assert hints == [(1, 21)]


def test_check_annotates_character_columns(git_repo: GitRepo) -> None:
    git_repo.write("features/a.feature", "# language: ja\n機能: a\n  シナリオ: b\n    前提ユーザーがログインしている\n")
    git_repo.write("features/step_definitions/s.js", 'const { Given } = require("@cucumber/cucumber");\n'
                   'Given("ユーザーがログインしている", function () { return 1 + ; });\n')
    git_repo.write("features/steps/env.py",
                   "from behave import register_type\nregister_type(日本語日本語=lambda s: s, Bad=undefined_fn)\n")
    git_repo.commit("seed")
    done = run_cli("check", "--no-cache", "--format", "github", str(git_repo.path))
    assert "::error file=features/step_definitions/s.js,line=2,col=48::javascript syntax error" in done.stdout
    assert "::warning file=features/steps/env.py,line=2,col=39::parameter type 'Bad' cannot be read" in done.stdout
