"""``tracertm diff A B``'s history method names a record deleted between the two commits as the parse method does,
also when it was renamed on the way (found by the histaudit differential audit on cucumber-ruby's and cucumber-js's
histories: ``features/usage.feature`` renamed, then deleted; ``cli_steps.js`` moved to ``cli_steps.ts``, then a
definition deleted) — real git repositories, SQLite and PostgreSQL."""

from __future__ import annotations

from typing import Any

from conftest import GitRepo
from test_diff_moves_and_review import UNTAGGED, _both, _changes


def test_a_record_renamed_then_deleted_is_deleted_under_the_id_it_had(
        git_repo: GitRepo, engine: Any, database_url: str) -> None:
    """README (diff): "a scenario on one side only keeps the id it had there" — and so does a feature: renamed
    (its id follows the file name) and then deleted, it is gone from ``B`` under the id ``A`` knew, not under the
    id of its deleted revision (one ``A`` never had, at ``A``'s path)."""
    from tracertm.history.backfill import backfill

    git_repo.write("features/keep.feature", "Feature: K\n  Scenario: k\n    Given k\n")
    git_repo.write("features/u.feature", UNTAGGED)
    first = git_repo.commit("c1")
    git_repo.git("mv", "features/u.feature", "features/v.feature")
    git_repo.commit("rename")
    git_repo.remove("features/v.feature")
    last = git_repo.commit("delete")
    backfill(git_repo.path, engine=engine)

    u = "features/u.feature"
    assert _both(git_repo, first, last, database_url) == [
        ("deleted", "feature", "u", u, None, ()),
        ("deleted", "scenario", "u/u1", u, None, ()),
        ("deleted", "scenario", "u/u2", u, None, ()),
    ]


def test_a_scenario_deleted_before_its_feature_moved_goes_with_the_feature(
        git_repo: GitRepo, engine: Any, database_url: str) -> None:
    """A scenario removed first, its feature renamed later: between a commit before both and one after both, the
    parse method sees the scenario go with its renamed feature (``x/v/u2``); the history method, whose deletion
    revision names the feature's id then (``x/u``), says the same."""
    from tracertm.history.backfill import backfill

    git_repo.write("features/x/u.feature", UNTAGGED + "  Scenario: u3\n    Given z\n")
    first = git_repo.commit("c1")
    git_repo.write("features/x/u.feature", UNTAGGED.replace("  Scenario: u2\n    Given y\n", "")
                   + "  Scenario: u3\n    Given z\n")
    git_repo.commit("drop u2")
    git_repo.git("mv", "features/x/u.feature", "features/x/v.feature")
    last = git_repo.commit("rename")
    backfill(git_repo.path, engine=engine)

    u, v = "features/x/u.feature", "features/x/v.feature"
    assert _both(git_repo, first, last, database_url) == [
        ("moved", "feature", "x/v", v, u, ()),
        ("moved", "scenario", "x/v/u1", v, u, ()),
        ("deleted", "scenario", "x/v/u2", u, None, ()),
        ("moved", "scenario", "x/v/u3", v, u, ()),
    ]
    # Backwards no scenario went anywhere: ``u2`` is created under the id it has at the older commit.
    assert ("created", "scenario", "x/u/u2", u, None, ()) in _both(git_repo, last, first, database_url)


def test_a_file_renamed_onto_a_deleted_records_id_is_paired_as_sync_pairs_it(
        git_repo: GitRepo, engine: Any, database_url: str) -> None:
    """README (diff, sync): a name a deleted record still has is that record's, never taken over — a file renamed
    to it restores the earlier record and the renamed file's record is deleted. The parse method asks the database
    which ids deleted records hold at the older commit (the files do not say), so it pairs as sync did (it said
    ``moved`` ``aa`` → ``cc``); without a database it cannot know, and pairs the rename."""
    from tracertm.history.backfill import backfill
    from tracertm.trace.diff import diff

    git_repo.write("features/aa.feature", "Feature: Alpha\n  Scenario: One\n    Given a\n")
    git_repo.write("features/cc.feature", "Feature: Gamma\n  Scenario: Two\n    Given c\n")
    git_repo.commit("c1")
    git_repo.remove("features/cc.feature")
    older = git_repo.commit("c2")
    git_repo.git("mv", "features/aa.feature", "features/cc.feature")
    newer = git_repo.commit("c3")
    backfill(git_repo.path, engine=engine)

    aa, cc = "features/aa.feature", "features/cc.feature"
    expected = [("deleted", "feature", "aa", aa, None, ()), ("created", "feature", "cc", cc, None, ()),
                ("deleted", "scenario", "aa/One", aa, None, ()), ("created", "scenario", "cc/One", cc, None, ())]
    for method in ("parse", "history"):
        found = diff(git_repo.path, older, newer, method=method, database_url=database_url)
        assert (found.method, _changes(found)) == (method, expected)
    assert _changes(diff(git_repo.path, older, newer, method="parse"))[0] == ("moved", "feature", "cc", cc, aa, ())
