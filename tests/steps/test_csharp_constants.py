"""A Reqnroll/SpecFlow attribute's expression is a C# constant expression: besides a literal, csc folds ``const
string`` fields and literals joined with ``+`` — a pattern shared by several steps (``[Given("I open the " + Page)]``)
or one too long for a line. tracertm read string literals alone: such a definition was an error ("its pattern is not
a string literal", exit 1) and its steps undefined. Constants of the file are read now, as Java's and Kotlin's are;
one of another file stays an error at the attribute, and so does a constant defined by itself (csc refuses it)."""

from __future__ import annotations

from conftest import GitRepo
from tracertm.steps.project import analyze

STEPS = """\
using Reqnroll;

namespace Shop.Specs.StepDefinitions;

[Binding]
public class BasketSteps
{
    private const string Item = @"(\\w+)";
    public const string Basket = "the basket", Holds = Basket + " holds";

    [Given("I add an " + Item + " to " + Basket)]
    public void GivenIAdd(string item) { }

    [Then(BasketSteps.Holds + " {int} items")]
    public void ThenItHolds(int count) { }

    [When("I empty " +
          "the basket")]
    public void WhenIEmpty() { }

    [When(Pages.Checkout)]
    public void WhenICheckOut() { }

    private const string Loop = Loop + "x";

    [When(Loop)]
    public void WhenLoop() { }
}
"""

FEATURE = """\
Feature: basket
  Scenario: s
    Given I add an apple to the basket
    When I empty the basket
    Then the basket holds 0 items
"""


def test_const_strings_and_joined_literals_are_read(git_repo: GitRepo) -> None:
    git_repo.write("Shop.Specs/StepDefinitions/BasketSteps.cs", STEPS)
    git_repo.write("features/basket.feature", FEATURE)
    git_repo.commit("reqnroll")
    report = analyze(git_repo.path)
    assert [(d.line, d.kind, d.pattern) for d in report.definitions] == [
        (11, "regex", "I add an (\\w+) to the basket"),
        (14, "cucumber-expression", "the basket holds {int} items"),
        (17, "cucumber-expression", "I empty the basket"),
    ]
    assert [(e.line, e.message) for e in report.errors] == [
        (21, "[When] on WhenICheckOut() cannot be read: its pattern is not a string literal nor a const string of "
             "this file; tracertm reads patterns without running code, one file at a time"),
        (26, "[When] on WhenLoop() cannot be read: its pattern is not a string literal nor a const string of this "
             "file; tracertm reads patterns without running code, one file at a time"),
    ]
    assert [(r.use.line, r.status) for r in report.results] == [(3, "defined"), (4, "defined"), (5, "defined")]
