"""The test-run list's next page resumes after the import time and id its cursor carries (the keyset cursor of the
other lists, ``repositories.cursor``), over a real ``tracertm serve`` on SQLite and PostgreSQL.

Its cursor was ``r.<run id>``, and the next page read that run back for its time: once the run was gone (``tracertm
results prune``, a run deleted) paging stopped with a 400 ("that page's run was pruned since"), and a run whose time
changed between pages moved the boundary (runs before its new place were listed again). A cursor of that form is
now refused in one line, as the record lists' cursors of an earlier tracertm are; a forged one (another list's, one
with filters or a sort value the list does not have) is the lists' one-line 400."""

from __future__ import annotations

import base64
import datetime as dt
import json
import uuid
from collections.abc import Iterator
from typing import Any

import httpx
import pytest
from sample import sync_sample
from sqlalchemy import delete, func, select, update

from apikit import make_token
from conftest import GitRepo, init_repo, isolated, module_database
from served import serve
from tracertm import db
from tracertm.cli import main
from tracertm.models import TestResult, TestRun

RUNS = "/test-runs"  # under the test's project (five_runs)
NOT_A_CURSOR = "cursor: not a cursor of this list; start again without it"


@pytest.fixture(scope="module", params=["sqlite", "postgresql"])
def server(request: pytest.FixtureRequest, tmp_path_factory: pytest.TempPathFactory) -> Iterator[tuple[str, str]]:
    """(base URL, database URL): one ``tracertm serve`` per database for the module, started with the identity
    and home ``_isolated_home`` gives a test. Its start and stop were most of each test's set-up; each test has a
    project of its own in it (``five_runs``), so what one test changes behind the server's back no other sees."""
    folder = tmp_path_factory.mktemp("served")
    urls = module_database(request, folder)
    try:
        url = next(urls)
        with isolated(tmp_path_factory), serve(url, init_repo(folder / "repo").path, folder / "serve.log") as base:
            yield base, url
    finally:
        urls.close()  # _fresh_pg's finally: the database emptied for reuse, or dropped


@pytest.fixture
def database_url(server: tuple[str, str]) -> str:
    """The served database (this module's tests write to it behind the server's back), not one of their own."""
    return server[1]


@pytest.fixture
def project(request: pytest.FixtureRequest) -> str:
    """The test's project in the shared database: named after the test."""
    return request.node.originalname.removeprefix("test_")[:60]


@pytest.fixture
def five_runs(server: tuple[str, str], git_repo: GitRepo, project: str) -> Iterator[tuple[httpx.Client, list[str]]]:
    """A client of the served project ``project`` (the sample) with five runs uploaded, and their ids as the list
    has them. Its paths are the project's: ``RUNS``, ``/adrs``."""
    base, database_url = server
    sync_sample(git_repo, database_url, project)
    auth = {"Authorization": f"Bearer {make_token(database_url)}", "Content-Type": "application/xml"}
    with httpx.Client(base_url=f"{base}/api/v1/projects/{project}", timeout=30) as client:
        for n in range(5):
            report = f'<testsuite name="s{n}"><testcase classname="c" name="t{n}"/></testsuite>'
            assert client.post(RUNS, content=report, headers=auth).status_code == 201
        yield client, _ids(client.get(RUNS))


def _ids(answer: httpx.Response) -> list[str]:
    assert answer.status_code == 200, answer.text
    return [run["id"] for run in answer.json()["items"]]


def _next(client: httpx.Client, **params: Any) -> str:
    cursor = client.get(RUNS, params=params).json()["page"]["next"]
    assert isinstance(cursor, str)
    return cursor


def _problem(answer: httpx.Response) -> str:
    assert answer.status_code == 400 and answer.headers["content-type"] == "application/problem+json", answer.text
    return str(answer.json()["detail"])


def _forge(cursor: str, **changes: Any) -> str:
    payload = json.loads(base64.urlsafe_b64decode(cursor + "=" * (-len(cursor) % 4)))
    return base64.urlsafe_b64encode(json.dumps({**payload, **changes}).encode()).rstrip(b"=").decode()


def _write(database_url: str, *statements: Any) -> None:
    """Change runs behind the server's back, as another process (an import, a prune, a hand edit) would."""
    engine = db.make_engine(database_url)
    try:
        with db.session(engine) as session, session.begin():
            for statement in statements:
                session.execute(statement)
    finally:
        engine.dispose()


def _newest_plus_an_hour(database_url: str) -> dt.datetime:
    engine = db.make_engine(database_url)
    try:
        with db.session(engine) as session:
            newest: dt.datetime = session.execute(select(func.max(TestRun.imported_at))).scalar_one()
    finally:
        engine.dispose()
    return (newest if newest.tzinfo else newest.replace(tzinfo=dt.timezone.utc)) + dt.timedelta(hours=1)


def test_the_page_after_a_deleted_or_moved_run_follows_it(five_runs: tuple[httpx.Client, list[str]],
                                                          database_url: str) -> None:
    client, every = five_runs
    first = client.get(RUNS, params={"limit": 2})
    cursor = first.json()["page"]["next"]
    assert _ids(first) == every[:2] and f"cursor={cursor}&limit=2>" in first.headers["link"]
    assert _ids(client.get(RUNS, params={"cursor": cursor, "limit": 2})) == every[2:4]

    gone = uuid.UUID(every[1])  # the last run of the first page
    _write(database_url, delete(TestResult).where(TestResult.run_id == gone),
           delete(TestRun).where(TestRun.id == gone))
    assert _ids(client.get(RUNS, params={"cursor": cursor})) == every[2:]  # was a 400

    # The last run of a page imported again later (its time moved past every run): the next page starts where it
    # did, not before every run older than its new time (every[0] again).
    cursor = _next(client, cursor=cursor, limit=1)
    _write(database_url, update(TestRun).where(TestRun.id == uuid.UUID(every[2]))
           .values(imported_at=_newest_plus_an_hour(database_url)))
    assert _ids(client.get(RUNS, params={"cursor": cursor})) == every[3:]


def test_the_page_after_a_pruned_run_is_empty(five_runs: tuple[httpx.Client, list[str]], database_url: str,
                                              git_repo: GitRepo, project: str,
                                              monkeypatch: pytest.MonkeyPatch) -> None:
    client, every = five_runs
    cursor = _next(client, limit=2)
    monkeypatch.chdir(git_repo.path)
    assert main(["results", "prune", "--keep", "1", "--project", project, "--database-url", database_url]) == 0
    after = client.get(RUNS, params={"cursor": cursor})
    assert _ids(after) == [] and after.json()["page"]["next"] is None and "link" not in after.headers  # was a 400
    assert _ids(client.get(RUNS)) == every[:1]


def test_old_foreign_and_forged_run_cursors_are_one_line(five_runs: tuple[httpx.Client, list[str]]) -> None:
    client, every = five_runs
    cursor = _next(client, limit=1)
    assert _problem(client.get(RUNS, params={"cursor": f"r.{uuid.UUID(every[0]).hex}"})) == (
        "cursor: made by an earlier version of tracertm; start again without it")
    adrs = client.get("/adrs", params={"limit": 1}).json()["page"]["next"]
    assert _problem(client.get(RUNS, params={"cursor": adrs})) == (
        "cursor: it belongs to another list; start again without it")
    forged = [_forge(cursor, q={"status": ["passed"]}), _forge(cursor, q={"limit": 3}), _forge(cursor, s=[]),
              _forge(cursor, s=["not a time"]), _forge(cursor, s=["2026-01-01T00:00:00+00:00\u0000"]),
              _forge(cursor, s=[5]), _forge(cursor, s=None, h="abc"), "garbage"]
    for text in forged:
        assert _problem(client.get(RUNS, params={"cursor": text})) == NOT_A_CURSOR, text
