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
