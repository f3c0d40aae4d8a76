"""behave and pytest-bdd fill a Scenario Outline's Examples row into the Background's steps too (text, DocString and
DataTable: their parsers substitute every step of the row's scenario); gherkin's pickles — Cucumber and the rest —
match a Background step as written. A plain Scenario, and an outline whose Examples lack the column, run the
Background step as written everywhere. tracertm matched the Background as written for every framework: behave's
and pytest-bdd's ``given('a red thing')`` showed as unused while the framework ran it, and the written step as
undefined in the rows. Held against behave's dry run and a pytest-bdd run (each skipped when absent), in ``steps``,
``check``, ``check --staged``, ``sync`` (both databases), the API and ``show``. Each test failed before the fix."""

from __future__ import annotations

import json
import subprocess
import sys
from collections.abc import Sequence

import pytest
from sqlalchemy import select

from apikit import api_client
from conftest import GitRepo, run_cli
from tracertm import db
from tracertm.engine.sync import sync
from tracertm.models import StepDefinition
from tracertm.steps.matching import StepResult
from tracertm.steps.packed import match_rows
from tracertm.steps.project import analyze

FEATURE = """\
Feature: F
  Background:
    Given a <colour> thing
      \"\"\"
      doc <colour>
      \"\"\"

  Scenario Outline: with colour
    Then done <colour>

    Examples:
      | colour |
      | red    |
      | blue   |

  Scenario Outline: without colour
    Then size <size>

    Examples:
      | size |
      | big  |

  Scenario: plain
    Then plain

  Rule: R
    Background:
      Given rule <shape>
        | col     |
        | <shape> |

    Scenario Outline: in rule
      Then shaped

      Examples:
        | shape | colour |
        | round | green  |
"""
# (step text, row line) of every executed step, in order, as behave and pytest-bdd run them.
EXECUTED = [
    ("a red thing", 13), ("done red", 13), ("a blue thing", 14), ("done blue", 14),
    ("a <colour> thing", 21), ("size big", 21),
    ("a <colour> thing", None), ("plain", None),
    ("a green thing", 37), ("rule round", 37), ("shaped", 37),
]
BEHAVE_STEPS = """\
from behave import given, then

@given('a red thing')
def red(context):
    assert context.text == 'doc red'

@given('a blue thing')
def blue(context):
    assert context.text == 'doc blue'

@given('a green thing')
def green(context):
    assert context.text == 'doc green'

@given('a <colour> thing')
def written(context):
    assert context.text == 'doc <colour>'

@given('rule round')
def round_(context):
    assert [row.cells for row in context.table.rows] == [['round']]

@given('rule <shape>')
def never(context):
    pass

@then('done {c}')
def done(context, c):
    pass

@then('size {s}')
def size(context, s):
    pass

@then('plain')
def plain(context):
    pass

@then('shaped')
def shaped(context):
    pass
"""
# Each definition's pattern → the steps it runs.
USES = {"a red thing": 1, "a blue thing": 1, "a green thing": 1, "a <colour> thing": 2, "rule round": 1,
        "rule <shape>": 0, "done {c}": 2, "size {s}": 1, "plain": 1, "shaped": 1}


def _behave_project(git_repo: GitRepo) -> None:
    git_repo.write("features/a.feature", FEATURE)
    git_repo.write("features/steps/s.py", BEHAVE_STEPS)
    git_repo.commit("behave")


def _executed(results: Sequence[StepResult]) -> list[tuple[str, int | None]]:
    return [(r.use.text, r.use.row_line) for r in results]


def test_steps_and_check_fill_the_background_for_behave(git_repo: GitRepo) -> None:
    _behave_project(git_repo)
    report = analyze(git_repo.path)
    assert report.errors == [] and report.warnings == []
    assert _executed(report.results) == EXECUTED
    assert all(r.status == "defined" for r in report.results)
    used = {d.pattern: 0 for d in report.definitions}
    for r in report.results:
        used[r.matches[0][0].pattern] += 1
    assert used == USES
    assert [d.pattern for d in report.unused()] == ["rule <shape>"]
    check = run_cli("check", str(git_repo.path))
    assert check.returncode == 0, check.stdout
    assert "unused step definition @given('rule <shape>')" in check.stdout
    assert "a red thing" not in check.stdout and "a <colour> thing" not in check.stdout, check.stdout
    steps = run_cli("steps", str(git_repo.path))
    assert "  Given a red thing  # features/a.feature:3 (Examples row line 13)" in steps.stdout, steps.stdout


def test_behave_dry_run_agrees(git_repo: GitRepo) -> None:
    """behave's own run: the executed steps, their DocString and DataTable filled too, each matched by the
    definition tracertm names (a real run, not a dry one: the definitions assert the filled DocString and table)."""
    pytest.importorskip("behave")
    _behave_project(git_repo)
    run = subprocess.run([sys.executable, "-m", "behave", "-f", "json", "-o", "out.json", "--no-summary",
                          "features"], cwd=git_repo.path, capture_output=True, text=True, timeout=120)
    assert run.returncode == 0, run.stdout + run.stderr
    theirs: list[tuple[str, str]] = []
    docs: list[str] = []
    for feature in json.loads((git_repo.path / "out.json").read_text()):
        scenarios = []
        for element in feature["elements"]:
            scenarios.extend(element.get("elements", []) if element.get("type") == "rule" else [element])
        for scenario in scenarios:
            if scenario.get("type") == "background":
                continue  # (listed as written; each scenario's steps hold it as run)
            for step in scenario["steps"]:
                theirs.append((step["name"], step["match"]["location"]))
                if "text" in step:
                    docs.append(step["text"])
    assert docs == ["doc red", "doc blue", "doc <colour>", "doc <colour>", "doc green"]
    report = analyze(git_repo.path)
    ours = [(r.use.text, f"{r.matches[0][0].path}:{r.matches[0][0].line}") for r in report.results]
    assert ours == theirs
    assert [text for text, _ in theirs] == [text for text, _ in EXECUTED]


PYTEST_BDD_MODULE = """\
from pytest_bdd import scenarios, given, then, parsers
scenarios('../features/a.feature')

@given('a red thing')
def red():
    pass

@given('a blue thing')
def blue():
    pass

@given('a green thing')
def green():
    pass

@given('a <colour> thing')
def written():
    pass

@given('rule round')
def round_():
    pass

@given('rule <shape>')
def never():
    pass

@then(parsers.parse('done {c}'))
def done(c):
    pass

@then(parsers.parse('size {s}'))
def size(s):
    pass

@then('plain')
def plain():
    pass

@then('shaped')
def shaped():
    pass
"""
# Records what pytest-bdd runs: each step's text, DocString and DataTable.
PYTEST_BDD_CONFTEST = """\
import json
import pathlib

def pytest_bdd_before_step_call(request, feature, scenario, step, step_func, step_func_args):
    table = step.datatable and [[c.value for c in row.cells] for row in step.datatable.rows]
    with open(pathlib.Path(__file__).parent / "ran.jsonl", "a") as out:
        out.write(json.dumps([step.name, step.docstring, table]) + "\\n")
"""


def test_pytest_bdd_run_agrees(git_repo: GitRepo) -> None:
    pytest.importorskip("pytest_bdd")
    git_repo.write("features/a.feature", FEATURE)
    git_repo.write("tests/test_a.py", PYTEST_BDD_MODULE)
    git_repo.write("tests/conftest.py", PYTEST_BDD_CONFTEST)
    git_repo.commit("pytest-bdd")
    run = subprocess.run([sys.executable, "-m", "pytest", "-q", "-p", "no:cacheprovider", "tests/test_a.py"],
                         cwd=git_repo.path, capture_output=True, text=True, timeout=180)
    assert "5 passed" in run.stdout, run.stdout + run.stderr
    ran = [json.loads(line) for line in (git_repo.path / "tests/ran.jsonl").read_text().splitlines()]
    assert [text for text, _, _ in ran] == [text for text, _ in EXECUTED]
    assert [doc for _, doc, _ in ran if doc] == ["doc red", "doc blue", "doc <colour>", "doc <colour>", "doc green"]
    assert [table for _, _, table in ran if table] == [[["col"], ["round"]]]
    report = analyze(git_repo.path)
    assert report.errors == []
    assert _executed(report.results) == EXECUTED
    assert all(r.status == "defined" for r in report.results)
    assert [d.pattern for d in report.unused()] == ["rule <shape>"]


def test_cucumber_matches_the_background_as_written(git_repo: GitRepo) -> None:
    """gherkin's pickles leave a Background step as written in every row: so does tracertm for Cucumber."""
    git_repo.write("features/a.feature", FEATURE)
    git_repo.write("features/step_definitions/s.js", "const { Given, Then } = require('@cucumber/cucumber');\n"
                   "Given('a red thing', function () {});\nGiven('a <colour> thing', function () {});\n"
                   "Given('rule <shape>', function () {});\nThen('done {word}', function (c) {});\n"
                   "Then('size {word}', function (s) {});\nThen('plain', function () {});\n"
                   "Then('shaped', function () {});\n")
    git_repo.commit("cucumber")
    report = analyze(git_repo.path)
    assert [text for text, _ in _executed(report.results)] == [
        "a <colour> thing", "done red", "a <colour> thing", "done blue", "a <colour> thing", "size big",
        "a <colour> thing", "plain", "a <colour> thing", "rule <shape>", "shaped"]
    assert [d.pattern for d in report.unused()] == ["a red thing"]


def test_undefined_per_row_where_behave_runs_it(git_repo: GitRepo) -> None:
    """A row whose filled Background step no definition matches is undefined at that row; the others are not."""
    git_repo.write("features/a.feature", FEATURE)
    git_repo.write("features/steps/s.py", BEHAVE_STEPS.replace("@given('a blue thing')", "@given('a grey thing')"))
    git_repo.commit("behave")
    report = analyze(git_repo.path)
    assert [(r.use.text, r.use.line, r.use.row_line) for r in report.undefined()] == [("a blue thing", 3, 14)]
    assert [d.pattern for d in report.unused()] == ["a grey thing", "rule <shape>"]
    check = run_cli("check", str(git_repo.path))
    assert ("features/a.feature:3:5: warning: undefined step 'Given a blue thing' (Examples row on line 14): no step "
            "definition matches it; write one or fix the step text") in check.stdout, check.stdout
    assert check.stdout.count("undefined step") == 1, check.stdout


def test_the_hook_reports_a_row_the_commit_leaves_undefined(git_repo: GitRepo) -> None:
    _behave_project(git_repo)
    git_repo.write("features/steps/s.py", BEHAVE_STEPS.replace("@given('a blue thing')", "@given('a grey thing')"))
    git_repo.git("add", "-A")
    result = run_cli("check", "--staged", "--format", "json", str(git_repo.path))
    assert result.returncode == 0, result.stdout
    found = json.loads(result.stdout)
    undefined = [d for d in found["warnings"] if "undefined step" in d["message"]]
    assert [(d["path"], d["line"]) for d in undefined] == [("features/a.feature", 3)], result.stdout
    assert "'Given a blue thing' (Examples row on line 14)" in undefined[0]["message"]


def _stored(database_url: str) -> tuple[list[tuple[str, int | None, str, str | None]], dict[str, int]]:
    engine = db.make_engine(database_url)
    try:
        with db.session(engine) as session:
            live = select(StepDefinition).where(StepDefinition.deleted_at.is_(None))
            defs = {d.id: d for d in session.scalars(live)}
            rows = sorted(
                ((r.step_text, r.row_line, r.status,
                  defs[r.step_definition_id].pattern if r.step_definition_id in defs else None)
                 for r in match_rows(session)), key=lambda row: (row[0], row[1] or 0))
            return rows, {d.pattern: d.usage_count for d in defs.values()}
    finally:
        engine.dispose()


def test_sync_stores_the_filled_background(git_repo: GitRepo, database_url: str) -> None:
    """A first sync (matched in the parse workers), a later one after a feature edit (sync's own matching), and
    the usage counts."""
    _behave_project(git_repo)
    assert not sync(git_repo.path, database_url=database_url).errors
    rows, uses = _stored(database_url)
    assert uses == USES
    assert ("a red thing", 13, "defined", "a red thing") in rows
    assert ("a green thing", 37, "defined", "a green thing") in rows
    assert [r for r in rows if r[0] == "a <colour> thing"] == [
        ("a <colour> thing", None, "defined", "a <colour> thing"),
        ("a <colour> thing", 21, "defined", "a <colour> thing")]
    # The API and 'show' read what the sync stored.
    with api_client(database_url) as client:
        (project,) = client.get("/api/v1/projects").json()
        listed = client.get(f"/api/v1/projects/{project['name']}/step-definitions").json()["items"]
        assert {d["pattern"]: d["usage_count"] for d in listed} == USES
        red = next(d["short_id"] for d in listed if d["pattern"] == "a red thing")
    shown = run_cli("show", red, "--database-url", database_url, "--project", project["name"])
    assert "used by (1):\n  Given a red thing  # features/a.feature:3 (Examples row line 13)" in shown.stdout, \
        shown.stdout + shown.stderr
    git_repo.write("features/a.feature", FEATURE.replace("Feature: F", "Feature: F2"))
    git_repo.commit("edit")
    assert not sync(git_repo.path, database_url=database_url).errors
    assert _stored(database_url) == (rows, uses)


def test_sync_rematches_when_behave_starts_running_the_features(git_repo: GitRepo, database_url: str) -> None:
    """A behave step module added beside a Cucumber project: its features folder is behave's now, and the rows
    stored as written are matched again filled (the new definition alone would not find them by their text)."""
    git_repo.write("features/a.feature", FEATURE)
    git_repo.write("features/step_definitions/s.js", "const { Then } = require('@cucumber/cucumber');\n"
                   "Then('shaped', function () {});\n")
    git_repo.commit("cucumber")
    assert not sync(git_repo.path, database_url=database_url).errors
    assert ("a <colour> thing", 13, "undefined", None) in _stored(database_url)[0]
    git_repo.write("features/steps/s.py", "from behave import given\n\n@given('a red thing')\n"
                   "def red(context):\n    pass\n")
    git_repo.commit("behave")
    assert not sync(git_repo.path, database_url=database_url).errors
    rows, uses = _stored(database_url)
    assert uses["a red thing"] == 1
    assert ("a red thing", 13, "defined", "a red thing") in rows
    assert ("a blue thing", 14, "undefined", None) in rows
