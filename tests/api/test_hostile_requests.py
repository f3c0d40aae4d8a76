"""Requests an exploratory tester made the API answer 500 to, some after a write had been committed (SQLite and
PostgreSQL): values no database or JSON reader can hold back (NaN, lone surrogates), conditional headers with
several or weak tags, project names a header cannot hold as they are, forged cursors, a cursor's page size, search
snippets around text that looks like HTML, digit-like link selectors, ids found in several projects."""

from __future__ import annotations

import base64
import json
import uuid
import warnings
from collections.abc import Iterator
from typing import Any
from urllib.parse import unquote

import pytest
from sqlalchemy import func, select

from apikit import api_client, make_token
from conftest import GitRepo
from specs import adr, contract
from tracertm import db
from tracertm.engine.sync import sync
from tracertm.models import SpecRevision

with warnings.catch_warnings():
    warnings.simplefilter("ignore")
    from fastapi.testclient import TestClient

API = "/api/v1"
ODD = "prøjekt 日本"  # a project name a header cannot carry as it is
FEATURE = "@FEAT-1\nFeature: Refunds\n\n  @SC-1\n  Scenario: full refund\n    Given a paid order\n    Then it is refunded\n"


@pytest.fixture
def client(git_repo: GitRepo, engine: Any) -> Iterator[TestClient]:
    git_repo.write("docs/adr/0001-use-git.md", adr(1, "Use git"))
    git_repo.write("docs/adr/0002-markup.md", adr(2, "Escape <script>alert(1)</script> & <mark>x</mark> titles"))
    git_repo.write("docs/adr/0003-three.md", adr(3, "Third"))
    git_repo.write("contracts/refunds.yaml", contract(1, "Refunds"))
    git_repo.write("features/refunds.feature", FEATURE)
    git_repo.commit("seed")
    assert not sync(git_repo.path, engine=engine, project=ODD).errors
    with api_client(engine) as test_client:
        yield test_client


def write_headers(engine: Any, version: int | str) -> dict[str, str]:
    return {"Authorization": f"Bearer {make_token(engine)}",
            "If-Match": version if isinstance(version, str) else f'"{version}"', "Content-Type": "application/json"}


def problem(response: Any, status: int) -> dict[str, Any]:
    assert response.status_code == status, response.text
    assert response.headers["content-type"] == "application/problem+json" and "Traceback" not in response.text
    return response.json()  # type: ignore[no-any-return]


def revisions(engine: Any, entity_type: str) -> int:
    with db.session(engine) as session:
        return int(session.execute(select(func.count()).select_from(SpecRevision)
                                   .where(SpecRevision.entity_type == entity_type)).scalar_one())


def test_values_no_reader_could_read_back_are_refused_and_nothing_is_written(client: TestClient, engine: Any) -> None:
    before = revisions(engine, "adr"), revisions(engine, "contract"), revisions(engine, "scenario")
    adr_url, contract_url = f"{API}/adrs/ADR-0001", f"{API}/contracts/CTR-0001"
    for body in ('{"compliance_score": NaN}', '{"compliance_score": Infinity}', '{"compliance_score": -Infinity}',
                 '{"metadata": {"x": NaN}}'):
        detail = problem(client.patch(adr_url, content=body, headers=write_headers(engine, 1)), 422)["detail"]
        assert "not JSON" in detail
    for body in ({"metadata": {"note": "\udc00"}}, {"metadata": {"\ud800": 1}}, {"approved_by": "\ud800"},
                 {"approved_by": "a\x00b"}, {"verification_result": {"ok": "\udfff"}}):
        raw = json.dumps(body)  # ASCII with \\u escapes: what a client sends for a lone surrogate
        problem(client.patch(contract_url, content=raw, headers=write_headers(engine, 1)), 422)
    for body in ({"compliance_score": 5}, {"compliance_score": -0.1}):
        problem(client.patch(adr_url, json=body, headers=write_headers(engine, 1)), 422)
    for body in ({"pass_rate": -3}, {"test_case_ids": ["not-a-uuid"]}):
        problem(client.patch(f"{API}/scenarios/FEAT-1/SC-1", json=body, headers=write_headers(engine, 1)), 422)
    assert (revisions(engine, "adr"), revisions(engine, "contract"), revisions(engine, "scenario")) == before
    assert client.get(adr_url).json()["version"] == 1 and client.get(contract_url).json()["version"] == 1
    page = client.get(f"/projects/{ODD}/contracts/CTR-0001")
    assert page.status_code == 200 and "Refunds" in page.text

    case = _test_case(engine, ODD, uuid.UUID("0b2b5f7e-8c3a-4f3b-9d3e-2e1a0c9b8a77"))
    other = _test_case(engine, "another project", uuid.uuid4())
    # A test case named twice, one of no project or of another project's: each refused, naming it (they were
    # stored as sent — links to nothing).
    for ids, named in (([case, case], f"{case} is listed twice"), ([str(uuid.uuid4())], "is no test case"),
                       ([case, other], f"{other} is no test case of this project")):
        detail = problem(client.patch(f"{API}/scenarios/FEAT-1/SC-1", json={"test_case_ids": ids},
                                      headers=write_headers(engine, 1)), 422)["detail"]
        assert named in detail, detail
    # A deleted test case of the project: refused as deleted, with the way back (it said "no test case of this
    # project").
    gone = _test_case(engine, ODD, uuid.uuid4())
    tag = client.get(f"{API}/test-cases/{gone}").json()["version"]
    assert client.delete(f"{API}/test-cases/{gone}", headers=write_headers(engine, tag)).status_code == 200
    detail = problem(client.patch(f"{API}/scenarios/FEAT-1/SC-1", json={"test_case_ids": [case, gone]},
                                  headers=write_headers(engine, 1)), 422)["detail"]
    assert detail == (f"test_case_ids: {gone} is a deleted test case of this project; restore it first "
                      f"(POST /api/v1/test-cases/{gone}/restore) or leave it out"), detail
    assert revisions(engine, "scenario") == before[2]

    ok = client.patch(f"{API}/scenarios/FEAT-1/SC-1", json={"pass_rate": 0.5, "test_case_ids": [
        "0B2B5F7E-8C3A-4F3B-9D3E-2E1A0C9B8A77"]}, headers=write_headers(engine, 1))
    assert ok.status_code == 200, ok.text
    assert ok.json()["test_case_ids"] == [case]  # the form the column keeps


def _test_case(engine: Any, project: str, case_id: uuid.UUID) -> str:
    """A test case of ``project`` (made if need be), as a results import makes one."""
    from tracertm.models import Project, TestCase

    with db.session(engine) as session, session.begin():
        owner = session.execute(select(Project).where(Project.name == project)).scalar_one_or_none()
        if owner is None:
            owner = Project(name=project)
            session.add(owner)
            session.flush()
        session.add(TestCase(id=case_id, project_id=owner.id, test_case_number=f"t::{case_id}", title="t"))
    return str(case_id)


def test_if_match_holds_when_any_tag_matches_and_if_none_match_compares_weakly(client: TestClient, engine: Any) -> None:
    url = f"{API}/adrs/ADR-0001"
    r = client.patch(url, json={"approved_by": "grace"}, headers=write_headers(engine, '"99", "1"'))
    assert r.status_code == 200 and r.headers["etag"].startswith('"2-'), r.text  # "<version>-<digest>"
    problem(client.patch(url, json={"approved_by": "ada"}, headers=write_headers(engine, '"1", W/"2"')), 412)
    odd = {**write_headers(engine, 1), "If-Match": '"²"'.encode("latin-1")}  # a digit to str.isdigit(), not to int()
    problem(client.patch(url, json={"approved_by": "ada"}, headers=odd), 412)  # type: ignore[arg-type]
    tag = r.headers["etag"]
    for header in (f"W/{tag}", f'"7", W/{tag}', "*"):
        assert client.get(url, headers={"If-None-Match": header}).status_code == 304, header
    assert client.get(url, headers={"If-None-Match": '"1"'}).status_code == 200


def test_pages_and_uploads_of_a_project_whose_name_a_header_cannot_hold(client: TestClient, engine: Any) -> None:
    first = client.get(f"{API}/projects/{ODD}/adrs", params={"limit": 1})
    assert first.status_code == 200, first.text
    link = first.headers["link"]
    assert link.isascii() and "pr%C3%B8jekt%20%E6%97%A5%E6%9C%AC" in link
    target = link[link.index("<") + 1 : link.index(">")]
    second = client.get(target)
    assert second.status_code == 200 and second.json()["items"][0]["number"] == "ADR-0002"

    report = b'<testsuite name="s"><testcase classname="a" name="t"/></testsuite>'
    auth = {key: value for key, value in write_headers(engine, 1).items() if key == "Authorization"}
    upload = client.post(f"{API}/projects/{ODD}/test-runs", content=report,
                         headers={**auth, "Content-Type": "application/xml"})
    assert upload.status_code == 201, upload.text
    location = upload.headers["location"]
    assert location.isascii() and unquote(location).startswith(f"{API}/projects/{ODD}/test-runs/")
    assert client.get(location).status_code == 200
    runs = client.get(f"{API}/projects/{ODD}/test-runs", params={"limit": 1})
    assert runs.status_code == 200 and "link" not in runs.headers  # one run: no next page


def test_a_cursor_keeps_its_page_size_and_forged_cursors_are_400(client: TestClient) -> None:
    base = f"{API}/projects/{ODD}/adrs"
    cursor = client.get(base, params={"limit": 1}).json()["page"]["next"]
    assert len(client.get(base, params={"cursor": cursor}).json()["items"]) == 1  # the cursor's own page size
    assert len(client.get(base, params={"cursor": cursor, "limit": 5}).json()["items"]) == 2  # one given wins
    links = client.get(f"{API}/projects/{ODD}/links", params={"limit": 1}).json()
    if links["page"]["next"]:
        follow = client.get(f"{API}/projects/{ODD}/links", params={"cursor": links["page"]["next"]}).json()
        assert len(follow["items"]) == 1

    project_id = json.loads(base64.urlsafe_b64decode(cursor + "=" * (-len(cursor) % 4)))["p"]

    def forged(payload: dict[str, Any]) -> str:
        forged = {"v": 3, "k": "adr", "s": ["ADR-0001"], **payload}  # (version 3: the sort and tie-break values)
        return base64.urlsafe_b64encode(json.dumps(forged).encode()).rstrip(b"=").decode()

    for payload in ({"p": project_id, "a": 5, "q": {}}, {"p": 12, "a": project_id, "q": {}},
                    {"p": project_id, "a": project_id, "q": {"status": [1]}},
                    {"p": project_id, "a": project_id, "q": {"limit": 10**9}}):
        problem(client.get(base, params={"cursor": forged(payload)}), 400)
        assert client.get(f"/projects/{ODD}/adrs", params={"cursor": forged(payload)}).status_code == 400


def test_a_lone_surrogate_in_a_cursors_tags_is_a_forged_cursor(client: TestClient, engine: Any,
                                                                capsys: pytest.CaptureFixture[str]) -> None:
    """A tag of the cursor's query holding ``"\\ud800"`` is refused as a surrogate in its ``text`` is (400, exit 2):
    list items were not checked again after the split, and the database was handed text UTF-8 cannot encode (500,
    exit 3). A surrogate given as a parameter or an option is refused before any query, as it was."""
    from tracertm.cli import main

    base = f"{API}/projects/{ODD}/adrs"
    cursor = client.get(base, params={"limit": 1}).json()["page"]["next"]
    payload = json.loads(base64.urlsafe_b64decode(cursor + "=" * (-len(cursor) % 4)))
    url = str(engine.url.render_as_string(hide_password=False))
    for name, value in (("tag", ["\ud800"]), ("any_tag", ["a", "\udfff"]), ("tag", "x,\ud800")):
        forged = base64.urlsafe_b64encode(json.dumps({**payload, "q": {name: value}}).encode()).rstrip(b"=").decode()
        detail = problem(client.get(base, params={"cursor": forged}), 400)["detail"]
        assert detail == "cursor: not a cursor of this list; start again without it", detail
        capsys.readouterr()
        assert main(["list", "adrs", "--cursor", forged, "--project", ODD, "--database-url", url]) == 2
        assert capsys.readouterr().err == f"tracertm: error: --{detail}\n"
    assert client.get(f"{base}?tag=%ED%A0%80").status_code == 400
    assert client.get(f"{base}?any_tag=a,%ED%A0%80").status_code == 400
    odd = b"\xed\xa0\x80".decode("utf-8", "surrogateescape")  # what sys.argv holds for those bytes
    for option in ("--tag", "--any-tag"):
        capsys.readouterr()
        assert main(["list", "adrs", option, odd, "--project", ODD, "--database-url", url]) == 2
        err = capsys.readouterr().err
        assert err.startswith(f"tracertm: error: {option}: ") and err.count("\n") == 1, err


def test_search_snippets_escape_the_records_text(client: TestClient) -> None:
    hits = client.get(f"{API}/search", params={"q": "escape titles"}).json()["hits"]
    assert [h["number"] for h in hits] == ["ADR-0002"]
    snippet = hits[0]["snippet"]
    assert "<mark>" in snippet and "<" not in snippet.replace("<mark>", "").replace("</mark>", "")
    assert "&amp;" in snippet
    if "script" in snippet:  # SQLite keeps the text as it is; PostgreSQL's ts_headline drops what looks like tags
        assert "&lt;script&gt;" in snippet and "&lt;mark&gt;x&lt;/mark&gt;" in snippet
    page = client.get("/search", params={"q": "escape titles"})
    assert page.status_code == 200 and "<script>alert" not in page.text and "&lt;script&gt;" in page.text


def test_digit_like_link_selectors_and_ids_in_several_projects(client: TestClient, engine: Any,
                                                                git_repo: GitRepo) -> None:
    auth = {key: value for key, value in write_headers(engine, 1).items() if key == "Authorization"}
    for source in ("²", "99999999999999999999999", "#٣"):
        r = client.post(f"{API}/projects/{ODD}/links/review", json={"source": source}, headers=auth)
        assert r.status_code in (404, 422), r.text
        assert "Traceback" not in r.text
    assert not sync(git_repo.path, engine=engine, project="other").errors
    detail = problem(client.get(f"{API}/adrs/ADR-0001"), 400)["detail"]
    assert "several projects" in detail and "?project=" in detail and ODD in detail and "other" in detail
    assert client.get(f"{API}/adrs/ADR-0001", params={"project": "other"}).status_code == 200


def test_time_stamps_outside_the_calendar_in_utc_are_refused(client: TestClient, engine: Any, git_repo: GitRepo,
                                                             capsys: pytest.CaptureFixture[str]) -> None:
    """``9999-12-31T23:59:59-05:00`` is a valid ISO time whose UTC value is in year 10000: a 422 or 400 naming it
    (and exit 2 on the command line), not an internal error."""
    from tracertm.cli import main

    before = revisions(engine, "adr")
    for moment in ("9999-12-31T23:59:59-05:00", "0001-01-01T00:00:00+05:00"):
        detail = problem(client.patch(f"{API}/adrs/ADR-0001", json={"approved_at": moment},
                                      headers=write_headers(engine, 1)), 422)["detail"]
        assert "outside years 1 to 9999" in detail and "approved_at" in detail
        detail = problem(client.get(f"{API}/projects/{ODD}/adrs", params={"changed_since": moment}), 400)["detail"]
        assert "changed_since" in detail
    assert revisions(engine, "adr") == before
    url = str(engine.url.render_as_string(hide_password=False))
    for argv in (["list", "adrs", "--changed-since", "9999-12-31T23:59:59-05:00"],
                 ["results", "list", "--since", "9999-12-31T23:59:59-05:00"]):
        capsys.readouterr()
        assert main([*argv, "--project", ODD, "--database-url", url]) == 2, argv
        assert "outside years 1 to 9999" in capsys.readouterr().err


def test_fields_may_repeat_as_status_and_tag_do(client: TestClient) -> None:
    page = client.get(f"{API}/projects/{ODD}/adrs", params=[("fields", "number"), ("fields", "title,status")])
    assert page.status_code == 200, page.text
    assert set(page.json()["items"][0]) == {"number", "title", "status"}


def test_a_compressed_report_is_415_naming_its_coding(client: TestClient, engine: Any) -> None:
    # (the gzip bytes were read as the report: "malformed XML", as if the report were broken)
    import gzip

    report = gzip.compress(b'<testsuite name="s"><testcase classname="a" name="t"/></testsuite>')
    auth = {key: value for key, value in write_headers(engine, 1).items() if key == "Authorization"}
    for query in ("", "?format=junit"):
        upload = client.post(f"{API}/projects/{ODD}/test-runs{query}", content=report,
                             headers={**auth, "Content-Type": "application/xml", "Content-Encoding": "gzip"})
        assert upload.status_code == 415 and "Content-Encoding 'gzip'" in upload.json()["detail"], upload.text
