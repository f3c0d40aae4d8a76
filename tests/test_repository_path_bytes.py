"""A repository whose path holds a byte that is not UTF-8 (a folder named in Latin-1, ``caf\\xe9``): git prints its
paths as the bytes they are, and every verb reads them as the file system's names (``os.fsdecode``). Before, git's
``rev-parse --show-toplevel`` was decoded as UTF-8: every verb, the commit hook included, was an internal error
(exit 3) and the hook refused every commit. Real git, a real commit through the installed hook, a real SQLite
file."""

from __future__ import annotations

import os
import subprocess
from pathlib import Path

import pytest

from conftest import init_repo, sqlite_only
from specs import adr
from tracertm.cli import main


@sqlite_only
def test_every_verb_works_in_a_repository_under_a_latin1_folder(
        tmp_path: Path, database_url: str, capsys: pytest.CaptureFixture[str]) -> None:
    parent = Path(os.fsdecode(bytes(tmp_path) + b"/caf\xe9"))
    repo = init_repo(parent / "repo")
    repo.write("docs/adr/0001-use-git.md", adr(1, "Use git"))
    repo.commit("seed")
    url = ("--database-url", database_url)
    path = ("--path", str(repo.path))
    assert main(["check", str(repo.path)]) == 0
    assert main(["sync", str(repo.path), *url]) == 0
    assert main(["hook", "install", str(repo.path)]) == 0
    repo.write("docs/adr/0002-use-sqlite.md", adr(2, "Use SQLite"))
    repo.git("add", "-A")
    committed = subprocess.run(["git", "commit", "-q", "-m", "two"], cwd=repo.path, capture_output=True, text=True)
    assert committed.returncode == 0, committed.stderr  # the pre-commit hook's check --staged passed
    assert main(["backfill", str(repo.path), *url, "--quiet"]) == 0
    assert main(["list", "adrs", *path, *url, "--format", "json"]) == 0
    assert main(["diff", "HEAD~1", "HEAD", *path]) == 0
    assert main(["status", *path, *url]) == 0
    out, err = capsys.readouterr()
    assert "ADR-0002" in out and "internal error" not in err, err
