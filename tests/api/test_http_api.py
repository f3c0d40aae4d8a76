"""The HTTP API through httpx (Starlette's TestClient) on SQLite and PostgreSQL: reads, pages and Link headers,
ETags, PATCH preconditions and tokens, problem+json errors, limits, CORS, and a complete OpenAPI document."""

from __future__ import annotations

import threading
import warnings
from collections.abc import Iterator

import pytest
from sample import sync_sample

from apikit import api_client, make_token
from conftest import GitRepo, sqlite_only
from tracertm import db, tokens
from tracertm.api import ApiSettings

with warnings.catch_warnings():
    warnings.simplefilter("ignore")
    from fastapi.testclient import TestClient

API = "/api/v1"
PROBLEM = "application/problem+json"


@pytest.fixture
def synced_url(git_repo: GitRepo, database_url: str) -> str:
    sync_sample(git_repo, database_url)
    return database_url


@pytest.fixture
def client(synced_url: str) -> Iterator[TestClient]:
    with api_client(synced_url) as test_client:
        yield test_client


def _problem(response, status: int) -> dict:  # type: ignore[no-untyped-def,type-arg]
    assert response.status_code == status, response.text
    assert response.headers["content-type"] == PROBLEM
    body = response.json()
    assert body["status"] == status and body["title"] and "Traceback" not in response.text
    return body  # type: ignore[no-any-return]


def test_projects_records_and_etags(client: TestClient) -> None:
    assert [p["name"] for p in client.get(f"{API}/projects").json()] == ["sample"]
    assert client.get(f"{API}/projects/sample").json()["name"] == "sample"
    r = client.get(f"{API}/adrs/ADR-3")
    assert r.status_code == 200 and r.headers["etag"].startswith('"1-')  # "<version>-<digest of the body>"
    body = r.json()
    assert (body["kind"], body["number"], body["project"], body["deleted"]) == ("adr", "ADR-0003", "sample", False)
    assert client.get(f"{API}/adrs/{body['id']}").json()["number"] == "ADR-0003"
    assert client.get(f"{API}/adrs/ADR-3", headers={"If-None-Match": r.headers["etag"]}).status_code == 304
    sc = client.get(f"{API}/scenarios/FEAT-2/SC-4").json()
    assert (sc["feature"], sc["number"]) == ("FEAT-2", "SC-4")
    history = client.get(f"{API}/scenarios/FEAT-2/SC-4/history").json()
    assert [(h["version"], h["change"]) for h in history] == [(1, "created")]
    at = client.get(f"{API}/adrs/ADR-0003/at/{history[0]['commit_sha']}").json()
    assert at["snapshot"]["title"] == body["title"]
    assert client.get(f"{API}/healthz").json() == {"status": "ok", "database": client.app.state.engine.dialect.name,
                                                   "schema_revision": db.SCHEMA_HEAD}
    runs = client.get(f"{API}/sync-runs").json()
    assert len(runs) == 1 and runs[0]["project"] == "sample" and runs[0]["status"] == "ok"
    # The counts per kind, as sync --format json gives them; not the digest of the settings it read (a key a
    # backfill reads, which leaked here as "read").
    assert set(runs[0]["counts"]) == {"adr", "contract", "feature", "scenario", "step_definition"}, runs[0]["counts"]
    _problem(client.get(f"{API}/adrs/ADR-99"), 404)
    _problem(client.get(f"{API}/projects/nope/adrs"), 404)
    _problem(client.get(f"{API}/adrs/ADR-3/at/0000000"), 404)


def test_pages_cursor_link_fields_and_count(client: TestClient) -> None:
    url = f"{API}/projects/sample/adrs?sort=-status,number&limit=3&fields=number,title,status&count=true"
    first = client.get(url)
    body = first.json()
    assert body["total"] == 8 and len(body["items"]) == 3
    assert set(body["items"][0]) == {"number", "title", "status"}
    seen = [i["number"] for i in body["items"]]
    link = first.headers["link"]
    assert link.endswith('>; rel="next"') and "cursor=" in link
    while "link" in first.headers:
        next_url = first.headers["link"].split(">")[0].lstrip("<")
        first = client.get(next_url)
        seen += [i["number"] for i in first.json()["items"]]
    full = client.get(f"{API}/projects/sample/adrs?sort=-status&sort=number&limit=500").json()
    assert seen == [i["number"] for i in full["items"]] and len(seen) == 8
    assert full["page"]["next"] is None
    approved = client.get(f"{API}/projects/sample/contracts", params={"status": "approved", "type": "database"})
    assert [c["number"] for c in approved.json()["items"]] == ["CTR-0002"]
    assert "CTR-0002" in [c["number"] for c in client.get(f"{API}/projects/sample/contracts?text=ledger").json()["items"]]
    _problem(client.get(f"{API}/projects/sample/adrs?fields=nope"), 400)
    _problem(client.get(f"{API}/projects/sample/adrs?sort=nope"), 400)
    _problem(client.get(f"{API}/projects/sample/adrs?cursor=garbage"), 400)
    _problem(client.get(f"{API}/projects/sample/adrs?limit=501"), 422)
    _problem(client.get(f"{API}/projects/sample/adrs?status=bogus"), 400)


def test_search_and_facets(client: TestClient) -> None:
    hits = client.get(f"{API}/search", params={"q": '"idempotency key"', "kind": "adrs"}).json()["hits"]
    assert [h["number"] for h in hits] == ["ADR-0005"] and "<mark>" in hits[0]["snippet"]
    facets = client.get(f"{API}/facets", params={"kind": "contracts"}).json()
    assert facets["total"] == 5 and sum(v["count"] for v in facets["facets"]["status"]) == 5
    _problem(client.get(f"{API}/search", params={"q": "-x"}), 400)
    _problem(client.get(f"{API}/facets", params={"kind": "gizmos"}), 400)
    # Facets count every matching record: an order or a page size, accepted and ignored, was a silent no-op.
    for extra in ({"limit": "1"}, {"sort": "-number"}):
        refused = client.get(f"{API}/facets", params={"kind": "contracts", **extra})
        assert _problem(refused, 400)["unknown"] == list(extra)
    assert client.get(f"{API}/facets", params={"kind": "contracts", "status": "draft,approved"}).status_code == 200


def test_patch_needs_a_write_token_and_if_match(client: TestClient, synced_url: str) -> None:
    write, read = make_token(synced_url), make_token(synced_url, "read")
    auth = {"Authorization": f"Bearer {write}"}
    body = {"compliance_score": 0.8}
    assert _problem(client.patch(f"{API}/adrs/ADR-3", json=body), 401)
    assert "Bearer" in client.patch(f"{API}/adrs/ADR-3", json=body).headers["www-authenticate"]
    _problem(client.patch(f"{API}/adrs/ADR-3", json=body, headers={"Authorization": "Bearer trtm_nope"}), 401)
    _problem(client.patch(f"{API}/adrs/ADR-3", json=body, headers={"Authorization": f"Bearer {read}"}), 403)
    response = client.patch(f"{API}/adrs/ADR-3", json=body, headers=auth)
    missing = _problem(response, 428)
    assert 'If-Match: "1"' in missing["detail"] and response.headers["cache-control"] == "no-store"
    owned = _problem(client.patch(f"{API}/adrs/ADR-3", json={"title": "x"}, headers={**auth, "If-Match": '"1"'}), 409)
    assert owned["fields"] == ["title"] and owned["source_path"].startswith("docs/adr/0003")
    assert owned["source_path"] in owned["detail"]
    _problem(client.patch(f"{API}/adrs/ADR-3", json={"compliance_score": "high"}, headers={**auth, "If-Match": '"1"'}), 422)
    _problem(client.patch(f"{API}/adrs/ADR-3", json={"nope": 1}, headers={**auth, "If-Match": '"1"'}), 422)
    _problem(client.patch(f"{API}/adrs/ADR-3", content=b"[1]", headers={**auth, "If-Match": '"1"',
                                                                      "Content-Type": "application/json"}), 422)
    _problem(client.patch(f"{API}/adrs/ADR-3", content=b"x=1", headers={**auth, "If-Match": '"1"',
                                                                      "Content-Type": "text/plain"}), 415)
    ok = client.patch(f"{API}/adrs/ADR-3", json=body, headers={**auth, "If-Match": '"1"'})
    assert ok.status_code == 200 and ok.headers["etag"].startswith('"2-') and ok.json()["compliance_score"] == 0.8
    stale = _problem(client.patch(f"{API}/adrs/ADR-3", json=body, headers={**auth, "If-Match": '"1"'}), 412)
    assert stale["current_version"] == 2
    _problem(client.patch(f"{API}/adrs/ADR-3", json=body, headers={**auth, "If-Match": 'W/"2"'}), 412)
    assert client.get(f"{API}/adrs/ADR-3").json()["compliance_score"] == 0.8


def test_two_patches_with_the_same_etag_give_exactly_one_412(client: TestClient, synced_url: str) -> None:
    auth = {"Authorization": f"Bearer {make_token(synced_url)}", "If-Match": '"1"'}
    barrier = threading.Barrier(2)
    statuses: list[int] = []

    def patch(score: float) -> None:
        barrier.wait()
        statuses.append(client.patch(f"{API}/scenarios/FEAT-1/SC-1", json={"pass_rate": score}, headers=auth).status_code)

    threads = [threading.Thread(target=patch, args=(s,)) for s in (0.5, 0.9)]
    for t in threads:
        t.start()
    for t in threads:
        t.join()
    assert sorted(statuses) == [200, 412]
    after = client.get(f"{API}/scenarios/FEAT-1/SC-1")
    assert after.headers["etag"].startswith('"2-') and after.json()["pass_rate"] in (0.5, 0.9)


def test_a_patch_writes_one_annotated_revision(client: TestClient, synced_url: str) -> None:
    auth = {"Authorization": f"Bearer {make_token(synced_url, label='test-write')}", "If-Match": '"1"'}
    assert client.patch(f"{API}/adrs/ADR-1", json={"approved_by": "Grace"}, headers=auth).status_code == 200
    history = client.get(f"{API}/adrs/ADR-1/history").json()
    assert [(h["version"], h["change"]) for h in history] == [(1, "created"), (2, "annotated")]
    assert (history[1]["actor"], history[1]["changed_fields"]) == ("api:test-write", ["approved_by"])
    # A PATCH that changes nothing is no new version and no revision.
    same = client.patch(f"{API}/adrs/ADR-1", json={"approved_by": "Grace"}, headers={**auth, "If-Match": '"2"'})
    assert same.status_code == 200 and same.headers["etag"].startswith('"2-')
    assert len(client.get(f"{API}/adrs/ADR-1/history").json()) == 2


def test_limits_cors_and_read_tokens(synced_url: str) -> None:
    with api_client(synced_url, ApiSettings(max_body_bytes=100)) as client:
        auth = {"Authorization": f"Bearer {make_token(synced_url)}", "If-Match": '"1"'}
        _problem(client.patch(f"{API}/adrs/ADR-1", json={"approved_by": "x" * 200}, headers=auth), 413)

        def chunks() -> Iterator[bytes]:
            yield b'{"approved_by": "'
            yield b"y" * 200
            yield b'"}'

        _problem(client.patch(f"{API}/adrs/ADR-1", content=chunks(),
                              headers={**auth, "Content-Type": "application/json"}), 413)
        _problem(client.get(f"{API}/projects/sample/adrs?text=a%00b"), 400)
        r = client.get(f"{API}/projects", headers={"Origin": "https://evil.example"})
        assert "access-control-allow-origin" not in r.headers, "no CORS unless configured"
    settings = ApiSettings(cors_origins=("https://dash.example",), read_token_required=True)
    with api_client(synced_url, settings) as client:
        _problem(client.get(f"{API}/projects"), 401)
        read = {"Authorization": f"Bearer {make_token(synced_url, 'read')}", "Origin": "https://dash.example"}
        r = client.get(f"{API}/projects", headers=read)
        assert r.status_code == 200 and r.headers["access-control-allow-origin"] == "https://dash.example"


def test_an_unreachable_database_is_a_503_problem_without_a_traceback(client: TestClient) -> None:
    client.app.state.engine.dispose()
    client.app.state.engine = db.make_engine("postgresql+psycopg://nobody:secret@127.0.0.1:1/nothing")
    client.app.state.read_engine = db.snapshot_reads(client.app.state.engine)  # (as create_app derives it)
    body = _problem(client.get(f"{API}/projects"), 503)
    assert "secret" not in str(body) and "127.0.0.1" not in str(body)


# The document does not depend on the database: SQLite only.
@sqlite_only
def test_openapi_documents_every_route_and_error(client: TestClient) -> None:
    spec = client.get("/openapi.json").json()
    paths = spec["paths"]
    for plural in ("adrs", "contracts", "features", "scenarios", "step-definitions", "test-cases"):
        assert f"{API}/projects/{{project}}/{plural}" in paths
        assert "patch" in paths[f"{API}/{plural}/{{ident}}"]
    patch = paths[f"{API}/adrs/{{ident}}"]["patch"]
    assert {"401", "403", "404", "409", "412", "413", "422", "428"} <= set(patch["responses"])
    assert patch["requestBody"]["content"]["application/json"]["schema"]["title"] == "ADRUpdate"
    assert "title" not in patch["requestBody"]["content"]["application/json"]["schema"]["properties"]
    listing = paths[f"{API}/projects/{{project}}/adrs"]["get"]
    names = {p["name"] for p in listing["parameters"]}
    assert {"status", "tag", "any_tag", "text", "changed_since", "path", "sort", "limit", "cursor", "fields"} <= names
    assert "bearer" in str(spec["components"]["securitySchemes"]).lower() or "HTTPBearer" in spec["components"][
        "securitySchemes"]


def test_records_git_does_not_own_can_be_soft_deleted_and_restored(client: TestClient, synced_url: str) -> None:
    from tracertm.models import Project, TestCase

    engine = db.make_engine(synced_url)
    with db.session(engine) as session, session.begin():
        project = session.query(Project).one()
        session.add(TestCase(project_id=project.id, test_case_number="TC-1", title="Pays once"))
    engine.dispose()
    write = make_token(synced_url)
    auth = {"Authorization": f"Bearer {write}"}
    _problem(client.delete(f"{API}/test-cases/TC-1", headers=auth), 428)
    gone = client.delete(f"{API}/test-cases/TC-1", headers={**auth, "If-Match": '"1"'})
    assert gone.status_code == 200 and gone.json()["deleted"] is True and gone.headers["etag"].startswith('"2-')
    assert client.get(f"{API}/projects/sample/test-cases").json()["items"] == []
    assert len(client.get(f"{API}/projects/sample/test-cases?include_deleted=true").json()["items"]) == 1
    _problem(client.post(f"{API}/test-cases/TC-1/restore", headers={**auth, "If-Match": '"1"'}), 412)
    back = client.post(f"{API}/test-cases/TC-1/restore", headers={**auth, "If-Match": '"2"'})
    assert back.status_code == 200 and back.json()["deleted"] is False
    # Records synced from files are deleted in git, not over HTTP.
    _problem(client.delete(f"{API}/adrs/ADR-1", headers={**auth, "If-Match": '"1"'}), 405)
    listed = client.get(f"{API}/projects", headers=auth)
    assert listed.status_code == 200
    with db.session(client.app.state.engine) as session:
        used = tokens.verify(session, write)
        assert used is not None and used.last_used_at is not None


def test_a_git_owned_field_names_the_line_to_edit(synced_url: str, git_repo: GitRepo) -> None:
    with api_client(synced_url, ApiSettings(repositories={"sample": str(git_repo.path)})) as client:
        auth = {"Authorization": f"Bearer {make_token(synced_url)}", "If-Match": '"1"'}
        body = _problem(client.patch(f"{API}/contracts/CTR-0002", json={"contract_type": "service"}, headers=auth), 409)
        text = (git_repo.path / body["source_path"]).read_text(encoding="utf-8").splitlines()
        assert text[body["line"] - 1].startswith("type:")
        assert f"{body['source_path']}:{body['line']}" in body["detail"]
