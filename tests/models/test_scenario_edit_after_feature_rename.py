"""A database-side edit of a scenario (an API PATCH, a script) records its feature's number in the ``annotated``
revision's snapshot. A feature without an id tag is named after its file: renamed with it, its number changes.
A long-lived engine (``tracertm serve``, a script) keeps its connections in a pool, and the feature number must be
the feature's number at the edit, not the one a pooled connection saw at an earlier edit (``history``, ``diff`` and
the results' scenario names read it)."""

from __future__ import annotations

from sqlalchemy import select

from conftest import GitRepo
from tracertm import db
from tracertm.engine.sync import sync
from tracertm.models import Scenario, SpecRevision
from tracertm.models.audit import ACTOR_KEY

LOGIN = "Feature: Login\n\n  @SC-1\n  Scenario: ok\n    Given a user\n    Then it works\n"


def test_an_edit_after_the_feature_was_renamed_records_the_new_number(git_repo: GitRepo, database_url: str) -> None:
    git_repo.write("features/auth/login.feature", LOGIN)
    git_repo.commit("login")
    sync(git_repo.path, database_url=database_url, project="p")
    engine = db.make_engine(database_url)  # one session at a time: its pool hands out the same connection

    def approve(by: str) -> None:
        with db.session(engine) as session:
            session.info[ACTOR_KEY] = "api:dash"
            session.execute(select(Scenario)).scalar_one().approved_by = by
            session.commit()

    try:
        approve("ada")  # a connection of the engine's pool learns the feature's number
        git_repo.git("mv", "features/auth/login.feature", "features/auth/signin.feature")
        git_repo.commit("rename")
        sync(git_repo.path, database_url=database_url, project="p")  # another engine: the number follows the file
        approve("grace")
        with db.session(engine) as session:
            rows = session.execute(select(SpecRevision.version, SpecRevision.change, SpecRevision.snapshot)
                                   .where(SpecRevision.entity_type == "scenario")
                                   .order_by(SpecRevision.version, SpecRevision.created_at)).all()
        assert [(v, c, s.get("feature_number")) for v, c, s in rows] == [
            (1, "created", "auth/login"), (2, "annotated", "auth/login"), (2, "moved", "auth/signin"),
            (3, "annotated", "auth/signin")]
    finally:
        engine.dispose()
