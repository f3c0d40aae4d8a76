"""A rename synced from the work tree before it was committed leaves no second row of the old number after a merging
backfill (SQLite and PostgreSQL).

An ADR named by its file name (``use-x.md``), a feature without an id tag (``run-x.feature``, one of its scenarios
deleted before) and a contract without ``id:`` (``pay-x.yaml``) are backfilled, renamed by ``git mv`` and the
rename synced by a plain ``sync`` before ``git commit`` (the rows move to ``use-y``, ``run-y``, ``pay-y``), then
edited, and backfilled again. The merge replays the history up to the commit the sync read, where the records still
have their old numbers, and ``history.merge.graft`` looked the rows up by their current numbers only: it found
none, wrote a new live row of each old number (the feature's with its scenarios, of their old content), and as
their files were gone from the database already, the final ``sync --ref`` never deleted them. The rows are found by
their former numbers now (their revisions'). The same rename synced by a hook's ``sync --ref HEAD`` after the
commit ends as a backfill from scratch too.
"""

from __future__ import annotations

from typing import Any

import pytest

from conftest import GitRepo
from test_backfill_promise import _state, from_scratch
from tracertm import db
from tracertm.engine.sync import sync
from tracertm.history.backfill import backfill

ADR = "# Use X\n\n## Status\n\nAccepted\n\n## Context\n\nC.\n\n## Decision\n\n{}\n\n## Consequences\n\nS.\n"
FEATURE = "Feature: Run X\n\n  Scenario: First\n    Given {}\n\n  Scenario: Second\n    Given two\n"
GONE = "\n  Scenario: Gone\n    Given three\n"  # deleted before the first backfill: a row only under the old feature
CONTRACT = "title: Pay X\nstates: [a, b]\nmetadata: {{note: {}}}\n"
FILES = {"docs/adr/use-x.md": ADR, "features/run-x.feature": FEATURE, "contracts/pay-x.yaml": CONTRACT}
# What only a commit gives a revision (a sync of the work tree records none).
COMMIT_FIELDS = ("commit_sha", "author_name", "author_email", "authored_at", "committer_name", "committer_email",
                 "committed_at")


def _renamed(path: str) -> str:
    return path.replace("-x.", "-y.")


def _history(repo: GitRepo, engine: Any, synced: str) -> None:
    """The records created, backfilled, renamed (the rename synced as ``synced`` says), edited, then backfilled
    again into ``engine``'s database (merged)."""
    repo.write("docs/adr/0001-one.md", ADR.format("One."))
    for path, text in FILES.items():
        repo.write(path, text.format("one thing") + (GONE if path.endswith(".feature") else ""))
    repo.commit("created", date="2024-01-02T10:00:00+00:00")
    repo.write("features/run-x.feature", FEATURE.format("one thing"))
    repo.commit("a scenario gone", date="2024-01-03T10:00:00+00:00")
    backfill(repo.path, engine=engine, project="p")
    for path in FILES:
        repo.git("mv", path, _renamed(path))
    if synced == "plain":
        sync(repo.path, engine=engine, project="p")
    repo.commit("renamed", date="2024-01-05T10:00:00+00:00")
    if synced == "hook":
        sync(repo.path, ref="HEAD", engine=engine, project="p", trigger="hook")
    for path, text in FILES.items():
        repo.write(_renamed(path), text.format("one thing and more"))
    repo.commit("edited", date="2024-01-09T10:00:00+00:00")
    assert backfill(repo.path, engine=engine, project="p").mode == "merged"


def _without_the_renaming_commit(state: dict[str, list[dict[str, Any]]]) -> dict[str, list[dict[str, Any]]]:
    """``state`` as a sync of the uncommitted rename leaves it: the ``moved`` revisions and the files it deleted name
    no commit (README: "a file moved in the work tree keeps no commit"; ``last_commit``: "none for the work
    tree")."""
    for row in state["spec_revisions"]:
        if row["change"] == "moved":
            row.update(dict.fromkeys(COMMIT_FIELDS))
    for row in state["source_files"]:
        if row["deleted"]:
            row["last_commit"] = None
    state["spec_revisions"].sort(key=repr)
    return state


@pytest.mark.parametrize("synced", ["plain", "hook"])
def test_a_merge_after_a_rename_synced_before_its_commit_equals_a_backfill_from_scratch(
        git_repo: GitRepo, database_url: str, other_database_url: str, synced: str) -> None:
    engine = db.make_engine(database_url)
    try:
        _history(git_repo, engine, synced)
        merged = _state(engine)
    finally:
        engine.dispose()
    expected = from_scratch(git_repo, other_database_url)
    assert_renamed_once(merged)
    assert merged == (_without_the_renaming_commit(expected) if synced == "plain" else expected)


def assert_renamed_once(state: dict[str, Any]) -> None:
    """The records of ``state`` are those of the renamed files only (no second row of an old number), the
    scenario deleted before the rename deleted."""
    numbers = {(table, r[key], r["deleted"]) for table, key in (("adrs", "adr_number"), ("contracts",
               "contract_number"), ("features", "feature_number"), ("scenarios", "scenario_number"))
               for r in state[table]}
    assert numbers == {("adrs", "ADR-0001", False), ("adrs", "use-y", False), ("contracts", "pay-y", False),
                       ("features", "run-y", False), ("scenarios", "First", False), ("scenarios", "Second", False),
                       ("scenarios", "Gone", True)}
