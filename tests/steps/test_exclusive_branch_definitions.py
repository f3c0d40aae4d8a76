"""One step defined in each branch of an ``if``/``else``, a ``try``/``except ImportError`` (behave, pytest-bdd) or a
JavaScript ``if``/``else`` / ``try``/``catch``: only one branch runs, so the framework registers one definition.
tracertm compared them as rivals: behave's load-time AmbiguousStep (an error failing ``check`` and the hook) and an
ambiguous step for cucumber-js. Now each definition carries the branches it sits in (``alternatives``); definitions
of different branches of one statement never refuse each other nor make a step ambiguous: the step links to the
first in the file, and the other is no unused definition. Through sync too, and from the rows of a step file that
does not parse now."""

from __future__ import annotations

from sqlalchemy import select

from conftest import GitRepo
from tracertm import db
from tracertm.checker import check
from tracertm.engine.sync import sync
from tracertm.models import StepDefinition
from tracertm.steps.packed import match_rows
from tracertm.steps.project import analyze

BEHAVE = '''import sys
from behave import given

if sys.version_info >= (3, 0):
    @given("the platform is ready")
    def ready(context):
        pass
else:
    @given("the platform is ready")
    def ready(context):
        pass

try:
    import tomllib
    @given("toml is {state}")
    def toml_state(context, state):
        pass
except ImportError:
    @given("toml is {state}")
    def toml_state(context, state):
        pass
'''
BEHAVE_FEATURE = "Feature: F\n  Scenario: S\n    Given the platform is ready\n    And toml is ok\n"

JS = '''const { Given } = require('@cucumber/cucumber');
if (process.env.REMOTE) {
  Given('the browser is open', function () {});
} else if (process.env.GRID) {
  Given('the browser is open', function () {});
} else {
  Given('the browser is open', function () {});
}
try {
  require('playwright');
  Given('a page', function () {});
} catch (e) {
  Given('a page', function () {});
}
'''
JS_FEATURE = "Feature: F\n  Scenario: S\n    Given the browser is open\n    And a page\n"

# Not alternatives: both in one branch, or one in a branch and one after the statement.
SAME_BRANCH = '''from behave import given

if True:
    @given("a step")
    def one(context):
        pass
    @given("a step")
    def two(context):
        pass

@given("b step")
def three(context):
    pass

if True:
    @given("b step")
    def four(context):
        pass
'''


def _uses(repo: GitRepo) -> list[tuple[int, str, list[str]]]:
    report = analyze(repo.path)
    return [(r.use.line, r.status, [d.location for d, _ in r.matches]) for r in report.results]


def test_behave_definitions_in_exclusive_branches_are_not_ambiguous(git_repo: GitRepo) -> None:
    git_repo.write("features/a.feature", BEHAVE_FEATURE)
    git_repo.write("features/steps/s.py", BEHAVE)
    git_repo.commit("branches")
    result = check(git_repo.path)
    assert result.errors == [] and result.warnings == []
    assert _uses(git_repo) == [(3, "defined", ["features/steps/s.py:5"]), (4, "defined", ["features/steps/s.py:15"])]
    assert analyze(git_repo.path).unused() == []


def test_cucumber_js_definitions_in_exclusive_branches_are_not_ambiguous(git_repo: GitRepo) -> None:
    git_repo.write("features/a.feature", JS_FEATURE)
    git_repo.write("features/step_definitions/s.js", JS)
    git_repo.commit("branches")
    result = check(git_repo.path)
    assert result.errors == [] and result.warnings == []
    assert _uses(git_repo) == [(3, "defined", ["features/step_definitions/s.js:3"]),
                               (4, "defined", ["features/step_definitions/s.js:11"])]


def test_definitions_of_one_branch_or_outside_it_are_still_ambiguous(git_repo: GitRepo) -> None:
    git_repo.write("features/a.feature", "Feature: F\n  Scenario: S\n    Given a step\n    And b step\n")
    git_repo.write("features/steps/s.py", SAME_BRANCH)
    git_repo.commit("same branch")
    errors = check(git_repo.path).errors
    assert [(e.line, "AmbiguousStep" in e.message) for e in errors] == [(7, True), (16, True)]


def _state(database_url: str) -> list[tuple[str, str, int | None]]:
    """(step text, status, line of the matched definition) per match row."""
    engine = db.make_engine(database_url)
    try:
        with db.session(engine) as session:
            defs = {d.id: d for d in session.scalars(select(StepDefinition))}
            return sorted((r.step_text, r.status, defs[r.step_definition_id].line if r.step_definition_id else None)
                          for r in match_rows(session))
    finally:
        engine.dispose()


def test_sync_links_the_first_branch_also_from_stored_rows(git_repo: GitRepo, database_url: str) -> None:
    git_repo.write("features/a.feature", JS_FEATURE)
    git_repo.write("features/step_definitions/s.js", JS)
    git_repo.commit("branches")
    result = sync(git_repo.path, database_url=database_url)
    assert not result.errors
    want = [("a page", "defined", 11), ("the browser is open", "defined", 3)]
    assert _state(database_url) == want

    # The step file does not parse now: its definitions are rebuilt from their rows, still alternatives.
    git_repo.write("features/step_definitions/s.js", JS + "Given('broken', function () {\n")
    git_repo.write("features/a.feature", JS_FEATURE + "  Scenario: T\n    Given the browser is open\n")
    git_repo.commit("broken")
    sync(git_repo.path, database_url=database_url)
    assert _state(database_url) == sorted([*want, ("the browser is open", "defined", 3)])
