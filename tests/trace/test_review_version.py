"""A link review claims the version of the target the reviewer read, so it takes the optimistic lock of every
database-side edit (README: ETags, If-Match): ``PATCH .../links/N`` needs ``If-Match`` (428 without, 412 with
``current_version`` when the target has moved on), ``POST .../links/review`` takes one optionally, and ``tracertm
review --version N`` refuses (exit 2, one line, nothing written) a link whose target is at another version.
SQLite and PostgreSQL."""

from __future__ import annotations

import json
import warnings
from collections.abc import Iterator
from typing import Any

import pytest

from apikit import api_client, make_token
from conftest import GitRepo
from specs import adr
from test_trace_links import links, seed
from tracertm import db
from tracertm.cli import main
from tracertm.engine.sync import sync

with warnings.catch_warnings():
    warnings.simplefilter("ignore")
    from fastapi.testclient import TestClient

API = "/api/v1/projects/refunds"
KEY = ("FEAT-1/SC-1", "implements", "ADR-0003")


def change_adr3(repo: GitRepo, engine: Any, decision: str, project: str = "refunds") -> None:
    """A new content version of ADR-0003: its incoming links become suspect."""
    repo.write("docs/adr/0003-use-queues.md", adr(3, "Use queues", decision=decision, extra="\nSee ADR-0002.\n"))
    repo.commit(decision)
    sync(repo.path, engine=engine, project=project)


@pytest.fixture
def app(git_repo: GitRepo, engine: Any) -> Iterator[tuple[TestClient, GitRepo, Any]]:
    seed(git_repo)
    sync(git_repo.path, engine=engine, project="refunds")
    change_adr3(git_repo, engine, "Kafka it is.")  # ADR-0003 v2: FEAT-1/SC-1 → ADR-0003 suspect (reviewed at v1)
    with api_client(engine) as client:
        yield client, git_repo, engine


def auth(engine: Any, label: str) -> dict[str, str]:
    return {"Authorization": f"Bearer {make_token(engine, 'write', label)}"}


def problem(response: Any, status: int) -> dict[str, Any]:
    assert response.status_code == status, response.text
    assert response.headers["content-type"] == "application/problem+json" and "Traceback" not in response.text
    body: dict[str, Any] = response.json()
    return body


def test_patch_needs_if_match_and_refuses_a_version_nobody_read(app: tuple[TestClient, GitRepo, Any]) -> None:
    client, repo, engine = app
    number = links(engine)[KEY]["id"]
    url = f"{API}/links/{number}"
    grace, ada = auth(engine, "grace"), auth(engine, "ada")

    read = client.get(url)
    assert read.status_code == 200 and read.headers["ETag"].startswith('"2-')  # the target's version
    seen_by_grace = read.headers["ETag"]

    required = problem(client.patch(url, json={"reviewed": True}, headers=grace), 428)
    assert 'If-Match: "2"' in required["detail"] and "ADR-0003" in required["detail"]
    assert links(engine)[KEY]["reviewed_version"] == 1  # nothing written

    change_adr3(repo, engine, "Pulsar after all.")  # v3 while Grace was reading v2
    stale = problem(client.patch(url, json={"reviewed": True}, headers={**grace, "If-Match": seen_by_grace}), 412)
    assert stale["current_version"] == 3 and "version 3 of ADR-0003, not 2" in stale["detail"]
    assert links(engine)[KEY]["reviewed_version"] == 1  # the review would have claimed v3, which Grace never read

    # Ada read v3 (the ADR's own ETag works as well as the link's): her review holds.
    adr_tag = client.get("/api/v1/adrs/ADR-0003", params={"project": "refunds"}).headers["ETag"]
    ok = client.patch(url, json={"reviewed": True}, headers={**ada, "If-Match": adr_tag})
    assert ok.status_code == 200, ok.text
    assert (ok.json()["state"], ok.json()["reviewed_version"], ok.json()["reviewed_by"]) == ("ok", 3, "api:ada")
    # Grace, still at v2, cannot overwrite Ada's review with hers: 412 although the link is no longer suspect.
    problem(client.patch(url, json={"reviewed": True}, headers={**grace, "If-Match": '"2"'}), 412)
    assert links(engine)[KEY]["reviewed_by"] == "api:ada"
    # A weak tag names no version (RFC 9110); * holds whenever the link exists.
    problem(client.patch(url, json={"reviewed": True}, headers={**grace, "If-Match": 'W/"3"'}), 412)
    assert client.patch(url, json={"reviewed": True}, headers={**grace, "If-Match": "*"}).status_code == 200
    patch = client.get("/openapi.json").json()["paths"]["/api/v1/projects/{project}/links/{link_id}"]["patch"]
    assert {"412", "428"} <= set(patch["responses"])


def test_dangling_and_unknown_links_answer_before_the_precondition(app: tuple[TestClient, GitRepo, Any]) -> None:
    client, repo, engine = app
    repo.write("features/other.feature", "@FEAT-2\nFeature: Other\n\n  @SC-1 @ADR-0042\n  Scenario: x\n    Given y\n")
    repo.commit("other")
    sync(repo.path, engine=engine, project="refunds")
    grace = auth(engine, "grace")
    dangling = client.get(f"{API}/links?dangling=true").json()["items"][0]
    assert "ETag" not in client.get(f"{API}/links/{dangling['id']}").headers  # no target, no version
    conflict = problem(client.patch(f"{API}/links/{dangling['id']}", json={"reviewed": True}, headers=grace), 409)
    assert conflict["source_path"] == "features/other.feature" and "ADR-0042" in conflict["detail"]
    problem(client.patch(f"{API}/links/999999", json={"reviewed": True}, headers=grace), 404)


def test_post_review_takes_an_optional_if_match(app: tuple[TestClient, GitRepo, Any]) -> None:
    client, _, engine = app
    grace = auth(engine, "grace")
    url = f"{API}/links/review"
    stale = problem(client.post(url, json={"source": "ADR-0003"}, headers={**grace, "If-Match": '"1"'}), 412)
    assert stale["current_version"] == 2
    assert {k: r["reviewed_version"] for k, r in links(engine).items() if k[2] == "ADR-0003"} == {
        KEY: 1, ("CTR-0001", "implements", "ADR-0003"): 1}  # all or nothing
    done = client.post(url, json={"source": "ADR-0003"}, headers={**grace, "If-Match": '"2"'})
    assert done.status_code == 200, done.text
    assert sorted(x["source"]["id"] for x in done.json()["reviewed"]) == ["CTR-0001", "FEAT-1/SC-1"]


def run(capsys: pytest.CaptureFixture[str], *argv: str) -> tuple[int, str, str]:
    code = main(list(argv))
    out, err = capsys.readouterr()
    return code, out, err


def test_cli_review_version_names_what_was_read(
    git_repo: GitRepo, database_url: str, capsys: pytest.CaptureFixture[str]
) -> None:
    seed(git_repo)
    common = ["--database-url", database_url, "--path", str(git_repo.path), "--project", "refunds"]
    engine = db.make_engine(database_url)
    try:
        sync(git_repo.path, engine=engine, project="refunds")
        change_adr3(git_repo, engine, "Kafka it is.")
        number = links(engine)[KEY]["id"]

        code, out, err = run(capsys, "review", f"#{number}", "--version", "1", *common)
        assert code == 2 and out == "" and len(err.strip().splitlines()) == 1, err
        assert "--version 1:" in err and "version 2 of ADR-0003" in err and "--version 2" in err
        assert "Traceback" not in err and links(engine)[KEY]["reviewed_version"] == 1

        # A record's links: every one must point at that version, else nothing is written.
        code, _, err = run(capsys, "review", "ADR-0003", "--version", "3", *common)
        assert code == 2 and "version 2 of ADR-0003, not 3" in err
        assert all(r["reviewed_version"] == 1 for k, r in links(engine).items() if k[2] == "ADR-0003")

        code, _, err = run(capsys, "review", "--all", "--version", "2", *common)
        assert code == 2 and "--version" in err and "--all" in err
        code, _, err = run(capsys, "review", f"#{number}", "--version", "0", *common)
        assert code == 2 and "--version" in err

        code, out, err = run(capsys, "review", f"#{number}", "--version", "2", "--by", "Grace", "--format", "json",
                             *common)
        assert code == 0, err
        assert [x["target"]["id"] for x in json.loads(out)] == ["ADR-0003"]
        assert (links(engine)[KEY]["reviewed_version"], links(engine)[KEY]["reviewed_by"]) == (2, "Grace")
        # Without --version: today's review against whatever version is current (README's `review ID`).
        change_adr3(git_repo, engine, "Pulsar after all.")
        code, out, _ = run(capsys, "review", "FEAT-1/SC-1", *common)
        assert code == 0 and out.startswith("reviewed FEAT-1/SC-1 implements ADR-0003")
        assert links(engine)[KEY]["reviewed_version"] == 3
    finally:
        engine.dispose()


def test_a_revert_to_the_version_read_may_be_named(
    app: tuple[TestClient, GitRepo, Any], database_url: str, capsys: pytest.CaptureFixture[str]
) -> None:
    """ADR-0003 edited (v2) and the edit reverted (v3, v1's content): the link is suspect (a new content version,
    README: "Suspect links"), and a review may name v1, whose content is the current one's — not v2 — by the CLI,
    ``PATCH`` and ``POST``; the refusal names the versions of the same content."""
    client, repo, engine = app
    repo.git("revert", "--no-edit", "HEAD")
    sync(repo.path, engine=engine, project="refunds")
    link = links(engine)[KEY]
    assert (link["target_version"], link["reviewed_version"]) == (3, 1)  # suspect: reviewed at v1, changed at v3
    common = ["--database-url", database_url, "--path", str(repo.path), "--project", "refunds"]

    code, out, err = run(capsys, "review", f"#{link['id']}", "--version", "2", *common)
    assert code == 2 and out == "" and len(err.strip().splitlines()) == 1, err
    assert "points at version 3 of ADR-0003 (the same content as at version 1), not 2;" in err
    stale = problem(client.patch(f"{API}/links/{link['id']}", json={"reviewed": True},
                                 headers={**auth(engine, "grace"), "If-Match": '"2"'}), 412)
    assert stale["current_version"] == 3 and links(engine)[KEY]["reviewed_version"] == 1  # nothing written

    code, out, err = run(capsys, "review", f"#{link['id']}", "--version", "1", "--by", "Grace", *common)
    assert code == 0, err
    assert out.strip() == "reviewed FEAT-1/SC-1 implements ADR-0003 (suspect: reviewed at v1, changed at v3)"
    assert (links(engine)[KEY]["reviewed_version"], links(engine)[KEY]["reviewed_by"]) == (3, "Grace")

    other = links(engine)[("CTR-0001", "implements", "ADR-0003")]
    assert client.get(f"{API}/links/{other['id']}", headers={"If-Match": '"1"'}).status_code == 200
    done = client.post(f"{API}/links/review", json={"source": "CTR-0001"},
                       headers={**auth(engine, "ada"), "If-Match": '"1"'})
    assert done.status_code == 200, done.text
    assert links(engine)[("CTR-0001", "implements", "ADR-0003")]["reviewed_version"] == 3
