"""playwright-bdd's scoped step definitions: ``Given('…', { tags: '@foo' }, fn)`` and the ``@tags`` of the step file's
path (``features/@mobile/steps.ts``) bind a definition to the scenarios whose tags (the feature's, the rule's and the
scenario's, and those of the feature file's own path) match. playwright-bdd's ``StepFinder.filterByTags``: of the
definitions matching a step, those whose tags match the scenario if there are any, else those without tags — so two
definitions of one text with different tags are no ambiguity. tracertm called every such step ambiguous, in
``steps``, ``check`` and sync's rows.

The fixture is cut down from playwright-bdd's ``test/scoped-steps`` (https://github.com/vitalets/playwright-bdd,
MIT)."""

from __future__ import annotations

from typing import Any

from conftest import GitRepo
from tracertm import db
from tracertm.engine.sync import sync
from tracertm.steps.project import analyze

FIXTURES = """\
import { test as base, createBdd } from 'playwright-bdd';

export const test = base.extend({});
export const { Given, When, Then } = createBdd(test);
"""

STEPS = """\
import { Given } from './fixtures';

Given('step without tags', async ({ $testInfo }) => {});

Given('step bound to feature', { tags: '@foo' }, async ({ $testInfo }) => {});

Given('step bound to feature', { tags: '@bar' }, async ({ $testInfo }) => {});

Given('step with and without tag', async ({ $testInfo, $step }) => {});

Given('step with and without tag', { tags: '@foo' }, async ({ $testInfo, $step }) => {});
"""

MOBILE = """\
import { Given } from '../fixtures';

Given('the menu opens', async () => {});
"""

DESKTOP = MOBILE

FOO = """\
@foo
Feature: feature foo

  Scenario: scenario foo
    Given step without tags
    Given step with and without tag
    Given step bound to feature
"""

BAR = """\
@bar
Feature: feature bar

  Scenario: scenario bar
    Given step without tags
    Given step with and without tag
    Given step bound to feature

  @mobile
  Scenario: on a phone
    Given the menu opens

  Scenario: anywhere else
    Given the menu opens
"""

# (feature file, line) → (status, the definitions' lines in their files)
EXPECTED = {
    ("foo.feature", 5): ("defined", ["steps.ts:3"]),
    ("foo.feature", 6): ("defined", ["steps.ts:11"]),  # the tagged one wins over the untagged one
    ("foo.feature", 7): ("defined", ["steps.ts:5"]),
    ("bar.feature", 5): ("defined", ["steps.ts:3"]),
    ("bar.feature", 6): ("defined", ["steps.ts:9"]),  # @foo does not match: the untagged one
    ("bar.feature", 7): ("defined", ["steps.ts:7"]),
    ("bar.feature", 11): ("defined", ["menu.ts:3"]),  # the path's @mobile
    ("bar.feature", 14): ("undefined", []),  # neither @mobile nor @desktop
    ("desk.feature", 3): ("defined", ["menu.ts:3"]),  # its path's @desktop (TagsFromPathInjector)
}


def _write(git_repo: GitRepo) -> None:
    git_repo.write("features/fixtures.ts", FIXTURES)
    git_repo.write("features/steps.ts", STEPS)
    git_repo.write("features/@mobile/menu.ts", MOBILE)
    git_repo.write("features/@desktop/menu.ts", DESKTOP)
    git_repo.write("features/foo.feature", FOO)
    git_repo.write("features/bar.feature", BAR)
    git_repo.write("features/@desktop/desk.feature", "Feature: desk\n  Scenario: s\n    Given the menu opens\n")
    git_repo.write(".tracertm.toml", 'step_paths = ["features/**/*.ts"]\n')
    git_repo.commit("playwright-bdd project")


def _where(path: str, line: int) -> str:
    return f"{path.rsplit('/', 1)[-1]}:{line}"


def test_tagged_definitions_match_their_scenarios_only(git_repo: GitRepo) -> None:
    _write(git_repo)
    report = analyze(git_repo.path)
    assert not report.errors, report.errors
    verdicts = {(_where(r.use.path, r.use.line).split(":")[0], r.use.line):
                (r.status, [_where(d.path, d.line) for d, _ in r.matches]) for r in report.results}
    assert verdicts == EXPECTED
    assert [d.path for d, _ in next(r for r in report.results if r.use.path.endswith("desk.feature")).matches] == [
        "features/@desktop/menu.ts"]
    scoped = {(d.path, d.line): d.scopes for d in report.definitions if d.scopes}
    assert scoped == {("features/steps.ts", 5): (("@foo", None, None),),
                      ("features/steps.ts", 7): (("@bar", None, None),),
                      ("features/steps.ts", 11): (("@foo", None, None),),
                      ("features/@mobile/menu.ts", 3): (("@mobile", None, None),),
                      ("features/@desktop/menu.ts", 3): (("@desktop", None, None),)}


def test_a_sync_stores_the_tagged_verdicts(git_repo: GitRepo, database_url: str) -> None:
    from sqlalchemy import select

    from tracertm.models import Feature, Scenario, StepDefinition
    from tracertm.steps.packed import match_rows

    _write(git_repo)
    assert not sync(git_repo.path, database_url=database_url).errors
    engine = db.make_engine(database_url)
    try:
        with db.session(engine) as session:
            where = {row.id: _where(row.source_path or "", row.line or 0)
                     for row in session.execute(select(StepDefinition)).scalars()}
            paths = dict(session.execute(select(Scenario.id, Feature.source_path)
                                         .join(Feature, Scenario.feature_id == Feature.id)).all())
            stored: dict[tuple[str, int], tuple[str, list[Any]]] = {}
            for r in match_rows(session):
                key = (str(paths[r.scenario_id]).rsplit("/", 1)[-1], r.line)
                status, found = stored.setdefault(key, (r.status, []))
                if r.step_definition_id is not None:
                    found.append(where[r.step_definition_id])
        assert stored == EXPECTED
    finally:
        engine.dispose()


# The step decorators of a class take its ``@Fixture({ tags })`` (playwright-bdd's ``defaultTags``, ANDed with the
# step's own tags; a subclass's steps its own fixture's, not its parent's). Cut down from playwright-bdd's
# ``test/scoped-steps-decorators``, where tracertm found 3 ambiguous steps while all 4 scenarios run.
POMS = """\
import { Given, Fixture } from 'playwright-bdd/decorators';

@Fixture({ name: 'adminPage', tags: '@admin' })
class AdminPage {
  @Given('I open the page')
  open() {}

  @Given('I open the page', { tags: 'not @admin' })
  never() {}
}

export
@Fixture<typeof test>({ name: 'userPage', tags: '@user' })
class UserPage {
  @Given('I open the page')
  open() {}
}

@Fixture({ tags: '@base' })
export class Base {
  @Given('I open the page')
  open() {}
}

@Fixture('childPage')
export class Child extends Base {
  @Given('a child step', { tags: '@child' })
  step() {}
}

@Fixture({ name: 'other', tags: someTags })
class Other {
  @Given('another step')
  step() {}
}
"""

PAGES = """\
Feature: pages

  @admin
  Scenario: admin
    Given I open the page

  @user
  Scenario: user
    Given I open the page

  @base @child
  Scenario: child
    Given I open the page
    Given a child step
"""


def test_a_fixture_s_tags_scope_its_class_s_steps(git_repo: GitRepo) -> None:
    git_repo.write("features/poms.ts", POMS)
    git_repo.write("features/pages.feature", PAGES)
    git_repo.write(".tracertm.toml", 'feature_paths = ["features/*.feature"]\nstep_paths = ["features/*.ts"]\n')
    git_repo.commit("playwright-bdd decorators")
    report = analyze(git_repo.path)
    assert not report.errors, report.errors
    assert [(w.line, w.message) for w in report.warnings] == [
        (31, "the @Fixture(...)'s tags cannot be read (not a string literal): tracertm takes its class's steps as "
             "untagged by it, which may make their steps ambiguous")]
    assert {d.line: d.scopes for d in report.definitions} == {
        5: (("@admin", None, None),), 8: (("(@admin) and (not @admin)", None, None),),  # never matches
        15: (("@user", None, None),), 21: (("@base", None, None),), 27: (("@child", None, None),), 33: ()}
    assert [(r.use.line, r.status, [d.line for d, _ in r.matches]) for r in report.results] == [
        (5, "defined", [5]), (9, "defined", [15]), (13, "defined", [21]), (14, "defined", [27])]


# An outline row's pickle has its Examples block's tags too, and playwright-bdd scopes its steps by the pickle's tags
# (``TestGen``'s ``testTags``): each row runs the definition its block's tag selects. tracertm read the scenario's
# tags alone: the step undefined in both rows, both definitions unused.
ROWS_STEPS = """\
import { createBdd } from 'playwright-bdd';
const { Given } = createBdd();

Given('a step', { tags: '@one' }, async () => {});
Given('a step', { tags: '@two' }, async () => {});
"""

ROWS = """\
Feature: rows

  Scenario Outline: tagged rows
    Given a step

    @one
    Examples:
      | n |
      | 1 |

    @two
    Examples:
      | n |
      | 2 |
"""


def test_an_examples_block_s_tags_scope_its_rows(git_repo: GitRepo, database_url: str) -> None:
    from sqlalchemy import select

    from tracertm.engine.parse import parse_one
    from tracertm.models import StepDefinition
    from tracertm.parsers.records import ParserOptions
    from tracertm.steps import prematch
    from tracertm.steps.packed import match_rows

    git_repo.write("features/steps.ts", ROWS_STEPS)
    git_repo.write("features/rows.feature", ROWS)
    git_repo.write(".tracertm.toml", 'feature_paths = ["features/*.feature"]\nstep_paths = ["features/*.ts"]\n')
    git_repo.commit("playwright-bdd tagged Examples")
    report = analyze(git_repo.path)
    assert not report.errors, report.errors
    assert [(r.use.row_line, r.status, [d.line for d, _ in r.matches]) for r in report.results] == [
        (9, "defined", [4]), (14, "defined", [5])]
    assert not report.warnings  # (both definitions used)
    # as the parse workers match it
    options = ParserOptions()
    found = prematch.matcher({"features/steps.ts": parse_one("features/steps.ts", "step_definition",
                                                             ROWS_STEPS.encode(), options)}, "spawn")
    assert found is not None
    result = parse_one("features/rows.feature", "feature", ROWS.encode(), options)
    found(result)  # type: ignore[arg-type]
    worker = prematch.prematched([result], found.key)  # type: ignore[list-item]
    assert worker is not None and [s.statuses for s in worker.values()] == [{"defined": 2}]
    # and as a sync stores it
    assert not sync(git_repo.path, database_url=database_url).errors
    engine = db.make_engine(database_url)
    try:
        with db.session(engine) as session:
            line = {row.id: row.line for row in session.execute(select(StepDefinition)).scalars()}
            assert sorted((r.row_line, r.status, line.get(r.step_definition_id)) for r in match_rows(session)) == [
                (9, "defined", 4), (14, "defined", 5)]
    finally:
        engine.dispose()
