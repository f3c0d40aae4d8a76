"""A step that runs other steps is no step definition of them: ``Step(this, 'I fill in …')`` — the
@badeball/cypress-cucumber-preprocessor idiom (its ``docs/step-definitions.md``, MIT,
https://github.com/badeball/cypress-cucumber-preprocessor) — calls the step ``I fill in …`` from inside the
definition of ``I fill in the entire form``. tracertm took each such call for a definition whose pattern was not
a literal: an error at its line (``step definition Step(this) cannot be read``), exit 1 on a valid file."""

from __future__ import annotations

from conftest import GitRepo
from tracertm.steps.project import analyze

STEPS = """\
import { When, Step } from "@badeball/cypress-cucumber-preprocessor";

When("I fill in the entire form", function () {
  Step(this, 'I fill in "john.doe" for "Username"');
  Step(this, 'I fill in "password" for "Password"');
});

When("I fill in {string} for {string}", function (value, field) {});
"""

FEATURE = """\
Feature: form
  Scenario: s
    When I fill in the entire form
"""


def test_step_calls_inside_a_definition_are_not_definitions(git_repo: GitRepo) -> None:
    git_repo.write("cypress/e2e/form.steps.ts", STEPS)
    git_repo.write("features/form.feature", FEATURE)
    git_repo.commit("cypress project")
    report = analyze(git_repo.path)
    assert not report.errors, report.errors
    assert [(d.line, d.pattern) for d in report.definitions] == [
        (3, "I fill in the entire form"), (8, "I fill in {string} for {string}")]
    assert [(r.use.line, r.status, [d.line for d, _ in r.matches]) for r in report.results] == [(3, "defined", [3])]
