"""``coverage``'s stale rule for a project synced from a sub-folder of its repository (``tracertm sync svc``: its
paths are relative to ``svc/``). Its features at the run's commit were read from the repository's top, where no
path of the project's is, so every scenario a work-tree sync recorded was stale though the run tested exactly that
content (the README's quick start: the demo's ``sample-repo`` inside tracertm's own repository)."""

from __future__ import annotations

import json
from pathlib import Path

import pytest

from conftest import GitRepo
from test_coverage_stale_worktree import LOGIN, _cli, login_report


def test_a_subfolder_project_tested_as_synced_is_not_stale(
    git_repo: GitRepo, database_url: str, monkeypatch: pytest.MonkeyPatch, tmp_path: Path,
    capsys: pytest.CaptureFixture[str],
) -> None:
    git_repo.write("features/other.feature", "Feature: The top's own\n\n  Scenario: Unrelated\n    Given x\n")
    git_repo.write("svc/features/login.feature", LOGIN)
    git_repo.commit("login")
    report = login_report(tmp_path)
    monkeypatch.chdir(git_repo.path)  # the commands run from the top, as the quick start's
    monkeypatch.setenv("TRACERTM_DATABASE_URL", database_url)
    assert _cli(capsys, "sync", "svc")[0] == 0  # the work tree: its revisions name no commit
    code, _out, err = _cli(capsys, "results", "import", str(report), "--project", "svc")
    assert code == 0, err
    code, out, err = _cli(capsys, "coverage", "--project", "svc", "--format", "json")
    assert code == 0, err
    assert json.loads(out)["stale"] == []

    git_repo.write("svc/features/login.feature", LOGIN.replace("  Scenario: Bad password\n    Given a user",
                                                               "  Scenario: Bad password\n    Given a locked user"))
    assert _cli(capsys, "sync", "svc")[0] == 0  # uncommitted: the run's commit does not hold it
    code, out, err = _cli(capsys, "coverage", "--project", "svc", "--format", "json")
    assert [item["scenario"] for item in json.loads(out)["stale"]] == ["login/Bad password"]
