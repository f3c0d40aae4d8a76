"""A SQLite file whose pages are damaged (SQLite's "database disk image is malformed") is named, and said to be
damaged, with what mends it — not "the database refused the work …; check the database role's privileges and
settings", which sent the user to look for a role a SQLite file does not have."""

from __future__ import annotations

from pathlib import Path

import pytest

from conftest import GitRepo, run_cli
from damaged_db import damaged_copy
from sample import sync_sample


@pytest.fixture
def damaged(git_repo: GitRepo, tmp_path: Path) -> Path:
    """The sample synced into a file, then the first bytes of the pages of ``projects`` and ``adrs`` overwritten
    (the file's header is intact: SQLite opens it and meets the damage when it reads those tables)."""
    synced = tmp_path / "specs.db"
    sync_sample(git_repo, f"sqlite:///{synced}")
    path = tmp_path / "damaged.db"
    damaged_copy(synced, path)
    return path


@pytest.mark.parametrize("argv", [["status", "--project", "sample"], ["list", "adrs", "--project", "sample"]],
                         ids=["status", "list"])
def test_a_damaged_file_is_named_and_said_damaged(damaged: Path, argv: list[str]) -> None:
    result = run_cli(*argv, "--database-url", f"sqlite:///{damaged}")
    assert result.returncode == 2 and result.stdout == ""
    (line,) = result.stderr.splitlines()
    assert line.startswith(f"tracertm: error: {damaged} is damaged (database disk image is malformed); restore it "
                           "from a backup"), line
    assert "privileges" not in line and "tracertm sync" in line
