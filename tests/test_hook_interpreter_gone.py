"""A hook installed by an interpreter that is gone (its virtual environment deleted): the pre-commit hook says so
in one line — what is missing, and to run ``tracertm hook install`` again or ``tracertm hook uninstall`` — and fails
the commit (a hook that cannot check must not pass it); a sync hook says so and never fails git. Real git
repository, real ``git commit``."""

from __future__ import annotations

import subprocess
from pathlib import Path

import pytest

from conftest import GitRepo
from specs import adr
from tracertm import hooks


def _commit(repo: GitRepo, message: str) -> subprocess.CompletedProcess[str]:
    return subprocess.run(["git", "commit", "-q", "-m", message], cwd=repo.path, capture_output=True, text=True,
                          check=False, timeout=120)


@pytest.mark.parametrize("projects", [None, "svc"])
def test_a_commit_fails_with_one_line_when_the_interpreter_is_gone(
        git_repo: GitRepo, tmp_path: Path, projects: str | None) -> None:
    gone = tmp_path / "deleted venv" / "bin" / "python"
    git_repo.write("docs/adr/0001-use-git.md", adr(1, "Use git"))
    git_repo.commit("seed")
    where = git_repo.path if projects is None else git_repo.path / projects
    where.mkdir(exist_ok=True)
    hooks.install(where, python=str(gone), sync_on="post-commit")
    head = git_repo.head()
    git_repo.write("docs/adr/0002-more.md", adr(2, "More"))
    git_repo.git("add", "-A")
    result = _commit(git_repo, "more")
    assert result.returncode != 0, "a hook that cannot check must not let the commit through"
    assert git_repo.head() == head
    assert result.stderr.splitlines() == [
        f"tracertm hook: {gone} (the Python that installed this hook) is gone: the commit is not checked; run "
        '"tracertm hook install" again from an environment that has tracertm, or "tracertm hook uninstall"'
    ], result.stderr

    # The sync hook after a commit (let through with --no-verify) says the same and never fails git.
    done = subprocess.run(["git", "commit", "-q", "--no-verify", "-m", "more"], cwd=git_repo.path,
                          capture_output=True, text=True, check=False, timeout=120)
    assert done.returncode == 0 and git_repo.head() != head
    assert done.stderr.splitlines() == [
        f"tracertm hook: {gone} (the Python that installed this hook) is gone: the database is not synced; run "
        '"tracertm hook install" again from an environment that has tracertm, or "tracertm hook uninstall"'
    ], done.stderr


def test_the_interpreter_is_still_read_back_from_the_script(git_repo: GitRepo, tmp_path: Path) -> None:
    """``hook install`` from another environment rewrites the scripts for it (the guard line names no command)."""
    hooks.install(git_repo.path, python=str(tmp_path / "old" / "python"))
    text = (hooks.hooks_dir(git_repo.path) / "pre-commit").read_text(encoding="utf-8")
    assert hooks._installed(text) == (["."], str(tmp_path / "old" / "python"))
    changes = hooks.install(git_repo.path, python=str(tmp_path / "new" / "python"))
    assert [c.action for c in changes] == ["updated", "updated"]
