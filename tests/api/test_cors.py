"""``tracertm serve --cors-origin O``: a browser at O may call every documented endpoint. Its preflights (OPTIONS with
``Access-Control-Request-Method`` / ``-Headers``) are granted for the methods the API has (GET, HEAD, PATCH, POST,
DELETE) and the request headers it reads (Authorization, Content-Type, If-Match, If-None-Match); the response
headers a client needs (ETag, Link, Location) are exposed. The CORS layer used to allow GET and PATCH only, and not
If-None-Match: the POST reviews, test-run uploads, restores and deletes were refused before they were sent."""

from __future__ import annotations

import warnings
from collections.abc import Iterator

import pytest

from apikit import api_client
from tracertm.api import ApiSettings

with warnings.catch_warnings():
    warnings.simplefilter("ignore")
    from fastapi.testclient import TestClient

API = "/api/v1"
ORIGIN = "https://dash.example"


@pytest.fixture
def client(database_url: str) -> Iterator[TestClient]:
    with api_client(database_url, ApiSettings(cors_origins=(ORIGIN,))) as test_client:
        yield test_client


def _preflight(client: TestClient, method: str, path: str, headers: str, origin: str = ORIGIN):  # type: ignore[no-untyped-def]
    return client.options(path, headers={
        "Origin": origin, "Access-Control-Request-Method": method, "Access-Control-Request-Headers": headers,
    })


@pytest.mark.parametrize(("method", "path", "headers"), [
    ("GET", f"{API}/adrs/ADR-0003", "If-None-Match, Authorization"),
    ("HEAD", f"{API}/projects/shop/adrs", "Authorization"),
    ("PATCH", f"{API}/adrs/ADR-0003", "Authorization, If-Match, Content-Type"),
    ("PATCH", f"{API}/projects/shop/links/12", "Authorization, Content-Type"),
    ("POST", f"{API}/projects/shop/links/review", "Authorization, Content-Type"),
    ("POST", f"{API}/projects/shop/test-runs", "Authorization, Content-Type"),
    ("POST", f"{API}/test-cases/tests%2Ftest_x.py%3A%3Atest_a/restore", "Authorization, If-Match"),
    ("DELETE", f"{API}/test-cases/tests%2Ftest_x.py%3A%3Atest_a", "Authorization, If-Match"),
])
def test_preflights_of_documented_endpoints_are_granted(
    client: TestClient, method: str, path: str, headers: str
) -> None:
    r = _preflight(client, method, path, headers)
    assert r.status_code == 200, r.text
    assert r.headers["access-control-allow-origin"] == ORIGIN
    assert method in {m.strip() for m in r.headers["access-control-allow-methods"].split(",")}
    allowed = {h.strip().lower() for h in r.headers["access-control-allow-headers"].split(",")}
    assert {h.strip().lower() for h in headers.split(",")} <= allowed


def test_other_origins_and_methods_are_still_refused(client: TestClient) -> None:
    r = _preflight(client, "POST", f"{API}/projects/shop/links/review", "Content-Type", origin="https://evil.example")
    assert r.status_code == 400 and "access-control-allow-origin" not in r.headers
    r = _preflight(client, "PUT", f"{API}/adrs/ADR-0003", "Content-Type")
    assert r.status_code == 400


def test_responses_expose_etag_link_and_location(client: TestClient) -> None:
    r = client.get(f"{API}/projects", headers={"Origin": ORIGIN})
    assert r.status_code == 200 and r.headers["access-control-allow-origin"] == ORIGIN
    exposed = {h.strip().lower() for h in r.headers["access-control-expose-headers"].split(",")}
    assert {"etag", "link", "location"} <= exposed
