"""A rename synced from the work tree by the project's first sync, before its commit, leaves no second row of the old
number after a merging backfill (SQLite and PostgreSQL).

An ADR named by its file name (``use-x.md``), a feature without an id tag (``run-x.feature``, one of its scenarios
deleted before) and a contract without ``id:`` (``pay-x.yaml``) are committed, renamed by ``git mv`` and the work
tree synced before ``git commit``: the project's first write, so the database has the records under the new numbers
only (``use-y``, ``run-y``, ``pay-y``), created. After the commit and an edit, a backfill merges: it replays the
history up to the commit the sync read, where the records have their old numbers, which no row and no revision
names, and ``history.merge.graft`` wrote a new live row of each (the feature's with its scenarios), never deleted,
their files being unknown to the database. The records are paired with their rows as the sync would have paired
their files had it known the history (``history.ahead``): the merge equals a backfill from scratch but for what
the sync recorded without a commit (the ``moved`` revisions and the old files' rows), as in
test_backfill_merge_rename_synced_before_commit.
"""

from __future__ import annotations

from typing import Any

import pytest

from conftest import GitRepo
from test_backfill_merge_rename_synced_before_commit import (
    ADR,
    FILES,
    GONE,
    _renamed,
    _without_the_renaming_commit,
    assert_renamed_once,
)
from test_backfill_promise import _state, from_scratch
from tracertm import db
from tracertm.engine.sync import sync
from tracertm.history.backfill import backfill


def _history(repo: GitRepo, engine: Any, edited: bool) -> None:
    """The records created, renamed (``edited``: and changed, staged) and that work tree synced first, committed,
    edited, then backfilled into ``engine``'s database (merged)."""
    repo.write("docs/adr/0001-one.md", ADR.format("One."))
    for path, text in FILES.items():
        repo.write(path, text.format("one thing") + (GONE if path.endswith(".feature") else ""))
    repo.commit("created", date="2024-01-02T10:00:00+00:00")
    repo.write("features/run-x.feature", FILES["features/run-x.feature"].format("one thing"))
    repo.commit("a scenario gone", date="2024-01-03T10:00:00+00:00")
    for path, text in FILES.items():
        repo.git("mv", path, _renamed(path))
        if edited:  # similar still (git's 50%): the same file to a sync and to the replay of the commit
            repo.write(_renamed(path), text.format("one thing") + "# renamed\n")
            repo.git("add", _renamed(path))
    sync(repo.path, engine=engine, project="p")
    repo.commit("renamed", date="2024-01-05T10:00:00+00:00")
    for path, text in FILES.items():
        repo.write(_renamed(path), text.format("one thing and more"))
    repo.commit("edited", date="2024-01-09T10:00:00+00:00")
    assert backfill(repo.path, engine=engine, project="p").mode == "merged"


@pytest.mark.parametrize("edited", [False, True], ids=["renamed", "renamed-and-edited"])
def test_a_merge_after_a_first_sync_of_an_uncommitted_rename_equals_a_backfill_from_scratch(
        git_repo: GitRepo, database_url: str, other_database_url: str, edited: bool) -> None:
    engine = db.make_engine(database_url)
    try:
        _history(git_repo, engine, edited)
        merged = _state(engine)
    finally:
        engine.dispose()
    assert_renamed_once(merged)
    assert merged == _without_the_renaming_commit(from_scratch(git_repo, other_database_url))
