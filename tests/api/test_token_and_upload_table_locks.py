"""A request's reads before its write waits for a lock are bounded against a table lock (``LOCK TABLE``, a
migration's ``ALTER TABLE``) as a PATCH's read of its record is (``writes.bounded_read``, the write's bound): the
check of its token (``api_tokens``) and a test-run upload's look-up of its project (``projects``) waited for as long
as the lock was held. Now 503 ``lock-timeout`` with Retry-After, nothing written. The refresh of a token's
``last_used_at`` that follows the check waits for no table lock at all, its first read included.

A real ``tracertm serve`` (in this process, its bound shortened to 2 s) on PostgreSQL; the lock is held by a separate
connection until the answer has arrived; each request has a client timeout, so a regression fails, never hangs."""

from __future__ import annotations

from collections.abc import Callable, Iterator
from pathlib import Path

import httpx
import pytest
from sample import sync_sample
from sqlalchemy import text

from apikit import make_token
from conftest import PG_ENV, _fresh_pg, init_repo
from served import serve
from tracertm import db

pytestmark = pytest.mark.skipif(not __import__("os").environ.get(PG_ENV), reason=f"needs {PG_ENV}")

BOUND_S = 2.0  # the write bound of the served app here (60 s in a server)
CLIENT_S = 30.0  # far above the bound: an answer after it is the hang the test is about
JUNIT = '<testsuite name="s"><testcase classname="c" name="t"/></testsuite>'


@pytest.fixture
def served(tmp_path: Path, request: pytest.FixtureRequest,
           monkeypatch: pytest.MonkeyPatch) -> Iterator[tuple[str, str, str]]:
    """(database URL, write token, served base URL): the sample synced into a fresh PostgreSQL database and served
    in this process with a write bound of ``BOUND_S``."""
    from tracertm.api import writes

    monkeypatch.setattr(writes, "WRITE_BOUND_S", BOUND_S)
    fresh = _fresh_pg(request.getfixturevalue("_pg_template"))
    url = next(fresh)
    try:
        repo = init_repo(tmp_path / "repo")
        sync_sample(repo, url)
        token = make_token(url)
        with serve(url, repo.path, tmp_path / "serve.log") as base:
            yield url, token, base
    finally:
        fresh.close()  # drops the database


def _locked(url: str, table: str, send: Callable[[], httpx.Response]) -> httpx.Response:
    """``send()``'s answer while a separate connection holds ``table`` in ACCESS EXCLUSIVE mode (released when the
    answer has arrived, or the request failed)."""
    holder = db.make_engine(url)
    try:
        with holder.connect() as conn, conn.begin():
            conn.execute(text(f"LOCK TABLE {table} IN ACCESS EXCLUSIVE MODE"))
            return send()
    finally:
        holder.dispose()


def _lock_timeout(answer: httpx.Response, what: str) -> None:
    assert answer.status_code == 503, answer.text
    body = answer.json()
    assert body["type"].endswith("/lock-timeout") and answer.headers["retry-after"] == "5", answer.text
    assert body["detail"].startswith(f"{what}: waited {BOUND_S:g} s for a lock"), answer.text
    assert "nothing was written" in body["detail"], answer.text


def _runs(url: str) -> int:
    engine = db.make_engine(url)
    try:
        with engine.connect() as conn:
            return int(conn.execute(text("SELECT count(*) FROM test_runs")).scalar_one())
    finally:
        engine.dispose()


@pytest.mark.parametrize("method", ["GET", "PATCH"])
def test_a_token_check_waits_for_a_table_lock_at_most_the_write_bound(
    served: tuple[str, str, str], method: str
) -> None:
    url, token, base = served
    headers = {"Authorization": f"Bearer {token}", "If-Match": "*"}
    answer = _locked(url, "api_tokens", lambda: httpx.request(
        method, f"{base}/api/v1/adrs/ADR-0003", headers=headers, timeout=CLIENT_S,
        json={"metadata": {"owner": "x"}} if method == "PATCH" else None))
    _lock_timeout(answer, "the request's token")
    # Once the lock is gone the same request answers (and the token is used as before).
    assert httpx.get(f"{base}/api/v1/adrs/ADR-0003", headers=headers, timeout=CLIENT_S).status_code == 200


def test_an_upload_waits_for_a_lock_on_the_projects_at_most_the_write_bound(served: tuple[str, str, str]) -> None:
    url, token, base = served
    headers = {"Authorization": f"Bearer {token}", "Content-Type": "application/xml"}
    answer = _locked(url, "projects", lambda: httpx.post(
        f"{base}/api/v1/projects/sample/test-runs", content=JUNIT, headers=headers, timeout=CLIENT_S))
    _lock_timeout(answer, "project sample")
    assert _runs(url) == 0
    uploaded = httpx.post(f"{base}/api/v1/projects/sample/test-runs", content=JUNIT, headers=headers,
                          timeout=CLIENT_S)
    assert uploaded.status_code == 201 and _runs(url) == 1, uploaded.text


def test_the_token_touch_waits_for_no_table_lock(served: tuple[str, str, str]) -> None:
    """The refresh of ``last_used_at`` (best effort, ``tokens.touch_nowait``) bounds its wait to a moment from its
    first statement, the schema revision's read: it read ``alembic_version`` before, unbounded, and a read with a
    token never used waited as long as a migration held that table."""
    url, token, base = served
    answer = _locked(url, "alembic_version", lambda: httpx.get(
        f"{base}/api/v1/adrs/ADR-0003", headers={"Authorization": f"Bearer {token}"}, timeout=CLIENT_S))
    assert answer.status_code == 200 and answer.json()["adr_number"] == "ADR-0003", answer.text
