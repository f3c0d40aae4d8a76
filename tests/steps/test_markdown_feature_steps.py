"""The steps of a Markdown-with-Gherkin feature (``*.feature.md``) carry their file's lines: a scenario's text is
read as the Gherkin lines it stands for (``parsers.markdown_gherkin``): a step without its bullet, a heading
without its ``#``s, no GFM separator among an outline's rows. Before, the scenario's first line was not found
(``- Given`` never equals ``Given``), so every Examples row was put one line late (more under tags), and a
``| --- |`` separator counted as a row: ``check``, ``tracertm steps``, the stored step rows and the web view
named the wrong row."""

from __future__ import annotations

from conftest import GitRepo
from tracertm.checker import check
from tracertm.parsers import parse
from tracertm.steps.project import analyze
from tracertm.steps.scenarios import executed_steps, feature_uses

PATH = "features/cukes.feature.md"
MARKDOWN = """\
# Feature: Staying alive

`@approved`
`@slow`
### Scenario Outline: Many cukes
+ Given I have <n> cukes
+ Then I am left with <n> cukes

#### Examples:

  | n |
  | --- |
  | 1 |
  | two |
"""
STEPS = """\
const { Given, Then } = require('@cucumber/cucumber');
Given('I have {int} cukes', function (n) {});
Then('I am left with {int} cukes', function (n) {});
"""


def test_markdown_outline_rows_have_their_lines() -> None:
    result = parse("feature", PATH, MARKDOWN.encode())
    assert [(u.line, u.column, u.text, u.row_line) for u in feature_uses(result)] == [
        (6, 3, "I have 1 cukes", 13), (7, 3, "I am left with 1 cukes", 13),
        (6, 3, "I have two cukes", 14), (7, 3, "I am left with two cukes", 14),
    ]
    (scenario,) = result.records[0].children
    assert [step[-1] for step in executed_steps(scenario, {}, path=PATH)] == [13, 13, 14, 14]


def test_check_and_steps_name_the_row_of_the_markdown_file(git_repo: GitRepo) -> None:
    git_repo.write(".tracertm.toml", 'feature_paths = ["features/**/*.feature.md"]\n')
    git_repo.write(PATH, MARKDOWN)
    git_repo.write("features/step_definitions/steps.js", STEPS)
    git_repo.commit("markdown outline")
    undefined = [(r.use.line, r.use.row_line) for r in analyze(git_repo.path).undefined()]
    assert undefined == [(6, 14), (7, 14)]
    messages = [f"{w.line}: {w.message}" for w in check(git_repo.path).warnings if "undefined step" in w.message]
    assert len(messages) == 2 and all("Examples row on line 14" in m for m in messages), messages
