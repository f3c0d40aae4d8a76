"""pytest-bdd (9) fills an outline's Examples row into its steps with one regex pass over a dict of the row
(``pytest_bdd.parser.render_string``): a column named twice fills with its LAST value, and a value holding
``<column>`` is not filled again. tracertm filled a pytest-bdd scenario as gherkin's pickles do (the first value,
values filled in turn), so it named another definition than the one pytest-bdd runs. Held against a real pytest-bdd
run and its ``render_string`` (each skipped when absent), in ``steps``, ``sync`` (both databases) and for Cucumber,
which keeps gherkin's filling. Each test failed before the fix."""

from __future__ import annotations

import json
import subprocess
import sys

import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from conftest import GitRepo, run_cli
from link_rows import stored_step_matches
from tracertm.engine.sync import sync
from tracertm.parsers import parse
from tracertm.steps.outline_fill import PYTEST_BDD
from tracertm.steps.project import analyze
from tracertm.steps.scenarios import _filled, _keyword_types, as_run, executed_steps, scenario_uses

FEATURE = """\
Feature: A
  Background:
    Given background <a>

  Scenario Outline: O
    Given value <a>
    Given nested <c> here

    Examples:
      | a     | a      | c   | b      |
      | first | second | <b> | second |
"""
MODULE = """\
from pytest_bdd import scenarios, given
scenarios("features/a.feature")

@given("background second")
def background(): pass

@given("value first")
def first(): pass

@given("value second")
def second(): pass

@given("nested <b> here")
def nested_raw(): pass

@given("nested second here")
def nested_filled(): pass
"""
RUNS = ["background second", "value second", "nested <b> here"]
CONFTEST = """\
import json
import pathlib

def pytest_bdd_before_step_call(request, feature, scenario, step, step_func, step_func_args):
    with open(pathlib.Path(__file__).parent / "ran.jsonl", "a") as out:
        out.write(json.dumps([step.name, step_func.__name__]) + "\\n")
"""


def _project(git_repo: GitRepo) -> None:
    git_repo.write(".tracertm.toml", 'feature_paths = ["tests/features/**/*.feature"]\n')
    git_repo.write("tests/features/a.feature", FEATURE)
    git_repo.write("tests/test_a.py", MODULE)
    git_repo.commit("pytest-bdd")


def test_pytest_bdd_rows_are_filled_as_pytest_bdd_fills_them(git_repo: GitRepo) -> None:
    _project(git_repo)
    report = analyze(git_repo.path)
    assert report.errors == []
    assert [(r.use.text, r.status, r.use.row_line) for r in report.results] == [
        (text, "defined", 11) for text in RUNS]
    assert sorted(d.pattern for d in report.unused()) == ["nested second here", "value first"]
    steps = run_cli("steps", str(git_repo.path))
    assert "  Given nested <b> here  # tests/features/a.feature:7 (Examples row line 11)" in steps.stdout, \
        steps.stdout


def test_pytest_bdd_run_agrees(git_repo: GitRepo) -> None:
    pytest.importorskip("pytest_bdd")
    _project(git_repo)
    git_repo.write("tests/conftest.py", CONFTEST)
    git_repo.commit("conftest")
    run = subprocess.run([sys.executable, "-m", "pytest", "-q", "-p", "no:cacheprovider", "tests/test_a.py"],
                         cwd=git_repo.path, capture_output=True, text=True, timeout=180)
    assert "1 passed" in run.stdout, run.stdout + run.stderr
    ran = [json.loads(line) for line in (git_repo.path / "tests/ran.jsonl").read_text().splitlines()]
    assert [text for text, _ in ran] == RUNS
    report = analyze(git_repo.path)
    assert [(r.use.text, r.matches[0][0].line) for r in report.results] == [
        (text, next(d.line for d in report.definitions if d.pattern == text)) for text in RUNS]


def test_the_workers_fill_as_the_parent_does() -> None:
    """``executed_steps`` for pytest-bdd (a sync's parse workers) gives ``scenario_uses`` as pytest-bdd runs them."""
    result = parse("feature", "tests/features/a.feature", FEATURE.encode())
    (scenario,) = result.records[0].children
    types = _keyword_types("en")
    uses = [as_run(u, PYTEST_BDD) for u in scenario_uses(result.path, scenario, types)]
    assert [u.text for u in uses] == RUNS
    assert [(line, text, row) for line, _, _, text, row in executed_steps(scenario, types, runner=PYTEST_BDD)] == [
        (u.line, u.text, u.row_line) for u in uses]


def test_cucumber_keeps_gherkin_filling(git_repo: GitRepo) -> None:
    git_repo.write("features/a.feature", FEATURE)
    git_repo.write("features/step_definitions/s.js", "const { Given } = require('@cucumber/cucumber');\n"
                   "Given('value first', function () {});\n")
    git_repo.commit("cucumber")
    report = analyze(git_repo.path)
    assert [r.use.text for r in report.results] == ["background <a>", "value first", "nested second here"]


_PIECES = st.sampled_from(["<", ">", "a", "b", "<a>", "<b>", "<ab>", "<>", " ", "x", "<a", "b>"])
_WORDS = st.lists(_PIECES, max_size=5).map("".join)
_NAMES = st.sampled_from(["a", "b", "ab", "", "<a>", "b>", "<", "a b"])  # (a column named twice: often)
_VALUES = st.sampled_from(["x", "y", "", "<a>", "<b>", "z>", "<"])


@settings(max_examples=400, deadline=None)
@given(texts=st.lists(_WORDS, min_size=1, max_size=3), columns=st.lists(_NAMES, min_size=1, max_size=3),
       rows=st.lists(st.lists(_VALUES, min_size=3, max_size=3), min_size=1, max_size=3))
def test_filled_equals_render_string(texts: list[str], columns: list[str], rows: list[list[str]]) -> None:
    """Each step (the Background's too) as ``render_string`` fills it, whatever the row and the text hold: also where
    tracertm takes gherkin's filling for it (``outline_fill.pytest_bdd_plain_row``)."""
    parser = pytest.importorskip("pytest_bdd.parser")
    placed = [(n + 1, "Given ", "given", text, n == 0 and len(texts) > 1) for n, text in enumerate(texts)]
    table = [(columns, row[: len(columns)], 10 + k, (), None) for k, row in enumerate(rows)]
    got = [text if others[1] is None else others[1]
           for _, text, _, others, _ in _filled(placed, table, (False, True))]  # type: ignore[arg-type]
    want = [parser.render_string(text, dict(zip(columns, values)))
            for columns_, values, *_ in table for *_, text, _ in placed]
    # (a Background step: gherkin's text is as written, pytest-bdd's filled)
    assert got == want


def test_sync_stores_pytest_bdd_texts(git_repo: GitRepo, database_url: str) -> None:
    """A first sync (matched in the parse workers), then one after a feature edit (sync's own matching)."""
    _project(git_repo)
    assert not sync(git_repo.path, database_url=database_url).errors
    rows = stored_step_matches(database_url)
    assert rows == sorted((text, "defined", text) for text in RUNS)
    git_repo.write("tests/features/a.feature", FEATURE.replace("Feature: A", "Feature: A2"))
    git_repo.commit("edit")
    assert not sync(git_repo.path, database_url=database_url).errors
    assert stored_step_matches(database_url) == rows
