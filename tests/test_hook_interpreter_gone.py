"""A hook installed by an interpreter that is gone (its virtual environment deleted): the pre-commit hook says so
in one line — what is missing, and to run ``tracertm hook install`` again or ``tracertm hook uninstall`` — and fails
the commit (a hook that cannot check must not pass it); a sync hook says so and never fails git. Real git
repository, real ``git commit``."""

from __future__ import annotations

import os
import subprocess
import sys
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


def _without_tracertm(tmp_path: Path) -> Path:
    """The Python of a fresh virtual environment that has no tracertm (made again without installing it)."""
    home = tmp_path / "remade venv"
    subprocess.run([sys.executable, "-m", "venv", "--without-pip", str(home)], check=True, timeout=120)
    python = home / "bin" / "python"
    assert subprocess.run([str(python), "-c", "import tracertm"], capture_output=True, env=_env(),
                          check=False, timeout=60).returncode != 0
    return python


def _env() -> dict[str, str]:
    return {k: v for k, v in os.environ.items() if k != "PYTHONPATH"}


def test_a_commit_fails_with_one_line_when_the_interpreter_no_longer_has_tracertm(
        git_repo: GitRepo, tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    python = _without_tracertm(tmp_path)
    # The package folder the installing tracertm ran from is gone (uninstalled from that environment).
    monkeypatch.setattr(hooks, "_package_folder", lambda: str(tmp_path / "site-packages" / "tracertm"))
    git_repo.write("docs/adr/0001-use-git.md", adr(1, "Use git"))
    git_repo.commit("seed")
    hooks.install(git_repo.path, python=str(python), sync_on="post-commit")
    head = git_repo.head()
    git_repo.write("docs/adr/0002-more.md", adr(2, "More"))
    git_repo.git("add", "-A")
    result = subprocess.run(["git", "commit", "-q", "-m", "more"], cwd=git_repo.path, capture_output=True,
                            text=True, check=False, timeout=120, env=_env())
    assert result.returncode != 0 and git_repo.head() == head
    assert result.stderr.splitlines() == [
        f"tracertm hook: {python} (the Python that installed this hook) no longer has tracertm: the commit is not "
        'checked; install tracertm in it again, or run "tracertm hook install" again from an environment that has '
        'tracertm, or "tracertm hook uninstall"'
    ], result.stderr
    done = subprocess.run(["git", "commit", "-q", "--no-verify", "-m", "more"], cwd=git_repo.path,
                          capture_output=True, text=True, check=False, timeout=120, env=_env())
    assert done.returncode == 0 and git_repo.head() != head
    assert done.stderr.splitlines() == [
        f"tracertm hook: {python} (the Python that installed this hook) no longer has tracertm: the database is not "
        'synced; install tracertm in it again, or run "tracertm hook install" again from an environment that has '
        'tracertm, or "tracertm hook uninstall"'
    ], done.stderr


def test_a_moved_package_is_not_taken_for_a_missing_one(
        git_repo: GitRepo, tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    """The folder recorded at install time is gone but the interpreter still imports tracertm (installed elsewhere
    since): the hook checks as always."""
    monkeypatch.setattr(hooks, "_package_folder", lambda: str(tmp_path / "old site-packages" / "tracertm"))
    git_repo.write("docs/adr/0001-use-git.md", adr(1, "Use git"))
    git_repo.commit("seed")
    hooks.install(git_repo.path, python=sys.executable)
    git_repo.write("docs/adr/0002-broken.md", "---\nstatus: [unclosed\n---\n# 2. Broken\n")
    git_repo.git("add", "-A")
    refused = _commit(git_repo, "broken")
    assert refused.returncode == 1 and "docs/adr/0002-broken.md" in refused.stdout + refused.stderr
    git_repo.write("docs/adr/0002-broken.md", adr(2, "Fixed"))
    git_repo.git("add", "-A")
    assert _commit(git_repo, "fixed").returncode == 0
