"""A database-side edit (an API PATCH, an approval from a script) between two batches of a backfill: the backfill's
next batch finds the row at another version and stops (exit 75). Its message is the backfill's — its earlier batches
are kept, run the backfill again — not a sync's ("nothing was written — run the sync again"), and running it again
finishes the history with the edit and its revision kept (found by
tests/integrity/test_concurrent_writers_postgres.py, where API writes land between the batches of a backfill)."""

from __future__ import annotations

import pytest
from sqlalchemy import select

from conftest import GitRepo
from specs import adr
from tracertm import db
from tracertm.errors import ConflictError
from tracertm.history.backfill import backfill
from tracertm.history.results import Progress
from tracertm.models import ADR, SpecRevision
from tracertm.models.audit import ACTOR_KEY


def test_an_edit_between_batches_stops_the_backfill_with_its_own_message(
        git_repo: GitRepo, database_url: str) -> None:
    for decision in ("We will.", "We will, twice.", "We will, three times."):
        git_repo.write("docs/adr/0001-use-git.md", adr(1, "Use git", decision=decision))
        git_repo.commit(decision)
    engine = db.make_engine(database_url)

    edited: list[int] = []

    def edit_after_the_first_batch(progress: Progress) -> None:
        # Once the first commit's batch is committed (the row exists); the backfill holds no lock between batches.
        with db.session(engine) as session:
            row = session.execute(select(ADR)).scalar_one_or_none()
            if row is not None and not edited:
                session.info[ACTOR_KEY] = "api:dash"
                row.approved_by = "grace"
                session.commit()
                edited.append(progress.done)

    try:
        with pytest.raises(ConflictError) as stopped:
            backfill(git_repo.path, engine=engine, project="p", batch_size=1, on_progress=edit_after_the_first_batch)
        message = str(stopped.value)
        assert "\n" not in message
        assert "backfill" in message and "run 'tracertm backfill' again" in message, message
        assert "sync" not in message and "nothing was written" not in message, message
        # Run again: the history is finished, the edit and its revision kept, one revision per version.
        backfill(git_repo.path, engine=engine, project="p")
        with db.session(engine) as session:
            row = session.execute(select(ADR)).scalar_one()
            revisions = session.execute(select(SpecRevision.version, SpecRevision.change, SpecRevision.actor)
                                        .order_by(SpecRevision.version)).all()
        assert row.approved_by == "grace" and row.title == "Use git"
        assert [tuple(r) for r in revisions] == [
            (1, "created", None), (2, "annotated", "api:dash"), (3, "updated", None), (4, "updated", None)]
        assert row.version == 4
    finally:
        engine.dispose()
