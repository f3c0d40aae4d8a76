"""A TypeScript step pattern under a type assertion — ``[…] as const`` (how playwright-bdd's own tests type an alias
array's arguments), ``satisfies``, ``!``, parentheses — is the literal it wraps: tsc erases the assertion. It was
"cannot be read" (exit 1), its steps undefined. And two aliases of one call that both match a step are one
definition, the first alias deciding (playwright-bdd's ``excludeStepAliases``), not an ambiguity.

The fixture is cut down from playwright-bdd's ``test/bdd-syntax/steps-cucumber-style/steps.ts``
(https://github.com/vitalets/playwright-bdd, MIT)."""

from __future__ import annotations

from pathlib import Path

from tracertm.config import Settings
from tracertm.steps.parsing import parse_step_file
from tracertm.steps.project import report_from

SETTINGS = Settings(root=Path("."))
PATH = "features/steps/steps.ts"

STEPS = """\
import { createBdd } from 'playwright-bdd';

const { Given, When } = createBdd();

When(
  [/^overlapping alias value (.+)$/, 'overlapping alias value {int}'] as const,
  function (value) {
    expect(value).toEqual('42');
  },
);

Given(('a parenthesized step' as string), async () => {});
Given(['first checked alias', 'second checked alias'] satisfies string[], async () => {});
Given('an asserted step'!, async () => {});
"""

FEATURE = """\
Feature: Aliases
  Scenario: s
    When overlapping alias value 42
    Given a parenthesized step
    Given second checked alias
    Given an asserted step
"""


def test_type_assertions_wrap_literal_patterns() -> None:
    f = parse_step_file(PATH, STEPS.encode())
    assert f.errors == ()
    assert [(d.kind, d.pattern, d.line) for d in f.definitions] == [
        ("regex", "^overlapping alias value (.+)$", 5), ("cucumber-expression", "overlapping alias value {int}", 5),
        ("cucumber-expression", "a parenthesized step", 12), ("cucumber-expression", "first checked alias", 13),
        ("cucumber-expression", "second checked alias", 13), ("cucumber-expression", "an asserted step", 14)]


def test_their_steps_are_defined() -> None:
    report = report_from([(PATH, STEPS.encode())], [("features/a.feature", FEATURE.encode())], SETTINGS)
    assert not report.errors, report.errors
    assert [r.status for r in report.results] == ["defined"] * 4
    # The first matching alias of the call decides (its arguments are the step's), as playwright-bdd does.
    first = report.results[0]
    assert [(d.pattern, [a.value for a in args]) for d, args in first.matches] == [
        ("^overlapping alias value (.+)$", ["42"])]
