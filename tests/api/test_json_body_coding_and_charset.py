"""A JSON body (a record's ``PATCH``, a link's review, ``POST …/links/review``) is UTF-8 and uncompressed, as a test
report's JSON is (README, Errors): a ``Content-Encoding`` or a ``charset`` other than UTF-8 is 415 and nothing is
written. Both were read as plain UTF-8: gzip was "the body is not JSON (not UTF-8 …)", a text sent with
``Content-Encoding: br`` was written as it stood, and ISO-8859-1's "Ã©" — the bytes of UTF-8's "é" — was stored
as "é"."""

from __future__ import annotations

import gzip
import warnings
from collections.abc import Callable, Iterator
from typing import Any

import pytest

from apikit import api_client, make_token, refunds_with_a_changed_adr
from conftest import GitRepo

with warnings.catch_warnings():
    warnings.simplefilter("ignore")
    from fastapi.testclient import TestClient

API = "/api/v1"
PROJECT = f"{API}/projects/refunds"
Answer = tuple[int, str, str]
FEATURE = "@FEAT-1 @ADR-0003\nFeature: Refunds\n\n  @SC-1\n  Scenario: refund\n    Given a paid order\n"


@pytest.fixture
def client(git_repo: GitRepo, engine: Any) -> Iterator[TestClient]:
    """The app over a project whose links to ADR-0003 are suspect (the ADR changed after they were made)."""
    refunds_with_a_changed_adr(git_repo, engine, FEATURE)
    with api_client(engine) as test_client:
        yield test_client


def _send(client: TestClient, token: str, encode: Callable[[bytes], bytes], **headers: str) -> list[Answer]:
    """Each JSON route's answer to its body (approving ADR-0003 as "Ã©", reviewing a link, reviewing every one)
    made bytes by ``encode``: status, problem type and detail."""
    number = client.get(f"{PROJECT}/links?suspect=true").json()["items"][0]["id"]
    routes = [("PATCH", f"{API}/adrs/ADR-0003", '{"approved_by": "Ã©"}'),
              ("PATCH", f"{PROJECT}/links/{number}", '{"reviewed": true}'),
              ("POST", f"{PROJECT}/links/review", '{"all": true}')]
    answers = []
    for method, path, body in routes:
        r = client.request(method, path, content=encode(body.encode("iso-8859-1")), headers={
            "Authorization": f"Bearer {token}", "Content-Type": "application/json", "If-Match": "*", **headers})
        assert r.headers["content-type"] == "application/problem+json", r.text
        answers.append((r.status_code, r.json()["type"].rsplit("/", 1)[-1], r.json()["detail"]))
    return answers


def _unchanged(client: TestClient) -> None:
    record = client.get(f"{API}/adrs/ADR-0003").json()
    assert (record["version"], record["approved_by"]) == (2, None)
    assert len(client.get(f"{PROJECT}/links?suspect=true").json()["items"]) == 2


def test_a_compressed_body_is_415_naming_its_coding(client: TestClient, engine: Any) -> None:
    token = make_token(engine)
    assert _send(client, token, gzip.compress, **{"Content-Encoding": "gzip"}) == [
        (415, "unsupported-media-type", "Content-Encoding 'gzip' is not accepted; send the body uncompressed")] * 3
    # A coding whose bytes happen to be the plain text was written as it stood.
    assert _send(client, token, lambda body: body, **{"Content-Encoding": "br"}) == [
        (415, "unsupported-media-type", "Content-Encoding 'br' is not accepted; send the body uncompressed")] * 3
    _unchanged(client)


def test_a_body_in_another_charset_is_415(client: TestClient, engine: Any) -> None:
    token = make_token(engine)
    assert _send(client, token, lambda body: body, **{"Content-Type": "application/json; charset=ISO-8859-1"}) == [
        (415, "unsupported-media-type", "Content-Type charset='iso-8859-1': a JSON body is UTF-8 (RFC 8259); send "
                                        "it as UTF-8, with no charset or charset=utf-8")] * 3
    _unchanged(client)
    # UTF-8 named (or US-ASCII, a part of it), and identity, are taken as they always were.
    for content_type in ("application/json; charset=utf-8", 'application/json; charset="US-ASCII"'):
        r = client.patch(f"{API}/adrs/ADR-0003", content='{"approved_by": "Ã©"}'.encode(), headers={
            "Authorization": f"Bearer {token}", "Content-Type": content_type, "Content-Encoding": "identity",
            "If-Match": "*"})
        assert r.status_code == 200 and r.json()["approved_by"] == "Ã©", r.text
