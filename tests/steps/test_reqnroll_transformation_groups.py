"""Reqnroll's ``[StepArgumentTransformation]``s of one target type and name are one Cucumber Expression parameter type
with every regex of the group (``CucumberExpressionParameterTypeRegistry.InitializeRegistry``: ``GroupBy(t =>
(t.TargetType, t.Name))``), and a transformation returning a built-in type joins the built-in type and its alias
(``{int}`` is ``-?\\d+``, ``once`` or ``twice``). tracertm called the second transformation of a type "already
declared" and the one returning ``int`` a type it "cannot use" ("There is already a parameter with name int") —
errors (exit 1) where Reqnroll runs — and ``{int}`` definitions errors too.

The fixture is cut down from Reqnroll's own specs (https://github.com/reqnroll/Reqnroll, BSD-3-Clause):
``Tests/Reqnroll.Specs/StepDefinitions/StepArgumentTransformations.cs`` and ``Tests/Reqnroll.Specs/Support/
StepArgumentTransformations.cs``, with steps in the style of its features."""

from __future__ import annotations

from pathlib import Path

from tracertm.config import Settings
from tracertm.steps.project import report_from

SETTINGS = Settings(root=Path("."))

TRANSFORMATIONS = '''\
using Reqnroll.TestProjectGenerator.Driver;

namespace Reqnroll.Specs.StepDefinitions
{
    [Binding]
    public class StepArgumentTransformations
    {
        [StepArgumentTransformation("once")]
        public int ConvertOnce()
        {
            return 1;
        }

        [StepArgumentTransformation("twice")]
        public int ConvertTwice()
        {
            return 2;
        }

        [StepArgumentTransformation("a dozen")]
        public decimal ConvertDozen() => 12m;

        [StepArgumentTransformation("dotnet msbuild")]
        public BuildTool ConvertDotnetMSBuildToBuildTool() => BuildTool.DotnetMSBuild;

        [StepArgumentTransformation("MSBuild")]
        public BuildTool ConvertMSBuildToBuildTool() => BuildTool.MSBuild;
    }
}
'''

STEPS = '''\
namespace Reqnroll.Specs.StepDefinitions
{
    [Binding]
    public class ExecutionSteps
    {
        [When("I execute the tests {int}")]
        public void WhenIExecuteTheTests(int times) { }

        [Then("it costs {decimal} euros")]
        public void ThenItCosts(decimal price) { }

        [Given("{BuildTool} is used for compiling")]
        public void GivenBuildToolIsUsed(BuildTool tool) { }
    }
}
'''

FEATURE = """\
Feature: Execution
  Scenario: s
    When I execute the tests once
    When I execute the tests twice
    When I execute the tests 3
    When I execute the tests thrice
    Given MSBuild is used for compiling
    Given dotnet msbuild is used for compiling
    Given nmake is used for compiling
    Then it costs 2.5 euros
    Then it costs a dozen euros
"""


def test_transformations_of_one_type_are_one_parameter_type() -> None:
    report = report_from(
        [("Tests/Specs/StepDefinitions/StepArgumentTransformations.cs", TRANSFORMATIONS.encode()),
         ("Tests/Specs/StepDefinitions/ExecutionSteps.cs", STEPS.encode())],
        [("Tests/Specs/Features/execution.feature", FEATURE.encode())], SETTINGS)
    assert not report.errors, report.errors
    assert [(r.use.text, r.status) for r in report.results] == [
        ("I execute the tests once", "defined"), ("I execute the tests twice", "defined"),
        ("I execute the tests 3", "defined"), ("I execute the tests thrice", "undefined"),
        ("MSBuild is used for compiling", "defined"), ("dotnet msbuild is used for compiling", "defined"),
        ("nmake is used for compiling", "undefined"),
        ("it costs 2.5 euros", "defined"), ("it costs a dozen euros", "defined"),
    ]
