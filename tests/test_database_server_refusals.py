"""What the database server refuses is one line, exit 2, never an internal error: a read-only transaction (a role
with ``default_transaction_read_only``), and the like. A password in an argument argparse cannot place is never
echoed. Threads of one process may each make a new database at once (Alembic's module state)."""

from __future__ import annotations

import threading
from pathlib import Path

import pytest

from conftest import GitRepo, run_cli
from tracertm import sync


def _seed(git_repo: GitRepo) -> None:
    git_repo.write("contracts/a.yaml", "id: CTR-1\ntitle: A\n")
    git_repo.commit()


def test_a_read_only_transaction_is_one_line(git_repo: GitRepo, database_url: str) -> None:
    if not database_url.startswith("postgresql"):
        pytest.skip("PostgreSQL's default_transaction_read_only")
    _seed(git_repo)
    sep = "&" if "?" in database_url else "?"
    read_only = f"{database_url}{sep}options=-c%20default_transaction_read_only%3Don"
    result = run_cli("sync", str(git_repo.path), "--database-url", read_only)
    lines = result.stderr.strip().splitlines()
    assert result.returncode == 2 and len(lines) == 1, result.stderr
    assert "internal error" not in lines[0] and "read-only transaction" in lines[0], lines[0]


def test_a_password_in_an_unplaced_argument_is_not_echoed() -> None:
    result = run_cli("search", "--", "ledger", "--database-url", "postgresql+psycopg://u:S3cr%40t@127.0.0.1:1/db")
    assert result.returncode == 2 and "S3cr" not in result.stderr, result.stderr
    assert "postgresql+psycopg://u:***@127.0.0.1:1/db" in result.stderr


def test_threads_make_their_new_databases_at_once(git_repo: GitRepo, tmp_path: Path) -> None:
    _seed(git_repo)
    errors: list[BaseException] = []
    start = threading.Barrier(3)

    def one(i: int) -> None:
        start.wait()
        try:
            sync(git_repo.path, database_url=f"sqlite:///{tmp_path / f'th{i}.db'}", project=f"p{i}")
        except BaseException as exc:  # noqa: BLE001 - collected for the assertion
            errors.append(exc)

    threads = [threading.Thread(target=one, args=(i,)) for i in range(3)]
    for t in threads:
        t.start()
    for t in threads:
        t.join()
    assert errors == []
