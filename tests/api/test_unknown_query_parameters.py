"""A query parameter an API route does not declare is a 400 problem naming it, the parameters the route accepts and,
for a near miss, the one meant (``api.query_names``): ``?q=`` on a list (whose filter is ``text``) or a misspelt
``?stauts=`` used to answer 200 with the unfiltered list. Through the app (SQLite and PostgreSQL) and through a real
``tracertm serve``."""

from __future__ import annotations

import re
import warnings
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import httpx
import pytest
from sample import sync_sample

from apikit import make_token
from conftest import GitRepo, sqlite_only
from served import serve
from test_http_api import client, synced_url  # noqa: F401 - fixtures

with warnings.catch_warnings():
    warnings.simplefilter("ignore")
    from fastapi.testclient import TestClient

API = "/api/v1"
PROBLEM = "application/problem+json"
KIND = "https://tracertm.dev/problems/unknown-query-parameter"


# A parameter is refused before anything is read (HTTP, above the database): the reads run on SQLite alone; the
# same routes read PostgreSQL in tests/api/test_http_api.py (its client syncs the sample into both), and the write
# below (refused, then accepted) runs on both.


def _refused(response: httpx.Response, *unknown: str) -> dict[str, Any]:
    """The body of a 400 refusing exactly the ``unknown`` parameters, checked as a problem of this kind."""
    assert response.status_code == 400, response.text[:300]
    assert response.headers["content-type"] == PROBLEM
    body: dict[str, Any] = response.json()
    assert body["type"] == KIND and body["status"] == 400 and body["unknown"] == list(unknown)
    assert "\n" not in body["detail"] and all(repr(name) in body["detail"] for name in unknown)
    assert body["accepted"] == sorted(body["accepted"])
    return body


@sqlite_only
def test_a_list_refuses_a_parameter_of_another_route_and_a_misspelt_filter(client: TestClient) -> None:
    every = client.get(f"{API}/projects/sample/adrs").json()["items"]
    accepted = [a for a in every if a["status"] == "accepted"]
    assert 0 < len(accepted) < len(every), "the sample has ADRs of several statuses: a filter shows"
    # ``q`` is the search route's; the lists filter with ``text``, which the answer names among the accepted.
    other = _refused(client.get(f"{API}/projects/sample/adrs", params={"q": "ledger"}), "q")
    assert "text" in other["accepted"] and "text" in other["detail"] and other["suggestions"] == {}
    near = _refused(client.get(f"{API}/projects/sample/adrs", params={"stauts": "accepted"}), "stauts")
    assert near["suggestions"] == {"stauts": "status"} and "did you mean 'status'?" in near["detail"]
    assert {"status", "tag", "cursor", "fields", "count", "limit"} <= set(near["accepted"])
    # Several unknown names (one repeated) are named once each, in the order sent; a known one beside them is not.
    sent = f"{API}/projects/sample/adrs?status=accepted&stauts=x&tga=a&stauts=y"
    both = _refused(client.get(sent), "stauts", "tga")
    assert both["suggestions"] == {"stauts": "status", "tga": "tag"}
    # The declared names still work, an alias by its public name too (``from``, the matrix's ``origin``).
    assert client.get(f"{API}/projects/sample/adrs", params={"status": "accepted"}).json()["items"] == accepted
    assert client.get(f"{API}/projects/sample/matrix", params={"from": "adrs"}).status_code == 200
    assert _refused(client.get(f"{API}/projects/sample/matrix", params={"origin": "adrs"}), "origin")["accepted"] \
        == ["cursor", "from", "limit"]


@sqlite_only
def test_a_record_search_and_a_route_without_parameters(client: TestClient) -> None:
    assert client.get(f"{API}/adrs/ADR-1", params={"project": "sample"}).status_code == 200
    detail = _refused(client.get(f"{API}/adrs/ADR-1", params={"projet": "sample"}), "projet")
    assert detail["accepted"] == ["project"] and detail["suggestions"] == {"projet": "project"}
    assert client.get(f"{API}/search", params={"q": "ledger", "kind": "adrs"}).status_code == 200
    found = _refused(client.get(f"{API}/search", params={"q": "ledger", "knd": "adrs"}), "knd")
    assert found["suggestions"] == {"knd": "kind"} and found["accepted"] == ["include_deleted", "kind", "limit",
                                                                             "project", "q"]
    none = _refused(client.get(f"{API}/healthz", params={"verbose": "1"}), "verbose")
    assert none["accepted"] == [] and "accepts no query parameters" in none["detail"]


def test_a_write_with_an_unknown_parameter_writes_nothing(client: TestClient, synced_url: str) -> None:
    auth = {"Authorization": f"Bearer {make_token(synced_url)}", "If-Match": '"1"'}
    before = client.get(f"{API}/adrs/ADR-3")
    refused = client.patch(f"{API}/adrs/ADR-3", params={"dry_run": "1"}, json={"compliance_score": 0.5}, headers=auth)
    assert _refused(refused, "dry_run")["accepted"] == ["project"]
    after = client.get(f"{API}/adrs/ADR-3")
    assert after.headers["etag"] == before.headers["etag"] and after.json() == before.json()
    ok = client.patch(f"{API}/adrs/ADR-3", params={"project": "sample"}, json={"compliance_score": 0.5}, headers=auth)
    assert ok.status_code == 200 and ok.json()["compliance_score"] == 0.5


@sqlite_only
def test_head_docs_openapi_and_pages_are_as_they_were(client: TestClient) -> None:
    head = client.head(f"{API}/projects/sample/adrs", params={"stauts": "accepted"})
    assert head.status_code == 400 and head.headers["content-type"] == PROBLEM and head.content == b""
    assert client.head(f"{API}/projects/sample/adrs", params={"status": "accepted"}).status_code == 200
    assert client.get("/docs", params={"x": "1"}).status_code == 200
    assert client.get("/openapi.json", params={"x": "1"}).status_code == 200
    # The web view's pages are not the API's routes (their own parameters are theirs to check).
    assert client.get("/projects/sample/adrs", params={"x": "1"}).status_code == 200


def _concrete(path: str) -> str:
    """A URL that an OpenAPI path template's route matches (the parameters are refused before anything is read:
    nothing needs to exist)."""
    values = {"project": "sample", "ident": "REC-1", "commit": "abcd", "link_id": "1", "word": "nope",
              "run_id": "00000000-0000-0000-0000-000000000000"}
    return re.sub(r"\{(\w+)\}", lambda m: values[m.group(1)], path)


@sqlite_only
def test_every_operation_refuses_what_it_does_not_document_and_says_so(client: TestClient) -> None:
    document = client.get("/openapi.json").json()
    assert "400 problem" in document["info"]["description"] and "unknown-query-parameter" in \
        document["info"]["description"]
    checked = 0
    for path, item in document["paths"].items():
        for method, operation in item.items():
            declared = sorted(p["name"] for p in operation.get("parameters", []) if p["in"] == "query")
            assert "400" in operation["responses"], f"{method} {path} documents its 400"
            response = client.request(method.upper(), _concrete(path), params={"zz_unknown": "1"})
            assert _refused(response, "zz_unknown")["accepted"] == declared, f"{method} {path}"
            checked += 1
    assert checked >= 30, "every operation of the document"


@pytest.fixture
def server(git_repo: GitRepo, tmp_path: Path) -> Iterator[str]:
    url = f"sqlite:///{tmp_path / 'served.db'}"
    sync_sample(git_repo, url)
    with serve(url, git_repo.path, tmp_path / "serve.log") as base:
        yield base


def test_a_served_api_refuses_unknown_parameters(server: str) -> None:
    with httpx.Client(base_url=server, timeout=10) as http:
        near = _refused(http.get(f"{API}/projects/sample/scenarios", params={"stauts": "passed"}), "stauts")
        assert near["suggestions"] == {"stauts": "status"} and near["instance"] == f"{API}/projects/sample/scenarios"
        _refused(http.get(f"{API}/projects/sample/adrs", params={"q": "ledger"}), "q")
        assert http.get(f"{API}/projects/sample/adrs", params={"text": "ledger"}).status_code == 200
        # A page's Link carries only declared parameters: following it is never refused.
        page = http.get(f"{API}/projects/sample/scenarios", params={"limit": 1, "fields": "id"})
        assert page.status_code == 200 and http.get(page.headers["link"].split(">")[0].lstrip("<")).status_code == 200
