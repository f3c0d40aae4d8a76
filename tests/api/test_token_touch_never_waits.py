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
