"""A first sync on PostgreSQL under a role (or session) with ``idle_in_transaction_session_timeout`` shorter than
its parse: its write transaction is open while the workers parse (the eager writer writes each parsed chunk as it
comes back), idle between chunks, and the server used to end the session after the timeout — every first sync of a
large repository failed. The sync's own transaction sets the timeout off (``SET LOCAL``: a setting any role may
change for its session, and only for that transaction); the session's setting holds everywhere else.

The session's setting comes through the URL (``?options=-c idle_in_transaction_session_timeout=...``), as a role's
``ALTER ROLE ... SET`` would give it. The parse is made to outlast the timeout by waiting, inside the eager writer's
first chunk, until the server shows the sync's connection idle in its transaction for twice the timeout, or has
ended it: an observable condition, no sleep tuned to speed."""

from __future__ import annotations

import time
from typing import Any
from urllib.parse import quote

import pytest
from sqlalchemy import func, select, text

from conftest import GitRepo, _pg_connect
from specs import adr, contract
from tracertm import db
from tracertm.engine import eager as eager_mod
from tracertm.engine.sync import sync
from tracertm.models import ADR, Base

TIMEOUT_MS = 1000  # SHOW prints it as "1s"
DEADLINE_S = 120.0  # only bounds a failure: the condition below is polled


def _idle_until_timeout_passed(admin_url: str, pid: int) -> str:
    """Wait until the backend ``pid`` has been idle in its transaction for twice ``TIMEOUT_MS`` ("survived"), or is
    gone ("ended": the server terminated it)."""
    deadline = time.monotonic() + DEADLINE_S
    with _pg_connect(admin_url) as conn:
        while time.monotonic() < deadline:
            row = conn.execute(
                "SELECT state, extract(epoch FROM clock_timestamp() - state_change) * 1000 FROM pg_stat_activity "
                "WHERE pid = %s", (pid,)).fetchone()
            if row is None:
                return "ended"
            state, idle_ms = row
            if state == "idle in transaction" and idle_ms is not None and idle_ms > 2 * TIMEOUT_MS:
                return "survived"
            time.sleep(0.05)  # a poll interval, not a guess at how long anything takes
    raise AssertionError(f"backend {pid} neither idled {2 * TIMEOUT_MS} ms nor ended in {DEADLINE_S} s")


def test_a_first_sync_outlasts_a_short_idle_in_transaction_timeout(
        git_repo: GitRepo, database_url: str, monkeypatch: pytest.MonkeyPatch) -> None:
    if not database_url.startswith("postgresql"):
        pytest.skip("PostgreSQL's idle_in_transaction_session_timeout")
    for i in range(1, 6):
        git_repo.write(f"docs/adr/{i:04d}-decision.md", adr(i, f"Decision {i}"))
    git_repo.write("contracts/payments.yaml", contract(1, "Payments"))
    git_repo.commit("seed")
    admin = database_url.replace("postgresql+psycopg://", "postgresql://", 1)
    url = f"{database_url}?options={quote(f'-c idle_in_transaction_session_timeout={TIMEOUT_MS}')}"

    seen: list[str] = []
    consume = eager_mod.EagerWriter.consume

    def slow_parse(writer: Any, path: str, outcome: Any) -> None:
        if not seen:  # the first parsed file: the rest "parse" while the transaction waits
            pid = writer._conn.exec_driver_sql("SELECT pg_backend_pid()").scalar_one()
            seen.append(_idle_until_timeout_passed(admin, pid))
        consume(writer, path, outcome)

    monkeypatch.setattr(eager_mod.EagerWriter, "consume", slow_parse)
    engine = db.make_engine(url)
    try:
        with engine.connect() as conn:  # the session's setting is the URL's (a role's ALTER ROLE ... SET)
            assert conn.execute(text("SHOW idle_in_transaction_session_timeout")).scalar_one() == "1s"
        result = sync(git_repo.path, engine=engine, project="p", jobs=1)
        assert seen == ["survived"]
        assert result.counts["adr"]["created"] == 5
        with engine.connect() as conn:
            assert conn.execute(select(func.count()).select_from(ADR)).scalar_one() == 5
            # Only the sync's transaction: the session's setting is back once it ended.
            assert conn.execute(text("SHOW idle_in_transaction_session_timeout")).scalar_one() == "1s"
        t = Base.metadata.tables["sync_runs"].c
        with engine.connect() as conn:
            assert list(conn.execute(select(t.status))) == [("ok",)]
    finally:
        engine.dispose()
