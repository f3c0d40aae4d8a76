"""A path no route takes (404) or a method its path does not take (405) is answered before a query parameter the
route does not declare (400 ``unknown-query-parameter``, ``api.query_names``): the missing route or method is what
to fix first. That held for paths no route matches (Starlette answers before any route), but not where the greedy
``GET /projects/{project:path}`` took the path: ``GET /projects/p/links/review?x=1`` (a POST route's path) and
``GET /projects/p/adrz?x=1`` (a misspelt route, read as the project ``p/adrz``) were 400 for ``x``, where without
``x`` they are the 405 (``Allow: POST``) and the 404. Now that route refuses its unknown parameters once it has
found the project. The token is still asked first when reads need one: the order never tells a caller without a
token which projects exist. Through the app (SQLite and PostgreSQL) and over a real ``tracertm serve``."""

from __future__ import annotations

from pathlib import Path
from typing import Any

import httpx
from sample import sync_sample

from apikit import api_client
from conftest import GitRepo
from served import serve
from tracertm.api import ApiSettings

API = "/api/v1"
BASE = "https://tracertm.dev/problems/"


def _kind(r: httpx.Response) -> str:
    assert r.headers["content-type"] == "application/problem+json", r.text[:300]
    return str(r.json()["type"]).removeprefix(BASE)


def _check_order(client: Any) -> None:
    # No route, no method: before any route, as before.
    r = client.get(f"{API}/nope?x=1")
    assert (r.status_code, _kind(r)) == (404, "not-found")
    r = client.delete(f"{API}/healthz?x=1")
    assert (r.status_code, _kind(r), r.headers["allow"]) == (405, "method-not-allowed", "GET, HEAD")
    r = client.patch(f"{API}/adrs/ADR-0001/history?x=1")
    assert (r.status_code, _kind(r), r.headers["allow"]) == (405, "method-not-allowed", "GET, HEAD")
    # Paths the greedy project route takes: its 405 and 404 come first too.
    for method in ("GET", "HEAD"):
        r = client.request(method, f"{API}/projects/sample/links/review?x=1")
        assert (r.status_code, r.headers["allow"]) == (405, "POST"), (method, r.text[:300])
        assert method == "HEAD" or _kind(r) == "method-not-allowed"
    r = client.get(f"{API}/projects/sample/adrz?x=1&y=2")
    assert (r.status_code, _kind(r)) == (404, "not-found"), r.text[:300]
    assert "project sample/adrz" in r.json()["detail"]
    # A project that exists, a route that exists: the unknown parameter is refused, as before.
    r = client.get(f"{API}/projects/sample?x=1")
    assert (r.status_code, _kind(r), r.json()["unknown"]) == (400, "unknown-query-parameter", ["x"])
    r = client.get(f"{API}/projects/sample/adrs?stauts=accepted")
    assert (r.status_code, r.json()["suggestions"]) == (400, {"stauts": "status"})


def test_route_errors_come_before_unknown_parameters(git_repo: GitRepo, database_url: str) -> None:
    sync_sample(git_repo, database_url)
    with api_client(database_url) as client:
        _check_order(client)


def test_without_a_token_no_answer_tells_which_projects_exist(git_repo: GitRepo, database_url: str) -> None:
    sync_sample(git_repo, database_url)
    with api_client(database_url, ApiSettings(read_token_required=True)) as client:
        for path in ("sample?x=1", "nope?x=1", "sample/adrz?x=1"):
            r = client.get(f"{API}/projects/{path}")
            assert (r.status_code, _kind(r)) == (401, "unauthorized"), (path, r.text[:300])


def test_a_real_server_answers_in_the_same_order(git_repo: GitRepo, database_url: str, tmp_path: Path) -> None:
    sync_sample(git_repo, database_url)
    with serve(database_url, git_repo.path, tmp_path / "serve.log") as base, httpx.Client(base_url=base) as client:
        _check_order(client)
