"""A deletion a hook's ``sync --ref`` recorded at a later commit (the commit that deleted the records was not synced:
committed with ``--no-verify``, or the hook not installed yet) is the deleting commit's after a merge, as in a
backfill from scratch: the merge kept the later commit's sha, people and dates on the ``deleted`` revision of the
feature and of each of its scenarios (``history`` named the wrong commit, ``show --at`` the deleting commit answered
the record as live). Whether the later commit touched the specs or not. The replay is forced (the merge that stands
on the syncs needs every commit of the specs synced: test_backfill_after_hook_syncs_skips_replay.py)."""

from __future__ import annotations

import pytest
from sqlalchemy import select

from conftest import GitRepo
from test_backfill_promise import from_scratch
from specs import adr, contract, feature
from tracertm import db
from tracertm.engine.sync import sync
from tracertm.history.backfill import backfill
from tracertm.history.synced import ENV_REPLAY
from tracertm.models import SpecRevision


def _deletions(url: str) -> list[tuple[str, str, int, str | None, object]]:
    engine = db.make_engine(url)
    try:
        t = SpecRevision.__table__.c
        with engine.connect() as c:
            rows = c.execute(select(t.entity_type, t.number, t.version, t.commit_sha, t.authored_at)
                             .where(t.change == "deleted")).all()
        return sorted((r[0], r[1], r[2], r[3], r[4]) for r in rows)
    finally:
        engine.dispose()


@pytest.mark.parametrize("later", ["a contract edit", "a README edit"])
def test_a_deletion_synced_at_a_later_commit_is_the_deleting_commits(
        later: str, git_repo: GitRepo, database_url: str, other_database_url: str,  # noqa: F811 - the fixture
        monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setenv(ENV_REPLAY, "1")
    git_repo.write("docs/adr/0001-use-git.md", adr(1, "Use git"))
    git_repo.write("features/pay.feature", feature(1, "Pay"))
    git_repo.write("features/old.feature", feature(2, "Old"))
    git_repo.write("contracts/pay.yaml", contract(1, "Payments"))
    git_repo.commit("first", date="2024-01-01T10:00:00+00:00")
    engine = db.make_engine(database_url)
    try:
        backfill(git_repo.path, engine=engine, project="p")
        git_repo.remove("features/old.feature")
        deleting = git_repo.commit("delete old", date="2024-01-02T10:00:00+00:00")  # not synced
        if later == "a contract edit":
            git_repo.write("contracts/pay.yaml", contract(1, "Payments", ("a", "b", "c")))
        else:
            git_repo.write("README.md", "hello\n")
        git_repo.commit("later", date="2024-01-03T10:00:00+00:00")
        sync(git_repo.path, ref="HEAD", engine=engine, project="p", trigger="hook")
        assert backfill(git_repo.path, engine=engine, project="p").mode == "merged"
    finally:
        engine.dispose()
    from_scratch(git_repo, other_database_url)
    expected = _deletions(other_database_url)
    assert {r[3] for r in expected} == {deleting} and len(expected) == 3  # the feature and its two scenarios
    assert _deletions(database_url) == expected
