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


def _service(name: str) -> str:
    return f"@FEAT-1\nFeature: {name}\n\n  @SC-1\n  Scenario: {name} one\n    Given a card\n"


@pytest.mark.parametrize("service", ["a", "b"])
def test_a_sibling_projects_files_are_not_read(
    git_repo: GitRepo, database_url: str, monkeypatch: pytest.MonkeyPatch, tmp_path: Path,
    capsys: pytest.CaptureFixture[str], service: str,
) -> None:
    """Two services of a monorepo with the same layout (``svc/a``, ``svc/b``): each folder holds as many of the
    project's paths, and the shorter one won the tie, so ``b``'s features at the run's commit were read from
    ``svc/a`` and its tested scenario was stale. The folder a sync names as the project is named wins, as the API
    and ``show --at`` find it (``project_root.spec_root``)."""
    for name in ("a", "b"):
        git_repo.write(f"svc/{name}/features/x.feature", _service(name.upper()))
    git_repo.commit("two services")
    monkeypatch.chdir(git_repo.path)
    monkeypatch.setenv("TRACERTM_DATABASE_URL", database_url)
    assert _cli(capsys, "sync", f"svc/{service}")[0] == 0
    git_repo.write(f"svc/{service}/features/x.feature", _service(service.upper()).replace("one", "two"))
    ran = git_repo.commit("renamed")
    report = tmp_path / "report.json"
    report.write_text(json.dumps([{
        "uri": "features/x.feature", "id": "x", "keyword": "Feature", "name": "X", "line": 2,
        "elements": [{"id": "x;one", "keyword": "Scenario", "name": "w", "line": 5, "type": "scenario",
                      "tags": [{"name": "@SC-1", "line": 4}],
                      "steps": [{"keyword": "Given ", "name": "a card", "line": 6,
                                 "result": {"status": "passed", "duration": 1}}]}]}]))
    code, _out, err = _cli(capsys, "results", "import", str(report), "--project", service, "--commit", ran)
    assert code == 0, err
    git_repo.write(f"svc/{service}/features/y.feature", "@FEAT-2\nFeature: Other\n")
    assert _cli(capsys, "sync", f"svc/{service}")[0] == 0  # a work-tree sync after the run: the rename's revision
    code, out, err = _cli(capsys, "coverage", "--project", service, "--format", "json")
    assert code == 0, err
    assert json.loads(out)["stale"] == []
