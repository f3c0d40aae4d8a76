"""A backfill into a synced project whose history renamed an untagged feature (its number follows its file name).

Found on behave/behave: ``features/runner.feature_configfile.feature`` became ``runner.feature_listfile.feature``
in 2013; ``sync`` then ``backfill`` stopped with ``internal error: KeyError: ('feature',
'runner.feature_configfile')``. The merge looked the feature's scenarios up under the feature number they had
when they last changed, not the one the feature ends with. The feature text below is cut down from that file
(behave, BSD-2-Clause: Copyright (c) 2012-2014 Benno Rice, Richard Jones and others; (c) 2014-2023 Jens Engel
and others).
"""

from __future__ import annotations

from typing import Any

from sqlalchemy import select

from conftest import GitRepo
from test_backfill_promise import _state, from_scratch
from tracertm import db
from tracertm.engine.sync import sync
from tracertm.history.backfill import backfill
from tracertm.models import Feature, Project, Scenario

OLD, NEW = "features/runner.feature_configfile.feature", "features/runner.feature_listfile.feature"
SETUP = """\
  @setup
  Scenario: Test Setup
    Given a new working directory
    And   a file named "features/alice.feature" with:
      \"\"\"
      Feature: Alice
        Scenario:
          Given a step passes
      \"\"\"
"""
WORKDIR = """\
  Scenario: Use @feature_configfile in WORKDIR directory (above features/)
    Given a file named "alice_and_bob2.txt" with:
      \"\"\"
      features/alice.feature
      \"\"\"
    When I run "behave @alice_and_bob2.txt"
    Then it should pass
"""


def _feature(name: str, *scenarios: str) -> str:
    return (f"@sequential\nFeature: {name}\n\n    As a tester\n    I want to run a list of features together\n\n"
            + "\n".join(scenarios))


def _rows(engine: Any, project: str = "p") -> list[tuple[str, str, int, bool]]:
    """(feature number, scenario number, version, deleted) of every scenario row of ``project``."""
    with db.session(engine) as session:
        rows = session.execute(
            select(Feature.feature_number, Scenario.scenario_number, Scenario.version, Scenario.deleted_at)
            .join(Feature, Scenario.feature_id == Feature.id).join(Project, Feature.project_id == Project.id)
            .where(Project.name == project).order_by(Scenario.scenario_number)
            .execution_options(include_deleted=True))
        return [(f, s, v, d is not None) for f, s, v, d in rows]


def test_scenarios_of_a_renamed_feature_keep_their_rows(git_repo: GitRepo, engine: Any) -> None:
    """The scenarios the rename carries (each gets its ``moved`` operation under the new number) are the synced
    rows, grafted, not new ones: the case the fix must leave as it was."""
    git_repo.write(OLD, _feature("Feature-Configfile (List of feature filenames/directories)", SETUP, WORKDIR))
    git_repo.commit("c1")
    git_repo.git("mv", OLD, NEW)
    git_repo.write(NEW, _feature("Feature-Listfile (List of feature filenames/directories)", SETUP, WORKDIR))
    git_repo.commit("c2: rename")
    sync(git_repo.path, engine=engine, project="p")
    before = _rows(engine)
    assert backfill(git_repo.path, engine=engine, project="p").mode == "merged"
    assert [(f, s, d) for f, s, _, d in _rows(engine)] == [(f, s, d) for f, s, _, d in before]
    assert {f for f, _, _, _ in _rows(engine)} == {"runner.feature_listfile"}


def test_a_scenario_deleted_before_the_rename_gets_its_row_under_the_renamed_feature(
    git_repo: GitRepo, engine: Any
) -> None:
    """A scenario only the history knows (deleted before the rename) is a soft-deleted row of the feature as it
    ends, not of a feature number no row has."""
    git_repo.write(OLD, _feature("Feature-Configfile (List of feature filenames/directories)", SETUP, WORKDIR))
    git_repo.commit("c1")
    git_repo.write(OLD, _feature("Feature-Configfile (List of feature filenames/directories)", SETUP))
    git_repo.commit("c2: drop a scenario")
    git_repo.git("mv", OLD, NEW)
    git_repo.write(NEW, _feature("Feature-Listfile (List of feature filenames/directories)", SETUP))
    git_repo.commit("c3: rename")
    sync(git_repo.path, engine=engine, project="p")
    backfill(git_repo.path, engine=engine, project="p")
    assert [(f, s, d) for f, s, _, d in _rows(engine)] == [
        ("runner.feature_listfile", "Test Setup", False),
        ("runner.feature_listfile", "Use @feature_configfile in WORKDIR directory (above features/)", True),
    ]
    backfill(git_repo.path, engine=engine, project="reference")  # into a project with no rows yet
    assert _rows(engine) == _rows(engine, "reference")



def _untagged(name: str) -> str:
    return (f"Feature: {name}\n\n  Scenario: {name} first\n    Given a thing called {name}\n\n"
            f"  Scenario: {name} second\n    Given another {name}\n")


def test_a_rename_onto_a_deleted_feature_s_name_synced_by_hooks_merges_as_a_backfill_from_scratch(
        git_repo: GitRepo, database_url: str, other_database_url: str) -> None:
    """``c.feature`` deleted, then ``a.feature`` renamed to it, each commit synced by ``sync --ref`` (a hook): the
    syncs never saw ``c``, so theirs is ``a`` moved to ``c``; the history restores ``c`` with the renamed file's
    content and deletes ``a`` (a name a deleted record has is never taken over). The merge gave the row's first
    revision, ``a`` at the commit deleting ``c``, the change ``deleted`` (``history feature:c``, ``diff`` there),
    and left the scenarios of ``a`` without their history."""
    git_repo.write("features/a.feature", _untagged("A"))
    git_repo.write("features/c.feature", _untagged("C"))
    git_repo.commit("c1", date="2024-01-01T10:00:00+00:00")
    git_repo.remove("features/c.feature")
    git_repo.commit("c removed", date="2024-01-02T10:00:00+00:00")
    git_repo.git("mv", "features/a.feature", "features/c.feature")
    git_repo.commit("a renamed to c", date="2024-01-03T10:00:00+00:00")
    engine = db.make_engine(database_url)
    try:
        sync(git_repo.path, ref="HEAD~1", engine=engine, project="p")
        sync(git_repo.path, ref="HEAD", engine=engine, project="p")
        assert backfill(git_repo.path, engine=engine, project="p").mode == "merged"
        merged = _state(engine)
    finally:
        engine.dispose()
    changes = sorted((r["number"], r["version"], r["change"]) for r in merged["spec_revisions"]
                     if r["entity_type"] == "feature")
    assert changes == [("a", 1, "created"), ("a", 2, "deleted"),
                       ("c", 1, "created"), ("c", 2, "deleted"), ("c", 3, "restored")]
    assert merged == from_scratch(git_repo, other_database_url)
