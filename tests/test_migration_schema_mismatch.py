"""A database whose tables do not match its schema revision — stamped with an older revision than its tables are
(migrated in part by hand, a stamp restored apart from its tables), or tracertm's tables with no stamp at all — is
refused in one line that says so, on SQLite and PostgreSQL, and nothing is migrated: not the generic "the database
refused the work ... run the command again" nor "check --database-url", which would not help."""

from __future__ import annotations

import subprocess
from pathlib import Path

import pytest
from sqlalchemy import text

from tests.conftest import GitRepo, run_cli, schema_revision
from tracertm import db

ADR = """# 1. Use PostgreSQL

## Status

Accepted

## Context

We need a database.

## Decision

PostgreSQL.

## Consequences

Backups.
"""


def _synced(git_repo: GitRepo, url: str) -> None:
    git_repo.write("docs/adr/0001-use-postgresql.md", ADR)
    git_repo.commit("adr", author="Ada <ada@example.com>")
    result = run_cli("sync", str(git_repo.path), "--database-url", url)
    assert result.returncode == 0, result.stderr


def _execute(url: str, *statements: str) -> None:
    engine = db.make_engine(url)
    try:
        with engine.begin() as conn:
            for statement in statements:
                conn.execute(text(statement))
    finally:
        engine.dispose()


def _one_line_error(result: subprocess.CompletedProcess[str]) -> str:
    assert result.returncode == 2, (result.stdout, result.stderr)
    lines = result.stderr.strip().splitlines()
    assert len(lines) == 1, result.stderr
    assert "Traceback" not in lines[0]
    return lines[0]


@pytest.mark.parametrize("command", [["sync"], ["db", "upgrade"]])
def test_stamp_older_than_the_tables_is_one_line_naming_the_mismatch(
    database_url: str, git_repo: GitRepo, command: list[str]
) -> None:
    _synced(git_repo, database_url)
    # The tables are at head (0017 made scenario_steps) but the stamp says 0016: migrating would create it again.
    _execute(database_url, "UPDATE alembic_version SET version_num = '0016'")
    args = [*command, str(git_repo.path)] if command == ["sync"] else command
    line = _one_line_error(run_cli(*args, "--database-url", database_url))
    assert "stamped with schema revision 0016, but its tables are not that revision's" in line, line
    assert "scenario_steps" in line and "nothing was migrated" in line and "restore a backup" in line, line
    assert "run the command again" not in line and "check --database-url" not in line, line
    assert schema_revision(database_url) == "0016"  # nothing was migrated


@pytest.mark.parametrize("stamp", ["0001", "0004", "0013", "0014", "0015", "0017"])
def test_a_stamp_a_migration_itself_finds_wrong_is_one_line(tmp_path: Path, git_repo: GitRepo, stamp: str) -> None:
    """On SQLite these stamps met a migration's own check (``RuntimeError``), Alembic's batch mode (``ValueError``,
    ``CircularDependencyError``) or a row it requires (``NoResultFound``) before any statement failed: exit 3."""
    url = f"sqlite:///{tmp_path / 't.db'}"
    _synced(git_repo, url)
    _execute(url, f"UPDATE alembic_version SET version_num = '{stamp}'")
    line = _one_line_error(run_cli("db", "upgrade", "--database-url", url))
    assert f"stamped with schema revision {stamp}, but its tables are not that revision's" in line, line
    assert schema_revision(url) == stamp


@pytest.mark.parametrize("damage", ["DROP TABLE alembic_version", "DELETE FROM alembic_version"])
def test_tables_without_a_stamp_are_one_line_and_kept(database_url: str, git_repo: GitRepo, damage: str) -> None:
    _synced(git_repo, database_url)
    _execute(database_url, damage)
    line = _one_line_error(run_cli("sync", str(git_repo.path), "--database-url", database_url))
    assert "holds tracertm's tables but no schema revision" in line and "nothing was changed" in line, line
    # Nor does any other command take it for an empty database or another program's ("run 'tracertm sync' to
    # create it", a dry run planning every record as new, 'db upgrade' "migrates tracertm's tables into it").
    for args in (["db", "upgrade"], ["db", "current"], ["status", str(git_repo.path)],
                 ["sync", str(git_repo.path), "--dry-run"], ["show", "ADR-0001"]):
        line = _one_line_error(run_cli(*args, "--database-url", database_url))
        assert "holds tracertm's tables but no schema revision" in line, (args, line)
    engine = db.make_engine(database_url)
    try:
        with engine.connect() as conn:
            assert conn.execute(text("SELECT count(*) FROM adrs")).scalar() == 1  # what it held is still there
    finally:
        engine.dispose()


def test_an_empty_sqlite_file_is_still_created(tmp_path: Path, git_repo: GitRepo) -> None:
    """The check for tracertm's tables does not refuse the first use of a new database."""
    url = f"sqlite:///{tmp_path / 'new.db'}"
    _synced(git_repo, url)
    assert schema_revision(url) == db.SCHEMA_HEAD
