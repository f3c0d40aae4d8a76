"""``Authorization: Bearer`` with no token (or only spaces after it) is refused by the pages exactly as the API
refuses it: 401 with the API's challenge and its one-line detail, whether reads are open or need a token, and
whether a sign-in cookie is sent beside it (README: an ``Authorization`` header that is not ``Bearer <token>`` —
``Bearer`` alone — is 401; only a header of another scheme, a proxy's ``Basic`` sign-in, is ignored by the pages).
In-process (FastAPI's TestClient) on SQLite and PostgreSQL."""

from __future__ import annotations

import html
from typing import Any

import pytest
from webfixtures import client_for

from apikit import make_token

PAGES = ("/", "/search?q=ledger")
API = "/api/v1/projects"
EMPTY_BEARERS = ("Bearer", "Bearer ", "Bearer    ", "bearer", "BEARER \t ")
CHALLENGE = 'Bearer realm="tracertm"'


def refused_as_the_api_refuses(client: Any, headers: dict[str, str]) -> None:
    api = client.get(API, headers=headers)
    assert api.status_code == 401 and api.headers["www-authenticate"] == CHALLENGE, (headers, api.text)
    detail = api.json()["detail"]
    for page in PAGES:
        r = client.get(page, headers=headers, follow_redirects=False)
        assert r.status_code == 401, (page, headers, r.status_code, r.headers.get("location"))
        assert r.headers["www-authenticate"] == CHALLENGE and "location" not in r.headers, (page, headers)
        assert r.headers["content-type"].startswith("text/html")
        assert detail in html.unescape(r.text), (page, headers, detail)


@pytest.mark.parametrize("required", [False, True], ids=["open-reads", "token-required"])
def test_bearer_without_a_token_is_401_on_pages_as_on_the_api(database_url: str, required: bool) -> None:
    token = make_token(database_url, "read")
    for client in client_for(database_url, read_token_required=required):
        for value in EMPTY_BEARERS:
            refused_as_the_api_refuses(client, {"Authorization": value})
        # A signed-in browser's cookie does not make the broken header acceptable (the header is read first, as a
        # bearer header with a wrong token is).
        client.cookies.set("tracertm_token", token)
        assert client.get("/").status_code == 200
        for value in EMPTY_BEARERS:
            refused_as_the_api_refuses(client, {"Authorization": value})


def test_what_stays_as_it_was(database_url: str) -> None:
    """A real bearer token reads the pages; a header of another scheme is ignored by pages (not by the API)."""
    token = make_token(database_url, "read")
    for client in client_for(database_url):
        assert client.get("/", headers={"Authorization": f"Bearer {token}"}).status_code == 200
        assert client.get("/", headers={"Authorization": "Basic dTpw"}).status_code == 200
        assert client.get("/").status_code == 200
    for client in client_for(database_url, read_token_required=True):
        assert client.get("/", headers={"Authorization": f"Bearer {token}"}).status_code == 200
        basic = client.get("/", headers={"Authorization": "Basic dTpw"}, follow_redirects=False)
        assert basic.status_code == 303 and basic.headers["location"].startswith("/login")
        anonymous = client.get("/", follow_redirects=False)
        assert anonymous.status_code == 303 and anonymous.headers["location"].startswith("/login")
