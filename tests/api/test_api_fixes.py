"""Defects an exploratory tester confirmed in the API (SQLite and PostgreSQL, through the test client; HEAD also
through a real ``tracertm serve``):

- ``Link: rel="next"`` encoded a project name's ``#``, ``?`` and ``\\`` twice (``qa#1`` → ``qa%25231``: a 404);
- the ETag was the version alone, so a body that changed without a new version (a step definition's
  ``usage_count`` after a sync, a scenario's ``source_path`` after a pure move) was answered 304 Not Modified;
- a step definition's ``STEP-n`` was 404 on the step-definition routes and matched nothing as a links ``target``;
- HEAD was 405 on every API read and page (RFC 9110: a general-purpose server supports HEAD).
"""

from __future__ import annotations

import warnings
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import httpx
import pytest
from sample import sync_sample

from apikit import api_client, make_token
from conftest import GitRepo, sqlite_only
from served import serve
from specs import adr
from tracertm.engine.sync import sync

with warnings.catch_warnings():
    warnings.simplefilter("ignore")
    from fastapi.testclient import TestClient

API = "/api/v1"
STEPS = 'from behave import given, then\n\n@given("a paid order")\ndef paid(context):\n    pass\n\n' \
        '@then("it is refunded")\ndef refunded(context):\n    pass\n'
USES_NOTHING = "@FEAT-1\nFeature: f\n  @SC-1\n  Scenario: s\n    Given nothing here\n"
USES_PAID = "@FEAT-2\nFeature: g\n  @SC-2\n  Scenario: t\n    Given a paid order\n"
ONE_STEP = 'from behave import given\n\n@given("a paid order")\ndef paid(context):\n    pass\n'
TWO_USES = ("@FEAT-1\nFeature: Refunds\n  @SC-1\n  Scenario: one\n    Given a paid order\n"
            "  @SC-2\n  Scenario: two\n    Given a paid order\n")


def new_repo(path: Path) -> GitRepo:
    path.mkdir(parents=True)
    repo = GitRepo(path)
    repo.git("init", "-q", "-b", "main")
    repo.git("config", "commit.gpgsign", "false")
    return repo


def synced(repo: GitRepo, engine: Any, project: str) -> None:
    repo.commit("change")
    result = sync(repo.path, engine=engine, project=project, ref="HEAD")
    assert not result.errors, result.errors


@pytest.fixture
def client(engine: Any) -> Iterator[TestClient]:
    with api_client(engine) as test_client:
        yield test_client


def ok(response: httpx.Response) -> httpx.Response:
    assert response.status_code == 200, (response.request.url, response.status_code, response.text[:300])
    return response


def next_url(response: httpx.Response) -> str:
    link = response.headers["link"]
    assert link.endswith('>; rel="next"'), link
    return link[link.index("<") + 1 : link.index(">")]


# ------------------------------------------------------------------------------------ 1. Link headers, encoded once


NAMES = ("acme/qa#1", "acme/why?", "acme/back\\slash", "acme/100%")


# How a project name is spelled in a URL is above the database: SQLite alone. The same pages (cursor, Link header) and
# uploads run on PostgreSQL in tests/api/test_http_api.py::test_pages_cursor_link_fields_and_count and
# tests/api/test_hostile_requests.py::test_pages_and_uploads_of_a_project_whose_name_a_header_cannot_hold.
@sqlite_only
def test_link_headers_encode_a_project_name_once_like_location(tmp_path: Path, engine: Any, client: TestClient) -> None:
    from urllib.parse import quote

    token = make_token(engine)
    for i, name in enumerate(NAMES):
        repo = new_repo(tmp_path / f"r{i}")
        repo.write("docs/adr/0001-one.md", adr(1, "One"))
        repo.write("docs/adr/0002-two.md", adr(2, "Two"))
        repo.write("features/steps/steps.py", STEPS)
        repo.write("features/refunds.feature", TWO_USES)
        synced(repo, engine, name)
        path = f"{API}/projects/{quote(name, safe='/')}"
        for route in ("adrs", "links"):
            first = ok(client.get(f"{path}/{route}", params={"limit": 1}))
            following = next_url(first)
            assert following.startswith(f"http://testserver{path}/{route}?"), (name, following)
            second = ok(client.get(following)).json()
            assert second["items"] and second["items"][0] != first.json()["items"][0], name
        runs = []
        for run in ("a", "b"):
            upload = client.post(f"{path}/test-runs", params={"run_name": run},
                                 content=f'<testsuite name="{run}"><testcase classname="c" name="{run}"/></testsuite>',
                                 headers={"Authorization": f"Bearer {token}", "Content-Type": "application/xml"})
            assert upload.status_code == 201, upload.text
            assert upload.headers["location"].startswith(f"{path}/test-runs/")
            runs.append(upload.json()["run"]["id"])
        first = ok(client.get(f"{path}/test-runs", params={"limit": 1}))
        following = next_url(first)
        assert following.startswith(f"http://testserver{path}/test-runs?"), (name, following)
        assert {first.json()["items"][0]["id"], ok(client.get(following)).json()["items"][0]["id"]} == set(runs)


# ------------------------------------------------------------------------------- 2. ETags follow the whole body


def test_the_etag_follows_the_body_and_if_match_still_takes_the_version(
    tmp_path: Path, engine: Any, client: TestClient
) -> None:
    repo = new_repo(tmp_path / "repo")
    repo.write("features/steps/s.py", STEPS)
    repo.write("features/a.feature", USES_NOTHING)
    synced(repo, engine, "e")
    url = f"{API}/step-definitions/features%2Fsteps%2Fs.py%3A%3Apaid"
    before = ok(client.get(url))
    old = before.headers["etag"]
    assert before.json()["usage_count"] == 0 and before.json()["version"] == 1
    for header in (old, f"W/{old}", f'"7", {old}', "*"):
        assert client.get(url, headers={"If-None-Match": header}).status_code == 304, header

    repo.write("features/b.feature", USES_PAID)  # a sync that only changes the usage count, not the version
    synced(repo, engine, "e")
    after = client.get(url, headers={"If-None-Match": old})
    assert after.status_code == 200, "the body changed: not a 304"
    assert after.json()["usage_count"] == 1 and after.json()["version"] == 1
    assert after.headers["etag"] != old and after.headers["etag"].startswith('"1-')  # "<version>-<digest>"
    assert client.get(url, headers={"If-None-Match": '"1"'}).status_code == 200  # the bare version is no ETag
    assert client.get(url, headers={"If-None-Match": after.headers["etag"]}).status_code == 304
    assert client.head(url, headers={"If-None-Match": after.headers["etag"]}).status_code == 304

    # The lock is the version: the ETag read before the sync (same version) still writes, as "1" alone would.
    auth = {"Authorization": f"Bearer {make_token(engine)}"}
    written = client.patch(url, json={"last_used_at": "2024-05-01T00:00:00Z"}, headers={**auth, "If-Match": old})
    assert written.status_code == 200, written.text
    assert written.json()["version"] == 2 and written.headers["etag"].startswith('"2-')
    assert written.headers["etag"] == ok(client.get(url)).headers["etag"], "a write answers with the GET's ETag"
    stale = client.patch(url, json={"last_used_at": None}, headers={**auth, "If-Match": after.headers["etag"]})
    assert stale.status_code == 412 and stale.json()["current_version"] == 2
    assert client.patch(url, json={"last_used_at": None}, headers={**auth, "If-Match": f'W/{written.headers["etag"]}'}
                        ).status_code == 412  # a weak tag never matches
    assert client.patch(url, json={"last_used_at": None}, headers={**auth, "If-Match": '"2"'}).status_code == 200

    # A pure move keeps the version and changes source_path: the ETag changes.
    scenario = f"{API}/scenarios/SC-2"
    moved_from = ok(client.get(scenario))
    repo.git("mv", "features/b.feature", "features/c.feature")
    synced(repo, engine, "e")
    moved = client.get(scenario, headers={"If-None-Match": moved_from.headers["etag"]})
    assert moved.status_code == 200 and moved.json()["source_path"] == "features/c.feature"
    assert moved.json()["version"] == moved_from.json()["version"]
    assert moved.headers["etag"] != moved_from.headers["etag"]


# ------------------------------------------------------------------------------------ 3. STEP-n on every route


def test_step_n_names_a_step_definition_on_its_routes_and_in_the_links_filters(
    tmp_path: Path, engine: Any, client: TestClient
) -> None:
    repo = new_repo(tmp_path / "repo")
    repo.write("features/steps/s.py", ONE_STEP)
    repo.write("features/a.feature", USES_PAID)
    synced(repo, engine, "st")
    full = f"{API}/step-definitions/features%2Fsteps%2Fs.py%3A%3Apaid"
    wanted = ok(client.get(full)).json()
    for query in ("?project=st", ""):  # one project: the parameter is optional, as for the other ids
        for ident in ("STEP-1", "step-1"):
            assert ok(client.get(f"{API}/step-definitions/{ident}{query}")).json()["id"] == wanted["id"]
        history = ok(client.get(f"{API}/step-definitions/STEP-1/history{query}")).json()
        assert [h["entity_id"] for h in history] == [wanted["id"]]
        at = ok(client.get(f"{API}/step-definitions/STEP-1/at/{repo.head()}{query}")).json()
        assert at["entity_id"] == wanted["id"]
    missing = client.get(f"{API}/step-definitions/STEP-2")
    assert missing.status_code == 404 and missing.headers["content-type"] == "application/problem+json"
    auth = {"Authorization": f"Bearer {make_token(engine)}", "If-Match": '"1"'}
    patched = client.patch(f"{API}/step-definitions/STEP-1", json={"last_used_at": "2024-05-01T00:00:00Z"},
                           headers=auth)
    assert patched.status_code == 200 and patched.json()["id"] == wanted["id"], patched.text

    by_identity = ok(client.get(f"{API}/projects/st/links", params={"target": "features/steps/s.py::paid"})).json()
    assert by_identity["items"], "the scenario's step link"
    assert ok(client.get(f"{API}/projects/st/links", params={"target": "STEP-1"})).json() == by_identity
    by_source = ok(client.get(f"{API}/projects/st/links", params={"source": "FEAT-2/SC-2", "target": "STEP-1"}))
    assert by_source.json()["items"] == by_identity["items"]
    assert ok(client.get(f"{API}/projects/st/links", params={"target": "STEP-2"})).json()["items"] == []

    # Two projects with a STEP-1: the project names which; without it the answer names both (400).
    other = new_repo(tmp_path / "other")
    other.write("features/steps/s.py", ONE_STEP)
    other.write("features/a.feature", USES_PAID)
    synced(other, engine, "zz")
    assert ok(client.get(f"{API}/step-definitions/STEP-1?project=zz")).json()["project"] == "zz"
    assert ok(client.get(f"{API}/step-definitions/STEP-1?project=st")).json()["id"] == wanted["id"]
    ambiguous = client.get(f"{API}/step-definitions/STEP-1")
    assert ambiguous.status_code == 400 and "(st, zz)" in ambiguous.json()["detail"], ambiguous.text


# -------------------------------------------------------------------------------------- 4. HEAD for every GET


COMPARED = ("content-type", "etag", "link", "cache-control")


# HEAD's answer is the GET's without its body (HTTP, above the database): SQLite alone. The same reads run on
# PostgreSQL in tests/api/test_http_api.py (its client syncs the sample into both databases).
@sqlite_only
def test_head_answers_every_read_with_the_gets_status_and_headers(
    git_repo: GitRepo, database_url: str, client: TestClient
) -> None:
    sync_sample(git_repo, database_url)
    reads = [
        f"{API}/healthz", f"{API}/projects", f"{API}/projects/sample", f"{API}/projects/sample/adrs?limit=1",
        f"{API}/adrs/ADR-0003", f"{API}/adrs/ADR-0003/history", f"{API}/search?q=refund",
        f"{API}/facets?kind=adrs", f"{API}/sync-runs", f"{API}/projects/sample/links?limit=1",
        f"{API}/projects/sample/matrix", f"{API}/projects/sample/test-runs", f"{API}/projects/sample/trace/ADR-0003",
        "/openapi.json", "/", "/projects/sample", "/projects/sample/adrs", f"{API}/adrs/ADR-0999",
        f"{API}/projects/nope", "/no/such/page",
    ]
    for url in reads:
        got, head = client.get(url), client.head(url)
        assert head.status_code == got.status_code, (url, head.status_code, head.text[:200])
        assert head.content == b"", url
        # (A page may show a relative time: its length is compared over the API only.)
        for name in COMPARED + (("content-length",) if url.startswith(API) else ()):
            assert head.headers.get(name) == got.headers.get(name), (url, name)
    # A GET route's 405 (DELETE of a record git owns) lists HEAD next to GET in its Allow.
    refused = client.delete(f"{API}/adrs/ADR-0003")
    assert refused.status_code == 405
    assert {m.strip() for m in refused.headers["allow"].split(",")} >= {"GET", "HEAD"}
    # Every method of the path, though its GET, PATCH (and POST) are routes of their own (RFC 9110 15.5.6).
    for method, url, allowed in (("PUT", f"{API}/adrs/ADR-0003", "GET, HEAD, PATCH"),
                                 ("POST", f"{API}/features/FEAT-1", "GET, HEAD, PATCH"),
                                 ("PUT", f"{API}/projects/sample/test-runs", "GET, HEAD, POST"),
                                 ("DELETE", f"{API}/projects/sample/links/1", "GET, HEAD, PATCH")):
        refused = client.request(method, url)
        assert (refused.status_code, refused.headers["allow"]) == (405, allowed), (method, url)


def test_head_over_a_real_server_has_the_headers_and_no_body(git_repo: GitRepo, tmp_path: Path) -> None:
    url = f"sqlite:///{tmp_path / 'head.db'}"
    sync_sample(git_repo, url)
    with serve(url, git_repo.path, tmp_path / "serve.log") as base, httpx.Client(base_url=base, timeout=30) as http:
        for path in (f"{API}/projects", f"{API}/adrs/ADR-0003", f"{API}/projects/sample/scenarios?limit=2", "/",
                     "/projects/sample/adrs/ADR-0003"):
            got, head = http.get(path), http.head(path)
            assert (head.status_code, got.status_code) == (200, 200), (path, head.status_code)
            assert head.content == b"" and int(head.headers["content-length"]) > 0, path
            if path.startswith(API):
                assert head.headers["content-length"] == got.headers["content-length"], path
            assert head.headers["content-type"] == got.headers["content-type"], path
            assert head.headers.get("etag") == got.headers.get("etag") and head.headers.get("link") == got.headers.get(
                "link"), path
        assert http.head(f"{API}/adrs/ADR-0999").status_code == 404
        assert http.get(f"{API}/healthz").status_code == 200, "the connection still works after the HEADs"
