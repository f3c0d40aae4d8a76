"""A Scenario Outline whose Examples give no row (a header only, or ``Examples:`` without a table): pytest-bdd 9
runs it once as written (``<n>`` not substituted), gherkin's pickles — behave, Cucumber — not at all. tracertm's
verdicts follow pytest-bdd for the scenarios its modules run, and only there; held against pytest-bdd itself
(skipped when absent), in ``steps``, ``check`` and ``sync``. Each test failed before its fix."""

from __future__ import annotations

import subprocess
import sys

from sqlalchemy import select

from conftest import GitRepo
from tracertm import db
from tracertm.checker import check
from tracertm.engine.sync import sync
from tracertm.models import StepDefinition
from tracertm.steps.packed import match_rows
from tracertm.steps.project import analyze

FEATURE = """\
Feature: F
  Scenario Outline: header only
    Given I have <n> pears
    Then exact <n> apples

    Examples:
      | n |

  Scenario Outline: no table
    Given I have <n> pears

    Examples:

  Scenario Outline: with rows
    Given I have <n> pears

    Examples:
      | n |
      | 3 |
"""
MODULE = """\
from pytest_bdd import scenarios, given, then, parsers
scenarios('../features/a.feature')

@given(parsers.parse('I have {n} pears'))
def pears(n):
    assert n in ('<n>', '3')

@then('exact <n> apples')
def apples():
    pass
"""
AS_WRITTEN = [("I have <n> pears", None, "defined"), ("exact <n> apples", None, "defined"),
              ("I have <n> pears", None, "defined"), ("I have 3 pears", 19, "defined")]


def test_pytest_bdd_runs_an_outline_without_rows_as_written(git_repo: GitRepo) -> None:
    git_repo.write("features/a.feature", FEATURE)
    git_repo.write("tests/test_a.py", MODULE)
    git_repo.commit("pytest-bdd")
    report = analyze(git_repo.path)
    assert report.errors == [] and report.warnings == []
    assert [(r.use.text, r.use.row_line, r.status) for r in report.results] == AS_WRITTEN
    assert [[a.value for a in args] for r in report.results for _, args in r.matches] == [["<n>"], [], ["<n>"], ["3"]]
    assert report.unused() == []
    assert not [w for w in check(git_repo.path).warnings if "step" in w.message]
    proc = subprocess.run([sys.executable, "-m", "pytest", "-q", "-p", "no:cacheprovider", "tests/test_a.py"],
                          cwd=git_repo.path, capture_output=True, text=True, timeout=180)
    if "No module named pytest_bdd" not in proc.stdout + proc.stderr:
        assert "3 passed" in proc.stdout, proc.stdout


def test_gherkin_frameworks_run_no_step_of_an_outline_without_rows(git_repo: GitRepo) -> None:
    """The same feature run by behave: no executed step (gherkin's pickles), so its definitions are unused."""
    git_repo.write("features/a.feature", FEATURE)
    git_repo.write("features/steps/s.py", "from behave import given, then\n\n@given('I have {n} pears')\n"
                   "def pears(ctx, n):\n    pass\n\n@then('exact <n> apples')\ndef apples(ctx):\n    pass\n")
    git_repo.commit("behave")
    report = analyze(git_repo.path)
    assert [(r.use.text, r.use.row_line, r.status) for r in report.results] == [("I have 3 pears", 19, "defined")]
    assert [d.pattern for d in report.unused()] == ["exact <n> apples"]


def _stored(database_url: str) -> list[tuple[str, str, str | None]]:
    engine = db.make_engine(database_url)
    try:
        with db.session(engine) as session:
            defs = {d.id: d.pattern for d in session.scalars(select(StepDefinition))}
            return sorted((r.step_text, r.status, defs.get(r.step_definition_id) if r.step_definition_id else None)
                          for r in match_rows(session))
    finally:
        engine.dispose()


def test_sync_stores_the_steps_as_written(git_repo: GitRepo, database_url: str) -> None:
    """A first sync (matched in the parse workers) and a later one (sync's own matching, after a feature edit)."""
    git_repo.write("features/a.feature", FEATURE)
    git_repo.write("tests/test_a.py", MODULE)
    git_repo.commit("pytest-bdd")
    assert not sync(git_repo.path, database_url=database_url).errors
    wanted = [("I have 3 pears", "defined", "I have {n} pears"),
              ("I have <n> pears", "defined", "I have {n} pears"),
              ("I have <n> pears", "defined", "I have {n} pears"),
              ("exact <n> apples", "defined", "exact <n> apples")]
    assert _stored(database_url) == wanted
    git_repo.write("features/a.feature", FEATURE.replace("Feature: F", "Feature: F2"))
    git_repo.commit("edit")
    assert not sync(git_repo.path, database_url=database_url).errors
    assert _stored(database_url) == wanted
