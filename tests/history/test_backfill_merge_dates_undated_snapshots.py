"""A merge dates an ADR without a date as a backfill from scratch does, in its revisions' snapshots too: a hook's
``sync --ref`` of the commit that created it (and of a later edit) wrote revisions whose snapshot had no date; the
merge gave the row the creating commit's date and left the snapshots without one (``show --at`` answered no date
where a backfill from scratch answers the commit's). The replay is forced: the merge that stands on the syncs
(``history.synced``) is compared with it elsewhere (test_backfill_after_hook_syncs_skips_replay.py)."""

from __future__ import annotations

import pytest
from sqlalchemy import select

from conftest import GitRepo
from test_backfill_promise import from_scratch
from specs import adr, feature
from tracertm import db
from tracertm.engine.sync import sync
from tracertm.history.backfill import backfill
from tracertm.history.synced import ENV_REPLAY
from tracertm.models import SpecRevision

UNDATED = "# 3. No date\n\n## Status\n\nAccepted\n\n## Context\n\nC.\n\n## Decision\n\nD.\n"


def _snapshot_dates(url: str) -> list[tuple[int, str, object]]:
    engine = db.make_engine(url)
    try:
        t = SpecRevision.__table__.c
        with engine.connect() as c:
            rows = c.execute(select(t.version, t.change, t.snapshot).where(t.number == "ADR-0003")).all()
        return sorted((r.version, r.change, r.snapshot.get("date")) for r in rows)
    finally:
        engine.dispose()


def test_the_snapshots_of_an_undated_adr_a_hook_synced_get_its_date(
        git_repo: GitRepo, database_url: str, other_database_url: str,  # noqa: F811 - the fixture
        monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setenv(ENV_REPLAY, "1")
    git_repo.write("docs/adr/0001-use-git.md", adr(1, "Use git"))
    git_repo.write("features/pay.feature", feature(1, "Pay"))
    git_repo.commit("first", date="2024-01-01T10:00:00+00:00")
    engine = db.make_engine(database_url)
    try:
        backfill(git_repo.path, engine=engine, project="p")
        git_repo.write("docs/adr/0003-no-date.md", UNDATED)
        git_repo.commit("undated", date="2024-01-02T10:00:00+00:00")
        sync(git_repo.path, ref="HEAD", engine=engine, project="p", trigger="hook")
        git_repo.write("docs/adr/0003-no-date.md", UNDATED.replace("D.", "D2."))
        git_repo.commit("edited", date="2024-01-03T10:00:00+00:00")
        sync(git_repo.path, ref="HEAD", engine=engine, project="p", trigger="hook")
        assert backfill(git_repo.path, engine=engine, project="p").mode == "merged"
    finally:
        engine.dispose()
    from_scratch(git_repo, other_database_url)
    expected = [(1, "created", "2024-01-02"), (2, "updated", "2024-01-02")]
    assert _snapshot_dates(other_database_url) == expected
    assert _snapshot_dates(database_url) == expected
