"""cucumber-js step functions under another local name, by scope: a destructuring of an unrelated object that binds
a local named like a step function (``const { x: Then } = obj``) shadows it only inside its block or function, not
for the whole file; a rename inside a function counts there only. Each test failed before its fix."""

from __future__ import annotations

from tracertm.steps.parsing import parse_step_file

NESTED_SHADOW = r"""const { Given, Then } = require('@cucumber/cucumber');

function helper(obj) {
  const { x: Then } = obj;
  Then('not a step: a local function of helper');
  return Then;
}

Given('a user', function () {});
Then('the user is {word}', function (state) {});
"""

ESM_BLOCK_SHADOW = r"""import { When, Then } from '@cucumber/cucumber';

When('I log in', async function () {
  const { result: Then } = await this.login();
  Then('checked here, not a step');
});

if (process.env.CI) {
  let { then: When } = settings;
  When('a local When of the block');
}

Then('I am in', function () {});
"""

NESTED_RENAME = r"""function steps() {
  const { Given: G } = require('@cucumber/cucumber');
  G('a step registered inside a function', () => {});
}
G('not the renamed G out here', () => {});
"""


def _patterns(path: str, source: str) -> list[tuple[str, str, int]]:
    f = parse_step_file(path, source.encode())
    assert not f.errors, f.errors
    return [(d.keyword, d.pattern, d.line) for d in f.definitions]


def test_a_nested_unrelated_destructuring_does_not_hide_the_module_import() -> None:
    assert _patterns("features/step_definitions/s.js", NESTED_SHADOW) == [
        ("given", "a user", 9), ("then", "the user is {word}", 10)]


def test_block_and_function_shadows_stay_in_their_scope() -> None:
    assert _patterns("features/step_definitions/s.ts", ESM_BLOCK_SHADOW) == [
        ("when", "I log in", 3), ("then", "I am in", 13)]


def test_a_rename_inside_a_function_counts_there_only() -> None:
    assert _patterns("features/step_definitions/s.js", NESTED_RENAME) == [
        ("given", "a step registered inside a function", 3)]
