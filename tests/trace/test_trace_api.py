"""Traceability over HTTP (httpx against the app, SQLite and PostgreSQL): the matrix, coverage, link pages and the
graph agree with the CLI's JSON; reviews through PATCH and POST record who and when like ``tracertm review``, and
every error is problem+json."""

from __future__ import annotations

import json
import uuid
import warnings
from collections.abc import Iterator
from typing import Any

import pytest

from apikit import api_client, make_token
from conftest import GitRepo
from specs import adr
from test_trace_links import FEATURE, links, seed
from tracertm.cli import main
from tracertm.engine.sync import sync

with warnings.catch_warnings():
    warnings.simplefilter("ignore")
    from fastapi.testclient import TestClient

API = "/api/v1/projects/refunds"
PROBLEM = "application/problem+json"


@pytest.fixture
def app(git_repo: GitRepo, engine: Any) -> Iterator[tuple[TestClient, GitRepo, Any]]:
    seed(git_repo)
    git_repo.write("features/other.feature", "@FEAT-2\nFeature: Other\n\n  @SC-1 @ADR-0042\n  Scenario: x\n    Given y\n")
    git_repo.commit("other")
    sync(git_repo.path, engine=engine, project="refunds")
    with api_client(engine) as client:
        yield client, git_repo, engine


def change_adr3(repo: GitRepo, engine: Any) -> None:
    repo.write("docs/adr/0003-use-queues.md", adr(3, "Use queues", decision="Kafka it is.", extra="\nSee ADR-0002.\n"))
    repo.commit("kafka")
    sync(repo.path, engine=engine, project="refunds")


def token(engine: Any, scope: str = "write", label: str = "grace") -> str:
    return make_token(engine, scope, label)


def problem(response: Any, status: int) -> dict[str, Any]:
    assert response.status_code == status, response.text
    assert response.headers["content-type"] == PROBLEM and "Traceback" not in response.text
    body: dict[str, Any] = response.json()
    assert body["status"] == status and body.get("detail")
    return body


def cli_json(capsys: pytest.CaptureFixture[str], *argv: str) -> Any:
    code = main(list(argv))
    out, err = capsys.readouterr()
    assert code == 0, err
    return json.loads(out)


def test_matrix_coverage_and_trace_are_the_json_twins_of_the_cli(
    app: tuple[TestClient, GitRepo, Any], database_url: str, capsys: pytest.CaptureFixture[str]
) -> None:
    client, repo, _ = app
    common = ["--database-url", database_url, "--project", "refunds"]
    for origin in ("requirements", "adrs"):
        body = client.get(f"{API}/matrix", params={"from": origin}).json()
        assert body == cli_json(capsys, "matrix", "--from", origin, "--format", "json", *common)
    adrs = {r["id"]: r for r in client.get(f"{API}/matrix?from=adrs").json()["rows"]}
    assert adrs["ADR-0042"]["state"] == "orphaned" and adrs["ADR-0003"]["scenarios"] == [
        {"id": "FEAT-1/SC-1", "result": None}]
    assert client.get(f"{API}/matrix").json()["from"] == "requirements"

    summary = client.get(f"{API}/coverage").json()
    assert summary["project"] == "refunds"
    assert summary["adrs"] == {"total": 4, "states": {"orphaned": 1, "uncovered": 1, "failing": 0, "suspect": 0,
                                                      "not executed": 2, "covered": 0}}
    assert summary["requirements"]["total"] == 4
    every = cli_json(capsys, "status", "--format", "json", "--path", str(repo.path), *common)["links"]
    assert summary["links"]["total"] == every["total"] and summary["links"]["dangling"] == every["dangling"] == 1
    assert summary["links"]["by_type"]["implements"] == 7

    graph = client.get(f"{API}/trace/FEAT-1/SC-1", params={"depth": 1}).json()
    assert graph == cli_json(capsys, "trace", "FEAT-1/SC-1", "--depth", "1", "--format", "json", *common)
    assert ("scenario:FEAT-1/SC-1", "implements", "adr:ADR-0003") in {
        (e["source"], e["type"], e["target"]) for e in graph["edges"]}
    assert client.get(f"{API}/trace/REQ-7?depth=0").json()["nodes"] == [
        {"id": "requirement:REQ-7", "kind": "requirement", "ref": "REQ-7", "title": None, "missing": False,
         "depth": 0, "dangling": None}]

    problem(client.get(f"{API}/trace/NOPE-1"), 404)  # an unknown id, as for a record
    problem(client.get(f"{API}/trace/ADR-0003?depth=11"), 422)
    problem(client.get(f"{API}/matrix?from=features"), 422)
    problem(client.get("/api/v1/projects/nope/matrix"), 404)
    problem(client.get("/api/v1/projects/nope/coverage"), 404)


def test_links_filters_and_keyset_pages(app: tuple[TestClient, GitRepo, Any]) -> None:
    client, repo, engine = app
    change_adr3(repo, engine)
    every = client.get(f"{API}/links", params={"limit": 500}).json()
    numbers = [x["id"] for x in every["items"]]
    assert numbers == sorted(numbers) and len(numbers) == len(links(engine)) and every["page"]["next"] is None

    # Pages of 3 through the Link header give the same links, each once, in order.
    seen: list[int] = []
    response = client.get(f"{API}/links?limit=3")
    while True:
        body = response.json()
        seen += [x["id"] for x in body["items"]]
        if "link" not in response.headers:
            assert body["page"]["next"] is None
            break
        assert body["page"]["next"] and response.headers["link"].endswith('>; rel="next"')
        response = client.get(response.headers["link"].split(">")[0].lstrip("<"))
    assert seen == numbers

    suspect = client.get(f"{API}/links?suspect=true").json()["items"]
    assert sorted((x["source"]["id"], x["target"]["id"], x["state"]) for x in suspect) == [
        ("CTR-0001", "ADR-0003", "suspect"), ("FEAT-1/SC-1", "ADR-0003", "suspect")]
    assert suspect[0]["target_version"] == 2 and suspect[0]["reviewed_version"] == 1
    assert client.get(f"{API}/links/{suspect[0]['id']}").json() == suspect[0]
    problem(client.get(f"{API}/links/999999"), 404)
    problem(client.get(f"{API}/links/0"), 404)  # no link can have it: an unknown link (test_link_number_range)
    assert all(x["state"] != "suspect" for x in client.get(f"{API}/links?suspect=false&limit=500").json()["items"])
    dangling = client.get(f"{API}/links?dangling=true").json()["items"]
    assert [(x["source"]["id"], x["target"]["id"]) for x in dangling] == [("FEAT-2/SC-1", "ADR-0042")]
    covers = client.get(f"{API}/links", params={"type": "covers,supersedes", "limit": 500}).json()["items"]
    assert {x["type"] for x in covers} == {"covers", "supersedes"}
    from_sc2 = client.get(f"{API}/links", params={"source": "FEAT-1/SC-2"}).json()["items"]
    assert {x["target"]["id"] for x in from_sc2} == {"ADR-0001", "REQ-7", "REQ-9", "REQ-10"}
    to_adr3 = client.get(f"{API}/links", params={"target": "ADR-3", "suspect": "true"}).json()["items"]
    assert len(to_adr3) == 2
    assert all(x["source"]["path"] and x["source"]["line"] >= 1 for x in every["items"])

    problem(client.get(f"{API}/links?type=owns"), 400)
    problem(client.get(f"{API}/links?cursor=garbage"), 400)
    import base64

    project_id = client.get("/api/v1/projects/refunds").json()["id"]
    for forged in ({"v": 1, "p": "x", "q": {}, "a": 1}, {"v": 1, "p": str(uuid.uuid4()), "q": {}, "a": 1},
                   {"v": 1, "p": project_id, "q": {}, "a": 2**70}, {"v": 1, "p": project_id, "q": {}, "a": -1},
                   {"v": 1, "p": project_id, "q": {"s": "yes"}, "a": 1}):
        cursor = base64.urlsafe_b64encode(json.dumps(forged).encode()).decode().rstrip("=")
        problem(client.get(f"{API}/links", params={"cursor": cursor}), 400)
    problem(client.get(f"{API}/links?source=ADR-0999"), 404)
    problem(client.get(f"{API}/links?limit=0"), 422)
    other = client.get("/api/v1/projects/nope/links")
    problem(other, 404)


def test_review_one_link_through_patch_records_who_and_when(app: tuple[TestClient, GitRepo, Any]) -> None:
    client, repo, engine = app
    change_adr3(repo, engine)
    suspect = {x["source"]["id"]: x for x in client.get(f"{API}/links?suspect=true").json()["items"]}
    number = suspect["FEAT-1/SC-1"]["id"]
    url = f"{API}/links/{number}"
    auth = {"Authorization": f"Bearer {token(engine)}"}

    problem(client.patch(url, json={"reviewed": True}), 401)
    problem(client.patch(url, json={"reviewed": True}, headers={"Authorization": f"Bearer {token(engine, 'read')}"}),
            403)
    problem(client.patch(url, json={"reviewed": False}, headers=auth), 422)
    problem(client.patch(url, json={"reviewed": True, "reviewed_by": "me"}, headers=auth), 422)
    problem(client.patch(url, content=b"{not json", headers={**auth, "Content-Type": "application/json"}), 422)
    assert links(engine)[("FEAT-1/SC-1", "implements", "ADR-0003")]["reviewed_version"] == 1  # refused: unchanged

    r = client.patch(url, json={"reviewed": True}, headers={**auth, "If-Match": '"2"'})
    assert r.status_code == 200, r.text
    body = r.json()
    assert (body["state"], body["reviewed_version"], body["reviewed_by"]) == ("ok", 2, "api:grace")
    row = links(engine)[("FEAT-1/SC-1", "implements", "ADR-0003")]
    assert (row["reviewed_version"], row["reviewed_by"]) == (2, "api:grace") and row["reviewed_at"] is not None
    # Again: nothing to review, nothing changes (idempotent), same answer.
    again = client.patch(url, json={"reviewed": True}, headers={**auth, "If-Match": '"2"'}).json()
    assert again == body
    # The other suspect link is untouched; the CLI sees the review.
    assert [x["source"]["id"] for x in client.get(f"{API}/links?suspect=true").json()["items"]] == ["CTR-0001"]

    dangling = client.get(f"{API}/links?dangling=true").json()["items"][0]
    conflict = problem(client.patch(f"{API}/links/{dangling['id']}", json={"reviewed": True}, headers=auth), 409)
    assert "features/other.feature:" in conflict["detail"] and "ADR-0042" in conflict["detail"]
    problem(client.patch(f"{API}/links/999999", json={"reviewed": True}, headers=auth), 404)
    problem(client.patch(f"/api/v1/projects/nope/links/{number}", json={"reviewed": True}, headers=auth), 404)
    # Not a link number: no such link, as for an unknown number (tests/api/test_route_shapes.py).
    problem(client.patch(f"{API}/links/abc", json={"reviewed": True}, headers=auth), 404)


def test_review_by_source_or_all_through_post(app: tuple[TestClient, GitRepo, Any]) -> None:
    client, repo, engine = app
    change_adr3(repo, engine)
    url = f"{API}/links/review"
    auth = {"Authorization": f"Bearer {token(engine, label='ci')}"}
    problem(client.post(url, json={"all": True}), 401)
    problem(client.post(url, json={}, headers=auth), 422)
    problem(client.post(url, json={"source": "FEAT-1/SC-1", "all": True}, headers=auth), 422)
    problem(client.post(url, json={"source": "ADR-0999"}, headers=auth), 404)

    r = client.post(url, json={"source": "FEAT-1/SC-1"}, headers=auth)
    assert r.status_code == 200, r.text
    body = r.json()
    assert body["reviewed_by"] == "api:ci"
    assert [(x["source"]["id"], x["state"]) for x in body["reviewed"]] == [("FEAT-1/SC-1", "suspect")]
    r = client.post(url, json={"all": True}, headers=auth).json()
    assert [x["source"]["id"] for x in r["reviewed"]] == ["CTR-0001"]
    assert client.post(url, json={"all": True}, headers=auth).json()["reviewed"] == []
    assert all(x["reviewed_by"] == "api:ci" for k, x in links(engine).items() if k[2] == "ADR-0003")
    assert client.get(f"{API}/coverage").json()["links"]["suspect"] == 0


def test_the_openapi_document_lists_the_traceability_routes(app: tuple[TestClient, GitRepo, Any]) -> None:
    client, _, _ = app
    paths = client.get("/openapi.json").json()["paths"]
    base = "/api/v1/projects/{project}"
    assert {"get"} <= set(paths[f"{base}/matrix"]) and {"get"} <= set(paths[f"{base}/coverage"])
    assert "get" in paths[f"{base}/links"] and "patch" in paths[f"{base}/links/{{link_id}}"]
    assert "post" in paths[f"{base}/links/review"] and "get" in paths[f"{base}/trace/{{ident}}"]
    patch = paths[f"{base}/links/{{link_id}}"]["patch"]
    assert {"401", "403", "404", "409", "422"} <= set(patch["responses"])
    assert FEATURE  # the seed's feature, shared with the link tests
