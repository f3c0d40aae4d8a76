"""Defects an audit found in the API (through the app, SQLite and PostgreSQL):

- the links' review routes read their bodies through FastAPI: a body nested too deeply or not UTF-8 was a bare
  ``400 "There was an error parsing the body"``, ``NaN`` was read as a number and a ``text/plain`` body was taken,
  where a record's ``PATCH`` answers 422 "the body is not JSON (...)" and 415;
- a test case's ``status`` and ``last_execution_result`` are ``VARCHAR(32)``: 33 characters were a 500 on
  PostgreSQL (``StringDataRightTruncation``) and stored on SQLite;
- a token labelled with 252-255 characters (the label column's size) reviews as ``api:<label>``, over the 255 of
  ``links.reviewed_by``: every review by it was a 500 on PostgreSQL;
- the 409 for a test case's ``test_case_number`` said git owns it and told the client to edit its file.
"""

from __future__ import annotations

import warnings
from collections.abc import Iterator
from typing import Any

import pytest

from apikit import api_client, make_token, refunds_with_a_changed_adr
from conftest import GitRepo
from tracertm import db

with warnings.catch_warnings():
    warnings.simplefilter("ignore")
    from fastapi.testclient import TestClient

API = "/api/v1"
PROJECT = f"{API}/projects/refunds"
PROBLEMS = "https://tracertm.dev/problems/"
FEATURE = "@FEAT-1 @ADR-0003\nFeature: Refunds\n\n  @SC-1\n  Scenario: refund\n    Given a paid order\n"


@pytest.fixture
def client(git_repo: GitRepo, engine: Any) -> Iterator[TestClient]:
    """The app over a project whose links to ADR-0003 are suspect (the ADR changed after they were made), with one
    test case."""
    from tracertm.models import Project, TestCase

    refunds_with_a_changed_adr(git_repo, engine, FEATURE)
    with db.session(engine) as session, session.begin():
        project = session.query(Project).one()
        session.add(TestCase(project_id=project.id, test_case_number="TC-1", title="Pays once"))
    with api_client(engine) as test_client:
        yield test_client


def problem(response: Any, status: int, kind: str) -> str:
    assert response.status_code == status, response.text
    body = response.json()
    assert response.headers["content-type"] == "application/problem+json" and body["type"] == PROBLEMS + kind
    return str(body["detail"])


def _suspect_link(client: TestClient) -> int:
    """The first suspect link (FEAT-1's and SC-1's links to ADR-0003 both are)."""
    links = client.get(f"{PROJECT}/links?suspect=true").json()["items"]
    assert links
    return int(links[0]["id"])


def test_review_bodies_are_refused_as_a_record_patch_refuses_them(client: TestClient, engine: Any) -> None:
    token = make_token(engine)
    number = _suspect_link(client)
    routes = [("PATCH", f"{PROJECT}/links/{number}"), ("POST", f"{PROJECT}/links/review"),
              ("PATCH", f"{API}/adrs/ADR-0003")]

    def answers(body: bytes, content_type: str = "application/json") -> list[tuple[int, str]]:
        found = []
        for method, path in routes:
            r = client.request(method, path, content=body, headers={
                "Authorization": f"Bearer {token}", "Content-Type": content_type, "If-Match": "*"})
            found.append((r.status_code, r.json()["detail"]))
        return found

    deep = answers(b"[" * 30_000 + b"]" * 30_000)
    assert deep == [(422, "the body is not JSON (it nests too deeply)")] * 3
    assert answers(b'{"reviewed": "\xff"}') == [(422, "the body is not JSON (not UTF-8, UTF-16 or UTF-32 text: "
                                                     "byte 14)")] * 3
    assert answers(b'{"reviewed": NaN}') == [(422, "the body is not JSON (NaN is not a JSON number) at "
                                                   "character 13")] * 3
    assert answers(b'{"reviewed": true}', "text/plain") == [(415, "send the body as application/json")] * 3
    # Nothing was reviewed by any of them; a good body still is, and the model's own refusals name the field.
    assert _suspect_link(client) == number
    r = client.post(f"{PROJECT}/links/review", json={"all": True, "source": "ADR-0003"},
                    headers={"Authorization": f"Bearer {token}"})
    assert "give either 'source'" in problem(r, 422, "invalid-request")
    r = client.patch(f"{PROJECT}/links/{number}", json={"reviewed": False},
                     headers={"Authorization": f"Bearer {token}", "If-Match": "*"})
    assert problem(r, 422, "invalid-request").startswith("reviewed:")
    r = client.patch(f"{PROJECT}/links/{number}", json={"reviewed": True},
                     headers={"Authorization": f"Bearer {token}", "If-Match": "*"})
    assert r.status_code == 200 and r.json()["state"] != "suspect"


def test_a_review_body_is_not_read_for_a_request_the_token_refuses(client: TestClient, engine: Any) -> None:
    """The token is checked first (as for a record's PATCH): a read token gets its 403, not the body's 422."""
    number = _suspect_link(client)
    read = make_token(engine, "read")
    r = client.patch(f"{PROJECT}/links/{number}", content=b"[" * 30_000, headers={
        "Authorization": f"Bearer {read}", "Content-Type": "application/json", "If-Match": "*"})
    problem(r, 403, "forbidden")
    problem(client.post(f"{PROJECT}/links/review", content=b"{", headers={"Content-Type": "application/json"}),
            401, "unauthorized")


def test_the_review_routes_still_document_their_bodies(client: TestClient) -> None:
    paths = client.get("/openapi.json").json()["paths"]
    patch = paths[f"{API}/projects/{{project}}/links/{{link_id}}"]["patch"]
    post = paths[f"{API}/projects/{{project}}/links/review"]["post"]
    for route, title in ((patch, "LinkUpdate"), (post, "ReviewRequest")):
        schema = route["requestBody"]["content"]["application/json"]["schema"]
        assert schema["title"] == title and route["requestBody"]["required"] is True
        assert {"415", "422"} <= set(route["responses"])
    assert set(patch["requestBody"]["content"]["application/json"]["schema"]["properties"]) == {"reviewed"}


def test_a_test_case_status_longer_than_its_column_is_a_422(client: TestClient, engine: Any) -> None:
    token = make_token(engine)
    for field in ("status", "last_execution_result"):
        r = client.patch(f"{API}/test-cases/TC-1", json={field: "z" * 33},
                         headers={"Authorization": f"Bearer {token}", "If-Match": "*"})
        assert problem(r, 422, "invalid-request") == f"{field}: String should have at most 32 characters"
        r = client.patch(f"{API}/test-cases/TC-1", json={field: "z" * 32},
                         headers={"Authorization": f"Bearer {token}", "If-Match": "*"})
        assert r.status_code == 200 and r.json()[field] == "z" * 32
    assert client.get(f"{API}/test-cases/TC-1").json()["version"] == 3  # one version per accepted PATCH


def test_a_token_with_the_longest_label_can_review(client: TestClient, engine: Any) -> None:
    from tracertm.tokens import MAX_LABEL

    token = make_token(engine, label="L" * MAX_LABEL)
    number = _suspect_link(client)
    r = client.post(f"{PROJECT}/links/review", json={"source": str(number)},
                    headers={"Authorization": f"Bearer {token}"})
    assert r.status_code == 200, r.text
    assert r.json()["reviewed_by"] == "api:" + "L" * MAX_LABEL and len(r.json()["reviewed_by"]) == 255
    assert client.get(f"{PROJECT}/links/{number}").json()["reviewed_by"] == "api:" + "L" * MAX_LABEL


def test_a_test_case_number_is_the_reports_not_gits(client: TestClient, engine: Any) -> None:
    token = make_token(engine)
    r = client.patch(f"{API}/test-cases/TC-1", json={"test_case_number": "TC-2"},
                     headers={"Authorization": f"Bearer {token}", "If-Match": "*"})
    detail = problem(r, 409, "git-owned-field")
    assert "set by the test reports that create it" in detail and "git" not in detail, detail
