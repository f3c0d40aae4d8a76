"""API writes of records against a real ``tracertm serve`` on PostgreSQL: a PATCH takes the project's write lock
(the one syncs, imports and link reviews take), so it waits for a sync instead of making it fail; and ``If-Match:
*`` holds whenever the record exists, so concurrent ``*`` PATCHes all succeed, one revision each.

Every wait is for a condition the database shows (``pg_stat_activity``), never for a guessed time; every thread
ends (the holder's transaction ends with the ``with`` block, releasing what the request waits for) and the server
stops even when a test fails."""

from __future__ import annotations

import threading
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import httpx
import pytest
from sample import sync_sample
from sqlalchemy import text

from apikit import make_token
from conftest import PG_ENV, _fresh_pg, init_repo, isolated
from served import serve
from waiting import until
from tracertm import db

pytestmark = pytest.mark.skipif(not __import__("os").environ.get(PG_ENV), reason=f"needs {PG_ENV}")

NAME = "acme/payments"
# Each test's own ADR (version 1 as synced): the tests share one server and database, never a record.
ADRS = {"lock": "ADR-0003", "star": "ADR-0004", "concurrent": "ADR-0005", "stale": "ADR-0006"}
WAIT_S = 60.0


@pytest.fixture(scope="module")
def pg(tmp_path_factory: pytest.TempPathFactory, request: pytest.FixtureRequest) -> Iterator[tuple[str, str, Any]]:
    """(served base URL, write token, engine): the sample synced as ``acme/payments`` into a fresh PostgreSQL
    database, served by two workers. Started once for the module: each test writes an ADR of its own (``ADRS``),
    which no other test touches, and reads only that one's versions."""
    work = tmp_path_factory.mktemp("write-lock")
    with isolated(tmp_path_factory):  # the autouse home/identity fixture is per test; this is per module
        fresh = _fresh_pg(request.getfixturevalue("_pg_template"))
        url = next(fresh)
        engine = db.make_engine(url)
        try:
            sync_sample(init_repo(work / "repo"), url, project=NAME)
            token = make_token(engine)
            with serve(url, work / "repo", work / "serve.log", "--workers", "2") as base:
                yield base, token, engine
        finally:
            engine.dispose()
            fresh.close()  # drops the database


class Patch(threading.Thread):
    """One PATCH of an ADR in a thread of its own; ``response`` once it has answered (or ``error``)."""

    def __init__(self, base: str, token: str, if_match: str, by: str, adr: str) -> None:
        super().__init__(daemon=True)
        self.args_ = (base, token, if_match, by, adr)
        self.response: httpx.Response | None = None
        self.error: BaseException | None = None
        self.done = threading.Event()

    def run(self) -> None:
        base, token, if_match, by, adr = self.args_
        try:
            self.response = httpx.patch(
                f"{base}/api/v1/adrs/{adr}", json={"approved_by": by}, timeout=WAIT_S,
                headers={"Authorization": f"Bearer {token}", "If-Match": if_match},
            )
        except BaseException as exc:  # noqa: BLE001 - reported by the test
            self.error = exc
        finally:
            self.done.set()

    def result(self) -> httpx.Response:
        self.join(WAIT_S)
        assert self.error is None and self.response is not None, self.error
        return self.response


def _backends(engine: Any, where: str, **params: Any) -> int:
    """Other sessions of this database matching ``where`` (on ``pg_stat_activity``)."""
    with engine.connect() as conn:
        return int(conn.execute(text(
            "SELECT count(*) FROM pg_stat_activity WHERE datname = current_database() "
            f"AND pid <> pg_backend_pid() AND {where}"), params).scalar())


def _behind_an_unlocked_edit(engine: Any, patch: Patch, adr: str) -> httpx.Response:
    """``patch``'s answer when it starts while an ORM edit from Python (README: Python API), which takes no project
    lock, holds ``adr``'s row: the PATCH reads version 1 and its guarded UPDATE waits until the edit commits
    (version 2)."""
    from tracertm.models import ADR as AdrRow

    try:
        with db.session(engine) as session, session.begin():
            session.info["actor"] = "python"
            session.query(AdrRow).filter_by(adr_number=adr).one().approved_by = "ada"
            session.flush()
            patch.start()
            until(lambda: _backends(engine, "wait_event_type = 'Lock'") > 0, "PATCH waiting for the row", WAIT_S)
        return patch.result()
    finally:
        patch.join(WAIT_S)


def test_a_patch_waits_for_the_projects_write_lock_and_then_succeeds(pg: tuple[str, str, Any]) -> None:
    base, token, engine = pg
    patch = Patch(base, token, '"1"', "grace", ADRS["lock"])
    try:
        # What a sync holds while it plans and writes: nothing may change the project's rows meanwhile.
        with db.write_session(engine, NAME) as held:
            holder = held.execute(text("SELECT pg_backend_pid()")).scalar()
            patch.start()
            # The server's transaction waits in PostgreSQL's queue for the same advisory lock.
            until(lambda: _backends(
                engine, "pid <> :holder AND wait_event_type = 'Lock' AND query LIKE 'SELECT pg_advisory_lock%'",
                holder=holder,
            ) > 0, "PATCH waiting for the project's write lock", WAIT_S)
            assert not patch.done.is_set(), "the PATCH answered while the lock was held"
        answer = patch.result()
    finally:
        patch.join(WAIT_S)
    assert answer.status_code == 200, answer.text
    assert answer.headers["etag"].startswith('"2-') and answer.json()["approved_by"] == "grace"


def test_if_match_star_never_loses_to_a_write_that_landed_after_its_read(pg: tuple[str, str, Any]) -> None:
    base, token, engine = pg
    answer = _behind_an_unlocked_edit(engine, Patch(base, token, "*", "grace", ADRS["star"]), ADRS["star"])
    assert answer.status_code == 200, answer.text
    assert answer.headers["etag"].startswith('"3-') and answer.json()["approved_by"] == "grace"


def test_a_patch_overtaken_by_an_unlocked_edit_is_412_naming_the_version_that_overtook_it(
    pg: tuple[str, str, Any]
) -> None:
    # The PATCH reads version 1 under the project's lock, as If-Match says, and its guarded UPDATE then loses to an
    # ORM edit from Python (which takes no project lock). Its 412 named version 1 (``current_version`` and ``ETag``:
    # the version the PATCH had sent), so a client that retried with it was refused again.
    base, token, engine = pg
    answer = _behind_an_unlocked_edit(engine, Patch(base, token, '"1"', "grace", ADRS["stale"]), ADRS["stale"])
    assert answer.status_code == 412, answer.text
    assert answer.json()["current_version"] == 2 and answer.headers["etag"] == '"2"', answer.text
    retry = Patch(base, token, answer.headers["etag"], "grace", ADRS["stale"])
    retry.start()
    assert retry.result().status_code == 200
    history = httpx.get(f"{base}/api/v1/adrs/{ADRS['stale']}/history", timeout=WAIT_S).json()
    assert [(h["version"], h["actor"]) for h in history] == [(1, None), (2, "python"), (3, "api:test")]


def test_concurrent_if_match_star_patches_all_succeed_one_revision_each(pg: tuple[str, str, Any]) -> None:
    base, token, _ = pg
    patches = [Patch(base, token, "*", f"u{i}", ADRS["concurrent"]) for i in range(8)]
    try:
        for patch in patches:
            patch.start()
        answers = [patch.result() for patch in patches]
    finally:
        for patch in patches:
            patch.join(WAIT_S)
    assert [a.status_code for a in answers] == [200] * 8, [a.text for a in answers if a.status_code != 200]
    assert sorted(a.json()["version"] for a in answers) == list(range(2, 10))
    history = httpx.get(f"{base}/api/v1/adrs/{ADRS['concurrent']}/history", timeout=WAIT_S).json()
    assert [h["version"] for h in history] == list(range(1, 10))
    assert [h["change"] for h in history[1:]] == ["annotated"] * 8


@pytest.fixture
def one_served(tmp_path: Path, request: pytest.FixtureRequest) -> Iterator[tuple[str, str, Path]]:
    """(database URL, write token, repository): the sample synced as ``acme/payments`` into a fresh PostgreSQL
    database, for a test that serves it itself (in this process: its bounds can be shortened)."""
    fresh = _fresh_pg(request.getfixturevalue("_pg_template"))
    url = next(fresh)
    try:
        repo = init_repo(tmp_path / "repo")
        sync_sample(repo, url, project=NAME)
        yield url, make_token(url), repo.path
    finally:
        fresh.close()  # drops the database


def _version(url: str, adr: str) -> int:
    engine = db.make_engine(url)
    try:
        with engine.connect() as conn:
            return int(conn.execute(text("SELECT version FROM adrs WHERE adr_number = :n"), {"n": adr}).scalar_one())
    finally:
        engine.dispose()


def test_a_write_to_a_read_only_database_is_503_and_writes_nothing(
    one_served: tuple[str, str, Path], tmp_path: Path
) -> None:
    """A database whose sessions are read-only (``default_transaction_read_only``): every PATCH is 503
    ``unavailable``, logged in one line. A GET's connection went back to the pool read-write, not at the server's
    default (SQLAlchemy's reset of ``postgresql_readonly``: psycopg then sent ``BEGIN READ WRITE``), and the PATCH
    that took it next wrote; the others were 500 with a traceback."""
    url, token, repo = one_served
    sep = "&" if "?" in url else "?"
    log = tmp_path / "serve.log"
    headers = {"Authorization": f"Bearer {token}", "If-Match": "*"}
    with serve(f"{url}{sep}options=-c%20default_transaction_read_only%3Don", repo, log) as base, \
            httpx.Client(base_url=base, timeout=WAIT_S) as client:
        answers = []
        for _ in range(3):
            assert client.get(f"/api/v1/adrs/{ADRS['lock']}").status_code == 200
            answers.append(client.patch(f"/api/v1/adrs/{ADRS['lock']}", json={"metadata": {"owner": "x"}},
                                        headers=headers))
    assert [a.status_code for a in answers] == [503] * 3, [a.text for a in answers]
    assert answers[0].json()["type"].endswith("/unavailable") and answers[0].headers["retry-after"] == "5"
    assert _version(url, ADRS["lock"]) == 1
    text_of_log = log.read_text()
    assert "Traceback" not in text_of_log and "read-only transaction" in text_of_log, text_of_log


def test_a_patch_waits_for_a_table_lock_at_most_its_bound(
    one_served: tuple[str, str, Path], tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    """A transaction holding the ADRs' table (``LOCK TABLE``, a migration's ``ALTER TABLE``): the PATCH's read of
    the record, before it waits for the project's lock, waited for it as long as it was held; now within the
    write's bound (60 s in a server), then 503 ``lock-timeout`` with Retry-After, nothing written."""
    from tracertm.api import writes

    monkeypatch.setattr(writes, "WRITE_BOUND_S", 2.0)
    url, token, repo = one_served
    holder = db.make_engine(url)
    try:
        with serve(url, repo, tmp_path / "serve.log") as base:
            with holder.connect() as conn, conn.begin():
                conn.execute(text("LOCK TABLE adrs IN ACCESS EXCLUSIVE MODE"))
                answer = httpx.patch(f"{base}/api/v1/adrs/{ADRS['lock']}", json={"metadata": {"owner": "x"}},
                                     headers={"Authorization": f"Bearer {token}", "If-Match": "*"},
                                     timeout=WAIT_S / 2)
    finally:
        holder.dispose()  # (the lock ends with its transaction, at the end of the block)
    assert answer.status_code == 503 and answer.json()["type"].endswith("/lock-timeout"), answer.text
    assert answer.headers["retry-after"] == "5" and "waited 2 s" in answer.json()["detail"], answer.text
    assert _version(url, ADRS["lock"]) == 1
