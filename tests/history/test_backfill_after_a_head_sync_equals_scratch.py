"""A backfill into a project a plain ``sync`` of a clean HEAD wrote ends in the state a backfill from scratch gives:
the same rows, revisions and file index. Found by the histaudit differential audit (adr-tools, madr, behave,
cucumber-js, cucumber-ruby): every row's ``source_commit`` and file's ``last_commit`` stayed NULL (the work tree's
sync), a deleted record's named the commit that deleted it (a backfill from scratch keeps the one that last wrote
it), the file rows of deleted files were missing, and the revision a sync wrote, which the merge dates by the commit
that made its state, kept HEAD's line numbers (``show --at`` that commit answered them) and no date for an undated
ADR. SQLite and PostgreSQL."""

from __future__ import annotations

from typing import Any

import pytest

from conftest import GitRepo
from specs import adr, feature
from test_backfill_promise import _state
from tracertm import db
from tracertm.engine.sync import sync
from tracertm.history import merge
from tracertm.history.backfill import backfill


UNDATED = "# 3. No date\n\n## Status\n\nAccepted\n\n## Context\n\nC.\n\n## Decision\n\nD.\n"


def _history(repo: GitRepo) -> None:
    repo.write("docs/adr/0001-use-git.md", adr(1, "Use git"))
    repo.write("docs/adr/0002-use-queues.md", adr(2, "Use queues"))
    repo.write("features/pay.feature", feature(1, "Pay"))
    repo.write("features/old.feature", feature(2, "Old"))
    repo.write("docs/adr/0003-no-date.md", UNDATED)
    repo.commit("first", date="2024-01-01T10:00:00+00:00")
    repo.write("features/old.feature", feature(2, "Older"))
    repo.write("docs/adr/0001-use-git.md", adr(1, "Use git", decision="Only git."))
    repo.write("features/pay.feature", feature(1, "Pay", {"first": ["Given a thing", "When I pay", "Then paid"],
                                                            "second": ["Given another thing", "When I act again",
                                                                       "Then it still works"]}))
    repo.commit("second", date="2024-01-02T10:00:00+00:00")
    repo.git("mv", "docs/adr/0002-use-queues.md", "docs/adr/0002-use-a-queue.md")
    repo.remove("features/old.feature")
    # Lines added above the scenarios: positions only, no new version; the state stays the one "second" made.
    repo.write("features/pay.feature", "# a comment\n\n" + repo.read("features/pay.feature"))
    repo.commit("rename", date="2024-01-03T10:00:00+00:00")
    repo.write("README.md", "not a spec\n")
    repo.commit("no spec changed", date="2024-01-04T10:00:00+00:00")


@pytest.mark.parametrize("chunk", [None, 1], ids=["one-statement", "a-statement-per-revision"])
def test_a_backfill_after_a_sync_of_head_equals_one_from_scratch(
        git_repo: GitRepo, database_url: str, other_database_url: str,  # noqa: F811 - the fixture
        chunk: int | None, monkeypatch: pytest.MonkeyPatch) -> None:
    """Also with the revisions the sync wrote given their provenance one statement each (``merge._renumber``
    writes them in chunks)."""
    if chunk is not None:
        monkeypatch.setattr(merge, "PROVENANCE_CHUNK", chunk)
    _history(git_repo)
    merged, scratch = db.make_engine(database_url), db.make_engine(other_database_url)
    try:
        sync(git_repo.path, engine=merged, project="p")
        assert backfill(git_repo.path, engine=merged, project="p").mode == "merged"
        assert backfill(git_repo.path, engine=scratch, project="p").mode == "full"
        state = _state(merged)
        assert state == _state(scratch)
        chain = git_repo.git("rev-list", "--first-parent", "--reverse", "HEAD").split()
        # The commit that last changed each, not NULL (a work tree's sync) nor HEAD (which changed no spec).
        assert {r["adr_number"]: r["source_commit"] for r in state["adrs"]} == {
            "ADR-0001": chain[1], "ADR-0002": chain[2], "ADR-0003": chain[0]}
        # A record only the history knows (deleted before the sync): the commit that last wrote it, not the one
        # that deleted it (a deletion writes no fields); FEAT-1's lines moved in "rename" (no new version).
        assert {r["feature_number"]: (r["source_commit"], r["deleted"]) for r in state["features"]} == {
            "FEAT-1": (chain[2], False), "FEAT-2": (chain[1], True)}
        assert {r["path"]: r["last_commit"] for r in state["source_files"]} == {
            "docs/adr/0001-use-git.md": chain[1], "docs/adr/0002-use-a-queue.md": chain[2],
            "docs/adr/0002-use-queues.md": chain[2], "docs/adr/0003-no-date.md": chain[0],
            "features/old.feature": chain[2], "features/pay.feature": chain[2]}
        # The revision the sync wrote stands for the state "second" made: it holds that commit's positions and the
        # date an undated ADR gets from the commit that created it, as a backfill from scratch writes it.
        revisions = {(r["number"], r["version"]): r for r in state["spec_revisions"]}
        assert revisions[("SC-1", 2)]["commit_sha"] == chain[1]
        assert [s["line"] for s in revisions[("SC-1", 2)]["snapshot"]["when_steps"]] == [10]  # HEAD: 12
        assert revisions[("ADR-0003", 1)]["snapshot"]["date"] == "2024-01-01"
    finally:
        merged.dispose()
        scratch.dispose()
