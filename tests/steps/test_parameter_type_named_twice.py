"""A parameter type whose regex has a named group, used twice in one Cucumber Expression: the expression's regex
names two groups alike, which JavaScript refuses ("Invalid regular expression: … Duplicate capture group name", when
cucumber-js builds the expression, and it does not start), as does Java. tracertm built such a plain
expression's regex itself and compiled it with ``regex``, which takes it: the steps matched. Found by a differential
run against node's ``CucumberExpression``; the verdicts are node's, asked again here when cucumber-js is installed.
Ruby's Onigmo and .NET take a name twice: their expressions still match."""

from __future__ import annotations

import json
import subprocess

import pytest

from conftest import GitRepo, run_cli
from test_cucumber_js_dry_run import NODE, _require_cucumber
from test_regex_dialects import _require
from tracertm.steps.expressions import DefinitionError, compile_definition
from tracertm.steps.model import Framework, ParameterTypeDecl, StepDefinition
from tracertm.steps.parameter_types import Registries

NAMED = r"(?<n>\d+)"
# (expression, text, node's arguments; "error" where it refuses the expression)
CASES = [("a {named}-{named}", "a 12-12", "error"), ("a {named}", "a 12", ["12"]),
         ("a {named} or {int}", "a 1 or 2", ["1", "2"])]


def _arguments(framework: Framework, language: str, expression: str, text: str) -> list[str | None] | str | None:
    registries = Registries([ParameterTypeDecl("named", (NAMED,), framework, language, "steps", 1)])
    definition = StepDefinition("given", expression, "cucumber-expression", framework, language, "steps", 1, 1, "f")
    try:
        found = compile_definition(definition, registries).match(text)
    except DefinitionError:
        return "error"
    return None if found is None else [a.value for a in found]


@pytest.mark.parametrize("framework, language", [("cucumber-js", "javascript"), ("cucumber-jvm", "java")])
def test_a_name_twice_is_refused(framework: Framework, language: str) -> None:
    assert [_arguments(framework, language, e, t) for e, t, _ in CASES] == [expected for _, _, expected in CASES]


def test_ruby_and_dotnet_take_a_name_twice() -> None:
    for framework, language in (("cucumber-ruby", "ruby"), ("reqnroll", "csharp")):
        assert _arguments(framework, language, "a {named}-{named}", "a 12-12") == ["12", "12"]  # type: ignore[arg-type]


def test_node_agrees() -> None:
    node = _require("node")
    _require_cucumber()  # (cucumber-expressions comes with it)
    script = (
        "const { CucumberExpression, ParameterType, ParameterTypeRegistry } ="
        "  require('@cucumber/cucumber-expressions');"
        "const { named, cases } = JSON.parse(require('fs').readFileSync(0, 'utf8'));"
        "const registry = new ParameterTypeRegistry();"
        "registry.defineParameterType(new ParameterType('named', new RegExp(named), null, s => s, true));"
        "console.log(JSON.stringify(cases.map(([e, t]) => { try {"
        "  const found = new CucumberExpression(e, registry).match(t);"
        "  return found && found.map(a => a.group.value); } catch (err) { return 'error'; } })));"
    )
    out = subprocess.run([node, "-e", script], input=json.dumps({"named": NAMED, "cases": CASES}),
                         capture_output=True, text=True, check=True, timeout=60, cwd=NODE)
    assert json.loads(out.stdout) == [expected for _, _, expected in CASES]


def test_check_reports_it(git_repo: GitRepo) -> None:
    git_repo.write("features/step_definitions/s.js", (
        "const { Given, defineParameterType } = require('@cucumber/cucumber');\n"
        "defineParameterType({ name: 'named', regexp: /(?<n>\\d+)/ });\n"
        "Given('a {named}-{named}', function (a, b) {});\n"))
    git_repo.write("features/a.feature", "Feature: f\n  Scenario: s\n    Given a 12-12\n")
    git_repo.commit()
    result = run_cli("check", str(git_repo.path))
    assert result.returncode == 1
    assert ("features/step_definitions/s.js:3:1: step definition 'a {named}-{named}' is not a valid Cucumber "
            "Expression: the regex of one of its parameter types does not compile (redefinition of group name 'n'"
            ) in result.stdout, result.stdout
    assert "features/a.feature:3:5: warning: undefined step 'Given a 12-12'" in result.stdout
