"""A hooked sub-folder project whose folder is moved (``git mv svc/a svc/alpha``) or deleted: its check hook failed
every commit on a folder that no longer exists (``svc/a: no such folder``), and ``hook uninstall svc/a`` failed the
same way — the only ways out were ``--no-verify``, a bare ``hook uninstall`` removing every project's hooks, or
making the folder again. Now the hook says so in one line naming the fix and passes (the commit holds nothing of the
project to check), and ``hook uninstall svc/a`` drops that project's hooks. Real repositories, real ``git commit``."""

from __future__ import annotations

import shutil
import subprocess
from pathlib import Path

import pytest

from conftest import GitRepo, run_cli
from specs import adr
from tracertm import hooks

FIX = "run 'tracertm hook uninstall svc/a', then 'tracertm hook install' for its new folder"


def _commit(repo: GitRepo, *args: str) -> subprocess.CompletedProcess[str]:
    """``git commit`` that may fail (the hook's verdict is the point)."""
    return subprocess.run(["git", "commit", "-q", *args], cwd=repo.path, capture_output=True, text=True,
                          check=False)


def _hooked(repo: GitRepo, tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    """``svc/a`` (check and post-commit sync hooks) and ``svc/b`` (check hooks), each with an ADR."""
    monkeypatch.setenv("TRACERTM_DATABASE_URL", f"sqlite:///{tmp_path / 'hooks.db'}")  # (the sync hook's)
    repo.write("svc/a/docs/adr/0001-a.md", adr(1, "A"))
    repo.write("svc/b/docs/adr/0001-b.md", adr(1, "B"))
    repo.commit("init")
    hooks.install(repo.path / "svc/a", sync_on="post-commit")
    hooks.install(repo.path / "svc/b")


def test_a_commit_that_moves_the_hooked_folder_passes_with_one_line(
    git_repo: GitRepo, tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    _hooked(git_repo, tmp_path, monkeypatch)
    git_repo.git("mv", "svc/a", "svc/alpha")
    result = _commit(git_repo, "-m", "move svc/a")
    assert result.returncode == 0, result.stdout + result.stderr
    lines = result.stderr.splitlines()
    assert ("tracertm: warning: svc/a: the folder of this hooked project is gone (moved or deleted), and the commit "
            f"holds none of its files: not checked; {FIX}") in lines, lines
    skipped = "tracertm: hook sync skipped: svc/a: the folder of this hooked project is gone (moved or deleted)"
    assert f"{skipped}; {FIX}" in lines, lines
    assert "0 files checked, 0 parsed: 0 errors, 0 warnings" in lines, "svc/b is still checked"

    # The other project's hook still stops a commit that breaks it.
    git_repo.write("svc/b/docs/adr/0001-again.md", adr(1, "Again"))  # (ADR-0001 twice: an error)
    git_repo.git("add", "-A")
    assert _commit(git_repo, "-m", "break svc/b").returncode == 1
    git_repo.git("reset", "-q", "--hard")

    # The fix it names: the moved project's hooks go, svc/b's stay.
    dropped = run_cli("hook", "uninstall", str(git_repo.path / "svc/a"))
    assert dropped.returncode == 0, dropped.stderr
    assert [line.split(" (")[0] for line in dropped.stdout.splitlines()] == [
        "pre-commit: updated", "pre-merge-commit: updated", "post-commit: removed", "post-rewrite: removed"]
    pre_commit = (git_repo.path / ".git/hooks/pre-commit").read_text()
    assert '# tracertm-project: "svc/b"' in pre_commit and "svc/a" not in pre_commit
    assert not (git_repo.path / ".git/hooks/post-commit").exists()
    hooks.install(git_repo.path / "svc/alpha")
    git_repo.write("svc/alpha/docs/adr/0002-two.md", adr(2, "Two"))
    git_repo.git("add", "-A")
    result = _commit(git_repo, "-m", "two")
    assert result.returncode == 0 and "gone" not in result.stderr, result.stderr
    assert "2 files checked, 1 parsed: 0 errors, 0 warnings" in result.stderr.splitlines(), "svc/alpha is checked"


def test_uninstall_of_a_path_no_hook_runs_is_still_refused(
    git_repo: GitRepo, tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    """A missing folder that no hook runs (a typo) is the error it always was: it removes nothing."""
    _hooked(git_repo, tmp_path, monkeypatch)
    git_repo.git("mv", "svc/a", "svc/alpha")
    refused = run_cli("hook", "uninstall", str(git_repo.path / "svc/typo"))
    assert refused.returncode == 2
    assert refused.stderr.strip().endswith("svc/typo: no such folder; pass the path of a repository")
    assert '# tracertm-project: "svc/a"' in (git_repo.path / ".git/hooks/pre-commit").read_text()


def test_a_folder_gone_from_the_work_tree_but_still_staged_is_refused(
    git_repo: GitRepo, tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    """Deleted from the work tree but not from the index, the project is still in the commit, and cannot be checked
    without its folder: the hook refuses the commit, saying how to go on either way."""
    _hooked(git_repo, tmp_path, monkeypatch)
    shutil.rmtree(git_repo.path / "svc/a")
    git_repo.write("svc/b/docs/adr/0002-two.md", adr(2, "Two"))
    git_repo.git("add", "svc/b")
    result = _commit(git_repo, "-m", "two")
    assert result.returncode == 1, result.stderr  # (git: a hook refused the commit)
    assert ("tracertm: error: svc/a: the folder of this hooked project is gone from the work tree, but the index "
            "still holds its files; restore it (git checkout -- svc/a) or stage its removal (git rm -r --cached "
            "svc/a)") in result.stderr.splitlines()
    git_repo.git("rm", "-q", "-r", "--cached", "svc/a")
    result = _commit(git_repo, "-m", "two, svc/a deleted")
    assert result.returncode == 0, result.stderr
    assert "svc/a: the folder of this hooked project is gone (moved or deleted)" in result.stderr
