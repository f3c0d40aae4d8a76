"""``sync --full`` (``links.rebuild``) agrees with the incremental sync about suspect links when a target has
database-side (``annotated``) edits: an API PATCH of a database-owned field alone never makes a link suspect, a
content change after it does, and reviews of the links that remain are kept — on SQLite and PostgreSQL, with a real
git repository and the real HTTP API (README: "Suspect links")."""

from __future__ import annotations

import warnings
from collections.abc import Iterator
from typing import Any

import pytest
from sqlalchemy import select, update

from apikit import api_client, make_token
from conftest import GitRepo
from specs import adr, contract
from tracertm import db
from tracertm.engine.links import LINKS_FORMAT
from tracertm.engine.sync import sync
from tracertm.models import Link, Project

with warnings.catch_warnings():
    warnings.simplefilter("ignore")
    from fastapi.testclient import TestClient

API = "/api/v1"
PROJECT = "shop"
FEATURE = """@FEAT-1 @ADR-0001 @REQ-12
Feature: Refunds

  @SC-1
  Scenario: full refund
    Given a paid order
    When I ask for a refund
    Then the refund is accepted

  @SC-2
  Scenario: partial refund
    Given a paid order
    When I ask for half
    Then half is refunded
"""
# The links to ADR-0001 the files above imply.
TO_ADR = {("CTR-0001", "implements"), ("FEAT-1", "implements"), ("FEAT-1/SC-1", "implements"),
          ("FEAT-1/SC-2", "implements")}


@pytest.fixture
def repo(git_repo: GitRepo, engine: Any) -> GitRepo:
    git_repo.write("docs/adr/0001-use-postgres.md", adr(1, "Use PostgreSQL", extra="\nCovers REQ-12.\n"))
    git_repo.write("docs/adr/0002-use-kafka.md", adr(2, "Use Kafka", status="Proposed"))
    git_repo.write("contracts/payments.yaml", contract(1, "Payments") + "preconditions: [implements ADR-0001]\n")
    git_repo.write("features/refund.feature", FEATURE)
    git_repo.commit("init")
    assert not run(git_repo, engine).errors
    return git_repo


@pytest.fixture
def client(engine: Any) -> Iterator[TestClient]:
    with api_client(engine) as served:
        yield served


def run(repo: GitRepo, engine: Any, *, full: bool = False) -> Any:
    result = sync(repo.path, engine=engine, project=PROJECT, full=full)
    assert not result.errors, result.errors
    return result


def write_headers(engine: Any, version: int | None = None) -> dict[str, str]:
    token = make_token(engine, "write", "dash")
    return {"Authorization": f"Bearer {token}", **({"If-Match": f'"{version}"'} if version is not None else {})}


def annotate(client: TestClient, engine: Any, version: int, approved_by: str) -> None:
    """An API PATCH of a database-owned field of ADR-0001: version ``version`` → ``version + 1``, annotated."""
    r = client.patch(f"{API}/adrs/ADR-0001", json={"approved_by": approved_by}, headers=write_headers(engine, version))
    assert r.status_code == 200, r.text
    assert (r.json()["version"], r.json()["approved_by"]) == (version + 1, approved_by)
    history = client.get(f"{API}/adrs/ADR-0001/history").json()
    assert (history[-1]["version"], history[-1]["change"]) == (version + 1, "annotated")


def to_adr(engine: Any) -> dict[tuple[str, str], tuple[int, int, int]]:
    """The links to ADR-0001: (source, type) → (link id, target_version, reviewed_version)."""
    t = Link.__table__.c
    with engine.connect() as conn:
        rows = conn.execute(select(t.id, t.source_ref, t.link_type, t.target_version, t.reviewed_version)
                            .where(t.target_ref == "ADR-0001")).all()
    return {(r.source_ref, r.link_type): (r.id, r.target_version, r.reviewed_version) for r in rows}


def suspect(client: TestClient) -> set[tuple[str, str]]:
    """The suspect links of the project, as the API lists them: (source, target)."""
    body = client.get(f"{API}/projects/{PROJECT}/links", params={"suspect": "true"}).json()
    return {(item["source"]["id"], item["target"]["id"]) for item in body["items"]}


def test_full_sync_after_an_annotated_edit_makes_nothing_suspect(repo: GitRepo, engine: Any,
                                                                 client: TestClient) -> None:
    before = to_adr(engine)
    assert set(before) == TO_ADR and all(v[1:] == (1, 1) for v in before.values())
    annotate(client, engine, 1, "Grace")
    assert suspect(client) == set()
    run(repo, engine)
    assert suspect(client) == set() and to_adr(engine) == before
    for _ in range(2):  # nothing changed in git: a full recompute keeps every link as it is, twice
        run(repo, engine, full=True)
        assert suspect(client) == set()
        assert to_adr(engine) == before


def test_a_content_change_after_an_annotated_edit_is_suspect_through_full_syncs(repo: GitRepo, engine: Any,
                                                                                client: TestClient) -> None:
    annotate(client, engine, 1, "Grace")
    repo.write("docs/adr/0001-use-postgres.md",
               adr(1, "Use PostgreSQL", decision="We will use PostgreSQL 17.", extra="\nCovers REQ-12.\n"))
    repo.commit("postgres 17")
    run(repo, engine)  # version 3: new content
    expected = {(source, "ADR-0001") for source, _ in TO_ADR}
    assert suspect(client) == expected
    assert {v[1:] for v in to_adr(engine).values()} == {(3, 1)}
    run(repo, engine, full=True)
    assert suspect(client) == expected and {v[1:] for v in to_adr(engine).values()} == {(3, 1)}

    # Reviewed (through the API), then annotated again: no longer suspect, whatever the full syncs.
    link_id = to_adr(engine)[("FEAT-1/SC-1", "implements")][0]
    r = client.patch(f"{API}/projects/{PROJECT}/links/{link_id}", json={"reviewed": True},
                     headers={**write_headers(engine), "If-Match": '"3"'})
    assert r.status_code == 200, r.text
    annotate(client, engine, 3, "Ada")  # version 4, annotated
    for _ in range(2):
        run(repo, engine, full=True)
        assert suspect(client) == expected - {("FEAT-1/SC-1", "ADR-0001")}
        assert to_adr(engine)[("FEAT-1/SC-1", "implements")][1:] == (3, 3)
    # The next content change (version 5) makes it suspect again.
    repo.write("docs/adr/0001-use-postgres.md",
               adr(1, "Use PostgreSQL", decision="We will use PostgreSQL 18.", extra="\nCovers REQ-12.\n"))
    repo.commit("postgres 18")
    run(repo, engine, full=True)
    assert suspect(client) == expected
    assert {v[1:] for v in to_adr(engine).values()} == {(5, 1), (5, 3)}


def test_a_link_born_after_an_annotated_edit_is_reviewed_through_full_syncs(repo: GitRepo, engine: Any,
                                                                            client: TestClient) -> None:
    annotate(client, engine, 1, "Grace")
    repo.write("contracts/ledger.yaml", contract(2, "Ledger") + "preconditions: [implements ADR-0001]\n")
    repo.commit("ledger")
    run(repo, engine)
    assert to_adr(engine)[("CTR-0002", "implements")][1:] == (2, 2)  # born reviewed at the version it saw
    for _ in range(2):
        run(repo, engine, full=True)
        assert suspect(client) == set()
        assert to_adr(engine)[("CTR-0002", "implements")][1:] == (2, 2)
        assert {v[1:] for k, v in to_adr(engine).items() if k != ("CTR-0002", "implements")} == {(1, 1)}
    # A full sync that creates the link (the contract is new to it) gives it a review too.
    repo.write("contracts/audit.yaml", contract(3, "Audit") + "preconditions: [implements ADR-0001]\n")
    repo.commit("audit")
    run(repo, engine, full=True)
    assert suspect(client) == set()


def test_the_rebuild_of_an_older_links_format_keeps_reviews_after_annotated_edits(
        repo: GitRepo, engine: Any, client: TestClient) -> None:
    annotate(client, engine, 1, "Grace")
    before = to_adr(engine)
    with db.session(engine) as session, session.begin():  # as a database whose links predate the links format
        project = session.execute(select(Project)).scalar_one()
        project.metadata_ = {**project.metadata_, "links_format": LINKS_FORMAT - 1}
    run(repo, engine)
    assert suspect(client) == set() and to_adr(engine) == before


def test_a_full_sync_repairs_links_an_earlier_full_sync_made_suspect(repo: GitRepo, engine: Any,
                                                                     client: TestClient) -> None:
    annotate(client, engine, 1, "Grace")
    before = to_adr(engine)
    with engine.begin() as conn:  # what 'sync --full' recorded before: the version with the annotated edit
        conn.execute(update(Link).where(Link.target_ref == "ADR-0001").values(target_version=2))
    assert len(suspect(client)) == len(TO_ADR)
    run(repo, engine, full=True)
    assert suspect(client) == set() and to_adr(engine) == before
