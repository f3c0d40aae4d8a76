"""The configuration ``check --staged`` (the pre-commit hook) reads from the index is the one the commit holds:
an intent-to-add ``.tracertm.toml`` (``git add -N``, listed with the empty blob but no part of a commit) is not
the commit's configuration, so ``[tool.tracertm]`` of the staged ``pyproject.toml`` still decides; and a
configuration file the index holds only as merge-conflict stages has no staged version yet, which is an error
naming it (not a silent fall-back to the defaults). Real git repositories, real commits through the hook."""

from __future__ import annotations

import subprocess

import pytest

from conftest import GitRepo
from specs import adr
from tracertm import hooks
from tracertm.cli import main

PYPROJECT = '[project]\nname = "x"\n\n[tool.tracertm]\nadr_paths = ["decisions/*.md"]\n'


def _commit(repo: GitRepo, message: str) -> subprocess.CompletedProcess[str]:
    """``git commit`` through the installed pre-commit hook (which may refuse it)."""
    return subprocess.run(["git", "commit", "-q", "-m", message], cwd=repo.path, capture_output=True, text=True,
                          check=False)


def test_an_intent_to_add_configuration_file_is_not_the_commits(
        git_repo: GitRepo, capsys: pytest.CaptureFixture[str]) -> None:
    git_repo.write("pyproject.toml", PYPROJECT)
    git_repo.write("decisions/0001-use-git.md", adr(1, "Use git"))
    git_repo.commit("seed")
    hooks.install(git_repo.path)
    # A new ADR of the configured folder refers to an ADR nobody has: an error under pyproject's configuration.
    git_repo.write("decisions/0002-use-x.md", adr(2, "Use x", extra="\nAmends ADR-0042\n"))
    git_repo.git("add", "decisions")
    git_repo.write(".tracertm.toml", 'adr_paths = ["decisions/*.md"]\n')
    git_repo.git("add", "-N", ".tracertm.toml")  # not part of the commit: its empty index entry is no settings
    for argv in (["check", "--staged"], ["check", "--staged", "--all"]):
        assert main([*argv, str(git_repo.path)]) == 1, argv
        out = capsys.readouterr().out
        assert "decisions/0002-use-x.md:" in out and "ADR-0042" in out, (argv, out)
    result = _commit(git_repo, "x")
    assert result.returncode != 0, result.stdout + result.stderr
    assert "decisions/0002-use-x.md:9:1: " in result.stderr  # (git sends a hook's output to stderr)


def test_a_configuration_file_in_merge_conflict_has_no_staged_version(
        git_repo: GitRepo, capsys: pytest.CaptureFixture[str]) -> None:
    git_repo.write(".tracertm.toml", "exclude = []\n")
    git_repo.write("docs/adr/0001-use-git.md", adr(1, "Use git"))
    git_repo.commit("seed")
    git_repo.conflict(".tracertm.toml", ours='adr_paths = ["docs/adr/*.md"]\n',
                      theirs='adr_paths = ["decisions/*.md"]\n')
    for argv in (["check", "--staged"], ["check", "--staged", "--all"]):
        assert main([*argv, str(git_repo.path)]) == 2, argv
        err = capsys.readouterr().err.strip()
        assert err == (f"tracertm: error: {git_repo.path / '.tracertm.toml'}: unmerged (merge conflict): the index "
                       "holds no version of it yet; resolve it and git add it"), err


def test_a_conflicted_pyproject_does_not_matter_beside_a_staged_tracertm_toml(
        git_repo: GitRepo, capsys: pytest.CaptureFixture[str]) -> None:
    git_repo.write(".tracertm.toml", 'adr_paths = ["decisions/*.md"]\n')
    git_repo.write("pyproject.toml", '[project]\nname = "x"\nversion = "1"\n')
    git_repo.write("decisions/0001-use-git.md", adr(1, "Use git"))
    git_repo.commit("seed")
    git_repo.conflict("pyproject.toml", ours='[project]\nname = "x"\nversion = "3"\n',
                      theirs='[project]\nname = "x"\nversion = "2"\n',
                      also={"decisions/0002-use-x.md": adr(2, "Use x", extra="\nAmends ADR-0042\n")})
    assert main(["check", "--staged", "--all", str(git_repo.path)]) == 1, "the staged .tracertm.toml decides"
    assert "decisions/0002-use-x.md:" in capsys.readouterr().out
