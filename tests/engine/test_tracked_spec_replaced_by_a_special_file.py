"""A tracked spec file replaced in the work tree by a FIFO or a socket (git status: modified, not deleted) is an error
for that file, naming it and what to do, and its records stay as they were. Before, ``check`` passed without a word
(the file was not even counted) and ``sync`` deleted the file's records, as if git had said it was gone. Neither
ever opens the FIFO (an open would wait for a writer forever)."""

from __future__ import annotations

import os
import socket
from collections.abc import Callable
from pathlib import Path

import pytest
from sqlalchemy import create_engine, text

from conftest import GitRepo
from specs import contract
from tracertm import db
from tracertm.cli import main


def _fifo(path: Path) -> None:
    os.mkfifo(path)


def _socket(path: Path) -> None:
    with socket.socket(socket.AF_UNIX) as s:
        s.bind(str(path))


def _contracts(url: str) -> list[tuple[str, bool]]:
    engine = create_engine(db.parse_url(url))
    try:
        with engine.connect() as conn:
            rows = conn.execute(text("SELECT contract_number, deleted_at IS NOT NULL FROM contracts"))
            return sorted((r[0], bool(r[1])) for r in rows)
    finally:
        engine.dispose()


@pytest.mark.parametrize("make", [_fifo, _socket], ids=["fifo", "socket"])
def test_a_fifo_or_socket_in_place_of_a_tracked_spec_is_an_error_and_its_records_stay(
    git_repo: GitRepo, database_url: str, make: Callable[[Path], None], capsys: pytest.CaptureFixture[str]
) -> None:
    git_repo.write("contracts/a.yaml", contract(1, "A"))
    git_repo.write("contracts/b.yaml", contract(2, "B"))
    git_repo.commit("seed")
    repo = str(git_repo.path)
    assert main(["sync", repo, "--database-url", database_url]) == 0
    before = _contracts(database_url)
    assert before == [("CTR-0001", False), ("CTR-0002", False)]
    (git_repo.path / "contracts/b.yaml").unlink()
    make(git_repo.path / "contracts/b.yaml")
    capsys.readouterr()
    assert main(["check", repo]) == 1
    out = capsys.readouterr()
    lines = [line for line in (out.out + out.err).splitlines() if line.startswith("contracts/b.yaml")]
    assert len(lines) == 1, out
    assert "not a regular file" in lines[0] and "git rm" in lines[0], lines
    assert main(["sync", repo, "--database-url", database_url]) == 1
    out = capsys.readouterr()
    assert "Traceback" not in out.err and any(
        line.startswith("contracts/b.yaml:0:0: ") and "not a regular file" in line for line in out.err.splitlines()
    ), out
    assert _contracts(database_url) == before
