"""A review names the version of the link's target the reviewer read; after a database-side (``annotated``) edit
of the target (an API PATCH of ``approved_by``) that is the version ``show`` and the target's ETag give, one past
the content version the link records (annotated edits make no link suspect, so never move it). Reviewing with the
target's current version holds (``review --version N``, ``PATCH``/``POST .../links`` with ``If-Match``), so does one
naming a version of the same content; an older one is refused naming the current version, the one a user can read,
and the link's ETag carries it too (README: "Suspect links", the traceability routes). SQLite and PostgreSQL, a real
git repository and the real HTTP app."""

from __future__ import annotations

import warnings
from collections.abc import Iterator
from typing import Any

import pytest

from apikit import api_client, make_token
from conftest import GitRepo
from test_review_version import change_adr3, problem, run
from test_trace_links import links, seed
from tracertm import db
from tracertm.engine.sync import sync

with warnings.catch_warnings():
    warnings.simplefilter("ignore")
    from fastapi.testclient import TestClient

API = "/api/v1/projects/refunds"
ADR = "/api/v1/adrs/ADR-0003"
KEY = ("FEAT-1/SC-1", "implements", "ADR-0003")
OTHER = ("CTR-0001", "implements", "ADR-0003")


def approve(client: TestClient, engine: Any) -> str:
    """ADR-0003, at content version 2, approved through the API: version 3, an ``annotated`` revision. Returns the
    ADR's ETag afterwards."""
    headers = {"Authorization": f"Bearer {make_token(engine, 'write', 'dash')}", "If-Match": '"2"'}
    r = client.patch(ADR, params={"project": "refunds"}, json={"approved_by": "Hedy"}, headers=headers)
    assert r.status_code == 200 and r.json()["version"] == 3, r.text
    tag = client.get(ADR, params={"project": "refunds"}).headers["ETag"]
    assert tag.startswith('"3-')
    return str(tag)


@pytest.fixture
def app(git_repo: GitRepo, engine: Any) -> Iterator[tuple[TestClient, Any]]:
    seed(git_repo)
    sync(git_repo.path, engine=engine, project="refunds")
    change_adr3(git_repo, engine, "Kafka it is.")  # ADR-0003 v2 (content): its incoming links suspect
    with api_client(engine) as client:
        yield client, engine


def test_api_reviews_with_the_version_the_target_shows(app: tuple[TestClient, Any]) -> None:
    client, engine = app
    adr_tag = approve(client, engine)
    assert (links(engine)[KEY]["target_version"], links(engine)[KEY]["reviewed_version"]) == (2, 1)  # still suspect
    number = links(engine)[KEY]["id"]
    url = f"{API}/links/{number}"
    grace = {"Authorization": f"Bearer {make_token(engine, 'write', 'grace')}"}

    read = client.get(url)
    assert read.status_code == 200 and read.headers["ETag"].startswith('"3-')  # the ADR's version, as its own ETag
    assert read.json()["target_version"] == 2  # the content version the link follows (schema: as sync saw it)
    assert client.get(url, headers={"If-Match": '"2"'}).status_code == 200  # the same content
    assert problem(client.get(url, headers={"If-Match": '"1"'}), 412)["current_version"] == 3

    required = problem(client.patch(url, json={"reviewed": True}, headers=grace), 428)
    assert 'If-Match: "3"' in required["detail"]
    stale = problem(client.patch(url, json={"reviewed": True}, headers={**grace, "If-Match": '"1"'}), 412)
    assert stale["current_version"] == 3
    assert ("version 3 of ADR-0003 (the same content since version 2), not 1" in stale["detail"]
            and 'review again with If-Match: "3"' in stale["detail"])
    assert links(engine)[KEY]["reviewed_version"] == 1  # nothing written

    ok = client.patch(url, json={"reviewed": True}, headers={**grace, "If-Match": adr_tag})  # the target's ETag
    assert ok.status_code == 200, ok.text
    assert (ok.json()["state"], ok.json()["reviewed_version"], ok.json()["reviewed_by"]) == ("ok", 2, "api:grace")

    # The record's other link, reviewed with the version the ADR shows: all or nothing, and it holds.
    done = client.post(f"{API}/links/review", json={"source": "ADR-0003"}, headers={**grace, "If-Match": '"3"'})
    assert done.status_code == 200, done.text
    assert [x["source"]["id"] for x in done.json()["reviewed"]] == ["CTR-0001"]
    assert links(engine)[OTHER]["reviewed_version"] == 2


def test_cli_review_version_after_an_annotated_edit(
    git_repo: GitRepo, database_url: str, capsys: pytest.CaptureFixture[str]
) -> None:
    seed(git_repo)
    common = ["--database-url", database_url, "--path", str(git_repo.path), "--project", "refunds"]
    engine = db.make_engine(database_url)
    try:
        sync(git_repo.path, engine=engine, project="refunds")
        change_adr3(git_repo, engine, "Kafka it is.")
        with api_client(engine) as client:
            approve(client, engine)
        number = links(engine)[KEY]["id"]

        code, out, err = run(capsys, "review", f"#{number}", "--version", "1", *common)
        assert code == 2 and out == "" and len(err.strip().splitlines()) == 1, err
        assert ("points at version 3 of ADR-0003 (the same content since version 2), not 1; re-read ADR-0003 "
                "(version 3), then review again with --version 3") in err
        assert links(engine)[KEY]["reviewed_version"] == 1
        # The version named is the one show gives; status names the one the content changed at, not "now".
        code, out, _ = run(capsys, "status", *common)
        assert code == 0 and "FEAT-1/SC-1 implements ADR-0003 (suspect: reviewed at v1, changed at v2)" in out
        code, out, _ = run(capsys, "show", "ADR-0003", *common)
        assert code == 0 and "version: 3 " in out

        code, out, err = run(capsys, "review", f"#{number}", "--version", "3", "--by", "Grace", *common)
        assert code == 0, err
        assert out.strip() == "reviewed FEAT-1/SC-1 implements ADR-0003 (suspect: reviewed at v1, changed at v2)"
        assert (links(engine)[KEY]["reviewed_version"], links(engine)[KEY]["reviewed_by"]) == (2, "Grace")
        # The version its content is from holds as well: the reviewer read the same text.
        code, _, err = run(capsys, "review", "ADR-0003", "--version", "2", *common)
        assert code == 0, err
        assert links(engine)[OTHER]["reviewed_version"] == 2
    finally:
        engine.dispose()
