"""API consistency defects colleagues noticed (through the app, SQLite and PostgreSQL):

- a link ``PATCH`` evaluated ``If-None-Match`` before the lock and before ``If-Match``: a stale ``If-Match`` sent with
  ``If-None-Match: *`` was the ``If-None-Match`` 412 without ``current_version``, while a record's ``PATCH`` answers
  the stale version first (RFC 9110 13.2.2: If-Match, then If-None-Match, as the README says for every route).
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

API = "/api/v1"
PROJECT = f"{API}/projects/refunds"
PROBLEMS = "https://tracertm.dev/problems/"
FEATURE = "@FEAT-1 @ADR-0003\nFeature: Refunds\n\n  @SC-1\n  Scenario: refund\n    Given a paid order\n"


@pytest.fixture
def client(git_repo: GitRepo, engine: Any) -> Iterator[TestClient]:
    """The app over a project whose FEAT-1 links ADR-0003, which is at version 2 since: the link is suspect."""
    refunds_with_a_changed_adr(git_repo, engine, FEATURE)
    with api_client(engine) as test_client:
        yield test_client


def problem(response: Any, status: int) -> dict[str, Any]:
    assert response.status_code == status, response.text
    assert response.headers["content-type"] == "application/problem+json", response.headers
    body: dict[str, Any] = response.json()
    assert body["status"] == status, body
    return body


def test_a_link_review_evaluates_if_match_before_if_none_match(client: TestClient, engine: Any) -> None:
    auth = {"Authorization": f"Bearer {make_token(engine)}"}
    link = client.get(f"{PROJECT}/links", params={"source": "FEAT-1", "target": "ADR-0003"}).json()["items"][0]
    url = f"{PROJECT}/links/{link['id']}"
    # Both preconditions false: the stale If-Match answers, naming the version to re-read, as a record's PATCH does.
    stale = problem(client.patch(url, json={"reviewed": True}, headers={**auth, "If-Match": '"1"',
                                                                         "If-None-Match": "*"}), 412)
    assert stale["type"] == PROBLEMS + "stale-version" and stale["current_version"] == 2, stale
    record = client.get(f"{API}/adrs/ADR-0003", params={"project": "refunds"})
    same = problem(client.patch(f"{API}/adrs/ADR-0003", json={"approved_by": "ada"},
                                headers={**auth, "If-Match": '"1"', "If-None-Match": "*"}), 412)
    assert same["type"] == stale["type"] and same["current_version"] == record.json()["version"], same
    # If-Match holds, If-None-Match names the link as it is: 412, nothing reviewed.
    refused = problem(client.patch(url, json={"reviewed": True}, headers={**auth, "If-Match": '"2"',
                                                                           "If-None-Match": "*"}), 412)
    assert refused["type"] == PROBLEMS + "precondition-failed", refused
    assert client.get(url).json()["state"] == "suspect"
    # Without If-Match, a false If-None-Match is still its 412 before the 428.
    problem(client.patch(url, json={"reviewed": True}, headers={**auth, "If-None-Match": "*"}), 412)
    assert client.patch(url, json={"reviewed": True}, headers={**auth, "If-None-Match": '"9"'}).status_code == 428
    # Both hold: reviewed.
    done = client.patch(url, json={"reviewed": True}, headers={**auth, "If-Match": '"2"', "If-None-Match": '"9"'})
    assert done.status_code == 200 and done.json()["reviewed_version"] == 2, done.text
