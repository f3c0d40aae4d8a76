"""``coverage``'s stale rule for a change synced from a commit made again under another id since (``sync --ref`` of
a commit, then ``git commit --amend`` or a rebase before the push; a branch's head, then squash-merged): the run's
commit, the rewritten one, does not have it in its history — no proof that the run lacks the change: what the
run's commit holds decides. It was stale for good: every later run's history lacks that commit, and a sync of the
rewritten commit records nothing new (same content). A later change, and a run of a commit that holds other
content, are still stale. SQLite and PostgreSQL."""

from __future__ import annotations

from pathlib import Path

import pytest

from conftest import GitRepo
from stale_cli import cli, stale

CART = "@FEAT-1\nFeature: Cart\n\n  @SC-1\n  Scenario: Add\n    Given x\n\n  @SC-2\n  Scenario: Remove\n    Given y\n"


def _report(folder: Path) -> Path:
    """A JUnit report of both scenarios (Cucumber's junit-xml-formatter naming), passed, without a time."""
    report = folder / "run.xml"
    report.write_text('<testsuite name="Cucumber" tests="2"><testcase classname="Cart" name="Add"/>'
                      '<testcase classname="Cart" name="Remove"/></testsuite>')
    return report


def test_a_change_synced_from_a_commit_amended_since_was_tested_by_a_run_of_the_amended_one(
    git_repo: GitRepo, database_url: str, monkeypatch: pytest.MonkeyPatch, tmp_path: Path,
    capsys: pytest.CaptureFixture[str],
) -> None:
    monkeypatch.setenv("TRACERTM_DATABASE_URL", database_url)
    monkeypatch.chdir(git_repo.path)
    git_repo.write("features/cart.feature", CART)
    git_repo.commit("cart", date="2026-01-01T10:00:00+00:00")
    cli(capsys, "sync", "--ref", "HEAD")
    git_repo.write("features/cart.feature", CART.replace("Given x", "Given w"))
    synced = git_repo.commit("edit", date="2026-01-02T10:00:00+00:00")
    cli(capsys, "sync", "--ref", "HEAD")
    git_repo.git("commit", "-q", "--amend", "-m", "edit (amended before the push)")
    assert git_repo.head() != synced
    cli(capsys, "sync", "--ref", "HEAD")  # the same content: nothing new recorded
    cli(capsys, "results", "import", str(_report(tmp_path)))  # a run of the amended commit
    assert stale(capsys) == []  # was ['FEAT-1/SC-1'], for every later run too
    git_repo.write("features/cart.feature", CART.replace("Given x", "Given w").replace("Given y", "Given z"))
    git_repo.commit("a change the run did not test")
    cli(capsys, "sync", "--ref", "HEAD")
    assert stale(capsys) == ["FEAT-1/SC-2"]


def test_a_change_synced_from_a_branch_then_squash_merged_was_tested_by_a_run_of_the_merge(
    git_repo: GitRepo, database_url: str, monkeypatch: pytest.MonkeyPatch, tmp_path: Path,
    capsys: pytest.CaptureFixture[str],
) -> None:
    """docs/ci/results-github-actions.yml syncs a pull request's head with ``--ref``; its squash merge on main holds
    the same content, so the sync of the merge records nothing new, and the branch (kept) still reaches the head:
    the run of the merge tested the scenario as it is, though its history lacks the branch's commit."""
    monkeypatch.setenv("TRACERTM_DATABASE_URL", database_url)
    monkeypatch.chdir(git_repo.path)
    git_repo.write("features/cart.feature", CART)
    git_repo.commit("cart")
    cli(capsys, "sync", "--ref", "HEAD")
    git_repo.git("checkout", "-q", "-b", "topic")
    git_repo.write("features/cart.feature", CART.replace("Given x", "Given w"))
    git_repo.commit("edit on the branch")
    cli(capsys, "sync", "--ref", "HEAD")
    git_repo.git("checkout", "-q", "main")
    git_repo.git("merge", "-q", "--squash", "topic")
    git_repo.commit("squash merge of topic")
    cli(capsys, "sync", "--ref", "HEAD")
    cli(capsys, "results", "import", str(_report(tmp_path)))  # a run of the merge
    assert stale(capsys) == []  # was ['FEAT-1/SC-1']
    git_repo.write("features/cart.feature", CART.replace("Given x", "Given v"))
    git_repo.commit("a change the run did not test")
    cli(capsys, "sync", "--ref", "HEAD")
    assert stale(capsys) == ["FEAT-1/SC-1"]


def test_a_run_of_a_branch_that_lacks_the_content_now_is_stale(
    git_repo: GitRepo, database_url: str, monkeypatch: pytest.MonkeyPatch, tmp_path: Path,
    capsys: pytest.CaptureFixture[str],
) -> None:
    """A run of a branch made before a change on main: neither commit is the other's ancestor, and the run's commit
    holds the content main changed: stale, whatever the times."""
    monkeypatch.setenv("TRACERTM_DATABASE_URL", database_url)
    monkeypatch.chdir(git_repo.path)
    git_repo.write("features/cart.feature", CART)
    git_repo.commit("cart", date="2026-01-01T10:00:00+00:00")
    cli(capsys, "sync", "--ref", "HEAD")
    git_repo.git("checkout", "-q", "-b", "topic")
    git_repo.write("README.md", "topic\n")
    branch = git_repo.commit("the branch", date="2026-01-03T10:00:00+00:00")
    git_repo.git("checkout", "-q", "main")
    git_repo.write("features/cart.feature", CART.replace("Given x", "Given w"))
    git_repo.commit("edit on main", date="2026-01-02T10:00:00+00:00")
    cli(capsys, "sync", "--ref", "HEAD")
    cli(capsys, "results", "import", str(_report(tmp_path)), "--commit", branch)
    assert stale(capsys) == ["FEAT-1/SC-1"]


def test_a_late_run_of_an_older_commit_than_an_amended_change_is_stale(
    git_repo: GitRepo, database_url: str, monkeypatch: pytest.MonkeyPatch, tmp_path: Path,
    capsys: pytest.CaptureFixture[str],
) -> None:
    """The change's commit was amended away, so ancestry cannot tell; the run's commit holds the content from before
    the change: stale, though the run came after the change's commit time."""
    monkeypatch.setenv("TRACERTM_DATABASE_URL", database_url)
    monkeypatch.chdir(git_repo.path)
    git_repo.write("features/cart.feature", CART)
    before = git_repo.commit("cart", date="2026-01-01T10:00:00+00:00")
    cli(capsys, "sync", "--ref", "HEAD")
    git_repo.write("features/cart.feature", CART.replace("Given x", "Given w"))
    git_repo.commit("edit", date="2026-01-02T10:00:00+00:00")
    cli(capsys, "sync", "--ref", "HEAD")
    git_repo.git("commit", "-q", "--amend", "-m", "edit (amended)")
    cli(capsys, "results", "import", str(_report(tmp_path)), "--commit", before)  # run now, of the first commit
    assert stale(capsys) == ["FEAT-1/SC-1"]
