"""playwright-bdd's ``createBdd(test, { tags: '@mobile' })`` gives every step its functions define those tags (its
docs/api.md). The steps are mostly written in other files (``import { Given } from './fixtures'``), which tracertm
reads one at a time, so it cannot scope them: it took them as untagged without a word — a text defined for mobile
and for desktop by two such ``createBdd`` calls was reported ambiguous with nothing to say why. Now the call is a
warning at its line that says so and what to write instead."""

from __future__ import annotations

from conftest import GitRepo
from tracertm.steps.project import analyze

FIXTURES = """\
import { test as base, createBdd } from 'playwright-bdd';

export const test = base.extend({});
export const mobile = createBdd(test, { tags: '@mobile' });
export const { Given, When, Then } = createBdd(test);
"""


def test_create_bdd_tags_are_a_warning(git_repo: GitRepo) -> None:
    git_repo.write("features/fixtures.ts", FIXTURES)
    git_repo.write("features/menu.steps.ts", "import { mobile } from './fixtures';\n\n"
                                             "mobile.Given('the menu opens', async () => {});\n")
    git_repo.write(".tracertm.toml", 'step_paths = ["features/**/*.ts"]\n')
    git_repo.commit("playwright-bdd")
    report = analyze(git_repo.path)
    assert not report.errors, report.errors
    assert [(w.path, w.line, w.message) for w in report.warnings] == [
        ("features/fixtures.ts", 4, "createBdd(...)'s tags are not read: tracertm takes the steps its functions "
         "define as untagged, which may make their steps ambiguous; tag each step instead (Given('…', { tags: "
         "'@mobile' }, …))")]
    assert [(d.path, d.line, d.scopes) for d in report.definitions] == [("features/menu.steps.ts", 3, ())]
