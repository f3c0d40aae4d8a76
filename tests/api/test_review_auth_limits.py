"""Defects an audit found in the API (through the app, SQLite and PostgreSQL):

- a link review whose ``If-Match`` names no version (``W/"1"``) was 412 with ``current_version: 0`` before the link
  was looked up: an unknown link was 412, not 404; a dangling one 409 carrying the 412's text; ``POST
  /links/review`` always 412 with version 0, whatever version the target is at (version 0 never exists);
- ``POST /links/review`` naming a dangling link's number was a generic ``conflict``, not the ``dangling-link`` 409
  of ``PATCH`` with ``source_path`` and ``line``;
- an ``Authorization`` header that is not ``Bearer <token>`` (``Basic``, ``Token``, ``Bearer`` alone) was taken
  for no header on an open read (200), while a bogus bearer token is 401;
- the 413 and 400 of the body-size and NUL-byte middleware had no ``instance``.
"""

from __future__ import annotations

import warnings
from collections.abc import Iterator
from typing import Any

import pytest

from apikit import api_client, make_token, refunds_with_a_changed_adr
from conftest import GitRepo

with warnings.catch_warnings():
    warnings.simplefilter("ignore")
    from fastapi.testclient import TestClient

PROJECT = "/api/v1/projects/refunds"
PROBLEMS = "https://tracertm.dev/problems/"
FEATURE = ("@FEAT-1 @ADR-0003 @ADR-0077\nFeature: Refunds\n\n  @SC-1\n  Scenario: refund\n"
           "    Given a paid order\n")


@pytest.fixture
def client(git_repo: GitRepo, engine: Any) -> Iterator[TestClient]:
    """The app over a project whose FEAT-1 links ADR-0003 (at version 2 since the link's review: suspect) and the
    ADR-0077 no file has (dangling)."""
    refunds_with_a_changed_adr(git_repo, engine, FEATURE)
    with api_client(engine) as test_client:
        yield test_client


def problem(response: Any, status: int) -> dict[str, Any]:
    assert response.status_code == status, response.text
    assert response.headers["content-type"] == "application/problem+json"
    body: dict[str, Any] = response.json()
    sent = response.request.url.raw_path.decode().split("?")[0]  # percent-encoded, as ``instance`` is
    assert body["status"] == status and body["detail"] and body["instance"] == sent
    return body


def link(client: TestClient, **params: str) -> dict[str, Any]:
    answer = client.get(f"{PROJECT}/links", params={"source": "FEAT-1", **params})
    items: list[dict[str, Any]] = answer.json()["items"]
    assert len(items) == 1, items
    return items[0]


def test_a_review_naming_no_version_looks_the_link_up_first_and_names_the_real_version(
    client: TestClient, engine: Any
) -> None:
    auth = {"Authorization": f"Bearer {make_token(engine)}"}
    suspect, dangling = link(client, target="ADR-0003"), link(client, dangling="true")
    assert (suspect["state"], suspect["target_version"], dangling["state"]) == ("suspect", 2, "dangling")

    for weak in ('W/"1"', 'W/"2"', "garbage", 'W/"2", nonsense'):
        headers = {**auth, "If-Match": weak}
        # A dangling link: the 409 that names the line to fix, as with a strong If-Match or none.
        body = problem(client.patch(f"{PROJECT}/links/{dangling['id']}", json={"reviewed": True},
                                    headers=headers), 409)
        assert body["type"] == PROBLEMS + "dangling-link", body
        assert (body["source_path"], body["line"]) == ("features/refunds.feature", 1), body
        assert "is dangling" in body["detail"] and "If-Match" not in body["detail"], body
        # An unknown link: 404, as with If-Match: "1".
        body = problem(client.patch(f"{PROJECT}/links/9999", json={"reviewed": True}, headers=headers), 404)
        assert "link 9999" in body["detail"], body
        # A live link: 412 with the version its target is at (2), never 0, and the version to send.
        for answer in (client.patch(f"{PROJECT}/links/{suspect['id']}", json={"reviewed": True}, headers=headers),
                       client.post(f"{PROJECT}/links/review", json={"source": "ADR-0003"}, headers=headers),
                       client.post(f"{PROJECT}/links/review", json={"source": str(suspect["id"])},
                                   headers=headers),
                       client.post(f"{PROJECT}/links/review", json={"all": True}, headers=headers)):
            body = problem(answer, 412)
            assert body["current_version"] == 2 and answer.headers["etag"] == '"2"', body
            assert 'If-Match: "2"' in body["detail"] and "weak tags never match" in body["detail"], body
    assert link(client, target="ADR-0003")["state"] == "suspect", "a refused review writes nothing"

    # A strong tag of another version: the same 412 as before, naming what was sent.
    body = problem(client.post(f"{PROJECT}/links/review", json={"source": "ADR-0003"},
                               headers={**auth, "If-Match": '"1"'}), 412)
    assert body["current_version"] == 2 and 'If-Match: "1"' in body["detail"], body
    # And the version it names reviews the link.
    done = client.post(f"{PROJECT}/links/review", json={"source": "ADR-0003"}, headers={**auth, "If-Match": '"2"'})
    assert done.status_code == 200 and suspect["id"] in [x["id"] for x in done.json()["reviewed"]], done.text
    assert link(client, target="ADR-0003")["state"] == "ok"


def test_post_review_of_a_dangling_link_number_is_the_dangling_link_409_of_patch(
    client: TestClient, engine: Any
) -> None:
    auth = {"Authorization": f"Bearer {make_token(engine)}"}
    dangling = link(client, dangling="true")
    patched = problem(client.patch(f"{PROJECT}/links/{dangling['id']}", json={"reviewed": True},
                                   headers={**auth, "If-Match": '"1"'}), 409)
    for source in (str(dangling["id"]), f"#{dangling['id']}"):
        for extra in ({}, {"If-Match": '"1"'}, {"If-Match": 'W/"1"'}):
            body = problem(client.post(f"{PROJECT}/links/review", json={"source": source},
                                       headers={**auth, **extra}), 409)
            assert body["type"] == PROBLEMS + "dangling-link", (source, extra, body)
            assert (body["source_path"], body["line"]) == ("features/refunds.feature", 1), body
            assert body["detail"] == patched["detail"], body


@pytest.mark.parametrize("authorization", ["Basic dXNlcjpwYXNz", "Token x", "Bearer", "Bearer ", "Digest", ""])
def test_an_authorization_header_that_is_not_a_bearer_token_is_401_on_open_reads(
    client: TestClient, engine: Any, authorization: str
) -> None:
    bogus = problem(client.get("/api/v1/projects", headers={"Authorization": "Bearer trtm_bogus"}), 401)
    for path in ("/api/v1/projects", f"{PROJECT}/links"):
        answer = client.get(path, headers={"Authorization": authorization})
        body = problem(answer, 401)
        assert body["type"] == bogus["type"] == PROBLEMS + "unauthorized", body
        assert answer.headers["www-authenticate"] == 'Bearer realm="tracertm"'
        assert "Bearer <token>" in body["detail"], body
    # A write says so too, rather than that no token was sent.
    body = problem(client.patch(f"{PROJECT}/links/1", json={"reviewed": True},
                                headers={"Authorization": authorization, "If-Match": "*"}), 401)
    assert "Bearer <token>" in body["detail"], body
    # Open reads without the header, and with a valid token (any case of the scheme), still answer.
    assert client.get("/api/v1/projects").status_code == 200
    read = make_token(engine, "read")
    for scheme in ("Bearer", "bearer"):
        assert client.get("/api/v1/projects", headers={"Authorization": f"{scheme} {read}"}).status_code == 200
    # The pages ignore another scheme: a proxy's Basic sign-in sends one with every page a browser loads. A bearer
    # header without its token is no other scheme: 401 there too (tests/web/test_page_bearer_without_token.py).
    page = client.get("/", headers={"Authorization": authorization})
    if authorization.strip() == "Bearer":
        assert page.status_code == 401, page.text
    else:
        assert page.status_code == 200 and page.headers["content-type"].startswith("text/html")


def test_the_413_and_400_of_the_request_limits_carry_instance(client: TestClient, engine: Any) -> None:
    auth = {"Authorization": f"Bearer {make_token(engine)}", "If-Match": '"1"'}
    big = {"approved_by": "x" * 70_000}
    for url in (f"{PROJECT}/adrs/ADR-0003", "/api/v1/adrs/ADR-0003?project=refunds"):
        body = problem(client.patch(url, json=big, headers=auth), 413)
        assert body["type"] == PROBLEMS + "body-too-large" and body["instance"].startswith("/api/v1/"), body
    body = problem(client.get("/api/v1/projects?x=%00"), 400)
    assert body["instance"] == "/api/v1/projects", body
    body = problem(client.get("/api/v1/projects/a%00b"), 400)
    assert body["instance"] == "/api/v1/projects/a%00b", body  # a URI reference: as sent, percent-encoded
