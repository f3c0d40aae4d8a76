"""A step definition's short id ``STEP-n`` in the API, and ``show STEP-n --format json`` agreeing with the API.

The audit found that no API field (record or list) showed ``STEP-n`` although the API accepted it as an id, and that
``show STEP-n --format json`` replaced ``id`` (the API's UUID) with ``STEP-n`` (the UUID moved to ``uuid``). Now the
record carries ``short_id`` in the API (single, list, PATCH answer, OpenAPI schema) and the CLI's JSON is the API's
record plus ``used_by``; the text of ``show`` still leads with ``id: STEP-n``.
"""

from __future__ import annotations

import json
import uuid
import warnings
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import httpx
import pytest

from apikit import api_client, make_token
from conftest import GitRepo, init_repo, run_cli
from tracertm.engine.sync import sync

with warnings.catch_warnings():
    warnings.simplefilter("ignore")
    from fastapi.testclient import TestClient

API = "/api/v1"
STEPS = ("from behave import given, when, then\n\n"
         "@given('a card')\ndef step_card(context):\n    pass\n\n"
         "@when('I pay')\ndef step_pay(context):\n    pass\n")
MORE = "\n@then('it is paid')\ndef step_paid(context):\n    pass\n"
FEATURE = "@FEAT-1\nFeature: pay\n  @SC-1\n  Scenario: s\n    Given a card\n    When I pay\n"


@pytest.fixture
def client(engine: Any) -> Iterator[TestClient]:
    with api_client(engine) as test_client:
        yield test_client


def ok(response: httpx.Response) -> httpx.Response:
    assert response.status_code == 200, (response.request.url, response.status_code, response.text[:300])
    return response


def synced(repo: GitRepo, engine: Any, message: str) -> None:
    repo.commit(message)
    result = sync(repo.path, engine=engine, project="pay", ref="HEAD")
    assert not result.errors, result.errors


def cli_show(repo: GitRepo, database_url: str, ident: str, *extra: str) -> str:
    shown = run_cli("show", ident, "--path", str(repo.path), "--database-url", database_url, "--project", "pay",
                    *extra)
    assert shown.returncode == 0, shown.stderr
    return shown.stdout


def test_the_api_shows_step_n_and_the_cli_json_is_the_api_record_plus_used_by(
    tmp_path: Path, engine: Any, database_url: str, client: TestClient
) -> None:
    repo = init_repo(tmp_path / "repo")
    repo.write("features/steps/pay_steps.py", STEPS)
    repo.write("features/pay.feature", FEATURE)
    synced(repo, engine, "two definitions")
    repo.write("features/steps/pay_steps.py", STEPS + MORE)
    synced(repo, engine, "a third, synced later")

    identity = "features/steps/pay_steps.py::step_card"
    record = ok(client.get(f"{API}/step-definitions/STEP-1", params={"project": "pay"})).json()
    assert record["short_id"] == "STEP-1" and record["number"] == identity
    uuid.UUID(record["id"])  # ``id`` stays the UUID
    for ident in (record["id"], identity.replace("/", "%2F"), "step-1"):
        assert ok(client.get(f"{API}/step-definitions/{ident}")).json() == record

    # The list page carries the same short ids, page after page (numbered in the page's own query).
    items: list[dict[str, Any]] = []
    params: dict[str, Any] | None = {"limit": 1}
    while params:
        page = ok(client.get(f"{API}/projects/pay/step-definitions", params=params)).json()
        items += page["items"]
        params = {"cursor": page["page"]["next"], "limit": 1} if page["page"]["next"] else None
    assert len(items) == 3
    assert {i["number"].split("::")[1]: i["short_id"] for i in items} == {
        "step_card": "STEP-1", "step_pay": "STEP-2", "step_paid": "STEP-3"}
    only = ok(client.get(f"{API}/projects/pay/step-definitions", params={"fields": "short_id,number"})).json()
    assert sorted(i["short_id"] for i in only["items"]) == ["STEP-1", "STEP-2", "STEP-3"]
    assert all(set(i) == {"short_id", "number"} for i in only["items"])

    # The CLI's JSON is the API's record (same ``id``, same ``short_id``) plus the keys it serves elsewhere.
    for item in items:
        shown = json.loads(cli_show(repo, database_url, item["short_id"], "--format", "json"))
        used_by = shown.pop("used_by")
        links = shown.pop("links")  # (every kind's ``show`` has them: the ``-step->`` links into the definition)
        assert len(links["incoming"]) == len(used_by) and links["outgoing"] == []
        assert shown == ok(client.get(f"{API}/step-definitions/{item['short_id']}?project=pay")).json()
        assert shown == item  # a list item is the whole record too
        assert [u["text"] for u in used_by] == ([] if item["short_id"] == "STEP-3"
                                                else ["a card" if item["short_id"] == "STEP-1" else "I pay"])

    # The text of ``show`` stays as documented: the short id as ``id``, the UUID next.
    text = cli_show(repo, database_url, "STEP-1").splitlines()
    assert text[:3] == ["id: STEP-1", f"uuid: {record['id']}", "kind: step_definition"], text[:3]
    assert not any(line.startswith("short_id:") for line in text)

    # A deleted definition keeps its number (and shows it with include_deleted); the others keep theirs.
    repo.write("features/steps/pay_steps.py", STEPS.replace(
        "@when('I pay')\ndef step_pay(context):\n    pass\n", "") + MORE)
    synced(repo, engine, "step_pay removed")
    listed = ok(client.get(f"{API}/projects/pay/step-definitions", params={"include_deleted": "true"})).json()
    assert {i["number"].split("::")[1]: (i["short_id"], i["deleted"]) for i in listed["items"]} == {
        "step_card": ("STEP-1", False), "step_pay": ("STEP-2", True), "step_paid": ("STEP-3", False)}
    assert ok(client.get(f"{API}/step-definitions/STEP-3")).json()["number"].endswith("::step_paid")

    # A write answers with the record as a GET shows it, short id included.
    token = make_token(engine)
    patched = client.patch(f"{API}/step-definitions/STEP-1", json={"last_used_at": "2024-05-01T00:00:00Z"},
                           headers={"Authorization": f"Bearer {token}", "If-Match": '"1"'})
    assert patched.status_code == 200, patched.text
    assert patched.json()["short_id"] == "STEP-1" and patched.json() == ok(client.get(
        f"{API}/step-definitions/STEP-1")).json()

    # A number no integer column holds names nothing (404), it does not overflow the query (500).
    huge = client.get(f"{API}/step-definitions/STEP-{10**30}")
    assert huge.status_code == 404, huge.text


def test_the_openapi_schema_documents_short_id(engine: Any, client: TestClient) -> None:
    spec = ok(client.get("/openapi.json")).json()
    field = spec["components"]["schemas"]["StepDefinitionRead"]["properties"]["short_id"]
    assert "STEP-n" in field["description"], field
    assert "short_id" in spec["components"]["schemas"]["StepDefinitionItem"]["properties"]
    assert "short_id" not in spec["components"]["schemas"]["ADRRead"]["properties"]
