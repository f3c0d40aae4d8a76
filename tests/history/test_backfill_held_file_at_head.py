"""A backfill reports the files still broken at its head (exit 1), as a sync of the head does — also a new file that
does not parse while a removed file of its kind keeps its records (``Plan.held``): it has no row to hold its error,
and the backfill used to name only the rows', so it exited 0 where ``sync`` exits 1."""

from __future__ import annotations

from conftest import GitRepo, run_cli

BROKEN = "@FEAT-1\nFeature: A\n  Scenario: s\n    Given x\n  Oops\n"


def test_a_held_broken_file_is_broken_at_the_head(git_repo: GitRepo, database_url: str) -> None:
    git_repo.write("features/a.feature", "@FEAT-1\nFeature: A\n  Scenario: s\n    Given x\n")
    git_repo.commit("a")
    git_repo.remove("features/a.feature")
    git_repo.write("features/d.feature", BROKEN)
    git_repo.commit("a renamed d, broken")
    git_repo.write("features/other.feature", "@FEAT-2\nFeature: B\n  Scenario: t\n    Given y\n")
    git_repo.commit("another file: the broken one is not changed by the head commit")
    done = run_cli("backfill", str(git_repo.path), "--database-url", database_url)
    assert done.returncode == 1, (done.stdout, done.stderr)
    assert "at HEAD: features/d.feature:5:3: expected:" in done.stderr, done.stderr
    listed = run_cli("list", "features", "--path", str(git_repo.path), "--database-url", database_url)
    assert "FEAT-1" in listed.stdout and "FEAT-2" in listed.stdout, listed.stdout  # held, not deleted
    synced = run_cli("sync", str(git_repo.path), "--database-url", database_url)
    assert synced.returncode == 1 and "features/d.feature:5:3: expected:" in synced.stderr, synced.stderr
