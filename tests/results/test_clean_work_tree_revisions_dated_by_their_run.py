"""A plain ``tracertm sync`` of a clean work tree writes revisions that name no commit and records HEAD on its run:
the results code dates them by that commit (``history.dated``, as ``show --at`` does). ``coverage`` does not call a
scenario stale over a pure ``git mv`` of its feature file, nor when the run's commit holds the scenario under the
file's old name; an import without the repository (an upload, the CLI outside it) reads the lines a plain sync
recorded at the run's commit. SQLite and PostgreSQL."""

from __future__ import annotations

import json
from pathlib import Path

import pytest

from apikit import api_client, make_token
from conftest import GitRepo
from stale_cli import cli, stale
from tracertm.engine.sync import sync
from tracertm.results import import_results

CART = "@FEAT-1\nFeature: Cart\n\n  @SC-1\n  Scenario: Add\n    Given x\n"
UNTAGGED = "Feature: Cart\n\n  Scenario: Add\n    Given x\n"


def _cucumber(line: int, tags: list[str]) -> bytes:
    """A Cucumber JSON report of ``features/cart.feature``'s scenario "Add", at ``line``, passed."""
    return json.dumps([{
        "uri": "features/cart.feature", "id": "cart", "keyword": "Feature", "name": "Cart", "line": 1,
        "elements": [{"id": "cart;add", "name": "Add", "line": line, "keyword": "Scenario", "type": "scenario",
                      "tags": [{"name": tag} for tag in tags],
                      "steps": [{"keyword": "Given ", "name": "x", "line": line + 1,
                                 "result": {"status": "passed", "duration": 1}}]}],
    }]).encode()


@pytest.fixture
def here(git_repo: GitRepo, database_url: str, monkeypatch: pytest.MonkeyPatch) -> GitRepo:
    """The command line in the repository, against ``database_url``."""
    monkeypatch.chdir(git_repo.path)
    monkeypatch.setenv("TRACERTM_DATABASE_URL", database_url)
    return git_repo


def test_a_pure_move_of_the_feature_file_after_the_run_leaves_it_not_stale(
    here: GitRepo, tmp_path: Path, capsys: pytest.CaptureFixture[str],
) -> None:
    here.write("features/cart.feature", CART)
    here.commit("cart")
    cli(capsys, "sync")  # clean: HEAD on the run, no commit on the revisions
    report = tmp_path / "run.json"
    report.write_bytes(_cucumber(5, ["@SC-1"]))
    cli(capsys, "results", "import", str(report))
    assert stale(capsys) == []
    here.git("mv", "features/cart.feature", "features/basket.feature")
    here.commit("rename the file only")
    cli(capsys, "sync")
    assert stale(capsys) == []  # was ['FEAT-1/SC-1']: looked for in basket.feature at the run's commit


def test_a_run_of_the_commit_before_a_rename_synced_after_it_tested_the_scenario(
    here: GitRepo, tmp_path: Path, capsys: pytest.CaptureFixture[str],
) -> None:
    """The first sync came after the rename: its HEAD is not in the run's history, and the run's commit holds the
    scenario in cart.feature, a name the project never had."""
    here.write("features/cart.feature", CART)
    before = here.commit("cart")
    here.git("mv", "features/cart.feature", "features/basket.feature")
    here.commit("rename the file only")
    cli(capsys, "sync")
    report = tmp_path / "run.json"
    report.write_bytes(_cucumber(5, ["@SC-1"]))
    cli(capsys, "results", "import", str(report), "--commit", before)
    assert stale(capsys) == []
    here.write("features/basket.feature", CART.replace("Given x", "Given y"))
    here.commit("a change the run did not test")
    cli(capsys, "sync")
    assert stale(capsys) == ["FEAT-1/SC-1"]


@pytest.fixture
def renamed_scenario(git_repo: GitRepo, database_url: str) -> str:
    """c1 has the scenario "Add", c2 renames it "Add one" (the old one deleted); each synced by a plain sync of the
    clean work tree. Returns c1."""
    git_repo.write("features/cart.feature", UNTAGGED)
    first = git_repo.commit("one")
    assert not sync(git_repo.path, database_url=database_url, project="cart").errors
    git_repo.write("features/cart.feature", UNTAGGED.replace("Scenario: Add", "Scenario: Add one"))
    git_repo.commit("two")
    assert not sync(git_repo.path, database_url=database_url, project="cart").errors
    return first


def test_an_import_without_the_repository_reads_the_lines_a_plain_sync_recorded(
    renamed_scenario: str, database_url: str,
) -> None:
    summary = import_results(database_url, "cart", [("c1.json", _cucumber(3, []))], commit=renamed_scenario)
    assert summary.matched == {"tag": 0, "line": 1, "name": 0}  # was unmatched: c1 looked recorded by no sync


def test_an_upload_reads_the_lines_a_plain_sync_recorded(renamed_scenario: str, database_url: str) -> None:
    write = {"Authorization": f"Bearer {make_token(database_url, 'write', 'ci')}",
             "Content-Type": "application/json"}
    with api_client(database_url) as client:
        r = client.post("/api/v1/projects/cart/test-runs", content=_cucumber(3, []), headers=write,
                        params={"commit": renamed_scenario})
    assert r.status_code == 201, r.text
    assert r.json()["summary"]["matched"] == {"tag": 0, "line": 1, "name": 0}


def test_the_cli_outside_the_repository_reads_the_lines_a_plain_sync_recorded(
    renamed_scenario: str, database_url: str, tmp_path: Path, monkeypatch: pytest.MonkeyPatch,
    capsys: pytest.CaptureFixture[str],
) -> None:
    elsewhere = tmp_path / "elsewhere"
    elsewhere.mkdir()
    (elsewhere / "c1.json").write_bytes(_cucumber(3, []))
    monkeypatch.chdir(elsewhere)
    monkeypatch.setenv("TRACERTM_DATABASE_URL", database_url)
    cli(capsys, "results", "import", "c1.json", "--commit", renamed_scenario, "--project", "cart")
    rows = json.loads(cli(capsys, "results", "list", "--project", "cart", "--output", "json"))
    assert [(r["scenario"], r["match"]) for r in rows] == [("cart/Add", "line")]  # the scenario deleted since
