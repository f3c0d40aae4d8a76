"""``If-Match`` / ``If-None-Match`` sent on several field lines are one list, the lines joined (RFC 9110 5.3).

FastAPI's ``Header()`` handed the routes the first line alone: ``If-Match: *`` then ``If-Match: "1"`` wrote over a
version the client never read (a list holding ``*`` is 400, README), ``"1"`` then ``"3"`` was 412 with version 3
current, and an ``If-None-Match`` naming the current ETag on its second line never answered 304. Records and links
(SQLite and PostgreSQL), and one real server (the lines as a client sends them over TCP).
"""

from __future__ import annotations

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
from tracertm.engine.sync import sync

with warnings.catch_warnings():
    warnings.simplefilter("ignore")
    from fastapi.testclient import TestClient

API = "/api/v1"
PROJECT = f"{API}/projects/repo"
ADR = f"{API}/adrs/ADR-0001"
BAD_REQUEST = "https://tracertm.dev/problems/bad-request"
FEATURE = "@FEAT-1 @ADR-0001\nFeature: Refunds\n\n  @SC-1\n  Scenario: refund\n    Given a paid order\n"


def _seed(git_repo: GitRepo, **database: Any) -> None:
    """An ADR and a feature tagging it, synced into ``database`` (``engine=`` or ``database_url=``)."""
    git_repo.write("docs/adr/0001-use-queues.md", adr(1, "Use queues"))
    git_repo.write("features/refunds.feature", FEATURE)
    git_repo.commit("seed")
    sync(git_repo.path, project="repo", **database)


@pytest.fixture
def client(git_repo: GitRepo, engine: Any) -> Iterator[TestClient]:
    _seed(git_repo, engine=engine)
    with api_client(engine) as test_client:
        yield test_client


def _auth(database: Any) -> list[tuple[str, str]]:
    return [("Authorization", f"Bearer {make_token(database)}")]


def _to_version_3(http: httpx.Client | TestClient, auth: list[tuple[str, str]]) -> None:
    for version, who in ((1, "ada"), (2, "bob")):
        written = http.patch(ADR, json={"approved_by": who}, headers=[*auth, ("If-Match", f'"{version}"')])
        assert written.status_code == 200, written.text
    assert http.get(ADR).json()["version"] == 3


def _check_record_lines(http: httpx.Client | TestClient, auth: list[tuple[str, str]]) -> None:
    """The three cases on a record: * plus a stale tag on two lines is 400 (nothing written); a stale tag and the
    current one on two lines holds; a second If-None-Match line naming the current ETag is 304."""
    _to_version_3(http, auth)
    refused = http.patch(ADR, json={"approved_by": "mallory"},
                         headers=[*auth, ("If-Match", "*"), ("If-Match", '"1"')])
    assert refused.status_code == 400 and refused.json()["type"] == BAD_REQUEST, refused.text
    assert "If-Match: * must stand alone" in refused.json()["detail"]
    assert http.get(ADR).json()["approved_by"] == "bob"  # nothing written
    written = http.patch(ADR, json={"approved_by": "carol"},
                         headers=[*auth, ("If-Match", '"1"'), ("If-Match", '"3"')])
    assert written.status_code == 200 and written.json()["version"] == 4, written.text
    current = http.get(ADR).headers["etag"]
    assert http.get(ADR, headers=[("If-None-Match", '"x"'), ("If-None-Match", current)]).status_code == 304
    assert http.get(ADR, headers=[("If-None-Match", '"x"'), ("If-None-Match", '"y"')]).status_code == 200


def test_every_line_of_a_record_condition_counts(client: TestClient, engine: Any) -> None:
    auth = _auth(engine)
    _check_record_lines(client, auth)
    # A GET's If-Match reads every line too.
    assert client.get(ADR, headers=[("If-Match", '"1"'), ("If-Match", '"4"')]).status_code == 200
    assert client.get(ADR, headers=[("If-Match", '"4"'), ("If-Match", "*")]).status_code == 400


def test_every_line_of_a_link_condition_counts(client: TestClient, engine: Any) -> None:
    auth = _auth(engine)
    items = client.get(f"{PROJECT}/links", params={"target": "ADR-0001", "source": "FEAT-1"}).json()["items"]
    url = f"{PROJECT}/links/{items[0]['id']}"
    tag = client.get(url).headers["etag"]
    assert client.get(url, headers=[("If-None-Match", '"7"'), ("If-None-Match", tag)]).status_code == 304
    for answer in (client.get(url, headers=[("If-Match", "*"), ("If-Match", '"7"')]),
                   client.patch(url, json={"reviewed": True},
                                headers=[*auth, ("If-Match", "*"), ("If-Match", '"7"')]),
                   client.patch(url, json={"reviewed": True},
                                headers=[*auth, ("If-Match", tag), ("If-None-Match", '"7"'), ("If-None-Match", "*")]),
                   client.post(f"{PROJECT}/links/review", json={"all": True},
                               headers=[*auth, ("If-Match", "*"), ("If-Match", '"7"')])):
        assert answer.status_code == 400 and answer.json()["type"] == BAD_REQUEST, answer.text
    # A second If-None-Match line naming the link as it is stops the review (412), as one line does.
    stopped = client.patch(url, json={"reviewed": True},
                           headers=[*auth, ("If-Match", tag), ("If-None-Match", '"7"'), ("If-None-Match", tag)])
    assert stopped.status_code == 412, stopped.text


@sqlite_only
def test_the_length_bound_is_on_every_line_together(client: TestClient) -> None:
    line = ", ".join(['"1"'] * 1000)  # 4,998 characters: under 8 KiB alone, over it with a second one
    assert client.get(ADR, headers=[("If-None-Match", line)]).status_code == 200
    refused = client.get(ADR, headers=[("If-None-Match", line), ("If-None-Match", line)])
    assert refused.status_code == 422, refused.text
    assert refused.json()["detail"].startswith("If-None-Match: 9998 characters (every line of it together)")


def test_a_served_server_reads_every_line(git_repo: GitRepo, tmp_path: Path) -> None:
    url = f"sqlite:///{tmp_path / 'served.db'}"
    _seed(git_repo, database_url=url)
    with serve(url, git_repo.path, tmp_path / "serve.log") as base:
        with httpx.Client(base_url=base, timeout=30) as http:
            _check_record_lines(http, _auth(url))
