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


BUILT_IN_STEPS = '''\
[Binding]
public class Orders
{
    [Given("the order {Guid} exists")]
    public void OrderExists(Guid id) { }

    [Given("I have {Int32} apples")]
    public void Apples(int n) { }

    [Given("I have {Int64} pears in {Decimal} boxes")]
    public void Pears(long n, decimal boxes) { }

    [Given("it is {DateTime} and {Boolean}")]
    public void When(DateTime at, bool flag) { }

    [Given("I weigh {double} kg and {float} lb")]
    public void Weigh(double kg, float lb) { }

    [Given("{short} shorts")]
    public void Shorts(Size size) { }

    [StepArgumentTransformation("eleven")]
    public int Eleven() => 11;
}
'''

BUILT_IN_FEATURE = """\
Feature: Orders
  Scenario: s
    Given the order 1 exists
    Given the order 0f8fad5b-d9cb-d9cb-d9cb-d9cb0f8fad5b exists
    Given I have 12 apples
    Given I have many apples
    Given I have eleven apples
    Given I have 3 pears in 1,5 boxes
    Given I have 3 pears in 1 000.25 boxes
    Given I have 3 pears in some boxes
    Given it is tomorrow and maybe
    Given I weigh 1.5 kg and 3,25 lb
    Given I weigh 1.5 kg and 123456789012345678901234567890x lb
    Given XL shorts
"""


def test_reqnroll_s_built_in_types_are_its_own_names_and_regexes() -> None:
    """``CucumberExpressionParameterTypeRegistry``: {Guid}, {DateTime}, {Boolean} match any text (their converters
    judge it); {Int32}, {Int64}... are the .NET names of its integer and number types (with {int}, {long}... as
    aliases), not unknown enum names matching any word; its numbers are the culture-independent regex of
    Cucumber.CucumberExpressions 17.1 ('1,5', '1 000.25'); {short} is no Reqnroll type (an enum's name); a
    transformation returning ``int`` joins {Int32} too. A long number that does not match stays fast."""
    report = report_from([("Steps/OrderSteps.cs", BUILT_IN_STEPS.encode())],
                         [("Features/orders.feature", BUILT_IN_FEATURE.encode())], SETTINGS)
    assert not report.errors, report.errors
    assert [(r.use.text, r.status) for r in report.results] == [
        ("the order 1 exists", "defined"), ("the order 0f8fad5b-d9cb-d9cb-d9cb-d9cb0f8fad5b exists", "defined"),
        ("I have 12 apples", "defined"), ("I have many apples", "undefined"), ("I have eleven apples", "defined"),
        ("I have 3 pears in 1,5 boxes", "defined"), ("I have 3 pears in 1 000.25 boxes", "defined"),
        ("I have 3 pears in some boxes", "undefined"), ("it is tomorrow and maybe", "defined"),
        ("I weigh 1.5 kg and 3,25 lb", "defined"),
        ("I weigh 1.5 kg and 123456789012345678901234567890x lb", "undefined"), ("XL shorts", "defined"),
    ]
