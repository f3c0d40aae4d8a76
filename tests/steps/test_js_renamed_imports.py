"""cucumber-js / playwright-bdd step functions under another local name: ``const { Given: G } = require(...)``,
``import { Given as G } from ...``, ``const G = cucumber.Given``, ``{ Given: G } = createBdd()`` are followed."""

from __future__ import annotations

from pathlib import Path

from tracertm.config import Settings
from tracertm.steps.parsing import parse_step_file
from tracertm.steps.project import report_from

SETTINGS = Settings(root=Path("."))

CJS = r"""const { Given: G, When: W = fallback, Then, defineParameterType: dpt } = require('@cucumber/cucumber');
const cucumber = require('@cucumber/cucumber');
const S = cucumber.Then;

dpt({ name: 'color', regexp: /red|blue/ });
G('an aliased step', function aliased() {});
W(/^I eat (\d+) cukes$/, (n) => {});
Then('a plain one', () => {});
S('then by a member', () => {});
G(notALiteral, () => {});
"""

ESM = r"""import { Given as G, When as Then, Before as Given } from '@cucumber/cucumber';

G('an imported alias {int}', function (n) {});
Then('really a When', function () {});
Given('really a Before hook', function () {});
"""

PLAYWRIGHT = r"""import { createBdd } from 'playwright-bdd';
import { Given as Dec } from 'playwright-bdd/decorators';
const { Given: Soit, When: Quand } = createBdd();

Soit('I open {string}', async ({ page }, url: string) => {});
Quand(['I click {string}', 'I press {string}'], async ({ page }, label: string) => {});

export class TodoPage {
  @Dec('an empty list')
  async empty() {}
}
"""


def test_cjs_renamed_destructuring_and_member_alias() -> None:
    f = parse_step_file("features/step_definitions/s.js", CJS.encode())
    got = [(d.keyword, d.kind, d.pattern, d.function, d.framework, d.line) for d in f.definitions]
    assert got == [
        ("given", "cucumber-expression", "an aliased step", "aliased", "cucumber-js", 6),
        ("when", "regex", r"^I eat (\d+) cukes$", "", "cucumber-js", 7),
        ("then", "cucumber-expression", "a plain one", "", "cucumber-js", 8),
        ("then", "cucumber-expression", "then by a member", "", "cucumber-js", 9),
    ]
    assert [(t.name, t.regexps) for t in f.parameter_types] == [("color", ("red|blue",))]
    # An unreadable pattern under the alias is reported, by the name written.
    assert len(f.errors) == 1 and f.errors[0].line == 10 and "G(notALiteral)" in f.errors[0].message


def test_esm_import_as_follows_the_imported_name() -> None:
    f = parse_step_file("features/step_definitions/s.mjs", ESM.encode())
    got = [(d.keyword, d.pattern, d.line) for d in f.definitions]
    # `Then` is the imported When here, and `Given` is Before (a hook, no step definition).
    assert got == [("given", "an imported alias {int}", 3), ("when", "really a When", 4)]
    assert not f.errors


def test_playwright_bdd_renamed_create_bdd_and_decorator() -> None:
    f = parse_step_file("features/todo.steps.ts", PLAYWRIGHT.encode())
    got = [(d.keyword, d.pattern, d.function, d.framework, d.language) for d in f.definitions]
    assert got == [
        ("given", "I open {string}", "", "playwright-bdd", "typescript"),
        ("when", "I click {string}", "", "playwright-bdd", "typescript"),
        ("when", "I press {string}", "", "playwright-bdd", "typescript"),
        ("given", "an empty list", "empty", "playwright-bdd", "typescript"),
    ]
    assert not f.errors


def test_renamed_steps_match() -> None:
    feature = ("Feature: F\n  Scenario: S\n    Given an aliased step\n    When I eat 3 cukes\n"
               "    Then an imported alias 4\n    Given really a Before hook\n")
    report = report_from([("features/step_definitions/s.js", CJS.encode()),
                          ("features/step_definitions/s.mjs", ESM.encode())],
                         [("features/f.feature", feature.encode())], SETTINGS)
    assert [r.status for r in report.results] == ["defined", "defined", "defined", "undefined"]
