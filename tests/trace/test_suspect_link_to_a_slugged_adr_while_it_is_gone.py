"""A link whose reference names a slugged ADR by its number (``@ADR-8`` naming ``ADR-0008-use-x``, the one ADR-0008)
keeps its review while that ADR is gone — deleted, or beside a second ``ADR-0008-…`` that makes the reference
ambiguous — as a link to a plain id does: only a review clears a suspect link (README "Suspect links").

The link dangles meanwhile under the reference as written (``ADR-0008``, its warning naming the candidates); a
sync dropped it and made a new one, born reviewed, when the reference named the ADR again: a suspect link turned
ok by itself, and a restored ADR (a content version) made no link suspect. A backfill, which reviews each link
against the version its target had when the link appeared, left it suspect: the two disagreed. Now the link keeps
its number and its review (``adr_links.renamed_references``), and a backfill that ends while the ADR is gone keeps
the review of the ADR the reference named last (``history.births``), so that a later sync agrees too.
"""

from __future__ import annotations

import json
from typing import Any

import pytest
from sqlalchemy import select

from conftest import GitRepo, run_cli
from tracertm import db
from tracertm.engine.links import LINKS
from tracertm.engine.sync import sync
from tracertm.history.backfill import backfill

X, Y = "docs/adr/0008-use-x.md", "docs/adr/0008-use-y.md"


def _adr(slug: str, decision: str = "We will.") -> str:
    return (f"---\nid: ADR-0008-use-{slug}\nstatus: accepted\ndate: 2024-01-02\n---\n\n# Use {slug}\n\n"
            f"## Context\n\nContext.\n\n## Decision\n\n{decision}\n")


def _history(repo: GitRepo) -> list[str]:
    """The ADR changes (the link turns suspect), is joined by another of its number and left alone again, is
    deleted and restored."""
    repo.write(X, _adr("x"))
    repo.write("features/pay.feature", "@FEAT-1\nFeature: Pay\n\n  @SC-1 @ADR-8\n  Scenario: s\n    Given x\n")
    shas = [repo.commit("an ADR and a scenario implementing it by its number")]
    repo.write(X, _adr("x", "We will, with care."))
    shas.append(repo.commit("the ADR changes: the link is suspect"))
    repo.write(Y, _adr("y"))
    shas.append(repo.commit("another ADR-0008: the reference is ambiguous"))
    repo.remove(Y)
    shas.append(repo.commit("it goes: the reference names ADR-0008-use-x again"))
    repo.remove(X)
    shas.append(repo.commit("the ADR is deleted"))
    repo.git("revert", "--no-edit", "HEAD")
    shas.append(repo.head())
    return shas


def _links(url: str) -> list[dict[str, Any]]:
    """The scenario's links, as ``status --format json`` lists the suspect and dangling ones."""
    status = run_cli("status", "--database-url", url, "--project", "p", "--format", "json")
    assert status.returncode == 0, status.stderr
    found = json.loads(status.stdout)["links"]
    return found["suspect_links"] + found["dangling_links"]


def test_the_link_stays_suspect_while_its_adr_is_ambiguous_or_deleted(git_repo: GitRepo, database_url: str) -> None:
    shas = _history(git_repo)
    states = []
    for sha in shas:
        git_repo.git("checkout", "-q", sha)
        synced = run_cli("sync", str(git_repo.path), "--database-url", database_url, "--project", "p")
        assert synced.returncode == 0, synced.stderr
        states.append([(x["id"], x["target"]["id"], x["state"], x["target_version"], x["reviewed_version"])
                       for x in _links(database_url)])
        if sha == shas[0]:
            assert states[0] == []
            reviewed = run_cli("review", "--database-url", database_url, "--project", "p", "--all")
            assert reviewed.returncode == 0 and "no suspect link" in reviewed.stdout
    ((number, *_),) = states[1]
    assert states[1:] == [
        [(number, "ADR-0008-use-x", "suspect", 2, 1)],
        [(number, "ADR-0008", "dangling", None, 1)],  # (no link to review: the reference is to fix)
        [(number, "ADR-0008-use-x", "suspect", 2, 1)],  # not reviewed by anyone meanwhile
        [(number, "ADR-0008", "dangling", None, 1)],
        [(number, "ADR-0008-use-x", "suspect", 4, 1)],  # restored: a content version, as for a plain id
    ]
    reviewed = run_cli("review", "--database-url", database_url, "--project", "p", "FEAT-1/SC-1", "--by", "Grace")
    assert reviewed.returncode == 0, reviewed.stderr
    assert reviewed.stdout == ("reviewed FEAT-1/SC-1 implements ADR-0008-use-x (suspect: reviewed at v1, changed at "
                               "v4)\n")
    git_repo.write(Y, _adr("y"))
    git_repo.commit("ambiguous again")
    run_cli("sync", str(git_repo.path), "--database-url", database_url, "--project", "p")
    (gone,) = _links(database_url)
    assert (gone["id"], gone["reviewed_version"], gone["reviewed_by"]) == (number, 4, "Grace"), "the review stays"


def _reviews(engine: Any) -> list[tuple[Any, ...]]:
    t = LINKS.c
    with engine.connect() as conn:
        return sorted(tuple(r) for r in conn.execute(
            select(t.source_ref, t.link_type, t.target_ref, t.target_id.is_(None), t.target_version,
                   t.reviewed_version)))


def _synced_each_commit_as_backfilled(git_repo: GitRepo, url: str, other_url: str) -> list[tuple[Any, ...]]:
    """The links' reviews after syncing each commit of HEAD in turn into ``url``, checked equal to those a backfill
    of the history writes into ``other_url``."""
    synced, filled = db.make_engine(url), db.make_engine(other_url)
    try:
        for sha in git_repo.git("rev-list", "--reverse", "HEAD").split():
            sync(git_repo.path, ref=sha, engine=synced, project="p")
        backfill(git_repo.path, engine=filled, project="p")
        assert _reviews(filled) == _reviews(synced)
        return _reviews(synced)
    finally:
        synced.dispose()
        filled.dispose()


@pytest.mark.parametrize("stop", [2, 4, 5])  # the backfill ends with the ADR ambiguous, deleted, restored
def test_a_backfill_then_syncs_agree_with_syncing_each_commit(git_repo: GitRepo, database_url: str,
                                                              other_database_url: str, stop: int) -> None:
    shas = _history(git_repo)
    synced, filled = db.make_engine(database_url), db.make_engine(other_database_url)
    try:
        for sha in shas:
            sync(git_repo.path, ref=sha, engine=synced, project="p")
        backfill(git_repo.path, engine=filled, project="p", ref=shas[stop])
        for sha in shas[stop + 1:]:
            sync(git_repo.path, ref=sha, engine=filled, project="p")
        assert _reviews(filled) == _reviews(synced) == [("FEAT-1/SC-1", "implements", "ADR-0008-use-x", False, 4, 1)]
    finally:
        synced.dispose()
        filled.dispose()


def test_the_adr_of_exactly_the_id_written_back_is_another_record_as_a_backfill_sees_it(
        git_repo: GitRepo, database_url: str, other_database_url: str) -> None:
    """``@ADR-1`` named ``ADR-0001-use-a`` while no ``ADR-0001`` existed; when ``ADR-0001`` is back it names that,
    another record than the one it was reviewed against: a new link, born reviewed, as a backfill's births have it
    (not the slugged ADR's link continued, which took its review along)."""
    plain = "# ADR: T\n\n## Status\nAccepted\n\n## Decision\nd1\n"
    git_repo.write("docs/adr/0001-p.md", plain)
    git_repo.commit("ADR-0001")
    git_repo.write("docs/adr/0001-p.md", "---\nid: ADR-0001-use-a\n---\n" + plain)
    git_repo.write("features/f.feature", "@FEAT-1 @ADR-1\nFeature: F\n\n  @SC-1\n  Scenario: s\n    Given x\n")
    git_repo.commit("its id gets a slug; a feature names it by its number")
    git_repo.write("docs/adr/0001-p.md", plain)
    git_repo.commit("the slug goes: ADR-0001 is back (restored, v3)")
    reviews = _synced_each_commit_as_backfilled(git_repo, database_url, other_database_url)
    assert {r[4:] for r in reviews} == {(3, 3)}, "born reviewed against the ADR it names now"


@pytest.mark.parametrize(("path", "text", "expected"), [
    ("features/f.feature", "@FEAT-1 @ADR-1\nFeature: F\n\n  @SC-1 @ADR-0001-use-b\n  Scenario: s\n    Given x\n",
     {("FEAT-1", "ADR-0001"): 1, ("FEAT-1/SC-1", "ADR-0001"): 1, ("FEAT-1/SC-1", "ADR-0001-use-b"): None}),
    ("contracts/c.yaml", "id: CTR-0001\ntitle: C\nmetadata: {d: [ADR-0001-use-a, ADR-0001-use-b]}\n",
     {("CTR-0001", "ADR-0001-use-a"): None, ("CTR-0001", "ADR-0001-use-b"): None}),
])
def test_references_that_shared_one_link_dangle_as_syncing_each_commit_leaves_them(
        git_repo: GitRepo, database_url: str, other_database_url: str, path: str, text: str,
        expected: dict[tuple[str, str], int | None]) -> None:
    """Two references of a source naming one ADR are one link while it lives (``@ADR-1`` and ``ADR-0001-use-b``
    name ADR-0001). Once it is deleted they name none, each as written: a sync keeps the link under the one that is
    the ADR's own id (its review kept), and the other, or both when neither is, are new dangling links reviewed
    against nothing. A backfill did not give them the review of the ADR their references named last."""
    git_repo.write("docs/adr/0001-p.md", "# ADR: T\n\n## Status\nAccepted\n\n## Decision\nd1\n")
    git_repo.write(path, text)
    git_repo.commit("an ADR and a source naming it twice")
    git_repo.remove("docs/adr/0001-p.md")
    git_repo.commit("the ADR is deleted")
    reviews = _synced_each_commit_as_backfilled(git_repo, database_url, other_database_url)
    assert {(r[0], r[2]): r[5] for r in reviews} == expected
