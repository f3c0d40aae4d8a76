"""A 405's ``Allow`` lists exactly the methods its path answers (RFC 9110 15.5.6), for every route of the OpenAPI
document (over a real server; the review path through the app on SQLite and PostgreSQL): each method a route does
not document is 405, and ``Allow`` is the methods it documents (HEAD beside GET: ``HeadAsGet`` serves HEAD as the
GET; never OPTIONS, which the API does not serve without CORS).

Paths whose words another route's parameter also takes answered otherwise:

- ``PATCH``/``DELETE`` of ``/projects/p/links/review`` (a POST route) listed GET and HEAD: the greedy
  ``GET /projects/{project}`` matches the path too, though its GET there is itself a 405 naming POST (unless a
  project of that whole name exists: then GET is the project, and listed);
- ``PATCH``/``DELETE`` of a record's ``/history``, ``/at/{commit}`` (GET routes) and a test case's ``/restore`` (a
  POST route) reached the record's own ``PATCH``/``DELETE`` (a record ``ADR-0001/history``), and ``GET .../restore``
  the record's GET: never a 405, where the GET of ``/history`` was always the history.
"""

from __future__ import annotations

import re
import uuid
import warnings
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import httpx
import pytest
from sample import sync_sample

from apikit import api_client, make_token
from conftest import GitRepo, init_repo
from served import serve

with warnings.catch_warnings():
    warnings.simplefilter("ignore")
    from fastapi.testclient import TestClient

API = "/api/v1"
PROJECT = "acme/sample"  # a slashed name: every project route takes ``{project:path}``
METHODS = ("GET", "HEAD", "POST", "PUT", "PATCH", "DELETE", "OPTIONS")
PARAM = re.compile(r"\{([a-z_]+)\}")


def _values(client: Any, commit: str) -> dict[str, str]:
    """A real value for each path parameter of the document (a record of each kind, a link, the commit synced)."""
    links = client.get(f"{API}/projects/{PROJECT}/links", params={"limit": 1}).json()["items"]
    assert links, "the sample has links"
    return {"project": PROJECT, "commit": commit, "link_id": str(links[0]["id"]), "run_id": str(uuid.uuid4())}


def _ident(client: Any, plural: str) -> str:
    """A record's human id, slashed where it can be (``FEAT-1/SC-1``, a step definition's ``path::function``)."""
    items = client.get(f"{API}/projects/{PROJECT}/{plural}", params={"limit": 1}).json()["items"]
    if not items:
        return "features/steps/payments.py::a_step"  # (no record of the kind: the route is still the route)
    item = items[0]
    if item["kind"] == "scenario":
        return f"{item['feature']}/{item['number']}"
    return str(item["number"] or item["id"])


def _allow(answer: Any) -> list[str]:
    return [m.strip() for m in answer.headers.get("allow", "").split(",") if m.strip()]


def check_every_route(client: Any, commit: str, auth: dict[str, str]) -> int:
    """Every method of every documented path: 405 with ``Allow`` the documented methods for the undocumented ones,
    something else for the documented ones. Returns how many 405s were checked."""
    values = _values(client, commit)
    paths = client.get("/openapi.json").json()["paths"]
    assert f"{API}/projects/{{project}}/links/review" in paths and f"{API}/test-cases/{{ident}}/restore" in paths
    checked = 0
    for template, operations in paths.items():
        documented = {method.upper() for method in operations}
        allowed = documented | ({"HEAD"} if "GET" in documented else set())
        first = template.removeprefix(f"{API}/").split("/")[0]
        kind = first if first != "projects" else "adrs"  # (``trace/{ident}``: an ADR)
        url = PARAM.sub(lambda m: values[m[1]] if m[1] != "ident" else _ident(client, kind), template)
        for method in METHODS:
            # A write token: a path taken by another route's write is then that write's 404 or 422, not its 401.
            answer = client.request(method, url, headers=auth)
            if method in allowed:
                assert answer.status_code != 405, (method, url, answer.text)
                continue
            assert answer.status_code == 405, (method, url, template, answer.status_code, answer.text[:300])
            assert answer.headers["content-type"] == "application/problem+json", (method, url)
            listed = _allow(answer)
            assert len(listed) == len(set(listed)) and set(listed) == allowed, (method, url, listed, sorted(allowed))
            checked += 1
    return checked


@pytest.fixture
def synced(git_repo: GitRepo, database_url: str) -> tuple[str, str]:
    return sync_sample(git_repo, database_url, project=PROJECT), database_url


@pytest.fixture
def client(synced: tuple[str, str]) -> Iterator[TestClient]:
    with api_client(synced[1], follow_redirects=False) as test_client:
        yield test_client


def test_the_review_path_lists_get_only_when_a_project_of_that_whole_name_exists(
        client: TestClient, synced: tuple[str, str], tmp_path: Path) -> None:
    """``/projects/acme/sample/links/review`` is the project ``acme/sample/links/review`` for GET when one exists
    (the longest existing project a path names): then a 405 there lists GET (and HEAD) beside the review's POST."""
    review = f"{API}/projects/{PROJECT}/links/review"
    for method in ("PATCH", "DELETE", "GET"):
        answer = client.request(method, review)
        assert (answer.status_code, _allow(answer)) == (405, ["POST"]), (method, answer.text)
    sync_sample(init_repo(tmp_path / "other"), synced[1], project=f"{PROJECT}/links/review")
    assert client.get(review).json()["name"] == f"{PROJECT}/links/review"
    for method in ("PATCH", "DELETE", "PUT"):
        answer = client.request(method, review)
        assert (answer.status_code, _allow(answer)) == (405, ["GET", "HEAD", "POST"]), (method, answer.text)


# Every route's 405s are checked over a real server only: the in-process check on SQLite did the same through the
# same app (a 500 is an answer there too), and on PostgreSQL the routing is above the database — the lookup of the
# longest existing project a path names runs there in the review-path test, every operation in test_openapi_fuzz.
def test_a_served_api_405_lists_the_methods_it_documents(git_repo: GitRepo, tmp_path: Path) -> None:
    """Every route of the document over a real server (uvicorn, SQLite): its HEAD and its 405s are the app's."""
    url = f"sqlite:///{tmp_path / 'served.db'}"
    commit = sync_sample(git_repo, url, project=PROJECT)
    auth = {"Authorization": f"Bearer {make_token(url)}"}
    with serve(url, git_repo.path, tmp_path / "serve.log") as base, httpx.Client(base_url=base, timeout=30) as http:
        assert check_every_route(http, commit, auth) >= 150
