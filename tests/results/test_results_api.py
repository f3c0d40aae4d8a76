"""``/api/v1/projects/{p}/test-runs`` through httpx (Starlette's TestClient) on SQLite and PostgreSQL: uploads as raw
bodies and multipart files, the write token, duplicates, malformed reports, the streamed size limit, paging and a
run with its results — the same import as ``tracertm results import``."""

from __future__ import annotations

import shutil
import warnings
from collections.abc import Iterator
from pathlib import Path

import pytest
from sqlalchemy import func, select

from apikit import api_client, make_token
from conftest import GitRepo
from tracertm import db
from tracertm.api import ApiSettings
from tracertm.engine.sync import sync
from tracertm.models import Scenario, SpecRevision, TestResult, TestRun

with warnings.catch_warnings():
    warnings.simplefilter("ignore")
    from fastapi.testclient import TestClient

HERE = Path(__file__).parent
FIXTURES = HERE / "fixtures"
RUNS = "/api/v1/projects/shop/test-runs"
PROBLEM = "application/problem+json"
XML = {"Content-Type": "application/xml"}


@pytest.fixture
def cart(git_repo: GitRepo, database_url: str) -> GitRepo:
    shutil.copytree(HERE / "project" / "features", git_repo.path / "features",
                    ignore=shutil.ignore_patterns("steps"))
    git_repo.commit("cart")
    assert not sync(git_repo.path, ref="HEAD", database_url=database_url, project="shop").errors
    return git_repo


def _token(url: str, scope: str) -> dict[str, str]:
    """The header of a new token of ``scope``, labelled ``ci-SCOPE`` (the actor of what it writes)."""
    return {"Authorization": f"Bearer {make_token(url, scope, f'ci-{scope}')}"}


@pytest.fixture
def client(cart: GitRepo, database_url: str) -> Iterator[TestClient]:
    with api_client(database_url) as test_client:
        yield test_client


@pytest.fixture
def write(cart: GitRepo, database_url: str) -> dict[str, str]:
    return _token(database_url, "write")


def _problem(response, status: int) -> dict:  # type: ignore[no-untyped-def,type-arg]
    assert response.status_code == status, response.text
    assert response.headers["content-type"] == PROBLEM
    body = response.json()
    assert body["status"] == status and "Traceback" not in response.text
    return body  # type: ignore[no-any-return]


def _runs(database_url: str) -> int:
    engine = db.make_engine(database_url)
    try:
        with db.session(engine) as session:
            return session.execute(select(func.count()).select_from(TestRun)).scalar_one()
    finally:
        engine.dispose()


def test_upload_a_junit_body_then_read_the_run_and_its_results(
    client: TestClient, write: dict[str, str], cart: GitRepo, database_url: str
) -> None:
    report = (FIXTURES / "cucumber-junit.xml").read_bytes()
    commit = cart.head()
    r = client.post(RUNS, content=report, headers={**write, **XML}, params={"commit": commit, "run_name": "nightly"})
    assert r.status_code == 201, r.text
    body = r.json()
    run, summary = body["run"], body["summary"]
    assert r.headers["location"] == f"{RUNS}/{run['id']}"
    assert (run["name"], run["commit"], run["format"]) == ("nightly", commit, "junit")
    assert (summary["total"], summary["matched"], summary["statuses"]) == (
        5, {"tag": 0, "line": 0, "name": 5}, {"passed": 3, "failed": 1, "pending": 1})
    assert summary["duplicate"] is False and summary["scenarios_updated"] >= 1

    detail = client.get(r.headers["location"]).json()
    assert detail["id"] == run["id"] and len(detail["results"]) == 5
    assert {x["status"] for x in detail["results"]} == {"passed", "failed", "pending"}
    assert all(x["scenario"] and x["scenario"].startswith("FEAT-") and x["match"] == "name" for x in detail["results"])
    failed = [x for status in ("failed", "pending")  # (``Check out``'s failure is a PendingException: pending)
              for x in client.get(r.headers["location"], params={"status": status}).json()["results"]]
    assert [x["status"] for x in failed] == ["failed", "pending"] and all(x["message"] for x in failed)

    # The same report again: recognised by its digest, 200 with the existing run, nothing added.
    again = client.post(RUNS, content=report, headers={**write, **XML})
    assert again.status_code == 200 and again.json()["run"]["id"] == run["id"]
    assert again.json()["summary"]["duplicate"] is True
    assert _runs(database_url) == 1

    # The statistics writes name the token, and every version increment still has exactly one revision.
    engine = db.make_engine(database_url)
    try:
        with db.session(engine) as session:
            for scenario in session.execute(select(Scenario)).scalars():
                revisions = session.execute(
                    select(SpecRevision).where(SpecRevision.entity_id == scenario.id).order_by(SpecRevision.version)
                ).scalars().all()
                assert [rev.version for rev in revisions] == list(range(1, scenario.version + 1))
                assert {rev.actor for rev in revisions if rev.change == "annotated"} <= {"api:ci-write"}
            assert session.execute(select(func.count()).select_from(TestResult)).scalar_one() == 5
    finally:
        engine.dispose()


def test_multipart_upload_of_several_files_with_form_fields(client: TestClient, write: dict[str, str]) -> None:
    files = [("file", ("junit.xml", (FIXTURES / "cucumber-junit.xml").read_bytes(), "application/xml")),
             ("file", ("surefire.xml", (FIXTURES / "surefire.xml").read_bytes(), "application/xml"))]
    r = client.post(RUNS, files=files, data={"run_name": "ci #7", "format": "junit"}, headers=write)
    assert r.status_code == 201, r.text
    body = r.json()
    assert body["run"]["name"] == "ci #7" and body["run"]["files"] == ["junit.xml", "surefire.xml"]
    assert body["summary"]["total"] == 11
    # A Cucumber Messages stream as a raw NDJSON body, and Cucumber JSON as application/json.
    ndjson = client.post(RUNS, content=(FIXTURES / "cart.ndjson").read_bytes(),
                         headers={**write, "Content-Type": "application/x-ndjson"})
    assert ndjson.status_code == 201 and ndjson.json()["run"]["format"] == "cucumber-messages"
    cucumber = client.post(RUNS, content=(FIXTURES / "cucumber-go.json").read_bytes(),
                           headers={**write, "Content-Type": "application/json"})
    assert cucumber.status_code == 201 and cucumber.json()["run"]["format"] == "cucumber-json"
    bad = _problem(client.post(RUNS, files=[("report", ("x.xml", b"<testsuite/>"))], headers=write), 400)
    assert "'file' parts" in bad["detail"]
    assert _problem(client.post(RUNS, files={"run_name": (None, "x")}, headers=write), 400)["detail"].startswith(
        "the multipart upload has no 'file' part")
    _problem(client.post(RUNS, files=[("file", ("x.xml", b"<testsuite/>"))], data={"commit": "not-hex"},
                         headers=write), 422)


def test_a_malformed_report_is_422_naming_file_and_line_and_imports_nothing(
    client: TestClient, write: dict[str, str], database_url: str
) -> None:
    broken = b'<?xml version="1.0"?>\n<testsuite name="x">\n  <testcase name="a">\n</testsuite>\n'
    body = _problem(client.post(RUNS, content=broken, headers={**write, **XML}), 422)
    assert body["detail"].startswith("request-body.xml:4:") and (body["file"], body["line"]) == ("request-body.xml", 4)
    parts = [("file", ("good.xml", (FIXTURES / "surefire.xml").read_bytes())), ("file", ("bad.xml", broken))]
    body = _problem(client.post(RUNS, files=parts, headers=write), 422)
    assert body["file"] == "bad.xml" and body["line"] == 4
    assert _runs(database_url) == 0, "a broken file imports nothing, not even the good one beside it"


def test_a_results_window_out_of_range_in_the_configuration_is_400_naming_its_line(
    write: dict[str, str], cart: GitRepo, database_url: str
) -> None:
    """The served repository's results_window is the window of an upload: one past 2**63 - 1 reached the database
    (500 on SQLite, 503 or "bigint out of range" on PostgreSQL); now the configuration is refused, as every
    command refuses it."""
    (cart.path / ".tracertm.toml").write_text("results_window = 5000000000000000000\n")
    report = (FIXTURES / "cucumber-junit.xml").read_bytes()
    with api_client(database_url, ApiSettings(repositories={"shop": str(cart.path)})) as client:
        body = _problem(client.post(RUNS, content=report, headers={**write, **XML}), 400)
    assert body["detail"].startswith(f"{cart.path / '.tracertm.toml'}:1: results_window must be 1 to 1000000 "), body
    assert _runs(database_url) == 0


def test_tokens_media_types_and_unknown_names(client: TestClient, cart: GitRepo, database_url: str) -> None:
    report = (FIXTURES / "surefire.xml").read_bytes()
    _problem(client.post(RUNS, content=report, headers=XML), 401)
    _problem(client.post(RUNS, content=report, headers={**XML, **_token(database_url, "read")}), 403)
    write = _token(database_url, "write")
    _problem(client.post(RUNS, content=report, headers={**write, "Content-Type": "text/plain"}), 415)
    _problem(client.post("/api/v1/projects/nope/test-runs", content=report, headers={**write, **XML}), 404)
    _problem(client.get("/api/v1/projects/nope/test-runs"), 404)
    _problem(client.get(f"{RUNS}/00000000-0000-4000-8000-000000000000"), 404)
    _problem(client.post(RUNS, content=report, headers={**write, **XML}, params={"format": "nunit"}), 422)
    assert _runs(database_url) == 0


def test_uploads_have_their_own_streamed_limit(cart: GitRepo, database_url: str) -> None:
    write = _token(database_url, "write")
    report = (FIXTURES / "surefire.xml").read_bytes()
    assert len(report) > 400
    with api_client(database_url, ApiSettings(max_body_bytes=400, max_report_bytes=len(report) + 10)) as client:
        # Above the JSON limit, within the report limit: imported.
        assert client.post(RUNS, content=report, headers={**write, **XML}).status_code == 201
        big = report + b" " * 20
        body = _problem(client.post(RUNS, content=big, headers={**write, **XML}), 413)
        assert str(len(report) + 10) in body["detail"]

        def chunks() -> Iterator[bytes]:  # no Content-Length: counted while it streams in
            for _ in range(4):
                yield big[: len(big) // 2]

        _problem(client.post(RUNS, content=chunks(), headers={**write, **XML}), 413)
        # Every other route keeps the JSON limit.
        _problem(client.patch("/api/v1/scenarios/FEAT-1/SC-1", content=b"{" + b" " * 500 + b"}",
                              headers={**write, "Content-Type": "application/json", "If-Match": '"1"'}), 413)
    assert _runs(database_url) == 1


def test_runs_are_paged_newest_first(client: TestClient, write: dict[str, str]) -> None:
    ids = []
    for n in range(3):
        report = (f'<testsuite name="s{n}" timestamp="2026-11-0{n + 1}T10:00:00"><testcase classname="c" '
                  f'name="t{n}"/></testsuite>').encode()
        ids.append(client.post(RUNS, content=report, headers={**write, **XML}).json()["run"]["id"])
    first = client.get(RUNS, params={"limit": 2})
    page = first.json()
    assert [run["id"] for run in page["items"]] == ids[::-1][:2]
    assert page["page"]["next"] and 'rel="next"' in first.headers["link"]
    second = client.get(RUNS, params={"limit": 2, "cursor": page["page"]["next"]}).json()
    assert [run["id"] for run in second["items"]] == [ids[0]] and second["page"]["next"] is None
    assert "link" not in client.get(RUNS).headers
    _problem(client.get(RUNS, params={"cursor": "garbage"}), 400)


def test_a_project_name_with_a_slash(client: TestClient, write: dict[str, str], database_url: str) -> None:
    from sqlalchemy import update

    from tracertm.models import Project

    engine = db.make_engine(database_url)
    try:
        with db.session(engine) as session, session.begin():
            session.execute(update(Project).values(name="acme/shop"))
    finally:
        engine.dispose()
    report = (FIXTURES / "surefire.xml").read_bytes()
    for url in ("/api/v1/projects/acme/shop/test-runs", "/api/v1/projects/acme%2Fshop/test-runs"):
        r = client.post(url, content=report + f"<!-- {url} -->".encode(), headers={**write, **XML})
        assert r.status_code == 201, r.text
        assert r.headers["location"].startswith("/api/v1/projects/acme/shop/test-runs/")
        assert client.get(r.headers["location"]).json()["id"] == r.json()["run"]["id"]
    assert len(client.get("/api/v1/projects/acme/shop/test-runs").json()["items"]) == 2


def test_hostile_xml_uploads_are_refused_cleanly(client: TestClient, write: dict[str, str], database_url: str) -> None:
    laughs = (b'<?xml version="1.0"?>\n<!DOCTYPE t [\n<!ENTITY a "aaaaaaaaaa">\n<!ENTITY b "&a;&a;&a;&a;&a;&a;">\n]>\n'
              b'<testsuite name="&b;"><testcase name="x"/></testsuite>\n')
    xxe = b'<?xml version="1.0"?>\n<!DOCTYPE t [\n<!ENTITY x SYSTEM "file:///etc/passwd">\n]>\n<testsuite name="&x;"/>\n'
    for body in (laughs, xxe, b"\xff\xfe\x00<", b""):
        problem = _problem(client.post(RUNS, content=body, headers={**write, **XML}), 422)
        assert problem["file"] == "request-body.xml" and "root:" not in problem["detail"]
    assert _runs(database_url) == 0


def test_upload_takes_a_64_digit_commit_and_refuses_65(client: TestClient, write: dict[str, str]) -> None:
    """A SHA-256 repository's commit ids have 64 hex digits (migration 0018): the upload stores one whole; longer
    is no commit id (422, the limit named)."""
    report = (FIXTURES / "cucumber-junit.xml").read_bytes()
    commit = "ab" * 32
    r = client.post(RUNS, content=report, headers={**write, **XML}, params={"commit": commit})
    assert r.status_code == 201, r.text
    assert r.json()["run"]["commit"] == commit
    body = _problem(client.post(RUNS, content=report, headers={**write, **XML}, params={"commit": commit + "c"}),
                    422)
    assert "64" in body["detail"]


def test_upload_refuses_the_id_of_a_blob_of_the_served_repository(cart: GitRepo, database_url: str) -> None:
    """The same check as ``results import --commit``: a full id the served repository holds as a blob is a 400 naming
    it, nothing imported; an annotated tag's id is stored as its commit."""
    report = (FIXTURES / "cucumber-junit.xml").read_bytes()
    blob = cart.git("rev-parse", "HEAD:features/cart.feature").strip()
    cart.git("tag", "-a", "v1", "-m", "release 1")
    tag = cart.git("rev-parse", "v1").strip()
    write = _token(database_url, "write")
    with api_client(database_url, ApiSettings(repository=str(cart.path))) as client:
        body = _problem(client.post(RUNS, content=report, headers={**write, **XML}, params={"commit": blob}), 400)
        assert f"'{blob}': a blob of the repository at " in body["detail"], body
        assert _runs(database_url) == 0
        r = client.post(RUNS, content=report, headers={**write, **XML}, params={"commit": tag})
        assert r.status_code == 201, r.text
        assert r.json()["run"]["commit"] == cart.head()
