"""A database-owned figure (``compliance_score``, ``pass_rate``) in a PATCH is a JSON number, as ``/openapi.json``
documents it (``type: number``). pydantic's lax mode took ``true`` as 1.0 and ``false`` as 0.0 (a client's
``"approved": true`` sent to the wrong field stored a full score and a new version) and text such as ``"0.5"``
as the number. Each is a 422 naming the field, nothing written, on SQLite and PostgreSQL; an integer is still a
number (``1`` is 1.0)."""

from __future__ import annotations

from typing import Any

from apikit import api_client, make_token
from conftest import GitRepo
from specs import adr
from tracertm.engine.sync import sync

API = "/api/v1"
FEATURE = "@FEAT-1\nFeature: Refunds\n\n  @SC-1\n  Scenario: refund\n    Given a paid order\n"


def test_a_figure_that_is_no_json_number_is_a_422_and_nothing_is_written(git_repo: GitRepo, engine: Any) -> None:
    git_repo.write("docs/adr/0001-use-git.md", adr(1, "Use git"))
    git_repo.write("features/refunds.feature", FEATURE)
    git_repo.commit("seed")
    assert not sync(git_repo.path, engine=engine, project="shop").errors
    headers = {"Authorization": f"Bearer {make_token(engine)}", "If-Match": "*"}
    with api_client(engine) as client:
        for url, name in ((f"{API}/adrs/ADR-0001", "compliance_score"),
                          (f"{API}/scenarios/FEAT-1/SC-1", "pass_rate")):
            for value in (True, False, "0.5", "1"):
                r = client.patch(url, json={name: value}, headers=headers)
                assert r.status_code == 422, (url, value, r.text)
                assert r.headers["content-type"] == "application/problem+json"
                assert r.json()["detail"] == f"{name}: Input should be a valid number", (url, value)
            got = client.get(url).json()
            assert (got["version"], got[name]) == (1, None)
            assert len(client.get(f"{url}/history").json()) == 1
            for version, value in ((1, 1), (2, 0.25)):
                r = client.patch(url, json={name: value}, headers={**headers, "If-Match": f'"{version}"'})
                assert r.status_code == 200, r.text
                assert (r.json()[name], r.json()["version"]) == (float(value), version + 1)
