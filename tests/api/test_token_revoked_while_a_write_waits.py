"""A write whose token is revoked while it waits for the project's write lock writes nothing: 401, as a request sent
after the revoke gets. The token was checked once, when the request came in, and a write that then waited behind a
sync (up to ``lock_timeout``, 60 s) was applied after ``tracertm token revoke`` had answered — a PATCH, a link review
or a test-run upload recorded under the revoked token's name. The token is now checked again under the lock, in the
write's own transaction.

The race is made deterministic: the test holds the project's write lock (as a sync does), lets the request in, and
revokes the token in the lock's own transaction once the request's token has been checked — through the app
in-process (a hook on ``deps.check_token`` says when) on SQLite and PostgreSQL, and against a two-worker ``tracertm
serve`` on PostgreSQL (the write's wait for the lock seen in ``pg_stat_activity``). Every thread ends and every
server stops even when a test fails."""

from __future__ import annotations

import threading
from collections.abc import Callable, Iterator
from contextlib import contextmanager
from pathlib import Path
from typing import Any

import httpx
import pytest
from sqlalchemy import func, select, text

from apikit import api_client, make_token, refunds_with_a_changed_adr
from conftest import PG_ENV, GitRepo
from served import serve
from waiting import until
from tracertm import db, tokens
from tracertm.api import deps
from tracertm.models import ADR, Link, SpecRevision, TestRun

PROJECT = "refunds"
API = "/api/v1"
FEATURE = "@FEAT-1 @ADR-0003\nFeature: Refunds\n\n  @SC-1\n  Scenario: refund\n    Given a paid order\n"
JUNIT = b'<testsuite name="s"><testcase classname="refunds" name="refund"/></testsuite>'
WAIT_S = 60.0


def _writes(token: str, link: int) -> dict[str, Callable[[Any], Any]]:
    """The API's writes of the project, each sent with ``token`` by ``client`` (TestClient or httpx)."""
    auth = {"Authorization": f"Bearer {token}"}
    return {
        "patch": lambda client: client.patch(f"{API}/adrs/ADR-0003", json={"approved_by": "mallory"},
                                             headers={**auth, "If-Match": '"2"'}),
        "review": lambda client: client.patch(f"{API}/projects/{PROJECT}/links/{link}", json={"reviewed": True},
                                              headers={**auth, "If-Match": '"2"'}),
        "upload": lambda client: client.post(f"{API}/projects/{PROJECT}/test-runs", content=JUNIT,
                                             headers={**auth, "Content-Type": "application/xml"}),
    }


def _state(engine: Any) -> tuple[Any, ...]:
    """What the writes would change: ADR-0003's version, approver and revisions, the link's review, the runs."""
    with db.session(engine) as session:
        adr = session.execute(select(ADR).where(ADR.adr_number == "ADR-0003")).scalar_one()
        revisions = session.execute(select(func.count()).select_from(SpecRevision)
                                    .where(SpecRevision.entity_id == adr.id)).scalar_one()
        reviewed = session.execute(select(Link.reviewed_version, Link.reviewed_by)
                                   .where(Link.target_ref == "ADR-0003")).all()
        runs = session.execute(select(func.count()).select_from(TestRun)).scalar_one()
        return adr.version, adr.approved_by, revisions, sorted(map(tuple, reviewed), key=repr), runs


def _suspect_link(engine: Any) -> int:
    with db.session(engine) as session:
        # (the feature's and its scenario's: the first of them)
        return int(session.execute(select(Link.id).where(Link.target_ref == "ADR-0003").order_by(Link.id)).scalars()
                   .first())


def _revoke(session: Any, token: str) -> None:
    """``tracertm token revoke`` of ``token``, in ``session`` (committed with it)."""
    _row, revoked = tokens.revoke(session, token[:12])
    assert revoked


class Request(threading.Thread):
    """One request in a thread of its own; ``answer`` once it has answered (or ``error``)."""

    def __init__(self, send: Callable[[Any], Any], client: Any) -> None:
        super().__init__(daemon=True)
        self.send, self.client = send, client
        self.answer: Any = None
        self.error: BaseException | None = None

    def run(self) -> None:
        try:
            self.answer = self.send(self.client)
        except BaseException as exc:  # noqa: BLE001 - reported by the test
            self.error = exc

    def result(self) -> Any:
        self.join(WAIT_S)
        assert not self.is_alive(), "the request did not answer"
        assert self.error is None, self.error
        return self.answer


@contextmanager
def _token_checks_seen(monkeypatch: pytest.MonkeyPatch) -> Iterator[threading.Event]:
    """An event set once the app has checked a request's token (``deps.check_token``, run before the route): the
    request goes on to the write, which waits for the project's lock the test holds."""
    checked = threading.Event()
    original = deps.check_token

    def watched(*args: Any, **kwargs: Any) -> str:
        actor = original(*args, **kwargs)
        checked.set()
        return actor

    monkeypatch.setattr(deps, "check_token", watched)
    yield checked


def _assert_refused(answer: Any) -> None:
    assert answer.status_code == 401, answer.text
    assert answer.headers["content-type"] == "application/problem+json"
    assert answer.json()["type"] == "https://tracertm.dev/problems/unauthorized"
    assert "revoked while this request waited" in answer.json()["detail"]


@pytest.mark.parametrize("write", ["patch", "review", "upload"])
def test_a_write_whose_token_is_revoked_while_it_waits_for_the_lock_writes_nothing(
    git_repo: GitRepo, engine: Any, monkeypatch: pytest.MonkeyPatch, write: str
) -> None:
    refunds_with_a_changed_adr(git_repo, engine, FEATURE)  # ADR-0003 at version 2, its link from FEAT-1 suspect
    token = make_token(engine, label="mallory")
    send = _writes(token, _suspect_link(engine))[write]
    before = _state(engine)
    with api_client(engine) as client, _token_checks_seen(monkeypatch) as checked:
        request = Request(send, client)
        try:
            with db.write_session(engine, PROJECT) as held:  # what a sync holds while it writes
                request.start()
                assert checked.wait(WAIT_S), "the request's token was never checked"
                _revoke(held, token)  # committed as the lock is let go
            answer = request.result()
        finally:
            request.join(WAIT_S)
        _assert_refused(answer)
        assert _state(engine) == before  # nothing written: no version, revision, review or run
        # And a request sent now is refused as before.
        assert send(client).status_code == 401


# --- against a real two-worker server on PostgreSQL --------------------------------------------------------------


def _backends(engine: Any, where: str, **params: Any) -> int:
    """Other sessions of this database matching ``where`` (on ``pg_stat_activity``)."""
    with engine.connect() as conn:
        return int(conn.execute(text(
            "SELECT count(*) FROM pg_stat_activity WHERE datname = current_database() "
            f"AND pid <> pg_backend_pid() AND {where}"), params).scalar())


@pytest.mark.skipif(not __import__("os").environ.get(PG_ENV), reason=f"needs {PG_ENV}")
@pytest.mark.parametrize("database_url", ["postgresql"], indirect=True)
def test_a_served_patch_whose_token_is_revoked_while_it_waits_writes_nothing(
    git_repo: GitRepo, engine: Any, database_url: str, tmp_path: Path
) -> None:
    refunds_with_a_changed_adr(git_repo, engine, FEATURE)
    token = make_token(engine, label="mallory")
    send = _writes(token, _suspect_link(engine))["patch"]
    before = _state(engine)
    with serve(database_url, git_repo.path, tmp_path / "serve.log", "--workers", "2") as base, \
            httpx.Client(base_url=base, timeout=WAIT_S) as client:
        request = Request(send, client)
        try:
            with db.write_session(engine, PROJECT) as held:
                pid = held.execute(text("SELECT pg_backend_pid()")).scalar()
                request.start()
                # The server's write waits in PostgreSQL's queue for the project's advisory lock.
                until(lambda: _backends(
                    engine, "pid <> :holder AND wait_event_type = 'Lock' AND query LIKE 'SELECT pg_advisory_lock%'",
                    holder=pid,
                ) > 0, "PATCH waiting for the project's write lock", WAIT_S)
                _revoke(held, token)
            answer = request.result()
        finally:
            request.join(WAIT_S)
        _assert_refused(answer)
    assert _state(engine) == before
