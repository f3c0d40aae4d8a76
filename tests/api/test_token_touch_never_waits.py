"""A read sent with a token stays a read: refreshing the token's ``last_used_at`` (at most once a minute) is best
effort and never waits for another writer. It waited for SQLite's write lock behind any sync or import (up to 60 s,
then 503 "database unavailable"). A skipped refresh is made by a later request.

A real ``tracertm serve``; the other writer holds the lock (SQLite: ``BEGIN IMMEDIATE`` on the file; PostgreSQL:
the token's row, ``FOR UPDATE``) until the response has arrived, and is let go whatever happens."""

from __future__ import annotations

import sqlite3
from collections.abc import Iterator
from contextlib import contextmanager
from pathlib import Path

import httpx
import pytest
from sample import sync_sample
from sqlalchemy import select, text

from apikit import make_token
from conftest import GitRepo
from served import serve
from tracertm import db
from tracertm.models import ApiToken

ADR = "/api/v1/adrs/ADR-0003"
REQUEST_S = 120.0  # generous: the answer is expected at once, and a stalled one must still end the test


@contextmanager
def _writer_holding(url: str) -> Iterator[None]:
    """Another writer, holding what refreshing a token needs until the block ends."""
    if url.startswith("sqlite"):
        raw = sqlite3.connect(url.removeprefix("sqlite:///"), isolation_level=None)
        try:
            raw.execute("BEGIN IMMEDIATE")
            yield
        finally:
            raw.close()  # rolls back: the lock is free
        return
    engine = db.make_engine(url)
    try:
        with engine.connect() as conn, conn.begin():
            conn.execute(text("SELECT id FROM api_tokens FOR UPDATE")).all()
            yield
    finally:
        engine.dispose()


def _last_used(url: str) -> object:
    engine = db.make_engine(url)
    try:
        with db.session(engine) as session:
            return session.execute(select(ApiToken.last_used_at)).scalar_one()
    finally:
        engine.dispose()


def test_a_read_with_a_token_answers_while_a_writer_holds_the_lock(
    git_repo: GitRepo, database_url: str, tmp_path: Path
) -> None:
    sync_sample(git_repo, database_url)
    token = make_token(database_url, "read")
    auth = {"Authorization": f"Bearer {token}"}
    with serve(database_url, git_repo.path, tmp_path / "serve.log") as base:
        with _writer_holding(database_url):
            # Answered while the writer still holds the lock: it is let go only after this returns.
            held = httpx.get(base + ADR, headers=auth, timeout=REQUEST_S)
            assert held.status_code == 200, held.text
            assert held.json()["adr_number"] == "ADR-0003"
        assert _last_used(database_url) is None  # the refresh was skipped, not queued
        again = httpx.get(base + ADR, headers=auth, timeout=REQUEST_S)
        assert again.status_code == 200, again.text
        assert _last_used(database_url) is not None  # made by the next request, once the lock was free


def read_only(url: str) -> str:
    """``url`` whose sessions start read-only (``default_transaction_read_only``, as on a database an administrator
    made read-only, or a hot standby)."""
    sep = "&" if "?" in url else "?"
    return f"{url}{sep}options=-c%20default_transaction_read_only%3Don"


def test_a_read_with_a_token_answers_when_the_database_is_read_only(
    git_repo: GitRepo, database_url: str, tmp_path: Path
) -> None:
    """The refresh a read-only database refuses is skipped: psycopg raises that refusal as an ``InternalError``,
    which ``touch_nowait`` did not catch, and every read sending a token was a 500 with a traceback."""
    if not database_url.startswith("postgresql"):
        pytest.skip("PostgreSQL's default_transaction_read_only")
    sync_sample(git_repo, database_url)
    token = make_token(database_url, "read")  # never used: its first read refreshes last_used_at
    log = tmp_path / "serve.log"
    with serve(read_only(database_url), git_repo.path, log) as base:
        for _ in range(2):
            answer = httpx.get(f"{base}/api/v1/projects/sample/adrs", params={"limit": 1},
                               headers={"Authorization": f"Bearer {token}"}, timeout=REQUEST_S)
            assert answer.status_code == 200, answer.text
    assert _last_used(database_url) is None
    assert "Traceback" not in log.read_text(), log.read_text()
