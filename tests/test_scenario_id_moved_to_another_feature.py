"""A tagged scenario moved into another feature file is another record (ids are a feature's own, README "Scenario
identity"), and the one it leaves behind is soft-deleted. The id the user sees in the live file then names the
live record in ``show``, ``history``, ``trace``, ``review``, the API's detail, history and trace routes and the web
view; the deleted one keeps its qualified id (``FEAT-1/SC-2``), and ``history`` names it in its note line. Two live
scenarios of one id stay ambiguous.

Before, every one of those answered "SC-2 is ambiguous" between the deleted and the live record. A real git
repository, the command line's ``main`` and a served app, on SQLite and PostgreSQL.
"""

from __future__ import annotations

import json
import os
import subprocess
from pathlib import Path

import httpx
import pytest

from conftest import GitRepo, run_cli
from served import serve
from specs import adr

ADR = "---\nstatus: accepted\n---\n\n# Use X\n\n## Context\n\n{context}\n"
CART = """\
@FEAT-1
Feature: Cart

  @SC-1
  Scenario: add an item
    Given an empty cart
{moved}"""
CHECKOUT = """\
@FEAT-2
Feature: Checkout

  @SC-3
  Scenario: ship
    Given a paid order
{moved}"""
PAY = """
  @SC-2 @ADR-0001
  Scenario: pay
    Given a full cart
"""
REFUND = "@FEAT-3\nFeature: Refund\n\n  @SC-2\n  Scenario: back\n    Given y\n"


def tracertm(repo: GitRepo, database_url: str, *argv: str) -> subprocess.CompletedProcess[str]:
    """The command line's ``main`` in the repository's folder (``conftest.run_cli``: in this process, as a process
    of its own would answer, without an interpreter's start-up per call)."""
    before = os.getcwd()
    os.chdir(repo.path)
    try:
        return run_cli(*argv, "--database-url", database_url, "--project", "repo")
    finally:
        os.chdir(before)


@pytest.fixture
def moved(git_repo: GitRepo, database_url: str) -> GitRepo:
    """SC-2 (linked to ADR-0001) synced in features/cart.feature, then moved into features/checkout.feature and
    synced again, then ADR-0001 edited and synced: the live FEAT-2/SC-2's link to it is suspect."""
    git_repo.write("docs/adr/0001-use-x.md", ADR.format(context="C."))
    git_repo.write("features/cart.feature", CART.format(moved=PAY))
    git_repo.write("features/checkout.feature", CHECKOUT.format(moved=""))
    git_repo.commit("SC-2 in the cart")
    assert tracertm(git_repo, database_url, "sync").returncode == 0
    git_repo.write("features/cart.feature", CART.format(moved=""))
    git_repo.write("features/checkout.feature", CHECKOUT.format(moved=PAY))
    git_repo.commit("SC-2 moves to checkout")
    assert tracertm(git_repo, database_url, "sync").returncode == 0  # its link is born reviewed at ADR-0001 v1
    git_repo.write("docs/adr/0001-use-x.md", ADR.format(context="C, revised."))
    git_repo.commit("ADR-0001 changes")
    done = tracertm(git_repo, database_url, "sync")
    assert done.returncode == 0, done.stderr
    return git_repo


def test_cli_verbs_answer_the_live_record_of_a_moved_scenario(moved: GitRepo, database_url: str) -> None:
    shown = tracertm(moved, database_url, "show", "SC-2", "--format", "json")
    assert shown.returncode == 0, shown.stderr
    record = json.loads(shown.stdout)
    assert (record["feature"], record["deleted"], record["source_path"]) == (
        "FEAT-2", False, "features/checkout.feature"), record
    assert [link["state"] for link in record["links"]["outgoing"]] == ["suspect"], record["links"]
    qualified = json.loads(tracertm(moved, database_url, "show", "scenario:SC-2", "--format", "json").stdout)
    assert qualified["id"] == record["id"]

    # The deleted one is still reached by its own id, marked deleted.
    old = tracertm(moved, database_url, "show", "FEAT-1/SC-2", "--format", "json")
    assert old.returncode == 0 and json.loads(old.stdout)["deleted"] is True, old.stderr

    history = tracertm(moved, database_url, "history", "SC-2")
    assert history.returncode == 0, history.stderr
    assert history.stdout.splitlines()[0] == (
        "note: SC-2 is the live scenario FEAT-2/SC-2, shown here; it was also the id of scenario FEAT-1/SC-2 "
        "(features/cart.feature) (deleted)"), history.stdout
    assert "features/checkout.feature" in history.stdout and "features/cart.feature" not in history.stdout.split(
        "\n", 1)[1]

    trace = tracertm(moved, database_url, "trace", "SC-2", "--format", "json")
    assert trace.returncode == 0, trace.stderr
    root = json.loads(trace.stdout)["nodes"][0]
    assert (root["kind"], root["ref"]) == ("scenario", "FEAT-2/SC-2"), root

    review = tracertm(moved, database_url, "review", "SC-2", "--by", "Ada")
    assert review.returncode == 0, review.stdout + review.stderr
    after = json.loads(tracertm(moved, database_url, "show", "SC-2", "--format", "json").stdout)
    assert [link["state"] for link in after["links"]["outgoing"]] == ["ok"], after["links"]


def test_two_live_scenarios_of_one_id_stay_ambiguous(moved: GitRepo, database_url: str) -> None:
    moved.write("features/refund.feature", REFUND)
    moved.commit("a second live SC-2")
    assert tracertm(moved, database_url, "sync").returncode == 0
    for verb in ("show", "history", "trace", "review"):
        done = tracertm(moved, database_url, verb, "SC-2")
        assert done.returncode == 2 and done.stdout == "", (verb, done.stdout, done.stderr)
        # One line, the same on both databases: the live records first, then the deleted one, marked so.
        assert done.stderr.strip().splitlines() == [
            "tracertm: error: SC-2 is ambiguous: FEAT-2/SC-2 (features/checkout.feature), FEAT-3/SC-2 "
            "(features/refund.feature), FEAT-1/SC-2 (features/cart.feature) (deleted); use one of those ids"
        ], (verb, done.stderr)


def test_served_api_and_pages_answer_the_live_record(moved: GitRepo, database_url: str, tmp_path: Path) -> None:
    with serve(database_url, moved.path, tmp_path / "serve.log") as base, \
            httpx.Client(base_url=base, timeout=30) as http:
        detail = http.get("/api/v1/scenarios/SC-2", params={"project": "repo"})
        assert detail.status_code == 200, detail.text
        assert (detail.json()["feature"], detail.json()["deleted"]) == ("FEAT-2", False), detail.text
        assert http.get("/api/v1/scenarios/SC-2").json()["id"] == detail.json()["id"]  # one project: no ?project=
        history = http.get("/api/v1/scenarios/SC-2/history", params={"project": "repo"})
        assert history.status_code == 200, history.text
        assert [r["source_path"] for r in history.json()] == ["features/checkout.feature"], history.text
        trace = http.get("/api/v1/projects/repo/trace/SC-2")
        assert trace.status_code == 200, trace.text
        assert trace.json()["nodes"][0]["ref"] == "FEAT-2/SC-2", trace.text
        old = http.get("/api/v1/scenarios/FEAT-1%2FSC-2", params={"project": "repo"})
        assert old.status_code == 200 and old.json()["deleted"] is True, old.text
        page = http.get("/projects/repo/features/FEAT-2/scenarios/SC-2")
        assert page.status_code == 200 and "features/checkout.feature" in page.text, page.text[:500]

        moved.write("features/refund.feature", REFUND)
        moved.commit("a second live SC-2")
        assert tracertm(moved, database_url, "sync").returncode == 0
        for path in ("/api/v1/scenarios/SC-2", "/api/v1/scenarios/SC-2/history"):
            several = http.get(path, params={"project": "repo"})
            assert several.status_code == 400, several.text
            assert several.json()["detail"] == (
                "SC-2 is ambiguous (FEAT-2/SC-2, FEAT-3/SC-2, FEAT-1/SC-2 (deleted)); use one of those")
        several = http.get("/api/v1/projects/repo/trace/SC-2")
        assert several.status_code == 400 and "FEAT-1/SC-2 (features/cart.feature) (deleted)" in several.text


def test_a_deleted_record_of_another_kind_gives_way_to_the_live_one(git_repo: GitRepo, database_url: str) -> None:
    """The same rule across kinds (ids are unique per kind only): a contract ``id: ADR-0003`` beside the ADR is
    ambiguous while both live; once the ADR's file is gone, ``ADR-0003`` is the live contract, ``adr:ADR-0003``
    the deleted ADR."""
    git_repo.write("docs/adr/0003-use-postgres.md", adr(3, "Use Postgres"))
    git_repo.write("contracts/collide.yaml", "id: ADR-0003\ntitle: contract that reuses an ADR id\n")
    git_repo.commit("two kinds, one id")
    assert tracertm(git_repo, database_url, "sync").returncode == 0
    both = tracertm(git_repo, database_url, "show", "ADR-0003")
    assert both.returncode == 2 and "ADR-0003 is ambiguous" in both.stderr, both.stderr
    git_repo.remove("docs/adr/0003-use-postgres.md")
    git_repo.commit("the ADR goes")
    assert tracertm(git_repo, database_url, "sync").returncode == 0
    shown = tracertm(git_repo, database_url, "show", "ADR-0003", "--format", "json")
    assert shown.returncode == 0, shown.stderr
    assert (json.loads(shown.stdout)["kind"], json.loads(shown.stdout)["deleted"]) == ("contract", False)
    old = tracertm(git_repo, database_url, "show", "adr:ADR-0003", "--format", "json")
    assert old.returncode == 0 and json.loads(old.stdout)["deleted"] is True, old.stderr
