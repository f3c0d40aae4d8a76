"""Every error of the API is an RFC 9457 problem with a typed ``type`` (``https://tracertm.dev/problems/KIND``),
also the errors Starlette and FastAPI answer themselves: a path no route takes (404), a method the path does not
take (405, ``Allow`` kept), a multipart body Starlette cannot parse (400), a body that is not JSON (422), a body over
``--max-body`` (413), a refused CORS preflight (400), a database that is down (503). They answered ``type:
about:blank`` with the bare reason phrase as ``detail`` ("Not Found"; a refused preflight: the plain text
"Disallowed CORS origin"), where the API's own problems are typed: a client could not dispatch on ``type``.

The OpenAPI document's ``Problem`` says so (``type`` has a pattern), and every answer here validates against it.
Through the app (SQLite and PostgreSQL) and over a real ``tracertm serve``."""

from __future__ import annotations

from pathlib import Path
from typing import Any

import httpx
import pytest

from apikit import api_client, make_token
from conftest import GitRepo
from served import serve
from test_http_api import synced_url  # noqa: F401 - a fixture
from tracertm.api import ApiSettings
from tracertm.schemas.common import Problem

API = "/api/v1"
BASE = "https://tracertm.dev/problems/"
ORIGIN = "https://dash.example"


def _problem(r: httpx.Response, status: int, kind: str) -> dict[str, Any]:
    """The body of ``r``, checked as a problem of ``kind``: typed, its ``detail`` more than the reason phrase, and
    valid against the OpenAPI document's ``Problem`` (its ``type`` pattern)."""
    assert r.status_code == status, (r.request.method, r.request.url, r.status_code, r.text[:300])
    assert r.headers["content-type"] == "application/problem+json", r.text[:300]
    body: dict[str, Any] = r.json()
    assert body["type"] == BASE + kind, body
    path = r.request.url.raw_path.split(b"?")[0].decode("ascii")
    assert body["status"] == status and body["title"] and body["instance"] == path
    assert body["detail"] and body["detail"] != body["title"] and "\n" not in body["detail"], body
    Problem.model_validate(body)
    return body


def _framework_errors(client: Any, token: str) -> None:
    """The errors the framework raises, each a typed problem."""
    auth = {"Authorization": f"Bearer {token}"}
    for path in (f"{API}/nope", "/api", "/api/", "/api/v2/projects", f"{API}/nope?x=1"):
        body = _problem(client.get(path), 404, "not-found")
        assert "/openapi.json lists the API's paths" in body["detail"]
    r = client.delete(f"{API}/healthz")
    body = _problem(r, 405, "method-not-allowed")
    assert r.headers["allow"] == "GET, HEAD"
    assert body["detail"] == f"DELETE {API}/healthz: this path takes only GET, HEAD"
    r = client.post(f"{API}/projects")
    assert _problem(r, 405, "method-not-allowed") and r.headers["allow"] == "GET, HEAD"
    r = client.put(f"{API}/adrs/ADR-0001/history")
    assert _problem(r, 405, "method-not-allowed") and r.headers["allow"] == "GET, HEAD"
    r = client.post("/openapi.json")
    assert _problem(r, 405, "method-not-allowed") and r.headers["allow"] == "GET, HEAD"
    # The greedy project route's own 405 (a POST route's path).
    r = client.get(f"{API}/projects/sample/links/review")
    assert _problem(r, 405, "method-not-allowed") and r.headers["allow"] == "POST"
    # A multipart body without its boundary: Starlette's parser refuses it (400) before the route reads a part.
    r = client.post(f"{API}/projects/sample/test-runs", content=b"junk", headers={
        **auth, "Content-Type": "multipart/form-data"})
    _problem(r, 400, "bad-request")
    r = client.post(f"{API}/projects/sample/links/review", content=b"{bad", headers={
        **auth, "Content-Type": "application/json"})
    body = _problem(r, 422, "invalid-request")
    assert body["detail"].startswith("the body is not JSON (") and body["detail"].endswith("at character 1")
    r = client.patch(f"{API}/adrs/ADR-0001", content=b" " * 70_000, headers={
        **auth, "Content-Type": "application/json", "If-Match": '"1"'})
    _problem(r, 413, "body-too-large")
    _problem(client.get(f"{API}/search"), 422, "invalid-request")  # (the API's own: typed before too)


def test_the_framework_s_errors_are_typed_problems(synced_url: str) -> None:
    token = make_token(synced_url)
    with api_client(synced_url) as client:
        _framework_errors(client, token)
        document = client.get("/openapi.json").json()
    problem = document["components"]["schemas"]["Problem"]
    assert problem["properties"]["type"]["pattern"].startswith("^https://tracertm\\.dev/problems/")
    assert "type" in problem["required"], "every problem has one: no about:blank default"


def test_a_refused_cors_preflight_is_a_problem(synced_url: str) -> None:
    with api_client(synced_url, ApiSettings(cors_origins=(ORIGIN,)), raise_server_exceptions=True) as client:
        for origin, method in (("https://evil.example", "GET"), (ORIGIN, "PUT")):
            r = client.options(f"{API}/projects", headers={
                "Origin": origin, "Access-Control-Request-Method": method})
            body = _problem(r, 400, "cors-refused")
            assert "CORS preflight refused" in body["detail"] and ORIGIN in body["detail"]
            assert "Origin" in r.headers["vary"]
            assert ("access-control-allow-origin" in r.headers) == (origin == ORIGIN)
        granted = client.options(f"{API}/projects", headers={
            "Origin": ORIGIN, "Access-Control-Request-Method": "GET"})
        assert granted.status_code == 200 and granted.headers["access-control-allow-origin"] == ORIGIN


def test_a_database_that_is_down_is_a_typed_503() -> None:
    # Nothing listens on port 1: every connection is refused at once.
    with api_client("postgresql+psycopg://tracertm:tracertm@127.0.0.1:1/nothing") as client:
        _problem(client.get(f"{API}/projects"), 503, "unavailable")


def test_a_real_server_answers_the_same_problems(synced_url: str, git_repo: GitRepo, tmp_path: Path) -> None:
    token = make_token(synced_url)
    with serve(synced_url, git_repo.path, tmp_path / "serve.log") as base, httpx.Client(base_url=base) as client:
        _framework_errors(client, token)
