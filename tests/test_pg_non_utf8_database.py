"""A PostgreSQL database whose encoding is not UTF8 (README, search syntax: "on a PostgreSQL database whose
encoding is not UTF8, accents are not ignored") is a database tracertm serves. Text it cannot hold (Cyrillic in a
LATIN1 database) was encoded by psycopg on the client, in the server's encoding, and a sync ended in ``internal
error: UnicodeEncodeError`` (exit 3). Connections now talk UTF8 to the server, which converts and refuses what its
encoding cannot hold: one line saying so, exit 2, nothing written; text it can hold (accents) syncs and is found."""

from __future__ import annotations

import uuid
from collections.abc import Iterator

import pytest

from conftest import (
    GitRepo, _pg_admin_url, _pg_connect, _pg_execute_autocommit, _with_database, run_cli,
)


@pytest.fixture
def latin1_database_url() -> Iterator[str]:
    admin = _pg_admin_url()
    if not admin:
        pytest.skip("PostgreSQL tests need TRACERTM_TEST_DATABASE_URL")
    name = f"trtm_l1_{uuid.uuid4().hex[:12]}"
    _pg_execute_autocommit(admin, f"CREATE DATABASE \"{name}\" ENCODING 'LATIN1' TEMPLATE template0 "
                                  "LC_COLLATE 'C' LC_CTYPE 'C'")
    try:
        yield _with_database(admin, name).replace("postgresql://", "postgresql+psycopg://", 1)
    finally:
        _pg_execute_autocommit(admin, f'DROP DATABASE IF EXISTS "{name}" WITH (FORCE)')


def _adr(title: str, text: str) -> str:
    return (f"# {title}\n\n* Status: accepted\n* Date: 2023-03-20\n\n## Context and Problem Statement\n\n{text}\n\n"
            "## Decision Outcome\n\nChosen option: \"a\", because b.\n")


def test_text_a_latin1_database_cannot_hold_is_one_line_and_exit_2(
    git_repo: GitRepo, latin1_database_url: str,
) -> None:
    git_repo.write("docs/adr/0001-words.md", _adr("Cyrillic words", "Слово йогурт и молоко."))
    git_repo.commit()
    result = run_cli("sync", str(git_repo.path), "--database-url", latin1_database_url)
    lines = result.stderr.strip().splitlines()
    assert result.returncode == 2 and len(lines) == 1, result.stderr
    assert "internal error" not in lines[0] and "LATIN1" in lines[0], lines[0]
    with _pg_connect(latin1_database_url) as conn:
        assert conn.execute("SELECT count(*) FROM adrs").fetchone() == (0,)


def test_accented_latin_text_syncs_into_a_latin1_database_and_is_found(
    git_repo: GitRepo, latin1_database_url: str,
) -> None:
    git_repo.write("docs/adr/0001-cafe.md", _adr("Café ordering", "We serve Café au lait."))
    git_repo.commit()
    synced = run_cli("sync", str(git_repo.path), "--database-url", latin1_database_url)
    assert synced.returncode == 0, synced.stderr
    found = run_cli("search", "café", "--database-url", latin1_database_url)
    assert found.returncode == 0 and "ADR-0001" in found.stdout, (found.stdout, found.stderr)
