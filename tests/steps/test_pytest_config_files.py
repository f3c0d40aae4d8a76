"""pytest's configuration files are read as step files (``steps.pytest_bdd``: ``bdd_features_base_dir``,
``python_files``), so that pytest-bdd's bindings resolve as pytest's do. A shared file (tox.ini, setup.cfg,
pyproject.toml) that configures no pytest is none of tracertm's business: a project without pytest-bdd must not get
a warning — an error under ``check --strict`` — for a tox.ini it never runs through pytest. A broken file that pytest
does read is a warning at the line its parser names."""

from __future__ import annotations

import pytest

from conftest import GitRepo
from tracertm.cli import main

FEATURE = "Feature: Pay\n  Scenario: one\n    Given a thing\n    Then done\n"


def _check(repo: GitRepo, capsys: pytest.CaptureFixture[str], *args: str) -> tuple[int, str]:
    code = main(["check", str(repo.path), *args])
    out, err = capsys.readouterr()
    return code, out + err


def test_broken_shared_files_without_a_pytest_section_are_not_reported(
    git_repo: GitRepo, capsys: pytest.CaptureFixture[str]
) -> None:
    git_repo.write("features/pay.feature", FEATURE)
    git_repo.write("tox.ini", "[tox]\nenvlist = py311\n[testenv]\ncommands =\n    pytest {posargs}\n  stray line\n")
    git_repo.write("setup.cfg", "[metadata]\nname = x\n[options\n")
    git_repo.commit("broken shared files")
    code, out = _check(git_repo, capsys, "--strict")
    assert code == 0, out
    assert "tox.ini" not in out and "setup.cfg" not in out, out


def test_a_broken_pytest_file_is_a_warning_at_its_line(git_repo: GitRepo, capsys: pytest.CaptureFixture[str]) -> None:
    git_repo.write("features/pay.feature", FEATURE)
    git_repo.write("tox.ini", "[tox]\nenvlist = py311\n\n[pytest]\nbdd_features_base_dir = features\nstray\n")
    git_repo.write("pytest.ini", "bdd_features_base_dir = features\n")  # no section header
    git_repo.commit("broken pytest files")
    code, out = _check(git_repo, capsys)
    assert code == 0, out
    assert "tox.ini:6:" in out and "pytest.ini:1:" in out, out
    assert "cannot read this pytest configuration file" in out
    assert _check(git_repo, capsys, "--strict")[0] == 1
