"""A deleted record's links come back with the review they had when it is restored (README "Suspect links": editing
the source does not clear a suspect link, only a review does): suspect while their target's version differs from
the one reviewed, with who reviewed them and when; a link the restored record did not have before is born
reviewed. A sync of each commit, a backfill of the history (also one ending with the record deleted, restored by a
later sync) and a backfill merged onto synced rows agree — on SQLite and PostgreSQL, with real git repositories."""

from __future__ import annotations

from typing import Any

import pytest
from sqlalchemy import select

from conftest import GitRepo
from specs import adr
from tracertm import db
from tracertm.engine.sync import sync
from tracertm.history.backfill import backfill
from tracertm.models import Link, ParkedReview, Project
from tracertm.trace.review import review

PROJECT = "p"
FEATURE = "@FEAT-1 @ADR-0001 @ADR-0002 @ADR-0004\nFeature: Store\n\n  @SC-1\n  Scenario: save\n    Given a thing\n"
# The feature as restored: a tag it did not have before (its link is new, born reviewed).
RESTORED = FEATURE.replace("@ADR-0004", "@ADR-0004 @ADR-0003")


def _links(engine: Any) -> dict[tuple[str, str], tuple[Any, ...]]:
    """(source, target) → (target_version, reviewed_version, reviewed_by, whether reviewed_at is set)."""
    t = Link.__table__.c
    with engine.connect() as conn:
        rows = conn.execute(select(t.source_ref, t.target_ref, t.target_version, t.reviewed_version, t.reviewed_by,
                                   t.reviewed_at).where(t.target_kind == "adr")).all()
    return {(r.source_ref, r.target_ref): (r.target_version, r.reviewed_version, r.reviewed_by,
                                           r.reviewed_at is not None) for r in rows}


def _parked(engine: Any) -> int:
    with engine.connect() as conn:
        return len(conn.execute(select(ParkedReview.__table__.c.source_id)).all())


def _review(engine: Any, selector: str, by: str) -> None:
    with db.write_session(engine, PROJECT) as session:
        project = session.execute(select(Project).where(Project.name == PROJECT)).scalar_one()
        assert review(session, project, selector, by=by)


def _until_deleted(repo: GitRepo, sync_each: Any = None) -> None:
    """The feature links ADR-0001 and ADR-0002 (and ADR-0004, not written yet); ADR-0001 changes (its links turn
    suspect); the feature is deleted; meanwhile ADR-0002 changes, and ADR-0004 is written and changed."""
    def commit(message: str) -> None:
        repo.commit(message)
        if sync_each is not None:
            sync_each()

    repo.write("docs/adr/0001-use-git.md", adr(1, "Use git"))
    repo.write("docs/adr/0002-use-hg.md", adr(2, "Use hg"))
    repo.write("docs/adr/0003-use-svn.md", adr(3, "Use svn"))
    repo.write("features/store.feature", FEATURE)
    commit("seed")
    repo.write("docs/adr/0001-use-git.md", adr(1, "Use git", decision="Signed commits."))
    commit("ADR-0001 changes")
    repo.remove("features/store.feature")
    commit("the feature goes")
    repo.write("docs/adr/0002-use-hg.md", adr(2, "Use hg", decision="Not."))
    repo.write("docs/adr/0004-use-cvs.md", adr(4, "Use cvs"))
    commit("ADR-0002 changes while it is gone; ADR-0004 is written")
    repo.write("docs/adr/0004-use-cvs.md", adr(4, "Use cvs", decision="Never."))
    commit("ADR-0004 changes")


def _restore(repo: GitRepo) -> None:
    repo.write("features/store.feature", RESTORED)
    repo.commit("the feature is back")


# Unreviewed, as each commit's sync leaves them: reviewed against the versions they were born against.
EXPECTED = {
    ("FEAT-1", "ADR-0001"): (2, 1), ("FEAT-1/SC-1", "ADR-0001"): (2, 1),  # suspect before the deletion: still
    ("FEAT-1", "ADR-0002"): (2, 1), ("FEAT-1/SC-1", "ADR-0002"): (2, 1),  # the target changed while it was gone
    # Born dangling, reviewed against nothing when the feature went: born again with it, at ADR-0004's version 2.
    ("FEAT-1", "ADR-0004"): (2, 2), ("FEAT-1/SC-1", "ADR-0004"): (2, 2),
    ("FEAT-1", "ADR-0003"): (1, 1), ("FEAT-1/SC-1", "ADR-0003"): (1, 1),  # new with the restored feature
}


def test_a_restored_record_takes_back_the_reviews_of_its_links(git_repo: GitRepo, engine: Any) -> None:
    def run() -> None:
        assert not sync(git_repo.path, engine=engine, project=PROJECT).errors

    git_repo.write("docs/adr/0001-use-git.md", adr(1, "Use git"))
    git_repo.write("docs/adr/0002-use-hg.md", adr(2, "Use hg"))
    git_repo.write("features/store.feature", FEATURE.replace(" @ADR-0004", ""))
    git_repo.commit("seed")
    run()
    git_repo.write("docs/adr/0001-use-git.md", adr(1, "Use git", decision="Signed commits."))
    git_repo.commit("ADR-0001 changes")
    run()
    _review(engine, "FEAT-1", "Grace Hopper")  # FEAT-1 → ADR-0001 reviewed at v2; FEAT-1/SC-1's stays suspect
    before = _links(engine)
    git_repo.remove("features/store.feature")
    deleted = git_repo.commit("the feature goes")
    run()
    assert not _links(engine) and _parked(engine) == 4
    git_repo.write("docs/adr/0002-use-hg.md", adr(2, "Use hg", decision="Not."))
    git_repo.commit("ADR-0002 changes while the feature is gone")
    run()
    git_repo.git("revert", "--no-edit", deleted)
    run()

    after = _links(engine)
    assert after[("FEAT-1", "ADR-0001")] == before[("FEAT-1", "ADR-0001")] == (2, 2, "Grace Hopper", True)
    assert after[("FEAT-1/SC-1", "ADR-0001")] == (2, 1, None, False), "suspect before it went: suspect still"
    assert after[("FEAT-1", "ADR-0002")] == (2, 1, None, False), "its target changed while it was gone"
    assert set(after) == set(before) and _parked(engine) == 0


def test_a_database_side_edit_while_it_was_gone_makes_no_restored_link_suspect(git_repo: GitRepo,
                                                                               engine: Any) -> None:
    """The parked review was of the target's content: an ``annotated`` edit since is no new content version."""
    from tracertm.models import ADR

    git_repo.write("docs/adr/0001-use-git.md", adr(1, "Use git"))
    git_repo.write("features/store.feature", FEATURE.replace(" @ADR-0002 @ADR-0004", ""))
    git_repo.commit("seed")
    sync(git_repo.path, engine=engine, project=PROJECT)
    git_repo.remove("features/store.feature")
    deleted = git_repo.commit("the feature goes")
    sync(git_repo.path, engine=engine, project=PROJECT)
    with db.session(engine) as session:
        row = session.execute(select(ADR).where(ADR.adr_number == "ADR-0001")).scalar_one()
        row.approved_by = "Ada"
        session.commit()
    git_repo.git("revert", "--no-edit", deleted)
    sync(git_repo.path, engine=engine, project=PROJECT)
    link = _links(engine)[("FEAT-1", "ADR-0001")]
    assert link[0] == link[1], link


@pytest.mark.parametrize("restored_by", ["backfill", "sync"])
def test_backfill_and_a_sync_of_each_commit_restore_the_same_reviews(
        git_repo: GitRepo, database_url: str, other_database_url: str, restored_by: str) -> None:
    """``restored_by``: the backfill's history holds the restore, or ends with the feature deleted (its links'
    reviews parked from the history) and a sync restores it."""
    filled, synced = db.make_engine(database_url), db.make_engine(other_database_url)
    try:
        _until_deleted(git_repo, lambda: sync(git_repo.path, ref="HEAD", engine=synced, project=PROJECT))
        if restored_by == "backfill":
            _restore(git_repo)
            backfill(git_repo.path, engine=filled, project=PROJECT)
        else:
            backfill(git_repo.path, engine=filled, project=PROJECT)
            assert _parked(filled) == _parked(synced) == 4  # (to ADR-0001 and ADR-0002; ADR-0004's had none)
            _restore(git_repo)
            sync(git_repo.path, ref="HEAD", engine=filled, project=PROJECT)
        sync(git_repo.path, ref="HEAD", engine=synced, project=PROJECT)
        found = {key: link[:2] for key, link in _links(filled).items()}
        assert found == {key: link[:2] for key, link in _links(synced).items()}
        assert found == EXPECTED
    finally:
        filled.dispose()
        synced.dispose()


def test_a_backfill_merged_onto_synced_rows_keeps_the_parked_reviews(git_repo: GitRepo, engine: Any) -> None:
    """Synced first at a later commit, reviewed, the feature deleted: the merge numbers ADR-0001's versions after
    its older history, the parked reviews with them, and the restored link is as reviewed as it was."""
    git_repo.write("docs/adr/0001-use-git.md", adr(1, "Use git"))
    git_repo.commit("an ADR, before any sync")
    git_repo.write("docs/adr/0001-use-git.md", adr(1, "Use git", decision="Signed commits."))
    git_repo.write("features/store.feature", FEATURE.replace(" @ADR-0002 @ADR-0004", ""))
    git_repo.commit("it changes; a feature implements it")
    sync(git_repo.path, engine=engine, project=PROJECT)
    git_repo.write("docs/adr/0001-use-git.md", adr(1, "Use git", decision="Signed commits, always."))
    git_repo.commit("it changes again")
    sync(git_repo.path, engine=engine, project=PROJECT)
    _review(engine, "FEAT-1", "Grace Hopper")
    git_repo.remove("features/store.feature")
    deleted = git_repo.commit("the feature goes")
    sync(git_repo.path, engine=engine, project=PROJECT)

    assert backfill(git_repo.path, engine=engine, project=PROJECT).mode == "merged"
    git_repo.git("revert", "--no-edit", deleted)
    sync(git_repo.path, engine=engine, project=PROJECT)
    links = _links(engine)
    assert links[("FEAT-1", "ADR-0001")] == (3, 3, "Grace Hopper", True), "reviewed, as before the deletion"
    assert links[("FEAT-1/SC-1", "ADR-0001")] == (3, 2, None, False), "suspect, as before the deletion"
