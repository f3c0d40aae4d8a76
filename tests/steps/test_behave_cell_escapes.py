"""behave reads an Examples table with its own parser: of a cell's escapes it undoes only ``\\|`` — ``\\n`` stays a
backslash and an ``n``, ``\\\\`` two backslashes —, and fills the outline's steps (the Background's too) with those
cells. tracertm filled every framework's rows with the gherkin parser's cells (``\\n`` a newline, ``\\\\`` one
backslash, as Cucumber and pytest-bdd read them): behave's ``the separator is \\n`` was reported undefined, and the
Windows path's argument lost half its backslashes. Held against behave's own parser (skipped when absent), in
``steps``, ``sync`` (both databases: the parse workers' matching and sync's own) and for Cucumber, which keeps
gherkin's cells. Each test failed before the fix."""

from __future__ import annotations

import pytest

from conftest import GitRepo, run_cli
from link_rows import stored_step_matches
from tracertm.engine.sync import sync
from tracertm.parsers import parse
from tracertm.steps.outline_fill import BEHAVE
from tracertm.steps.project import analyze
from tracertm.steps.scenarios import _keyword_types, as_run, executed_steps, scenario_uses

FEATURE = """\
Feature: F
  Background:
    Given the folder <path>

  Scenario Outline: O
    Given the separator is <sep>
    And the windows path is "<path>"
    And the pipe <pipe>

    Examples:
      | sep | path          | pipe |
      | \\n  | C:\\\\Users\\\\me | a\\|b |
"""
STEPS = '''\
from behave import given, use_step_matcher
use_step_matcher("re")

@given(r"the separator is (?P<sep>\\S+)")
def step_sep(context, sep):
    pass

@given(r'the windows path is "(?P<path>[^"]*)"')
def step_path(context, path):
    pass

@given(r"the folder (?P<folder>.+)")
def step_folder(context, folder):
    pass

@given(r"the pipe (?P<pipe>.+)")
def step_pipe(context, pipe):
    pass
'''
# (text, arguments) of each executed step, as behave runs them.
BEHAVE_RUNS = [
    ("the folder C:\\\\Users\\\\me", ["C:\\\\Users\\\\me"]),
    ("the separator is \\n", ["\\n"]),
    ('the windows path is "C:\\\\Users\\\\me"', ["C:\\\\Users\\\\me"]),
    ("the pipe a|b", ["a|b"]),
]


def _project(git_repo: GitRepo) -> None:
    git_repo.write("features/a.feature", FEATURE)
    git_repo.write("features/steps/s.py", STEPS)
    git_repo.commit("behave")


def test_behave_rows_are_filled_with_the_cells_behave_reads(git_repo: GitRepo) -> None:
    _project(git_repo)
    report = analyze(git_repo.path)
    assert report.errors == [] and report.warnings == []
    assert [(r.use.text, [a.value for a in r.matches[0][1]]) for r in report.results] == BEHAVE_RUNS
    assert all(r.status == "defined" and r.use.row_line == 12 for r in report.results)
    steps = run_cli("steps", str(git_repo.path))
    assert "  Given the separator is \\n  # features/a.feature:6 (Examples row line 12)" in steps.stdout, steps.stdout
    assert "UNDEFINED STEPS[0]" in steps.stdout


def test_behave_parser_agrees() -> None:
    behave_parser = pytest.importorskip("behave.parser")
    feature = behave_parser.parse_feature(FEATURE)
    (scenario,) = feature.scenarios[0].scenarios
    assert [step.name for step in scenario.all_steps] == [text for text, _ in BEHAVE_RUNS]


def test_the_workers_fill_as_the_parent_does() -> None:
    """``executed_steps`` for behave (a sync's parse workers) gives ``scenario_uses`` as behave runs them."""
    result = parse("feature", "features/a.feature", FEATURE.encode())
    (scenario,) = result.records[0].children
    types = _keyword_types("en")
    uses = [as_run(u, BEHAVE) for u in scenario_uses(result.path, scenario, types)]
    assert [u.text for u in uses] == [text for text, _ in BEHAVE_RUNS]
    assert [(line, text, row) for line, _, _, text, row in executed_steps(scenario, types, runner=BEHAVE)] == [
        (u.line, u.text, u.row_line) for u in uses]


def test_cucumber_keeps_gherkin_cells(git_repo: GitRepo) -> None:
    git_repo.write("features/a.feature", FEATURE)
    git_repo.write("features/step_definitions/s.js", "const { Given } = require('@cucumber/cucumber');\n"
                   "Given(/^the separator is (\\S+)$/, function (s) {});\n")
    git_repo.commit("cucumber")
    report = analyze(git_repo.path)
    texts = [r.use.text for r in report.results]
    assert texts == ["the folder <path>", "the separator is \n", 'the windows path is "C:\\Users\\me"',
                     "the pipe a|b"]
    assert [r.status for r in report.results] == ["undefined"] * 4  # (\S+ matches no newline)


def test_sync_stores_behave_texts(git_repo: GitRepo, database_url: str) -> None:
    """A first sync (matched in the parse workers), then one after a feature edit (sync's own matching)."""
    _project(git_repo)
    assert not sync(git_repo.path, database_url=database_url).errors
    rows = stored_step_matches(database_url)
    assert sorted(text for text, _, _ in rows) == sorted(text for text, _ in BEHAVE_RUNS)
    assert {status for _, status, _ in rows} == {"defined"}
    git_repo.write("features/a.feature", FEATURE.replace("Feature: F", "Feature: F2"))
    git_repo.commit("edit")
    assert not sync(git_repo.path, database_url=database_url).errors
    assert stored_step_matches(database_url) == rows
