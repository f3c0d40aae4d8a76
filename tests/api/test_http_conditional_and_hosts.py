"""Defects an audit found in the HTTP layer (through the app, SQLite and PostgreSQL; one real server):

- record text holding the snippet marker characters \\x02/\\x03 became ``<mark>`` tags in search snippets;
- an ``If-None-Match`` / ``If-Match`` list longer than 200 characters was 422;
- ``If-None-Match: *`` did not stop a PATCH; ``If-Match`` was ignored on GET; a link's GET never answered 304;
  ``*`` inside a list was read as ``*``;
- a problem's ``instance`` was the decoded path, not a URI reference;
- ``GET /links/review`` and ``/links/abc`` were 422 (a link number to validate);
- the request-limit refusals of page URLs were problem+json without the pages' headers;
- any Host was answered by a loopback server (DNS rebinding);
- ``/docs`` loaded a floating Swagger UI without integrity, with no security headers.
"""

from __future__ import annotations

import base64
import hashlib
import re
import warnings
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import httpx
import pytest

from apikit import api_client, make_token
from conftest import GitRepo, sqlite_only
from served import serve
from specs import adr
from tracertm.api import ApiSettings
from tracertm.cli.serve import allowed_hosts
from tracertm.engine.sync import sync

with warnings.catch_warnings():
    warnings.simplefilter("ignore")
    from fastapi.testclient import TestClient

API = "/api/v1"
PROJECT = f"{API}/projects/repo"
PROBLEMS = "https://tracertm.dev/problems/"
FEATURE = "@FEAT-1 @ADR-0001\nFeature: Refunds\n\n  @SC-1\n  Scenario: refund\n    Given a paid order\n"
CONTEXT = "We need \x02unclosed mark\x03 here and a lone \x02 opener, then quarrel words."


def _seed(git_repo: GitRepo, engine: Any) -> None:
    git_repo.write("docs/adr/0001-use-queues.md", adr(1, "Use queues", extra=""))
    text = (git_repo.path / "docs/adr/0001-use-queues.md").read_text()
    git_repo.write("docs/adr/0001-use-queues.md", text.replace("We need to decide about use queues.", CONTEXT))
    git_repo.write("features/refunds.feature", FEATURE)
    git_repo.commit("seed")
    sync(git_repo.path, engine=engine, project="repo")


@pytest.fixture
def client(git_repo: GitRepo, engine: Any) -> Iterator[TestClient]:
    _seed(git_repo, engine)
    with api_client(engine) as test_client:
        yield test_client


# HTTP shape above the database (routing, headers, Host checks, tag lists, HTML limits): on SQLite only. The same
# reads and conditional writes run on PostgreSQL in test_conditional_requests_follow_rfc_9110 and
# test_a_link_answers_304_and_412.


def write_auth(engine: Any) -> dict[str, str]:
    return {"Authorization": f"Bearer {make_token(engine)}"}


def problem(response: Any, status: int) -> dict[str, Any]:
    assert response.status_code == status, response.text
    assert response.headers["content-type"] == "application/problem+json", response.headers
    body: dict[str, Any] = response.json()
    assert body["status"] == status, body
    return body


def the_link(client: TestClient) -> dict[str, Any]:
    params = {"target": "ADR-0001", "source": "FEAT-1"}
    items: list[dict[str, Any]] = client.get(f"{PROJECT}/links", params=params).json()["items"]
    assert len(items) == 1, items
    return items[0]


def test_marker_characters_in_record_text_never_become_marks(client: TestClient) -> None:
    for query in ("unclosed", "opener", "quarrel"):
        hits = client.get(f"{API}/search", params={"q": query, "project": "repo"}).json()["hits"]
        assert len(hits) == 1, hits
        snippet = hits[0]["snippet"]
        assert "\x02" not in snippet and "\x03" not in snippet, snippet
        assert snippet.count("<mark>") == snippet.count("</mark>") == 1, snippet
        assert f"<mark>{query}</mark>" in snippet, snippet
        # Balanced and unnested: every <mark> is closed before the next opens.
        assert re.fullmatch(r"[^<]*<mark>[^<]*</mark>[^<]*", snippet), snippet
    page = client.get("/search", params={"q": "unclosed", "project": "repo"}).text  # the page renders it as HTML
    assert "<mark>unclosed</mark>" in page and "<mark><mark>" not in page and "\x02" not in page


@sqlite_only
def test_a_long_list_of_tags_is_evaluated_not_refused(client: TestClient, engine: Any) -> None:
    url = f"{API}/adrs/ADR-0001"
    current = client.get(url).headers["etag"]
    others = [f'"{n}-{"0" * 20}"' for n in range(100, 111)]  # 11 tags of 25 characters, then the current one
    assert client.get(url, headers={"If-None-Match": ", ".join([*others, current])}).status_code == 304
    assert client.get(url, headers={"If-None-Match": ", ".join(others)}).status_code == 200
    written = client.patch(url, json={"approved_by": "grace"},
                           headers={**write_auth(engine), "If-Match": ", ".join([*others, current])})
    assert written.status_code == 200, written.text
    # Still bounded: a header past 8 KiB is refused.
    assert client.get(url, headers={"If-None-Match": '"1", ' * 2000}).status_code == 422


def test_conditional_requests_follow_rfc_9110(client: TestClient, engine: Any) -> None:
    url, auth = f"{API}/adrs/ADR-0001", write_auth(engine)
    etag = client.get(url).headers["etag"]
    # If-None-Match: * on a write of an existing record: 412, nothing written (with or without If-Match).
    for extra in ({"If-Match": etag}, {}):
        body = problem(client.patch(url, json={"approved_by": "eve"},
                                    headers={**auth, **extra, "If-None-Match": "*"}), 412)
        assert body["type"] == PROBLEMS + "precondition-failed", body
    body = problem(client.patch(url, json={"approved_by": "eve"},
                                headers={**auth, "If-Match": '"1"', "If-None-Match": f'"9", W/{etag}'}), 412)
    assert client.get(url).json()["approved_by"] is None and client.get(url).headers["etag"] == etag
    # A tag that is not current lets the write through.
    ok = client.patch(url, json={"approved_by": "ada"}, headers={**auth, "If-Match": '"1"', "If-None-Match": '"9"'})
    assert ok.status_code == 200, ok.text
    # If-Match on a GET: 412 when it names another version; the current version, or *, reads.
    problem(client.get(url, headers={"If-Match": '"1"'}), 412)
    assert client.get(url, headers={"If-Match": '"2"'}).status_code == 200
    assert client.get(url, headers={"If-Match": "*"}).status_code == 200
    # * is not a member of a list: 400 on every route that reads the headers.
    link = the_link(client)
    for answer in (client.get(url, headers={"If-Match": '"5", *'}),
                   client.get(url, headers={"If-None-Match": '*, "5"'}),
                   client.patch(url, json={"approved_by": "x"}, headers={**auth, "If-Match": '"2", *'}),
                   client.get(f"{PROJECT}/links/{link['id']}", headers={"If-None-Match": '"5", *'}),
                   client.patch(f"{PROJECT}/links/{link['id']}", json={"reviewed": True},
                                headers={**auth, "If-Match": '"5", *'}),
                   client.post(f"{PROJECT}/links/review", json={"all": True},
                               headers={**auth, "If-Match": '"1", *'})):
        assert problem(answer, 400)["type"] == PROBLEMS + "bad-request"


def test_a_link_answers_304_and_412(client: TestClient, engine: Any) -> None:
    url = f"{PROJECT}/links/{the_link(client)['id']}"
    first = client.get(url)
    tag = first.headers["etag"]
    for header in (tag, f"W/{tag}", f'"7", {tag}', "*"):
        answer = client.get(url, headers={"If-None-Match": header})
        assert answer.status_code == 304 and answer.headers["etag"] == tag, header
    assert client.head(url, headers={"If-None-Match": tag}).status_code == 304
    assert client.get(url, headers={"If-None-Match": '"7"'}).status_code == 200
    problem(client.get(url, headers={"If-Match": '"7"'}), 412)
    assert client.get(url, headers={"If-Match": tag}).status_code == 200
    # A review asking that the link not be as it is: 412, nothing reviewed.
    problem(client.patch(url, json={"reviewed": True},
                         headers={**write_auth(engine), "If-Match": "*", "If-None-Match": "*"}), 412)


@sqlite_only
def test_instance_is_the_percent_encoded_path(client: TestClient) -> None:
    body = problem(client.get(f"{API}/adrs/%3Cscript%3E%20x"), 404)
    assert body["instance"] == "/api/v1/adrs/%3Cscript%3E%20x", body
    body = problem(client.get(f"{API}/projects/a%00b"), 400)  # the request-limits middleware
    assert body["instance"] == "/api/v1/projects/a%00b", body
    body = problem(client.get(f"{API}/adrs/caf%C3%A9%22"), 404)
    assert body["instance"] == "/api/v1/adrs/caf%C3%A9%22", body


@sqlite_only
def test_a_link_path_that_is_no_number(client: TestClient, engine: Any) -> None:
    answer = client.get(f"{PROJECT}/links/review")
    assert problem(answer, 405) and answer.headers["allow"] == "POST", answer.headers
    problem(client.get(f"{PROJECT}/links/abc"), 404)
    problem(client.patch(f"{PROJECT}/links/abc", json={"reviewed": True}, headers=write_auth(engine)), 404)
    paths = client.get("/openapi.json").json()["paths"]
    assert f"{API}/projects/{{project}}/links/{{link_id}}" in paths, sorted(paths)


@sqlite_only
def test_login_401_carries_a_challenge(client: TestClient) -> None:
    answer = client.post("/login", data={"token": "trtm_unknown", "next": "/"})
    assert answer.status_code == 401 and answer.headers["www-authenticate"] == 'Bearer realm="tracertm"'
    api = client.get(f"{API}/projects", headers={"Authorization": "Bearer nope"})
    assert problem(api, 401) and answer.headers["www-authenticate"] == api.headers["www-authenticate"]


PAGE_HEADERS = ("content-security-policy", "x-content-type-options", "x-frame-options")


@sqlite_only
def test_request_limits_on_pages_answer_html(client: TestClient) -> None:
    too_big = client.post("/login", content=b"token=" + b"a" * 70_000,
                          headers={"Content-Type": "application/x-www-form-urlencoded"})
    nul = client.get("/search?q=a%00b")
    for answer, status in ((too_big, 413), (nul, 400)):
        assert answer.status_code == status and answer.headers["content-type"].startswith("text/html"), answer.text
        assert all(name in answer.headers for name in PAGE_HEADERS), answer.headers
        assert "<h1>" in answer.text
    assert problem(client.get(f"{API}/search?q=a%00b"), 400)["type"] == PROBLEMS + "bad-request"


@sqlite_only
def test_docs_pin_swagger_ui_with_integrity_and_security_headers(client: TestClient) -> None:
    answer = client.get("/docs")
    assert answer.status_code == 200
    html = answer.text
    tags = re.findall(r"<(?:script|link)[^>]*cdn\.jsdelivr\.net[^>]*>", html)
    assert len(tags) == 2, html
    for tag in tags:
        assert re.search(r"swagger-ui-dist@\d+\.\d+\.\d+/", tag), tag  # an exact version, not @5
        assert re.search(r'integrity="sha384-[A-Za-z0-9+/]{64}"', tag) and 'crossorigin="anonymous"' in tag, tag
    csp = answer.headers["content-security-policy"]
    assert "script-src https://cdn.jsdelivr.net 'sha256-" in csp and "style-src https://cdn.jsdelivr.net 'unsafe-inline';" in csp
    assert "frame-ancestors 'none'" in csp and "default-src 'none'" in csp
    assert answer.headers["x-content-type-options"] == "nosniff" and answer.headers["x-frame-options"] == "DENY"
    inline = re.findall(r"<script>(.*?)</script>", html, re.S)
    assert len(inline) == 1
    digest = base64.b64encode(hashlib.sha256(inline[0].encode()).digest()).decode()
    assert f"'sha256-{digest}'" in csp
    assert client.get("/redoc").status_code == 404


LOOPBACK = ("localhost", "127.0.0.1", "[::1]")


def test_serve_answers_loopback_names_only_when_bound_to_loopback() -> None:
    assert allowed_hosts("127.0.0.1", False, []) == LOOPBACK
    assert allowed_hosts("::1", False, []) == LOOPBACK
    assert allowed_hosts("localhost", False, ["Specs.Example"]) == (*LOOPBACK, "specs.example")
    assert allowed_hosts("127.0.0.1", True, []) == ()  # behind a proxy: its Host is the public name
    # Another loopback address: the one bound is answered too (the URL serve prints).
    assert allowed_hosts("127.0.0.2", False, []) == (*LOOPBACK, "127.0.0.2")
    assert allowed_hosts("0:0:0:0:0:0:0:1", False, []) == (*LOOPBACK, "[0:0:0:0:0:0:0:1]")
    assert allowed_hosts("0.0.0.0", False, []) == ()


@sqlite_only
def test_a_refused_host_is_400_problem_or_page(git_repo: GitRepo, engine: Any) -> None:
    _seed(git_repo, engine)
    settings = ApiSettings(allowed_hosts=(*LOOPBACK, "specs.example"))
    with api_client(engine, settings, base_url="http://127.0.0.1:8765") as client:
        for host in ("127.0.0.1:8765", "localhost", "[::1]:8765", "LOCALHOST.:1", "specs.example"):
            assert client.get(f"{API}/projects", headers={"Host": host}).status_code == 200, host
        # A header that only starts with an answered name is no such name: the port is digits, 1 to 65535.
        malformed = ("localhost:1@evil.com", "localhost:abc", 'localhost:1>; rel="x"', "localhost:0", "[::1]:65536",
                     "localhost:", "localhost:1:2", "[::1]x")
        for host in ("attacker.example:8765", "127.0.0.1.attacker.example", "", *malformed):
            body = problem(client.get(f"{PROJECT}/adrs", headers={"Host": host}), 400)
            assert body["type"] == PROBLEMS + "bad-host", body
            page = client.get("/", headers={"Host": host})
            assert page.status_code == 400 and page.headers["content-type"].startswith("text/html"), host
            assert all(name in page.headers for name in PAGE_HEADERS)


def test_a_served_loopback_server_refuses_other_hosts(git_repo: GitRepo, tmp_path: Path) -> None:
    url = f"sqlite:///{tmp_path / 'served.db'}"
    with serve(url, git_repo.path, tmp_path / "serve.log", "--allowed-host", "specs.example") as base:
        with httpx.Client(base_url=base, timeout=10) as http:
            assert http.get(f"{API}/projects").status_code == 200
            assert http.get(f"{API}/projects", headers={"Host": "specs.example:443"}).status_code == 200
            for host in ("rebound.attacker.example", "localhost:1@evil.com"):
                refused = http.get(f"{API}/projects", headers={"Host": host})
                assert refused.status_code == 400 and refused.json()["type"] == PROBLEMS + "bad-host", host
