"""``tracertm steps --staged`` reads the configuration the commit will hold (the index's ``.tracertm.toml``, else
its ``pyproject.toml``'s ``[tool.tracertm]``), as ``check --staged`` does, not the work tree's."""

from __future__ import annotations

import json

import pytest

from conftest import GitRepo
from tracertm.checker import check
from tracertm.cli import main
from tracertm.steps.project import analyze

FEATURE = "Feature: F\n  Scenario: s\n    Given an empty basket\n"
GLUE = "const { Given } = require('@cucumber/cucumber');\nGiven('an empty basket', function () {});\n"


def _repo(repo: GitRepo, config: str, staged: str, work: str) -> None:
    """Step definitions under ``glue/``; the committed/staged configuration names ``staged`` as step_paths, the work
    tree's ``work``."""
    repo.write("features/a.feature", FEATURE)
    repo.write("glue/a.js", GLUE)
    repo.write("other/b.js", "const { Given } = require('@cucumber/cucumber');\nGiven('something else', () => {});\n")
    table = "[tool.tracertm]\n" if config == "pyproject.toml" else ""
    repo.write(config, f'{table}step_paths = ["{staged}"]\n')
    repo.commit("glue")
    repo.write(config, f'{table}step_paths = ["{work}"]\n')  # not staged: not the commit's


@pytest.mark.parametrize("config", [".tracertm.toml", "pyproject.toml"])
def test_steps_staged_follows_the_staged_step_paths(git_repo: GitRepo, config: str) -> None:
    _repo(git_repo, config, "glue/**/*.js", "other/**/*.js")
    staged = analyze(git_repo.path, staged=True)
    assert [(d.path, d.pattern) for d in staged.definitions] == [("glue/a.js", "an empty basket")]
    assert staged.undefined() == [] and staged.errors == []
    work = analyze(git_repo.path)  # the work tree's configuration for the work tree
    assert [d.path for d in work.definitions] == ["other/b.js"] and len(work.undefined()) == 1


def test_steps_staged_agrees_with_check_staged(git_repo: GitRepo, capsys: pytest.CaptureFixture[str]) -> None:
    """The work tree's configuration would find no definition for the step; the staged one finds it: ``steps
    --staged --undefined`` exits 0 and ``check --staged --all`` reports nothing undefined either."""
    _repo(git_repo, ".tracertm.toml", "glue/**/*.js", "nowhere/**/*.js")
    code = main(["steps", str(git_repo.path), "--staged", "--undefined", "--format", "json"])
    data = json.loads(capsys.readouterr().out)
    assert (code, data["undefined"]) == (0, [])
    assert [w for w in check(git_repo.path, staged=True, all_files=True).warnings if "undefined" in w.message] == []


def test_steps_staged_takes_a_staged_configuration_change(git_repo: GitRepo) -> None:
    """A staged change of step_paths counts even when the work tree's file says something else again."""
    _repo(git_repo, ".tracertm.toml", "other/**/*.js", "other/**/*.js")
    git_repo.write(".tracertm.toml", 'step_paths = ["glue/**/*.js"]\n')
    git_repo.git("add", ".tracertm.toml")
    git_repo.write(".tracertm.toml", 'step_paths = ["nowhere/**/*.js"]\n')
    assert [d.path for d in analyze(git_repo.path, staged=True).definitions] == ["glue/a.js"]
    assert [d.path for d in analyze(git_repo.path, ref="HEAD").definitions] == []  # --ref: the work tree's config
