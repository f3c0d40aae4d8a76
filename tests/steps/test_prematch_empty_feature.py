"""A feature file with no feature in it (empty, or only comments) next to step files: the parse workers' step
matching (``tracertm.steps.prematch``) read the index of the file's last feature after its loop, which an empty
file never bound — ``UnboundLocalError``, and a first sync reported the file as "parser failed ... please report
this file" (exit 1). Found on godog's own ``features/empty.feature`` (https://github.com/cucumber/godog, MIT), an
empty file."""

from __future__ import annotations

from conftest import GitRepo, run_cli
from tracertm.engine.sync import sync

STEPS = '''\
package features

import "github.com/cucumber/godog"

func InitializeScenario(ctx *godog.ScenarioContext) {
\tctx.Step(`^a step$`, aStep)
}
'''


def _repo(git_repo: GitRepo) -> None:
    git_repo.write("features/empty.feature", "")
    git_repo.write("features/comments.feature", "# nothing here yet\n")
    git_repo.write("features/a.feature", "Feature: A\n  Scenario: s\n    Given a step\n")
    git_repo.write("suite_test.go", STEPS)
    git_repo.commit("godog project")


def test_first_sync_with_an_empty_feature_file(git_repo: GitRepo, database_url: str) -> None:
    _repo(git_repo)
    result = sync(git_repo.path, database_url=database_url, project="p")
    assert not result.errors, result.errors


def test_cli_sync_with_an_empty_feature_file(git_repo: GitRepo, database_url: str) -> None:
    _repo(git_repo)
    proc = run_cli("sync", str(git_repo.path), "--database-url", database_url, "--project", "p")
    assert proc.returncode == 0, proc.stdout + proc.stderr
    assert "parser failed" not in proc.stdout + proc.stderr
