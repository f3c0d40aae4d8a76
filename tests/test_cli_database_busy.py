"""A database error no verb turned into a message of its own, raised because another writer was in the way (SQLite's
"database is locked" once its busy wait ran out; PostgreSQL's deadlock or serialization failure), is the conflict
line and exit 75 — run it again — not "the database refused the work … check the role's privileges" (exit 2)."""

from __future__ import annotations

import sqlite3
from collections.abc import Iterator
from pathlib import Path

import pytest
from sqlalchemy.exc import OperationalError

from tracertm.cli import EXIT_USAGE, _built, main
from tracertm.cli import records as records_cli
from tracertm.errors import EXIT_CONFLICT


@pytest.fixture(autouse=True)
def _parsers_built_here() -> Iterator[None]:
    """The command line's parsers are built once per process (``build_parser``) and hold each verb's handler: these
    tests replace one, so their parsers are built after it and dropped after the test."""
    _built.cache_clear()
    yield
    _built.cache_clear()


def _raising(error: BaseException) -> object:
    def verb(args: object) -> int:
        raise OperationalError("INSERT INTO x VALUES (?)", (1,), error)

    return verb


@pytest.mark.parametrize(("message", "code"), [("database is locked", 5), ("database table is locked", 6)])
def test_a_locked_sqlite_database_is_a_conflict_to_run_again(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch, capsys: pytest.CaptureFixture[str], message: str, code: int
) -> None:
    error = sqlite3.OperationalError(message)
    error.sqlite_errorcode = code  # SQLITE_BUSY, SQLITE_LOCKED: as the driver sets it
    monkeypatch.setattr(records_cli, "_status", _raising(error))
    exit_code = main(["status", "--database-url", f"sqlite:///{tmp_path / 'x.db'}"])
    err = capsys.readouterr().err
    assert exit_code == EXIT_CONFLICT, err
    assert err.count("\n") == 1 and "another writer held the database" in err and message in err
    assert "run it again" in err and "privileges" not in err


def test_another_refusal_still_names_the_roles_privileges(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch, capsys: pytest.CaptureFixture[str]
) -> None:
    monkeypatch.setattr(records_cli, "_status", _raising(sqlite3.OperationalError("attempt to write a readonly "
                                                                                    "database")))
    code = main(["status", "--database-url", f"sqlite:///{tmp_path / 'x.db'}"])
    err = capsys.readouterr().err
    assert code == EXIT_USAGE and err.count("\n") == 1 and "privileges" in err
