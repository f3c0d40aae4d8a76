"""godog (Go), cucumber-ruby and Reqnroll (C#) step files: parsed with tree-sitter and matched with their rules."""

from __future__ import annotations

from pathlib import Path

from tracertm.config import Settings
from tracertm.steps.parsing import parse_step_file
from tracertm.steps.project import report_from

GO = r'''package features

import (
	"context"
	"regexp"

	"github.com/cucumber/godog"
)

func iHaveCukes(ctx context.Context, n int) (context.Context, error) { return ctx, nil }

type basket struct{}

func (b *basket) iEat(n int, what string) error { return nil }

func InitializeScenario(ctx *godog.ScenarioContext) {
	b := &basket{}
	ctx.Step(`^I have (\d+) cukes$`, iHaveCukes)
	ctx.When("^I eat (\\d+) \"([^\"]*)\"$", b.iEat)
	ctx.Then(regexp.MustCompile(`there are (\d+) left`), func(n int) error { return nil })
	ctx.Step(pattern, iHaveCukes)
}
'''

RUBY = r"""ParameterType(name: 'color', regexp: /red|blue/, transformer: ->(s) { s })

Given(/^I have (\d+) cukes$/i) do |count|
end

When('I paint it {color}') do |color|
end

Then "it is #{adjective}" do
end
"""

CSHARP = r'''using Reqnroll;

[Binding]
public class BasketSteps
{
    [Given(@"I have (\d+) ""cukes""")]
    public void HaveCukes(int count) { }

    [When("I eat {int} {fruit}")]
    [StepDefinition("I munch {Color} ones")]
    public void Eat(int count, string fruit) { }

    [Then("the total is {decimal}", ExpressionType = ExpressionType.CucumberExpression)]
    public void Total(decimal total) { }

    [Then(@"^it costs \d+ on (.*)$")]
    public void Costs(DateTime when) { }

    [StepArgumentTransformation(@"(apple|pear)s?", Name = "fruit")]
    public string Fruit(string value) => value;
}
'''

SETTINGS = Settings(root=Path("."))


def test_godog() -> None:
    f = parse_step_file("features/basket_test.go", GO.encode())
    got = [(d.keyword, d.kind, d.pattern, d.function, [(p.name, p.type) for p in d.parameters]) for d in f.definitions]
    assert got == [
        ("step", "regex", r"^I have (\d+) cukes$", "iHaveCukes", [("n", "int")]),
        ("when", "regex", r'^I eat (\d+) "([^"]*)"$', "iEat", [("n", "int"), ("what", "string")]),
        ("then", "regex", r"there are (\d+) left", "", [("n", "int")]),
    ]
    assert len(f.errors) == 1 and (f.errors[0].line, f.errors[0].column) == (21, 11)
    feature = ("Feature: F\n  Scenario: S\n    Given I have 3 cukes\n    When I eat 1 \"pear\"\n"
               "    Then I see there are 2 left now\n    Then I eat 1 \"pear\"\n")
    report = report_from([("features/basket_test.go", GO.encode())], [("features/f.feature", feature.encode())],
                         SETTINGS)
    # godog: unanchored regexes; Given/When/Then definitions only for their keyword, Step for any.
    assert [r.status for r in report.results] == ["defined", "defined", "defined", "undefined"]


def test_cucumber_ruby() -> None:
    f = parse_step_file("features/step_definitions/basket.rb", RUBY.encode())
    got = [(d.keyword, d.kind, d.pattern, d.flags, [p.name for p in d.parameters]) for d in f.definitions]
    assert got == [
        ("given", "regex", r"^I have (\d+) cukes$", "i", ["count"]),
        ("when", "cucumber-expression", "I paint it {color}", "", ["color"]),
    ]
    assert [(t.name, t.regexps) for t in f.parameter_types] == [("color", ("red|blue",))]
    assert len(f.errors) == 1 and f.errors[0].line == 9  # interpolation: not a literal
    feature = "Feature: F\n  Scenario: S\n    Then i HAVE 4 cukes\n    When I paint it red\n    When I paint it green\n"
    report = report_from([("features/step_definitions/basket.rb", RUBY.encode())],
                         [("features/f.feature", feature.encode())], SETTINGS)
    assert [r.status for r in report.results] == ["defined", "defined", "undefined"]


def test_reqnroll() -> None:
    f = parse_step_file("Specs/BasketSteps.cs", CSHARP.encode())
    got = [(d.keyword, d.kind, d.pattern, d.function) for d in f.definitions]
    assert got == [
        ("given", "regex", r'I have (\d+) "cukes"', "HaveCukes"),
        ("when", "cucumber-expression", "I eat {int} {fruit}", "Eat"),
        ("step", "cucumber-expression", "I munch {Color} ones", "Eat"),
        ("then", "cucumber-expression", "the total is {decimal}", "Total"),
        ("then", "regex", r"^it costs \d+ on (.*)$", "Costs"),
    ]
    assert [(p.name, p.type) for p in f.definitions[0].parameters] == [("count", "int")]
    assert [(t.name, t.regexps) for t in f.parameter_types] == [("fruit", ("(apple|pear)s?",))]
    feature = ('Feature: F\n  Scenario: S\n    Given I have 3 "cukes"\n    When I eat 2 pears\n'
               "    And I munch Red ones\n    Then the total is 4.50\n    Then it costs 3 on Monday\n"
               '    When I have 3 "cukes"\n')
    report = report_from([("Specs/BasketSteps.cs", CSHARP.encode())], [("features/f.feature", feature.encode())],
                         SETTINGS)
    assert not report.errors
    # Reqnroll scopes by keyword, matches regexes against the whole text, knows {decimal}, and {Color} may be an enum.
    assert [r.status for r in report.results] == ["defined"] * 5 + ["undefined"]


KOTLIN = '''package steps

import io.cucumber.java.en.Given
import io.cucumber.java.fr.Soit
import io.cucumber.java8.En

class BellySteps : En {
    @Given("I have {int} cukes in my {color} belly")
    fun cukes(count: Int, color: String) {}

    @Soit("un concombre")
    fun concombre() {}

    @ParameterType("red|blue")
    fun color(value: String): String = value

    @Given("hello ${'$'}name")
    fun templated() {}

    init {
        Then("^the belly growls (\\\\d+) times$") { n: Int -> }
    }
}
'''


def test_kotlin() -> None:
    f = parse_step_file("src/test/kotlin/BellySteps.kt", KOTLIN.encode())
    got = [(d.keyword, d.kind, d.pattern, d.function, [(p.name, p.type) for p in d.parameters]) for d in f.definitions]
    assert got == [
        ("given", "cucumber-expression", "I have {int} cukes in my {color} belly", "cukes",
         [("count", "Int"), ("color", "String")]),
        ("step", "cucumber-expression", "un concombre", "concombre", []),
        ("given", "cucumber-expression", "hello $name", "templated", []),  # ``${'$'}``: a dollar sign
        ("then", "regex", r"^the belly growls (\d+) times$", "", [("n", "Int")]),
    ]
    assert [(t.name, t.regexps) for t in f.parameter_types] == [("color", ("red|blue",))]
    assert not f.errors
    feature = ("Feature: F\n  Scenario: S\n    Given I have 3 cukes in my red belly\n"
               "    Then the belly growls 2 times\n    Given I have 3 cukes in my green belly\n")
    report = report_from([("src/test/kotlin/BellySteps.kt", KOTLIN.encode())],
                         [("features/f.feature", feature.encode())], SETTINGS)
    assert [r.status for r in report.results] == ["defined", "defined", "undefined"]
