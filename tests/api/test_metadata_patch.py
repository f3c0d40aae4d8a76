"""PATCH of metadata keys through the API (SQLite and PostgreSQL): keys the database owns are merged (null removes
one) as an annotated revision and survive syncs; a key the file sets is 409 naming the file and the key's line; the
409 for a git-owned field names a line for every kind."""

from __future__ import annotations

from typing import Any

import pytest
from sqlalchemy import select

from apikit import api_client, make_token
from conftest import GitRepo
from specs import adr, contract
from tracertm import db
from tracertm.api import ApiSettings
from tracertm.engine.sync import sync
from tracertm.models import SpecRevision

API = "/api/v1"
CONTRACT = contract(1, "Refunds") + "metadata:\n  owner: payments\n  tier: 1\n"
FEATURE = "@FEAT-1\nFeature: Refunds\n\n  @SC-1\n  Scenario: full refund\n    Given a paid order\n    Then it is refunded\n"
STEPS = "from behave import given\n\n\n@given('a paid order')\ndef paid(context):\n    pass\n"


@pytest.fixture
def repo(git_repo: GitRepo, engine: Any) -> GitRepo:
    git_repo.write("docs/adr/0001-use-git.md", adr(1, "Use git"))
    git_repo.write("contracts/refunds.yaml", CONTRACT)
    git_repo.write("features/refunds.feature", FEATURE)
    git_repo.write("features/steps/refunds.py", STEPS)
    git_repo.commit("seed")
    assert not sync(git_repo.path, engine=engine, project="shop").errors
    return git_repo


def auth(engine: Any, version: int) -> dict[str, str]:
    return {"Authorization": f"Bearer {make_token(engine, label='dash')}", "If-Match": f'"{version}"'}


def problem(response: Any, status: int) -> dict[str, Any]:
    assert response.status_code == status, response.text
    assert response.headers["content-type"] == "application/problem+json" and "Traceback" not in response.text
    return response.json()  # type: ignore[no-any-return]


def test_database_owned_metadata_keys_are_merged_and_survive_syncs(repo: GitRepo, engine: Any) -> None:
    with api_client(engine) as client:
        url = f"{API}/contracts/CTR-0001"
        assert client.get(url).json()["metadata"] == {"owner": "payments", "tier": 1}
        r = client.patch(url, json={"metadata": {"reviewer": "grace", "checks": {"pci": True}}}, headers=auth(engine, 1))
        assert r.status_code == 200, r.text
        assert r.headers["etag"].startswith('"2-')
        assert r.json()["metadata"] == {"owner": "payments", "tier": 1, "reviewer": "grace", "checks": {"pci": True}}
        with db.session(engine) as session:
            rev = session.execute(select(SpecRevision).where(SpecRevision.version == 2,
                                                             SpecRevision.entity_type == "contract")).scalar_one()
            assert rev.change == "annotated" and rev.actor == "api:dash" and "contract_metadata" in rev.changed_fields

        # The file changes: git's keys follow the file, the database's stay.
        repo.write("contracts/refunds.yaml", CONTRACT.replace("owner: payments", "owner: treasury"))
        repo.commit("owner")
        sync(repo.path, engine=engine, project="shop")
        body = client.get(url).json()
        assert body["metadata"] == {"owner": "treasury", "tier": 1, "reviewer": "grace", "checks": {"pci": True}}

        # null removes a database key; a key the file sets is refused and nothing changes.
        version = body["version"]
        r = client.patch(url, json={"metadata": {"checks": None}}, headers=auth(engine, version))
        assert r.status_code == 200 and "checks" not in r.json()["metadata"] and r.json()["version"] == version + 1
        refused = problem(client.patch(url, json={"metadata": {"owner": "me", "x": 1}},
                                       headers=auth(engine, version + 1)), 409)
        assert refused["fields"] == ["metadata.owner"] and refused["source_path"] == "contracts/refunds.yaml"
        assert "contracts/refunds.yaml" in refused["detail"] and "'owner'" in refused["detail"]
        assert client.get(url).json()["version"] == version + 1 and "x" not in client.get(url).json()["metadata"]

        problem(client.patch(url, json={"metadata": {"a": "nul\u0000"}}, headers=auth(engine, version + 1)), 422)
        problem(client.patch(url, json={"metadata": {"": 1}}, headers=auth(engine, version + 1)), 422)
        deep: Any = 1
        for _ in range(20):
            deep = [deep]
        problem(client.patch(url, json={"metadata": {"a": deep}}, headers=auth(engine, version + 1)), 422)
        problem(client.patch(url, json={"metadata": ["owner"]}, headers=auth(engine, version + 1)), 422)
        problem(client.patch(url, content=b"[" * 5000 + b"]" * 5000,
                             headers={**auth(engine, version + 1), "Content-Type": "application/json"}), 422)


def test_the_409_names_a_line_for_every_kind(repo: GitRepo, engine: Any) -> None:
    cases = {  # kind path, id, a git-owned field, what the named line starts with
        "adrs": ("ADR-0001", "status", "Accepted"),  # the value under "## Status"
        "contracts": ("CTR-0001", "title", "title:"),
        "features": ("FEAT-1", "name", "Feature:"),
        "scenarios": ("FEAT-1/SC-1", "title", "  Scenario:"),
        "step-definitions": ("features/steps/refunds.py::paid", "pattern", "@given("),
    }
    with api_client(engine, ApiSettings(repositories={"shop": str(repo.path)})) as client:
        for kind, (ident, field, starts) in cases.items():
            body = problem(client.patch(f"{API}/{kind}/{ident}", json={field: "x"}, headers=auth(engine, 1)), 409)
            lines = (repo.path / body["source_path"]).read_text().splitlines()
            assert body["line"] and lines[body["line"] - 1].startswith(starts), (kind, body)
            assert f"{body['source_path']}:{body['line']}" in body["detail"]
        body = problem(client.patch(f"{API}/contracts/CTR-0001", json={"metadata": {"tier": 2}},
                                    headers=auth(engine, 1)), 409)
        assert CONTRACT.splitlines()[body["line"] - 1] == "  tier: 1"
    # Without the repository, the database still knows the lines of scenarios and step definitions.
    with api_client(engine) as client:
        for kind in ("scenarios", "step-definitions"):
            ident, field, starts = cases[kind]
            body = problem(client.patch(f"{API}/{kind}/{ident}", json={field: "x"}, headers=auth(engine, 1)), 409)
            lines = (repo.path / body["source_path"]).read_text().splitlines()
            assert body["line"] and lines[body["line"] - 1].strip(), (kind, body)


def test_a_deleted_records_file_keys_stay_git_owned(repo: GitRepo, engine: Any) -> None:
    """A contract whose file was removed still has the keys its file set last: a PATCH of one is 409, not written
    (its deletion's revision, which holds no field, made every key the database's)."""
    repo.remove("contracts/refunds.yaml")
    repo.commit("remove the contract")
    sync(repo.path, engine=engine, project="shop")
    with api_client(engine) as client:
        url = f"{API}/contracts/CTR-0001"
        body = client.get(url).json()
        assert body["deleted_at"] is not None and body["metadata"] == {"owner": "payments", "tier": 1}
        refused = problem(client.patch(url, json={"metadata": {"owner": "me"}}, headers=auth(engine, body["version"])),
                          409)
        assert refused["fields"] == ["metadata.owner"]
        r = client.patch(url, json={"metadata": {"reviewer": "grace"}}, headers=auth(engine, body["version"]))
        assert r.status_code == 200, r.text
        assert r.json()["metadata"] == {"owner": "payments", "tier": 1, "reviewer": "grace"}
