"""A body that is not JSON says so and gives the character (README, Errors), for a record's ``PATCH`` as for the
links' routes: the decoder's reason and the offset where it stopped, in the same words (the record's PATCH said a
fixed sentence guessing at NaN or nesting, with no character)."""

from __future__ import annotations

from pathlib import Path
from typing import Any

import pytest
from apikit import api_client, make_token
from sample import sync_sample

from conftest import GitRepo

API = "/api/v1"


@pytest.fixture
def synced_url(git_repo: GitRepo, tmp_path: Path) -> str:
    url = f"sqlite:///{tmp_path / 'specs.db'}"
    sync_sample(git_repo, url)
    return url


def _detail(client: Any, path: str, body: bytes, token: str, method: str = "PATCH") -> str:
    r = client.request(method, f"{API}{path}", content=body, headers={
        "Authorization": f"Bearer {token}", "Content-Type": "application/json", "If-Match": '"1"'})
    assert r.status_code == 422 and r.headers["content-type"] == "application/problem+json", r.text
    problem = r.json()
    assert problem["type"] == "https://tracertm.dev/problems/invalid-request"
    return str(problem["detail"])


def test_a_record_patch_names_the_reason_and_the_character(synced_url: str) -> None:
    token = make_token(synced_url)
    bad = b'{"reviewed": tru}'
    with api_client(synced_url) as client:
        link = _detail(client, "/projects/sample/links/review", bad, token, "POST")
        record = _detail(client, "/adrs/ADR-0001", bad, token)
        assert record == link == "the body is not JSON (Expecting value) at character 13"
        assert _detail(client, "/adrs/ADR-0001", b'{"tags": ["a",]}', token) == \
            "the body is not JSON (Expecting value) at character 14"
        # Python reads NaN and Infinity; JSON has no such numbers: said so, where it stands.
        assert _detail(client, "/adrs/ADR-0001", b'{"title": "NaN", "owner": -Infinity}', token) == \
            "the body is not JSON (-Infinity is not a JSON number) at character 26"
        deep = _detail(client, "/adrs/ADR-0001", b"[" * 30_000 + b"]" * 30_000, token)
        assert deep == "the body is not JSON (it nests too deeply)"
