"""A renamed ADR without a date keeps the date of the commit that created it, through the rename, in a backfill from
scratch and in one that merges with what a sync wrote (README "ADR dates").

``use-x.md`` (its id from its file name) is created by a commit and renamed by ``git mv`` to ``use-y.md`` (a move:
the record becomes ``use-y``), then edited. A backfill from scratch dated the records of the renaming commit before
it renumbered the record (``history.replay._plan``): the ``moved`` revision's snapshot had the renaming commit's
date, not the creating commit's it has in the row and every other snapshot. A merging backfill (a backfill before
the rename, a hook's ``sync --ref`` or a plain sync of it, then the edit) read the creations by the number they were
written under (``history.state.load_state``): ``use-y`` had none, and the edit was dated by its own commit, in the
row, ``show`` and the edit's snapshot. SQLite and PostgreSQL.
"""

from __future__ import annotations

import json
from collections.abc import Callable

import pytest
from sqlalchemy import select

from conftest import GitRepo, run_cli
from test_backfill_promise import _state, from_scratch
from tracertm import db
from tracertm.engine.sync import sync
from tracertm.history.backfill import backfill
from tracertm.models import SpecRevision

OLD, NEW = "docs/adr/use-x.md", "docs/adr/use-y.md"


def _undated(decision: str) -> str:
    return f"# Use X\n\n## Status\n\nAccepted\n\n## Context\n\nC.\n\n## Decision\n\n{decision}\n\n## Consequences\n\nS.\n"


def _created(repo: GitRepo) -> None:
    repo.write("docs/adr/0001-one.md", _undated("One."))
    repo.commit("first", date="2024-01-01T10:00:00+00:00")
    repo.write(OLD, _undated("We use X for everything we build here."))
    repo.commit("use-x", date="2024-01-02T10:00:00+00:00")


def _renamed_and_edited(repo: GitRepo, after_rename: Callable[[], None] | None = None) -> None:
    repo.git("mv", OLD, NEW)
    repo.commit("rename", date="2024-01-05T10:00:00+00:00")
    if after_rename is not None:
        after_rename()
    repo.write(NEW, _undated("We use X for everything we build here, and more."))
    repo.commit("edited", date="2024-01-09T10:00:00+00:00")


def _snapshot_dates(url: str) -> list[tuple[int, str, str | None]]:
    """The revisions of the ADR now ``use-y``: (version, change, the date in its snapshot)."""
    engine = db.make_engine(url)
    try:
        t = SpecRevision.__table__.c
        with engine.connect() as c:
            rows = c.execute(select(t.version, t.change, t.snapshot).where(t.number.in_(["use-x", "use-y"]))).all()
    finally:
        engine.dispose()
    return sorted((r.version, r.change, r.snapshot.get("date")) for r in rows)


def _shown(url: str, monkeypatch: pytest.MonkeyPatch) -> tuple[str, str]:
    """``use-y``'s date as ``show`` gives it, and its ``history``."""
    monkeypatch.setenv("TRACERTM_DATABASE_URL", url)
    shown = run_cli("show", "use-y", "--project", "p", "--format", "json")
    history = run_cli("history", "use-y", "--project", "p")
    assert shown.returncode == history.returncode == 0, shown.stderr + history.stderr
    return json.loads(shown.stdout)["date"], history.stdout


def test_a_backfill_dates_the_move_of_an_undated_adr_by_the_commit_that_created_it(
        git_repo: GitRepo, database_url: str) -> None:
    _created(git_repo)
    _renamed_and_edited(git_repo)
    engine = db.make_engine(database_url)
    try:
        assert backfill(git_repo.path, engine=engine, project="p").mode == "full"
    finally:
        engine.dispose()
    assert _snapshot_dates(database_url) == [
        (1, "created", "2024-01-02"), (2, "moved", "2024-01-02"), (3, "updated", "2024-01-02")]


@pytest.mark.parametrize("synced", ["hook", "plain"])
def test_a_merging_backfill_dates_a_renamed_adr_as_a_backfill_from_scratch(
        git_repo: GitRepo, database_url: str, other_database_url: str, monkeypatch: pytest.MonkeyPatch,
        synced: str) -> None:
    """The rename synced by a hook's ``sync --ref HEAD`` (the merge stands on the hook's rows: ``history.synced``)
    or by a plain sync of the clean work tree (the merge replays the history and grafts it), then an edit no sync
    read: the merged database is the one a backfill from scratch writes, the dates, ``show`` and ``history`` too."""
    monkeypatch.chdir(git_repo.path)
    _created(git_repo)
    engine = db.make_engine(database_url)
    try:
        backfill(git_repo.path, engine=engine, project="p")
        def sync_the_rename() -> None:
            if synced == "hook":
                sync(git_repo.path, ref="HEAD", engine=engine, project="p", trigger="hook")
            else:
                sync(git_repo.path, engine=engine, project="p")

        _renamed_and_edited(git_repo, sync_the_rename)
        assert backfill(git_repo.path, engine=engine, project="p").mode == "merged"
        merged = _state(engine)
    finally:
        engine.dispose()
    assert merged == from_scratch(git_repo, other_database_url)
    assert _shown(database_url, monkeypatch) == _shown(other_database_url, monkeypatch)
    assert _shown(database_url, monkeypatch)[0] == "2024-01-02"
    assert [(change, when) for _, change, when in _snapshot_dates(database_url)] == [
        ("created", "2024-01-02"), ("moved", "2024-01-02"), ("updated", "2024-01-02")]
