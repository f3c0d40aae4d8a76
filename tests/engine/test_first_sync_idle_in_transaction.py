"""A first sync on PostgreSQL under a role (or session) with ``idle_in_transaction_session_timeout`` shorter than
its parse: its write transaction is open while the workers parse (the eager writer writes each parsed chunk as it
comes back), idle between chunks, and the server used to end the session after the timeout — every first sync of a
large repository failed. The sync's own transaction sets the timeout off (``SET LOCAL``: a setting any role may
change for its session, and only for that transaction); the session's setting holds everywhere else.

The session's setting comes through the URL (``?options=-c idle_in_transaction_session_timeout=...``), as a role's
``ALTER ROLE ... SET`` would give it. The parse is made to outlast the timeout by waiting, inside the eager writer's
first chunk, until the server shows the sync's connection idle in its transaction for twice the timeout, or has
ended it: an observable condition, no sleep tuned to speed.

A first sync whose project another writer synced between its read phase and its lock does not write eagerly: it
parses under the lock all the same (every file that differs from what the other writer stored), its transaction
as idle meanwhile. The timeout is off for every sync's write transaction, that one included."""

from __future__ import annotations

import time
from typing import Any
from urllib.parse import quote

import pytest
from sqlalchemy import func, select, text

from conftest import GitRepo, _pg_connect
from specs import adr, contract
from tracertm import db
from tracertm.engine import apply as apply_mod
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


def _lock_holder(admin_url: str) -> int:
    """The backend holding the project's write lock (PostgreSQL: advisory locks of this database)."""
    with _pg_connect(admin_url) as conn:
        pids = [pid for (pid,) in conn.execute(
            "SELECT DISTINCT pid FROM pg_locks WHERE locktype = 'advisory' AND granted "
            "AND database = (SELECT oid FROM pg_database WHERE datname = current_database())").fetchall()]
    assert len(pids) == 1, pids
    return int(pids[0])


def test_a_first_sync_another_writer_synced_first_parses_under_its_lock_past_the_timeout(
        git_repo: GitRepo, database_url: str, monkeypatch: pytest.MonkeyPatch) -> None:
    if not database_url.startswith("postgresql"):
        pytest.skip("PostgreSQL's idle_in_transaction_session_timeout")
    from tracertm.config import load_settings
    from tracertm.engine.identity import RepoIdentity
    from tracertm.engine.scan import Location
    from tracertm.engine.sync import _Job

    git_repo.write("docs/adr/0001-decision.md", adr(1, "Decision 1"))
    first = git_repo.commit("one")
    for i in range(2, 6):
        git_repo.write(f"docs/adr/{i:04d}-decision.md", adr(i, f"Decision {i}"))
    git_repo.write("contracts/payments.yaml", contract(1, "Payments"))
    git_repo.commit("more")
    admin = database_url.replace("postgresql+psycopg://", "postgresql://", 1)
    url = f"{database_url}?options={quote(f'-c idle_in_transaction_session_timeout={TIMEOUT_MS}')}"
    engine = db.make_engine(url)
    try:
        location = Location.find(git_repo.path)
        job = _Job(engine, location, load_settings(location.root), "p", RepoIdentity(location.top, None), None,
                   False, None, False, 1, "cli", 10.0)
        prepared = job.read()
        assert prepared[1] is None  # a first sync: its files parse under the lock
        # Another writer syncs the project (its first commit) before this one takes the lock.
        assert sync(git_repo.path, project="p", engine=engine, ref=first).counts["adr"]["created"] == 1

        seen: list[str] = []
        prepare = apply_mod.prepare_outcome

        def slow_parse(path: str, outcome: Any) -> None:
            if not seen:  # the first parsed file: the rest "parse" while the transaction waits
                seen.append(_idle_until_timeout_passed(admin, _lock_holder(admin)))
            prepare(path, outcome)

        monkeypatch.setattr(apply_mod, "prepare_outcome", slow_parse)
        result = job.write(prepared)
        assert seen == ["survived"]
        assert result.files_parsed == 5  # the four ADRs and the contract the other writer did not store
        assert result.counts["adr"]["created"] == 4
        with engine.connect() as conn:
            assert conn.execute(select(func.count()).select_from(ADR)).scalar_one() == 5
            assert conn.execute(text("SHOW idle_in_transaction_session_timeout")).scalar_one() == "1s"
            t = Base.metadata.tables["sync_runs"].c
            assert sorted(status for (status,) in conn.execute(select(t.status))) == ["ok", "ok"]
    finally:
        engine.dispose()
