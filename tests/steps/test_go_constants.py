"""godog patterns joined with ``+`` from literals and the file's own package-level string constants are read as
the Go compiler folds them (``ctx.Step(prefix + `(\\d+)` + " cukes$", f)``); they used to be an error ("not a string
literal"). A constant of another file, a variable, or a name declared twice stays an error at the call."""

from __future__ import annotations

from pathlib import Path

from tracertm.config import Settings
from tracertm.steps.golang import parse
from tracertm.steps.project import report_from

SOURCE = '''package steps

import "regexp"

const prefix = "^I have "

const (
	count        = prefix + `(\\d+)`
	first, other = "^first$", "^other$"
	typed string = "^typed$"
	number       = 5
	dup          = "a"
)

const dup = "b"

var variable = "^var$"

func InitializeScenario(ctx *godog.ScenarioContext) {
	ctx.Step(count+" cukes$", cukes)
	ctx.Given(("^a " + "b$"), ab)
	ctx.When(regexp.MustCompile(prefix+"(\\\\w+)$"), word)
	ctx.Then(other, func() {})
	ctx.Step(typed, func() {})
	ctx.Step(variable, func() {})
	ctx.Step(elsewhere, func() {})
	ctx.Step(dup, func() {})
}

func cukes(n int) error { return nil }
func ab() error          { return nil }
func word(w string) error { return nil }
'''


def test_constants_and_joined_literals_are_read() -> None:
    file = parse("steps_test.go", SOURCE.encode())
    assert [(d.keyword, d.pattern, d.function) for d in file.definitions] == [
        ("step", r"^I have (\d+) cukes$", "cukes"), ("given", "^a b$", "ab"), ("when", r"^I have (\w+)$", "word"),
        ("then", "^other$", ""), ("step", "^typed$", "")]
    assert [(e.line, e.message.split(" cannot")[0]) for e in file.errors] == [
        (25, "step definition ctx.Step(variable)"), (26, "step definition ctx.Step(elsewhere)"),
        (27, "step definition ctx.Step(dup)")]
    assert all("nor a string constant of this file" in e.message for e in file.errors)


def test_steps_match_patterns_made_of_constants() -> None:
    feature = "Feature: F\n  Scenario: S\n    Given I have 3 cukes\n    And a b\n    When I have many\n"
    report = report_from([("steps_test.go", SOURCE.encode())], [("features/f.feature", feature.encode())],
                         Settings(root=Path(".")))
    assert [r.status for r in report.results] == ["defined", "defined", "defined"]
