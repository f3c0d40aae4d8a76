"""Results of Markdown-with-Gherkin features (``*.feature.md``, which cucumber-js runs when its ``paths`` name them)
tie to their scenarios by line, as those of ``.feature`` files do. The lines of a scenario and of its example rows
are recovered from its stored ``gherkin_text`` (``results.scenarios``): in Markdown the keyword line is a heading,
a step a bullet (``* Given ...``) and a table's ``| --- |`` a GFM separator, not a row. Before, no line was found:
results fell back to names, and two scenarios of one name (``Eating cukes``, ``Eating cukes#2``) were ambiguous,
unmatched. A real cucumber-js run (pinned in ``tests/steps/node``) reports them here.
"""

from __future__ import annotations

import os
import subprocess
from pathlib import Path

import pytest
from sqlalchemy import select

from conftest import GitRepo
from steps.test_cucumber_js_dry_run import CUCUMBER, NODE, _require_cucumber
from tracertm import db
from tracertm.engine.sync import sync
from tracertm.models import Feature, Scenario, TestResult
from tracertm.parsers import parse
from tracertm.results import import_results
from tracertm.results.scenarios import keyword_line, scenario_ref

PATH = "features/cukes.feature.md"
MARKDOWN = """\
# Feature: Staying alive

Prose about cukes.

`@approved`
## Scenario: Eating cukes
* Given I have 3 cukes
* When I eat 2 cukes
* Then I am left with 1 cukes

## Scenario: Eating cukes
- Given I have 5 cukes
- When I eat 1 cukes
- Then I am left with 9 cukes

## Rule: Outlines

### Scenario Outline: Many cukes
+ Given I have <n> cukes
+ Then I am left with <n> cukes

#### Examples:

  | n |
  | --- |
  | 1 |
  | 1 |
"""
STEPS = """\
const { Given, When, Then } = require('@cucumber/cucumber');
let cukes = 0;
Given('I have {int} cukes', function (n) { cukes = n; });
When('I eat {int} cukes', function (n) { cukes -= n; });
Then('I am left with {int} cukes', function (n) { if (cukes !== n) throw new Error(`have ${cukes}`); });
"""


def test_the_lines_of_a_markdown_scenario_and_its_rows_are_recovered() -> None:
    (record,) = parse("feature", PATH, MARKDOWN.encode()).records
    first, second, outline = record.children
    refs = [scenario_ref(child.number, record.number, "Staying alive", PATH, child.fields)
            for child in record.children]
    assert [ref.line for ref in refs] == [first.line, second.line, outline.line] == [6, 11, 18]
    assert [(row.ident, row.line) for row in refs[2].rows] == [("1.1", 26), ("1.2", 27)]
    assert keyword_line(second.fields, PATH) == 11  # the line of its links when a backfill derives them
    assert keyword_line(second.fields) is None, "a path that is not Markdown: read as Gherkin"


def _run_cucumber(repo: GitRepo) -> Path:
    """Run cucumber-js on the repository's Markdown feature; its message, JSON and JUnit reports' folder."""
    (repo.path / "node_modules").symlink_to(NODE / "node_modules", target_is_directory=True)
    (repo.path / ".git" / "info" / "exclude").write_text("node_modules\nreport/\n")
    out = repo.path / "report"
    env = {**os.environ, "FORCE_COLOR": "0"}
    proc = subprocess.run(
        [str(CUCUMBER), "--format", f"message:{out / 'm.ndjson'}", "--format", f"json:{out / 'c.json'}",
         "--format", f"junit:{out / 'j.xml'}"],
        cwd=repo.path, capture_output=True, text=True, timeout=180, env=env,
    )
    assert "4 scenarios (1 failed, 3 passed)" in proc.stdout, proc.stdout + proc.stderr
    return out


def test_cucumber_js_results_of_a_markdown_feature_tie_to_their_scenarios(
    git_repo: GitRepo, database_url: str,
) -> None:
    _require_cucumber()
    git_repo.write(".tracertm.toml", 'feature_paths = ["features/**/*.feature.md"]\n')
    # cucumber-js reads Markdown features only when its paths name them.
    git_repo.write("cucumber.json", '{"default": {"paths": ["features/**/*.feature.md"], '
                                    '"require": ["features/step_definitions/**/*.js"]}}\n')
    git_repo.write(PATH, MARKDOWN)
    git_repo.write("features/step_definitions/steps.js", STEPS)
    git_repo.commit("markdown feature")
    assert not sync(git_repo.path, ref="HEAD", database_url=database_url, project="cukes").errors
    out = _run_cucumber(git_repo)

    expected = [("Eating cukes", None, "passed"), ("Eating cukes#2", None, "failed"),
                ("Many cukes", "1.1", "passed"), ("Many cukes", "1.2", "passed")]
    # With the repository the scenarios are read at the run's commit; without it, as the database holds them.
    for name, repo in (("m.ndjson", git_repo.path), ("c.json", None)):
        summary = import_results(database_url, "cukes", [(name, (out / name).read_bytes())],
                                 commit=git_repo.head(), repo=repo)
        assert (summary.unmatched, summary.matched) == (0, {"tag": 0, "line": 4, "name": 0}), name
        assert _results(database_url, summary.run_id) == expected, name
    # cucumber-js's JUnit names no file or line: the feature and scenario names, as for a .feature file. Its two
    # tests of one name are one test case (merged), ambiguous between the two scenarios, never tied to either.
    junit = import_results(database_url, "cukes", [("j.xml", (out / "j.xml").read_bytes())], commit=git_repo.head())
    assert (junit.matched["name"], junit.merged, junit.ambiguous) == (2, 1, 1)


def _results(url: str, run_id: object) -> list[tuple[str, str | None, str]]:
    engine = db.make_engine(url)
    try:
        with db.session(engine) as session:
            rows = session.execute(
                select(Scenario.scenario_number, TestResult.example_row, TestResult.status)
                .join(Scenario, TestResult.scenario_id == Scenario.id)
                .join(Feature, Scenario.feature_id == Feature.id)
                .where(TestResult.run_id == run_id, Feature.source_path == PATH)
            ).all()
    finally:
        engine.dispose()
    return sorted((number, row, status) for number, row, status in rows)
