"""A cucumber-js step text too long for one line is written as string literals joined with ``+`` (as Prettier
leaves it): ``Given('the order ' +\\n  'ships in {int} days', …)`` — cucumber-js gets one string, a Cucumber
Expression. tracertm called it an error ("the pattern is not a string or RegExp literal", exit 1) and its steps
undefined; what is joined with something that is no string literal (a name, a number, a RegExp) stays that error.

A pattern may also name a top-level ``const`` of the file (a string, template, RegExp or playwright-bdd's aliases
array, as in its own ``test/bdd-syntax``); a ``let``/``var``, one bound again or declared below its use is an error at
the definition, as the README says."""

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


CONSTANTS = """\
import { Given } from '@cucumber/cucumber';

const P = 'a thing';
export const R = /^a regex (\\d+)$/i;
const aliases: Array<string | RegExp> = ['first alias', `second alias`] as const;
const CHAIN = P;
let L = 'let thing';
const TWICE = 'twice';
const NUM = 5;
Given(P, function () {});
Given(R, function (n) {});
Given(aliases, async function () {});
Given([CHAIN, 'b'], function () {});
Given(L, function () {});
Given(TWICE, function () {});
Given(BELOW, function () {});
Given(NUM, function () {});
Given(Imported, function () {});
function f(TWICE) {}
const BELOW = 'below';
"""


def test_a_top_level_const_is_read_where_it_is_certain(git_repo: GitRepo) -> None:
    git_repo.write("features/step_definitions/s.ts", CONSTANTS)
    git_repo.commit("constants")
    report = analyze(git_repo.path)
    assert [(d.line, d.kind, d.pattern, d.flags) for d in report.definitions] == [
        (10, "cucumber-expression", "a thing", ""), (11, "regex", "^a regex (\\d+)$", "i"),
        (12, "cucumber-expression", "first alias", ""), (12, "cucumber-expression", "second alias", ""),
        (13, "cucumber-expression", "a thing", ""), (13, "cucumber-expression", "b", ""),
    ]
    assert [(e.line, e.column, e.message.split(" cannot be read: the pattern is ")[1].split(";")[0].split(" —")[0])
            for e in report.errors] == [
        (14, 7, "the name L, declared with let (line 7), which code may reassign"),
        (15, 7, "the name TWICE, which the file binds more than once (assigned, or declared again in a function or "
                "block)"),
        (16, 7, "the name BELOW, declared only below it (line 20): JavaScript throws ReferenceError here"),
        (17, 7, "a module-level const whose value (5, line 9) is not a string or RegExp literal"),
        (18, 7, "the name Imported, which is no module-level const of this file"),
    ]
