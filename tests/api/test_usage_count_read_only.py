"""A step definition's ``usage_count`` is derived: every sync recomputes it from the step matches (without a new
version), so a client cannot set it. A ``PATCH`` of it was 200 with a new version, and the next sync silently put
the computed figure back; now it is refused (422 naming the field and why), nothing is written, and the OpenAPI
document offers it in no request body."""

from __future__ import annotations

import warnings
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import pytest

from apikit import api_client, make_token
from conftest import GitRepo
from tracertm.engine.sync import sync

with warnings.catch_warnings():
    warnings.simplefilter("ignore")
    from fastapi.testclient import TestClient

API = "/api/v1"
STEPS = 'from behave import given\n\n@given("a paid order")\ndef paid(context):\n    pass\n'
USES = "@FEAT-1\nFeature: f\n  @SC-1\n  Scenario: s\n    Given a paid order\n"


@pytest.fixture
def client(engine: Any) -> Iterator[TestClient]:
    with api_client(engine) as test_client:
        yield test_client


def test_usage_count_cannot_be_patched(git_repo: GitRepo, engine: Any, client: TestClient) -> None:
    git_repo.write("features/steps/s.py", STEPS)
    git_repo.write("features/a.feature", USES)
    git_repo.commit("steps")
    assert not sync(git_repo.path, engine=engine, project="p", ref="HEAD").errors
    token = make_token(engine)
    headers = {"Authorization": f"Bearer {token}", "If-Match": "*"}
    url = f"{API}/step-definitions/STEP-1"
    before = client.get(url).json()
    assert (before["usage_count"], before["version"]) == (1, 1)

    both = {"usage_count": 99, "last_used_at": "2024-05-01T00:00:00Z"}
    for body in ({"usage_count": 99}, {"usage_count": 1}, {"usage_count": None}, both):
        refused = client.patch(url, json=body, headers=headers)
        assert refused.status_code == 422, refused.text
        assert refused.headers["content-type"] == "application/problem+json"
        detail = refused.json()["detail"]
        assert detail.startswith("usage_count: computed by sync") and "cannot be set" in detail, detail
        after = client.get(url).json()
        assert (after["usage_count"], after["version"], after["last_used_at"]) == (1, 1, None), "nothing written"

    # The database-owned fields a client may set still are.
    written = client.patch(url, json={"last_used_at": "2024-05-01T00:00:00Z"}, headers=headers)
    assert written.status_code == 200 and written.json()["version"] == 2, written.text

    spec = client.get("/openapi.json").json()
    bodies = [ops["patch"]["requestBody"]["content"]["application/json"]["schema"]
              for path, ops in spec["paths"].items() if "/step-definitions/" in path and "patch" in ops]
    assert bodies
    for body in bodies:
        assert "usage_count" not in body["properties"] and "last_used_at" in body["properties"], body
    read = spec["components"]["schemas"]["StepDefinitionRead"]["properties"]["usage_count"]
    assert "read-only" in read["description"], read
