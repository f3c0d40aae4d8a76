"""Route shapes the API answered inconsistently (through the app, SQLite and PostgreSQL):

- a link path that is no link number (``links/abc``, ``links/-1``) was the project route's: its GET a 404 naming a
  project ``repo/links/abc``, its PATCH a 405 allowing GET and HEAD, where an unknown number is 404 for GET, HEAD and
  PATCH (401 first without a token) and 405 allowing GET, HEAD, PATCH for the other methods;
- a test-run id that is no UUID (``test-runs/abc``) was 422 (a parameter to validate), an unknown UUID 404;
- an API path ending in ``/`` was redirected (307) to the path without it only where no greedy route took it
  (``/healthz/``): ``/projects/repo/adrs/`` was a 404 naming a project ``repo/adrs/``, ``PATCH
  /projects/repo/links/5/`` a 405; every API path is now redirected alike, except a project whose name ends in ``/``.
"""

from __future__ import annotations

import warnings
from collections.abc import Iterator
from typing import Any

import pytest
from test_http_conditional_and_hosts import _seed, problem, the_link, write_auth

from apikit import api_client
from conftest import GitRepo
from tracertm.engine.sync import sync

with warnings.catch_warnings():
    warnings.simplefilter("ignore")
    from fastapi.testclient import TestClient

API = "/api/v1"
PROJECT = f"{API}/projects/repo"


@pytest.fixture
def client(git_repo: GitRepo, engine: Any) -> Iterator[TestClient]:
    _seed(git_repo, engine)
    with api_client(engine, follow_redirects=False) as test_client:
        yield test_client


def test_a_link_path_that_is_no_number_answers_as_an_unknown_number(client: TestClient, engine: Any) -> None:
    auth = write_auth(engine)
    for word in ("abc", "-1", "1x"):
        url = f"{PROJECT}/links/{word}"
        for method in ("GET", "HEAD", "PATCH"):
            answer = client.request(method, url, headers={**auth, "If-Match": "*"},
                                    json={"reviewed": True} if method == "PATCH" else None)
            assert answer.status_code == 404, (method, word, answer.text)
            assert answer.headers["content-type"] == "application/problem+json", (method, word)
        body = problem(client.patch(url, json={"reviewed": True}, headers={**auth, "If-Match": "*"}), 404)
        assert body["detail"].startswith(f"project repo has no link '{word}'"), body
        assert "no such project" not in body["detail"], body
        # As for a number: a write needs a token first; the project is looked up before the link.
        problem(client.patch(url, json={"reviewed": True}), 401)
        unknown = problem(client.patch(f"{API}/projects/nope/links/{word}", json={"reviewed": True},
                                       headers={**auth, "If-Match": "*"}), 404)
        assert "nope" in unknown["detail"], unknown
        for method in ("DELETE", "POST", "PUT"):
            answer = client.request(method, url, headers=auth)
            assert problem(answer, 405) and answer.headers["allow"] == "GET, HEAD, PATCH", (method, answer.headers)
    # The same answers as a number no link has.
    number = f"{PROJECT}/links/999999"
    problem(client.get(number), 404)
    problem(client.patch(number, json={"reviewed": True}, headers={**auth, "If-Match": "*"}), 404)
    assert client.delete(number, headers=auth).headers["allow"] == "GET, HEAD, PATCH"
    # A real link and the review route are as they were.
    link = f"{PROJECT}/links/{the_link(client)['id']}"
    assert client.get(link).status_code == 200
    review = client.get(f"{PROJECT}/links/review")
    assert problem(review, 405) and review.headers["allow"] == "POST", review.headers
    assert f"{API}/projects/{{project}}/links/{{link_id}}" in client.get("/openapi.json").json()["paths"]


def test_a_test_run_id_that_is_no_uuid_is_404(client: TestClient) -> None:
    for run in ("abc", "not-a-uuid", "0" * 40):
        body = problem(client.get(f"{PROJECT}/test-runs/{run}"), 404)
        assert body["detail"] == f"project repo has no test run {run}", body
        assert client.head(f"{PROJECT}/test-runs/{run}").status_code == 404
    problem(client.get(f"{PROJECT}/test-runs/00000000-0000-0000-0000-000000000000"), 404)
    problem(client.get(f"{API}/projects/nope/test-runs/abc"), 404)
    schema = client.get("/openapi.json").json()["paths"][f"{API}/projects/{{project}}/test-runs/{{run_id}}"]
    run_id = next(p for p in schema["get"]["parameters"] if p["name"] == "run_id")
    assert run_id["schema"]["format"] == "uuid", run_id


def test_an_api_path_ending_in_a_slash_is_redirected_to_the_path_without_it(client: TestClient, engine: Any) -> None:
    auth = write_auth(engine)
    link = the_link(client)["id"]
    cases = [
        ("GET", f"{PROJECT}/adrs/", f"{PROJECT}/adrs"),
        ("GET", f"{PROJECT}/adrs/?status=accepted&tag=a%20b", f"{PROJECT}/adrs?status=accepted&tag=a%20b"),
        ("GET", f"{PROJECT}/", PROJECT),
        ("GET", f"{API}/projects/", f"{API}/projects"),
        ("GET", f"{API}/adrs/ADR-0001//", f"{API}/adrs/ADR-0001"),
        ("HEAD", f"{PROJECT}/links/{link}/", f"{PROJECT}/links/{link}"),
        ("PATCH", f"{PROJECT}/links/{link}/", f"{PROJECT}/links/{link}"),
        ("PATCH", f"{API}/adrs/ADR-0001/", f"{API}/adrs/ADR-0001"),
        ("GET", f"{API}/healthz/", f"{API}/healthz"),  # as Starlette did
    ]
    for method, sent, target in cases:
        answer = client.request(method, sent, headers=auth)
        assert answer.status_code == 307, (method, sent, answer.status_code, answer.text)
        assert answer.headers["location"] == target, (method, sent, answer.headers)
    # Followed, each is what the path without the slash answers.
    assert client.get(f"{PROJECT}/adrs/", follow_redirects=True).json()["items"][0]["adr_number"] == "ADR-0001"
    assert client.get(f"{PROJECT}/", follow_redirects=True).json()["name"] == "repo"
    # A name ending in an encoded slash is no trailing slash; pages are not the API's.
    problem(client.get(f"{API}/projects/repo%2F"), 404)
    assert client.get("/projects/repo/").status_code != 307


def test_a_project_whose_name_ends_in_a_slash_keeps_its_url(git_repo: GitRepo, engine: Any) -> None:
    _seed(git_repo, engine)
    sync(git_repo.path, engine=engine, project="team/")
    with api_client(engine, follow_redirects=False) as client:
        answer = client.get(f"{API}/projects/team/")
        assert answer.status_code == 200 and answer.json()["name"] == "team/", answer.text
        assert client.get(f"{API}/projects/team%2F/adrs").json()["items"][0]["adr_number"] == "ADR-0001"
        # Another project's trailing slash is still redirected.
        assert client.get(f"{PROJECT}/").headers["location"] == PROJECT
