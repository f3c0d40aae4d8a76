"""A backfill dates an ADR without a date by the commit that created its id, on SQLite as on PostgreSQL, also when
the id has a second ``created`` revision that a sync of the work tree wrote (no commit, no commit date).

The ADR ``use-x`` (its id from its file name) is created by a commit and backfilled; in the work tree its file is
renamed (the record moves to ``use-y``) and a new ``use-x.md`` is written, synced (a ``created`` revision of
``use-x`` without a commit), then a hook's ``sync --ref`` of HEAD. The merge's state (``history.state.load_state``)
took the first ``created`` revision of each id by commit date: SQLite sorts NULL first and took the work tree's,
dated by that sync (the day the test runs), PostgreSQL last and took the commit's. The commits after the merge's
start then dated ``use-x`` (row and snapshots) one way or the other. Both take the commit's now, the date a backfill
from scratch gives it (README "ADR dates": the date of the commit that created it).
"""

from __future__ import annotations

import json
import uuid

import pytest
from sqlalchemy import select

from conftest import GitRepo, run_cli
from test_backfill_promise import from_scratch
from tracertm import db
from tracertm.engine.sync import sync
from tracertm.history.backfill import backfill
from tracertm.models import SpecRevision


def _undated(title: str, decision: str) -> str:
    return f"# {title}\n\n## Status\n\nAccepted\n\n## Context\n\nC.\n\n## Decision\n\n{decision}\n\n## Consequences\n\nS.\n"


def _dates(url: str, monkeypatch: pytest.MonkeyPatch) -> tuple[str, list[tuple[int, str, str | None]]]:
    """``use-x``'s date as ``show`` gives it, and its git revisions' snapshot dates by version."""
    monkeypatch.setenv("TRACERTM_DATABASE_URL", url)
    shown = run_cli("show", "use-x", "--project", "p", "--format", "json")
    assert shown.returncode == 0, shown.stderr
    engine = db.make_engine(url)
    try:
        t = SpecRevision.__table__.c
        with engine.connect() as c:
            rows = c.execute(select(t.version, t.change, t.snapshot).where(
                t.number == "use-x", t.entity_id == uuid.UUID(json.loads(shown.stdout)["id"]))).all()
    finally:
        engine.dispose()
    return json.loads(shown.stdout)["date"], sorted((r.version, r.change, r.snapshot.get("date")) for r in rows)


def test_the_commit_that_created_an_id_dates_it_not_a_work_tree_sync(
        git_repo: GitRepo, database_url: str, other_database_url: str, monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.chdir(git_repo.path)
    git_repo.write("docs/adr/0001-one.md", _undated("1. One", "One."))
    git_repo.commit("first", date="2024-01-01T10:00:00+00:00")
    git_repo.write("docs/adr/use-x.md", _undated("Use X", "We use X for everything we build here."))
    git_repo.commit("use-x", date="2024-01-02T10:00:00+00:00")
    engine = db.make_engine(database_url)
    try:
        backfill(git_repo.path, engine=engine, project="p")
        (git_repo.path / "docs/adr/use-x.md").rename(git_repo.path / "docs/adr/use-y.md")
        sync(git_repo.path, engine=engine, project="p")
        git_repo.write("docs/adr/use-x.md", _undated("Use X again", "A new decision about X."))
        sync(git_repo.path, engine=engine, project="p")
        sync(git_repo.path, ref="HEAD", engine=engine, project="p", trigger="hook")
        git_repo.commit("moved, and a new use-x", date="2024-01-05T10:00:00+00:00")
        git_repo.write("docs/adr/use-x.md", _undated("Use X again", "A new decision about X, edited."))
        git_repo.commit("edited", date="2024-01-09T10:00:00+00:00")
        assert backfill(git_repo.path, engine=engine, project="p").mode == "merged"
    finally:
        engine.dispose()
    from_scratch(git_repo, other_database_url)
    date, snapshots = _dates(database_url, monkeypatch)
    assert date == _dates(other_database_url, monkeypatch)[0] == "2024-01-02"
    assert [(change, when) for _, change, when in snapshots][-2:] == [("updated", "2024-01-02")] * 2
