"""A repository without any commit yet (HEAD names an unborn branch): the work tree and the index sync as usual;
what needs a commit (``backfill``, ``--ref HEAD``, ``--ref`` of the unborn branch) says the repository has none yet,
in one line naming what was asked — not "fetch it first", nor a ``--ref`` the user never gave."""

from __future__ import annotations

from pathlib import Path

import pytest

from conftest import GitRepo, run_cli
from specs import adr


@pytest.fixture
def unborn(git_repo: GitRepo) -> GitRepo:
    git_repo.write("docs/adr/0001-storage.md", adr(1, "Storage"))
    return git_repo


def test_the_work_tree_and_the_index_sync(unborn: GitRepo, tmp_path: Path) -> None:
    url = f"sqlite:///{tmp_path / 'db.sqlite'}"
    assert run_cli("sync", str(unborn.path), "--database-url", url).returncode == 0
    unborn.git("add", "-A")
    assert run_cli("sync", str(unborn.path), "--staged", "--database-url", url).returncode == 0


def test_backfill_says_there_is_no_commit_yet(unborn: GitRepo, tmp_path: Path) -> None:
    done = run_cli("backfill", str(unborn.path), "--database-url", f"sqlite:///{tmp_path / 'db.sqlite'}")
    assert done.returncode == 2
    assert done.stderr.splitlines() == [
        f"tracertm: error: backfill: HEAD: {unborn.path} has no commit yet; commit first"
    ]
    assert not (tmp_path / "db.sqlite").exists()


@pytest.mark.parametrize("ref", ["HEAD", "main"])
def test_a_ref_of_the_unborn_branch_says_so(unborn: GitRepo, tmp_path: Path, ref: str) -> None:
    done = run_cli("sync", str(unborn.path), "--ref", ref, "--database-url", f"sqlite:///{tmp_path / 'db.sqlite'}")
    assert done.returncode == 2
    expected = f"tracertm: error: --ref {ref}: {unborn.path} has no commit yet; commit first"
    assert done.stderr.splitlines() == [expected]


def test_another_unknown_ref_is_still_unknown(unborn: GitRepo, tmp_path: Path) -> None:
    done = run_cli("sync", str(unborn.path), "--ref", "nope", "--database-url", f"sqlite:///{tmp_path / 'db.sqlite'}")
    assert done.returncode == 2
    assert done.stderr.splitlines() == [
        f"tracertm: error: --ref nope: no such commit in {unborn.path}; check the name or fetch it first"
    ]


def test_an_orphan_branch_of_a_repository_with_commits_says_the_branch_has_none(unborn: GitRepo,
                                                                                   tmp_path: Path) -> None:
    unborn.commit("adr")
    unborn.git("checkout", "-q", "--orphan", "pages")  # the repository has commits; the branch has none yet
    done = run_cli("sync", str(unborn.path), "--ref", "HEAD", "--database-url", f"sqlite:///{tmp_path / 'db.sqlite'}")
    assert done.returncode == 2
    assert done.stderr.splitlines() == [
        f"tracertm: error: --ref HEAD: the branch pages has no commit yet (a new or orphan branch of "
        f"{unborn.path}); commit on it first"
    ]


def test_diff_says_there_is_no_commit_yet(unborn: GitRepo) -> None:
    """``diff`` turned every ref it could not read into "is not a commit of …; check the name or fetch it": in a
    repository with no commit yet, ``diff HEAD`` sent its user looking for a commit to fetch."""
    done = run_cli("diff", "HEAD", "--path", str(unborn.path))
    assert done.returncode == 2
    assert done.stderr.splitlines() == [f"tracertm: error: diff: HEAD: {unborn.path} has no commit yet; commit first"]
    done = run_cli("diff", "nope", "--path", str(unborn.path))
    assert done.returncode == 2
    assert done.stderr.splitlines() == [
        f"tracertm: error: diff: nope: no such commit in {unborn.path}; check the name or fetch it first"
    ]


def test_diff_on_an_orphan_branch_says_the_branch_has_none(unborn: GitRepo) -> None:
    unborn.commit("adr")
    unborn.git("checkout", "-q", "--orphan", "pages")
    done = run_cli("diff", "main", "--path", str(unborn.path))  # REF2 defaults to HEAD, the branch with none
    assert done.returncode == 2
    assert done.stderr.splitlines() == [
        f"tracertm: error: diff: HEAD: the branch pages has no commit yet (a new or orphan branch of "
        f"{unborn.path}); commit on it first"
    ]
