"""Repositories in folders with names a careless hand gives: one that ends with a space (``specs ``, a copy's or a
typo's) is read as it is, and one whose name is blank (`` ``; ``/`` has none) names no project: one line says to
give one. Before, git's output was stripped, so every verb looked for the folder without its space (exit 2, or an
internal error for ``check PATH``), and a blank folder name became a project named " " that no URL could name.
Real git repositories, the real command line, both databases."""

from __future__ import annotations

import json
import os
from pathlib import Path

import pytest

from conftest import init_repo, run_cli
from specs import adr


def test_a_repository_whose_folder_ends_with_a_space_is_read_there(tmp_path: Path, database_url: str,
                                                                   monkeypatch: pytest.MonkeyPatch) -> None:
    repo = init_repo(tmp_path / "specs ")
    repo.write("docs/adr/0001-use-x.md", adr(1, "Use x"))
    repo.commit("seed")
    (tmp_path / "specs").mkdir()  # the folder without the space exists, and holds nothing: it must not be read
    url = ("--database-url", database_url)
    check = run_cli("check", str(repo.path), "--format", "json")
    assert check.returncode == 0 and json.loads(check.stdout)["files_checked"] == 1, check
    synced = run_cli("sync", str(repo.path), *url, "--format", "json")
    assert synced.returncode == 0, synced.stderr
    assert json.loads(synced.stdout)["counts"]["adr"]["created"] == 1
    monkeypatch.chdir(repo.path / "docs")  # (found from a folder below, as git finds it)
    status = run_cli("status", *url, "--format", "json")
    assert status.returncode == 0, status.stderr
    assert json.loads(status.stdout)["project"] == "specs "
    assert run_cli("sync", "--ref", "HEAD", *url).returncode == 0
    assert os.listdir(tmp_path / "specs") == []


def test_a_blank_folder_name_is_no_project_name(tmp_path: Path, database_url: str) -> None:
    repo = init_repo(tmp_path / " ")
    repo.write("docs/adr/0001-use-x.md", adr(1, "Use x"))
    repo.commit("seed")
    url = ("--database-url", database_url)
    for verb in ("sync", "backfill"):
        proc = run_cli(verb, str(repo.path), *url)
        assert proc.returncode == 2 and proc.stderr.splitlines() == [
            f"tracertm: error: the folder name of {repo.path}: the project name ' ' is blank; give one with "
            "--project NAME (watch, hook sync: project = \"NAME\" in .tracertm.toml)"], proc.stderr
    assert run_cli("status", *url, "--project", "specs").returncode == 2  # nothing was written: no project
    proc = run_cli("sync", str(repo.path), *url, "--project", "specs")
    assert proc.returncode == 0, proc.stderr
    assert run_cli("status", *url, "--project", "specs").returncode == 0
