"""A SQLite file whose pages are damaged (SQLite's "database disk image is malformed") is named, and said to be
damaged, with what mends it — not "the database refused the work …; check the database role's privileges and
settings", which sent the user to look for a role a SQLite file does not have."""

from __future__ import annotations

from pathlib import Path

import pytest

from conftest import GitRepo, run_cli
from damaged_db import damaged_at_open, damaged_copy, undecodable_schema
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


def test_a_file_damaged_where_connecting_reads_it_is_named_and_said_damaged_by_every_verb(
        git_repo: GitRepo, tmp_path: Path) -> None:
    # Damage met on connecting, or on the first read of the schema (the reading verbs look at the file before they
    # open it), was "cannot use database URL: database disk image is malformed; check --database-url".
    synced = tmp_path / "specs.db"
    sync_sample(git_repo, f"sqlite:///{synced}")
    path = tmp_path / "damaged.db"
    damaged_at_open(synced, path)
    report = tmp_path / "junit.xml"
    report.write_text('<testsuite name="s" tests="1"><testcase classname="c" name="t"/></testsuite>')
    for argv in (["status", "--project", "sample"], ["list", "adrs", "--project", "sample"],
                 ["sync", str(git_repo.path)], ["sync", str(git_repo.path), "--dry-run"],
                 ["backfill", str(git_repo.path)], ["results", "import", str(report), "--project", "sample"],
                 ["db", "current"], ["token", "list"]):
        result = run_cli(*argv, "--database-url", f"sqlite:///{path}")
        assert (result.returncode, result.stdout) == (2, ""), (argv, result)
        (line,) = result.stderr.splitlines()
        assert line.startswith(f"tracertm: error: {path} is damaged (database disk image is malformed); restore "
                               "it from a backup, or move it aside and run 'tracertm sync PATH'"), (argv, line)


def test_a_schema_whose_damage_sqlite_names_in_bytes_that_are_not_utf8_is_said_damaged_by_every_verb(
        git_repo: GitRepo, tmp_path: Path) -> None:
    # SQLite's "malformed database schema (<the damaged name>)" quoted a byte that is not UTF-8, and the sqlite3
    # module's UnicodeDecodeError decoding its message was an internal error, exit 3, for every verb.
    synced = tmp_path / "specs.db"
    sync_sample(git_repo, f"sqlite:///{synced}")
    path = tmp_path / "damaged.db"
    undecodable_schema(synced, path)
    for argv in (["status", "--project", "sample"], ["list", "adrs", "--project", "sample"],
                 ["search", "login", "--project", "sample"], ["sync", str(git_repo.path)],
                 ["sync", str(git_repo.path), "--dry-run"], ["db", "current"]):
        result = run_cli(*argv, "--database-url", f"sqlite:///{path}")
        assert (result.returncode, result.stdout) == (2, ""), (argv, result)
        (line,) = result.stderr.splitlines()
        assert line.startswith(f"tracertm: error: {path} is damaged (malformed database schema (\\xffontracts)); "
                               "restore it from a backup, or move it aside and run 'tracertm sync PATH'"), (argv, line)


def test_a_decode_error_of_a_users_file_is_no_damaged_database() -> None:
    from tracertm.db.failures import is_damaged

    try:
        b"\xff".decode("utf-8")
    except UnicodeDecodeError as exc:
        assert not is_damaged(exc)
