"""A link review's ``source`` holding a NUL character (``{"source": "ADR-0003\\u0000"}``: JSON can carry one, a URL
and a command line cannot) was looked up as given: PostgreSQL refuses NUL in text, so the review was a 500 there
(and a 404 on SQLite). It is a 422 naming ``source`` on both databases, as a PATCH's text with a NUL is, and nothing
is reviewed."""

from __future__ import annotations

from typing import Any

from apikit import api_client, make_token, refunds_with_a_changed_adr
from conftest import GitRepo

PROJECT = "/api/v1/projects/refunds"
FEATURE = "@FEAT-1 @ADR-0003\nFeature: Refunds\n\n  @SC-1\n  Scenario: refund\n    Given a paid order\n"


def test_a_review_source_with_a_nul_is_a_422_and_reviews_nothing(git_repo: GitRepo, engine: Any) -> None:
    refunds_with_a_changed_adr(git_repo, engine, FEATURE)
    with api_client(engine) as client:
        suspect = [link["id"] for link in client.get(f"{PROJECT}/links?suspect=true").json()["items"]]
        assert suspect
        headers = {"Authorization": f"Bearer {make_token(engine)}", "Content-Type": "application/json"}
        for source in ("\x00", "ADR-0003\x00", f"{suspect[0]}\x00"):
            r = client.post(f"{PROJECT}/links/review", json={"source": source}, headers=headers)
            assert r.status_code == 422, r.text
            body = r.json()
            assert r.headers["content-type"] == "application/problem+json"
            assert body["type"] == "https://tracertm.dev/problems/invalid-request"
            assert body["detail"] == "source: Input should be a string without NUL characters"
        assert [link["id"] for link in client.get(f"{PROJECT}/links?suspect=true").json()["items"]] == suspect
        # The same source without the NUL still reviews them.
        r = client.post(f"{PROJECT}/links/review", json={"source": "ADR-0003"}, headers=headers)
        assert r.status_code == 200 and r.json()["reviewed"], r.text
