"""``coverage`` run in a shallow clone (``git clone --depth N``, CI's default checkout) answers as in the full clone.
The history of the run's commit ends at the clone's boundary there, so a spec change synced from a commit below it
(``sync --ref`` of each commit, a backfill: revisions dated by their own commit) is not an ancestor git can show —
which is no proof that the run's commit lacks it: every scenario changed before the boundary was stale. Beyond the
boundary, what the run's commit holds decides (else the commit's time against the run's); a change the clone shows
to be later than the run's commit is still stale. SQLite and PostgreSQL."""

from __future__ import annotations

import subprocess
from pathlib import Path

import pytest

from conftest import GitRepo
from stale_cli import cli, stale

CART = "@FEAT-1\nFeature: Cart\n\n  @SC-1\n  Scenario: Add\n    Given x\n\n  @SC-2\n  Scenario: Remove\n    Given y\n"


def _junit(folder: Path, stamp: str) -> Path:
    """A JUnit report of both scenarios (Cucumber's junit-xml-formatter naming), passed, run at ``stamp``."""
    report = folder / f"run-{stamp[:10]}.xml"
    report.write_text(f'<testsuite name="Cucumber" timestamp="{stamp}" time="1" tests="2">'
                      '<testcase classname="Cart" name="Add" time="0.1"/>'
                      '<testcase classname="Cart" name="Remove" time="0.1"/></testsuite>')
    return report


def _shallow_clone(origin: GitRepo, folder: Path, depth: int) -> Path:
    subprocess.run(["git", "clone", "-q", f"--depth={depth}", f"file://{origin.path}", str(folder)], check=True,
                   capture_output=True)
    return folder


@pytest.fixture
def history(git_repo: GitRepo, database_url: str, monkeypatch: pytest.MonkeyPatch,
            capsys: pytest.CaptureFixture[str]) -> GitRepo:
    """c1 (January 1st) adds the feature, c2 and c3 change another file; each commit synced with ``--ref``."""
    monkeypatch.setenv("TRACERTM_DATABASE_URL", database_url)
    monkeypatch.chdir(git_repo.path)
    git_repo.write("features/cart.feature", CART)
    for day, name in ((1, "c1"), (2, "c2"), (3, "c3")):
        if day > 1:
            git_repo.write("README.md", f"{name}\n")
        git_repo.commit(name, date=f"2026-01-0{day}T10:00:00+00:00")
        cli(capsys, "sync", "--ref", "HEAD", "--project", "cart")
    return git_repo


@pytest.mark.parametrize("depth", [1, 2])
def test_a_change_below_the_clones_boundary_was_tested_by_a_later_run(
    history: GitRepo, tmp_path: Path, monkeypatch: pytest.MonkeyPatch, capsys: pytest.CaptureFixture[str],
    depth: int,
) -> None:
    cli(capsys, "results", "import", str(_junit(tmp_path, "2026-01-03T12:00:00+00:00")), "--project", "cart")
    assert stale(capsys, "--project", "cart") == []  # the full clone
    monkeypatch.chdir(_shallow_clone(history, tmp_path / "ci", depth))
    assert stale(capsys, "--project", "cart") == []  # was ['FEAT-1/SC-1', 'FEAT-1/SC-2']


def test_a_change_after_the_runs_commit_is_stale_in_a_shallow_clone_too(
    history: GitRepo, tmp_path: Path, monkeypatch: pytest.MonkeyPatch, capsys: pytest.CaptureFixture[str],
) -> None:
    run_commit = history.git("rev-parse", "HEAD~1")  # c2
    history.write("features/cart.feature", CART.replace("Given y", "Given z"))
    history.commit("c4", date="2026-01-04T10:00:00+00:00")
    cli(capsys, "sync", "--ref", "HEAD", "--project", "cart")
    # The run of c2 happened after c4 was committed (a late run of an older commit): only ancestry tells.
    cli(capsys, "results", "import", str(_junit(tmp_path, "2026-01-05T12:00:00+00:00")), "--project", "cart",
         "--commit", run_commit)
    assert stale(capsys, "--project", "cart") == ["FEAT-1/SC-2"]  # the full clone
    monkeypatch.chdir(_shallow_clone(history, tmp_path / "ci", 3))  # c4, c3 and c2, cut below c2
    assert stale(capsys, "--project", "cart") == ["FEAT-1/SC-2"]
