"""A cucumber-js step text too long for one line is written as string literals joined with ``+`` (as Prettier
leaves it): ``Given('the order ' +\\n  'ships in {int} days', …)`` — cucumber-js gets one string, a Cucumber
Expression. tracertm called it an error ("the pattern is not a string or RegExp literal", exit 1) and its steps
undefined; what is joined with something that is no string literal (a name, a number, a RegExp) stays that error."""

from __future__ import annotations

from conftest import GitRepo
from tracertm.steps.project import analyze

STEPS = """\
const { Given, Then } = require('@cucumber/cucumber');

Given('the order for {string} has been paid and ' +
      'ships within {int} days', function (customer, days) {});

Then(('the invoice ' + `is sent`) + ' to {string}', function (customer) {});

Then('the total is ' + CURRENCY, function () {});
"""

FEATURE = """\
Feature: orders
  Scenario: s
    Given the order for "ann" has been paid and ships within 3 days
    Then the invoice is sent to "ann"
"""


def test_joined_string_literals_are_one_pattern(git_repo: GitRepo) -> None:
    git_repo.write("features/step_definitions/orders.js", STEPS)
    git_repo.write("features/orders.feature", FEATURE)
    git_repo.commit("orders")
    report = analyze(git_repo.path)
    assert [(d.line, d.kind, d.pattern) for d in report.definitions] == [
        (3, "cucumber-expression", "the order for {string} has been paid and ships within {int} days"),
        (6, "cucumber-expression", "the invoice is sent to {string}"),
    ]
    assert [(e.line, e.message.split(":")[0]) for e in report.errors] == [
        (8, "step definition Then('the total is ' + CURRENCY) cannot be read")]
    assert [(r.use.line, r.status) for r in report.results] == [(3, "defined"), (4, "defined")]
