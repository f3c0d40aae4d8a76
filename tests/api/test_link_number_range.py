"""A link number no link can have (0, or past the 63 bits a link id fits in) is a link that is not there: 404 with
the problem body of any unknown link number, for GET, HEAD and PATCH (with or without ``If-Match``,
``If-None-Match``; ``POST /links/review`` naming it is 404 too), never a 422 about the path's range or a database
overflow (SQLite and PostgreSQL, through the app). The project is still checked first, and a write still needs a
write token first."""

from __future__ import annotations

import warnings
from collections.abc import Iterator
from typing import Any

import pytest

from apikit import api_client, make_token
from conftest import GitRepo
from specs import adr
from tracertm.engine.sync import sync

with warnings.catch_warnings():
    warnings.simplefilter("ignore")
    from fastapi.testclient import TestClient

PROJECT = "/api/v1/projects/refunds"
UNKNOWN = 999_999  # a number in range that no link has
IMPOSSIBLE = [0, 2**62 + 1, 2**63 - 1, 2**63, 2**64, 10**30]


@pytest.fixture
def client(git_repo: GitRepo, engine: Any) -> Iterator[TestClient]:
    git_repo.write("docs/adr/0003-use-queues.md", adr(3, "Use queues"))
    git_repo.write("features/refunds.feature", "@FEAT-1 @ADR-0003\nFeature: Refunds\n\n  @SC-1\n  Scenario: r\n"
                                               "    Given a paid order\n")
    git_repo.commit("seed")
    assert not sync(git_repo.path, engine=engine, project="refunds").errors
    with api_client(engine) as test_client:
        yield test_client


def not_found(response: Any, number: int) -> dict[str, Any]:
    """The problem of an unknown link, with the number written as ``UNKNOWN`` (to compare with that one's)."""
    assert response.status_code == 404, (number, response.status_code, response.text)
    assert response.headers["content-type"] == "application/problem+json"
    body: dict[str, Any] = response.json()
    assert body["instance"].endswith(f"/links/{number}"), body
    del body["instance"]
    return {k: v.replace(str(number), str(UNKNOWN)) if isinstance(v, str) else v for k, v in body.items()}


@pytest.mark.parametrize("number", IMPOSSIBLE)
def test_a_number_no_link_can_have_is_an_unknown_link(client: TestClient, engine: Any, number: int) -> None:
    link = client.get(f"{PROJECT}/links").json()["items"][0]
    expected = not_found(client.get(f"{PROJECT}/links/{UNKNOWN}"), UNKNOWN)
    assert expected["type"].endswith("/not-found")
    url = f"{PROJECT}/links/{number}"

    assert not_found(client.get(url), number) == expected
    assert not_found(client.get(url, headers={"If-None-Match": "*"}), number) == expected
    head = client.head(url)
    assert head.status_code == 404 and head.content == b""

    auth = {"Authorization": f"Bearer {make_token(engine)}"}
    for headers in ({}, {"If-Match": "*"}, {"If-Match": '"1"'}, {"If-None-Match": "*"}):
        answer = client.patch(url, json={"reviewed": True}, headers={**auth, **headers})
        assert not_found(answer, number) == not_found(
            client.patch(f"{PROJECT}/links/{UNKNOWN}", json={"reviewed": True}, headers={**auth, **headers}), UNKNOWN
        ), headers

    # ``POST /links/review`` naming that number: no link has it either (404), as for an unknown number.
    for source in (str(number), f"#{number}"):
        review = client.post(f"{PROJECT}/links/review", json={"source": source}, headers=auth)
        assert review.status_code == 404 and review.json()["type"].endswith("/not-found"), (source, review.text)

    # What comes before the link: the project, the token.
    assert client.get(f"/api/v1/projects/nope/links/{number}").json()["detail"] == \
           client.get(f"/api/v1/projects/nope/links/{UNKNOWN}").json()["detail"]
    assert client.patch(url, json={"reviewed": True}).status_code == 401
    reader = {"Authorization": f"Bearer {make_token(engine, 'read')}", "If-Match": "*"}
    assert client.patch(url, json={"reviewed": True}, headers=reader).status_code == 403
    assert client.get(f"{PROJECT}/links/{link['id']}").status_code == 200  # nothing reviewed, nothing broken


def test_the_openapi_document_sets_no_range_on_the_link_number(client: TestClient) -> None:
    """The document says what the server does: any digits are a link number to look up."""
    paths = client.get("/openapi.json").json()["paths"]
    for method in ("get", "patch"):
        (parameter,) = [p for p in paths["/api/v1/projects/{project}/links/{link_id}"][method]["parameters"]
                        if p["name"] == "link_id"]
        assert parameter["schema"]["type"] == "integer"
        assert "minimum" not in parameter["schema"] and "maximum" not in parameter["schema"], parameter
