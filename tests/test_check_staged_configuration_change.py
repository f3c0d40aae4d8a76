"""A commit that changes the configuration (``.tracertm.toml``, ``[tool.tracertm]`` of ``pyproject.toml``,
``.adr-dir``, or the file a configuration link points at) changes which files are specs and how they read, for
every file of the repository: ``check --staged`` (the pre-commit hook) then judges the whole index under the staged
configuration, as ``check --staged --all`` and a ``check`` of a checkout of the index do. An ADR the new
configuration excludes is gone for the features that tag it, though no spec file changed. A commit that changes
the configuration file but not the settings (a dependency of ``pyproject.toml``) still checks only its changes.
Real git repositories, real commits through the installed hook."""

from __future__ import annotations

import json
import subprocess

import pytest

from conftest import GitRepo
from specs import adr
from tracertm import hooks
from tracertm.cli import main

TAGGED = "@ADR-0002\nFeature: Pay\n  Scenario: s\n    Given a\n"
PYPROJECT = '[project]\nname = "x"\nversion = "{version}"\n\n[tool.tracertm]\n{settings}\n'


def _commit(repo: GitRepo) -> subprocess.CompletedProcess[str]:
    """``git commit`` through the installed pre-commit hook (which may refuse it)."""
    return subprocess.run(["git", "commit", "-q", "-m", "config"], cwd=repo.path, capture_output=True, text=True,
                          check=False)


def _seed(repo: GitRepo, files: dict[str, str]) -> None:
    repo.write("docs/adr/0001-use-git.md", adr(1, "Use git"))
    repo.write("docs/adr/0002-use-x.md", adr(2, "Use x"))
    repo.write("features/pay.feature", TAGGED)
    for name, text in files.items():
        repo.write(name, text)
    repo.commit("seed")
    hooks.install(repo.path)
    assert main(["check", str(repo.path)]) == 0


def _findings(repo: GitRepo, capsys: pytest.CaptureFixture[str], *argv: str) -> tuple[int, list[tuple[str, str]]]:
    capsys.readouterr()
    code = main(["check", *argv, "--format", "json", str(repo.path)])
    out = json.loads(capsys.readouterr().out)
    return code, sorted((d["path"], d["message"]) for d in out["errors"])


@pytest.mark.parametrize("seed, name, staged", [
    ({}, ".tracertm.toml", 'exclude = ["docs/adr/0002-*"]\n'),
    ({"pyproject.toml": PYPROJECT.format(version=1, settings="")}, "pyproject.toml",
     PYPROJECT.format(version=1, settings='exclude = ["docs/adr/0002-*"]')),
    ({".tracertm.toml": 'exclude = ["drafts/**"]\n'}, ".tracertm.toml",
     'exclude = ["drafts/**", "docs/adr/0002-*"]\n'),
])
def test_a_staged_configuration_that_drops_a_tagged_adr_fails_the_commit(
        git_repo: GitRepo, capsys: pytest.CaptureFixture[str], seed: dict[str, str], name: str,
        staged: str) -> None:
    _seed(git_repo, seed)
    git_repo.write(name, staged)
    git_repo.git("add", name)
    code, hook = _findings(git_repo, capsys, "--staged")
    whole = _findings(git_repo, capsys, "--staged", "--all")
    assert whole[0] == 1 and any(p == "features/pay.feature" and "ADR-0002" in m for p, m in whole[1]), whole
    assert (code, hook) == whole, "the hook judges every file under the new configuration"
    result = _commit(git_repo)
    assert result.returncode != 0 and "features/pay.feature:1:1: " in result.stderr, result.stderr


def test_a_staged_adr_dir_that_moves_the_adrs_away_fails_the_commit(
        git_repo: GitRepo, capsys: pytest.CaptureFixture[str]) -> None:
    git_repo.write(".adr-dir", "decisions\n")
    git_repo.write("decisions/0002-use-x.md", adr(2, "Use x"))
    git_repo.write("features/pay.feature", TAGGED)
    git_repo.commit("seed")
    hooks.install(git_repo.path)
    git_repo.write(".adr-dir", "doc/arch\n")  # (an adr-tools repository whose folder moves in two commits)
    git_repo.git("add", ".adr-dir")
    code, hook = _findings(git_repo, capsys, "--staged")
    assert code == 1 and any(p == "features/pay.feature" and "ADR-0002" in m for p, m in hook), hook
    assert (code, hook) == _findings(git_repo, capsys, "--staged", "--all")
    assert _commit(git_repo).returncode != 0


def test_a_configuration_link_whose_target_changes_is_a_configuration_change(
        git_repo: GitRepo, capsys: pytest.CaptureFixture[str]) -> None:
    _seed(git_repo, {"config/tracertm.toml": 'exclude = ["drafts/**"]\n'})
    (git_repo.path / ".tracertm.toml").symlink_to("config/tracertm.toml")
    git_repo.commit("link")
    git_repo.write("config/tracertm.toml", 'exclude = ["drafts/**", "docs/adr/0002-*"]\n')
    git_repo.git("add", "config")
    code, hook = _findings(git_repo, capsys, "--staged")
    assert code == 1 and any(p == "features/pay.feature" for p, _ in hook), hook
    assert _commit(git_repo).returncode != 0


def test_a_configuration_file_whose_settings_stay_is_no_configuration_change(
        git_repo: GitRepo, capsys: pytest.CaptureFixture[str]) -> None:
    settings = 'exclude = ["drafts/**"]'
    git_repo.write("docs/adr/0001-use-git.md", adr(1, "Use git", extra="\nAmends ADR-0099\n"))  # committed so
    git_repo.write("pyproject.toml", PYPROJECT.format(version=1, settings=settings))
    git_repo.commit("seed")
    assert main(["check", "--staged", "--all", str(git_repo.path)]) == 1
    capsys.readouterr()
    git_repo.write("pyproject.toml", PYPROJECT.format(version=2, settings=settings))  # a dependency's bump
    git_repo.git("add", "pyproject.toml")
    assert main(["check", "--staged", str(git_repo.path)]) == 0, "errors already committed are not reported again"
    assert capsys.readouterr().out == ""
