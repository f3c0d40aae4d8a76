"""``tracertm hook install|uninstall PATH`` with a PATH that is a file, or that does not exist, says so in one line
(as ``check PATH`` does), instead of calling a path inside a repository "not inside a git repository"."""

from __future__ import annotations

import pytest

from conftest import GitRepo
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
