"""``tracertm hook install|uninstall PATH`` with a PATH that is a file, or that does not exist, says so in one line
(as ``check PATH`` does), instead of calling a path inside a repository "not inside a git repository"."""

from __future__ import annotations

import subprocess
import sys

import pytest

from conftest import GitRepo, without_read_override
from tracertm.cli import main


@pytest.mark.parametrize("verb", ["install", "uninstall"])
def test_a_file_or_a_missing_path_is_named_for_what_it_is(
        git_repo: GitRepo, capsys: pytest.CaptureFixture[str], verb: str) -> None:
    git_repo.write("README.md", "# x\n")
    git_repo.commit("seed")
    readme, missing = git_repo.path / "README.md", git_repo.path / "no-such-folder"
    assert main(["hook", verb, str(readme)]) == 2
    assert capsys.readouterr().err.strip() == (f"tracertm: error: {readme}: not a folder; pass the path of a "
                                               "repository")
    assert main(["hook", verb, str(missing)]) == 2
    assert capsys.readouterr().err.strip() == (f"tracertm: error: {missing}: no such folder; pass the path of a "
                                               "repository")
    assert not (git_repo.path / ".git" / "hooks" / "pre-commit").exists()


def test_a_hooks_folder_this_user_cannot_write_is_one_line_and_exit_2(git_repo: GitRepo) -> None:
    """Install and uninstall in a hooks folder without write permission: the folder named with what to do, exit 2
    (it was "internal error: PermissionError", exit 3); nothing changed in it."""
    git_repo.write("README.md", "# x\n")
    git_repo.commit("seed")
    hooks = git_repo.path / ".git" / "hooks"
    hooks.mkdir(exist_ok=True)
    line = (f"tracertm: error: {hooks}: cannot change git's hooks folder (Permission denied); make it writable for "
            f"this user (e.g. chmod u+w {hooks}), then run the command again")

    def hook(verb: str) -> subprocess.CompletedProcess[str]:
        return subprocess.run([*without_read_override(), sys.executable, "-m", "tracertm", "hook", verb],
                              cwd=git_repo.path, capture_output=True, text=True, check=False, timeout=120)

    for installed in (False, True):
        if installed:
            assert hook("install").returncode == 0
        before = sorted(p.name for p in hooks.iterdir())
        hooks.chmod(0o555)
        try:
            proc = hook("uninstall" if installed else "install")
        finally:
            hooks.chmod(0o755)
        assert (proc.returncode, proc.stderr.splitlines()) == (2, [line]), proc.stderr
        assert sorted(p.name for p in hooks.iterdir()) == before
