"""``check --staged`` run by a hook of the user's from a folder below the top of the work tree — a monorepo's
``.husky/pre-commit`` line ``cd svc && tracertm check --staged .``, lefthook's ``root: svc/`` — reads the index
git prepared for the commit, as it does from the top. ``git commit -a`` and ``git commit PATH`` hand the hook a
temporary index (``GIT_INDEX_FILE``); tracertm kept it only when the current folder held the repository's ``.git``,
so from ``svc/`` it checked the index as it was before the commit: the broken work-tree content went in unchecked.
Real repositories, real ``git commit``."""

from __future__ import annotations

import shlex
import subprocess
import sys
from pathlib import Path

import pytest

import tracertm
from conftest import GitRepo
from specs import adr, feature

BROKEN = "@ADR-0009\n" + feature(1, "Login")
FOUND = "features/login.feature:1:1: tag refers to ADR-0009"


def _hook(repo: GitRepo, folder: str, command: str) -> None:
    """A pre-commit hook that goes to ``folder`` and runs tracertm's ``command`` there (this checkout's tracertm,
    whatever folder the hook is in)."""
    source = Path(tracertm.__file__).resolve().parent.parent
    hook = repo.path / ".git" / "hooks" / "pre-commit"
    hook.write_text(f"#!/bin/sh\ncd {shlex.quote(folder)} || exit 1\nPYTHONPATH={shlex.quote(str(source))} "
                    f"exec {shlex.quote(sys.executable)} -m tracertm {command}\n")
    hook.chmod(0o755)


def _commit(repo: GitRepo, *args: str) -> subprocess.CompletedProcess[str]:
    """``git commit`` through the hook (its verdict is the point; git sends hook output to stderr)."""
    return subprocess.run(["git", "commit", "-q", "-m", "change", *args], cwd=repo.path, capture_output=True,
                          text=True, check=False)


@pytest.mark.parametrize("how", [["-a"], ["svc/features/login.feature"], ["--only", "svc/features/login.feature"]])
def test_a_sub_folder_project_checked_from_its_folder_sees_the_commits_index(git_repo: GitRepo,
                                                                             how: list[str]) -> None:
    git_repo.write("svc/docs/adr/0001-use-git.md", adr(1, "Use git"))
    git_repo.write("svc/features/login.feature", "@ADR-0001\n" + feature(1, "Login"))
    git_repo.commit("seed")
    _hook(git_repo, "svc", "check --staged .")
    git_repo.write("svc/features/login.feature", BROKEN)  # (in the work tree only: the commit stages it)
    result = _commit(git_repo, *how)
    assert result.returncode == 1, "the broken file went in unchecked: " + result.stderr
    assert FOUND in result.stderr
    assert git_repo.git("rev-list", "--count", "HEAD") == "1"


def test_the_top_project_checked_from_a_folder_below_it_sees_the_commits_index(git_repo: GitRepo) -> None:
    """``tracertm check --staged`` without a path checks the repository around the current folder: from
    ``features/`` it is the top project, and the index is still the commit's."""
    git_repo.write("docs/adr/0001-use-git.md", adr(1, "Use git"))
    git_repo.write("features/login.feature", "@ADR-0001\n" + feature(1, "Login"))
    git_repo.commit("seed")
    _hook(git_repo, "features", "check --staged")
    git_repo.write("features/login.feature", BROKEN)
    result = _commit(git_repo, "-a")
    assert result.returncode == 1 and FOUND in result.stderr, result.stderr
    git_repo.write("features/login.feature", "@ADR-0001\n" + feature(1, "Login, reworded"))
    passed = _commit(git_repo, "-a")
    assert passed.returncode == 0, passed.stderr
