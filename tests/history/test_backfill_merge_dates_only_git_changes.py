"""The ADR dates a merge gives (``merge.fill_snapshot_dates``) go only into the snapshots of git changes that hold
every field of an ADR whose file had no date — never into an ``annotated`` revision (revisions are append-only; it
holds only the fields the edit changed: a dated ADR's approval got ``"date"``, the creating commit's date, not even
the file's) nor a deletion's (it holds none, as a backfill from scratch writes it). Both ways a merge goes: the
replay's graft, and the merge that stands on a hook's syncs (``history.synced``). SQLite and PostgreSQL."""

from __future__ import annotations

from typing import Any

from sqlalchemy import select

from conftest import GitRepo
from specs import adr
from tracertm import db
from tracertm.engine.sync import sync
from tracertm.history.backfill import backfill
from tracertm.models import ADR, SpecRevision

UNDATED = "# 3. No date\n\n## Status\n\nAccepted\n\n## Context\n\nC.\n\n## Decision\n\nD.\n"


def _approve(engine: Any, number: str) -> None:
    """A database-side edit (through the ORM, as the API's PATCH makes it): an ``annotated`` revision."""
    with db.session(engine) as session:
        session.info["actor"] = "grace"
        row = session.execute(select(ADR).where(ADR.adr_number == number)).scalar_one()
        row.approved_by = "Grace"
        session.commit()


def _trail(engine: Any, number: str) -> list[tuple[int, str, Any]]:
    """(version, change, the snapshot's date) of an ADR's git changes, (version, change, snapshot) of the others."""
    t = SpecRevision.__table__.c
    with engine.connect() as c:
        rows = c.execute(select(t.version, t.change, t.snapshot).where(t.number == number)
                         .order_by(t.version, t.change)).all()
    return [(r.version, r.change, r.snapshot.get("date") if r.change in ("created", "updated") else r.snapshot)
            for r in rows]


def test_the_graft_dates_no_annotated_or_deleted_revision(git_repo: GitRepo, engine: Any) -> None:
    git_repo.write("docs/adr/0001-use-git.md", adr(1, "Use git"))
    git_repo.write("docs/adr/0003-no-date.md", UNDATED)
    git_repo.commit("first", date="2024-03-01T10:00:00+00:00")
    sync(git_repo.path, ref="HEAD", engine=engine, project="p", trigger="hook")
    _approve(engine, "ADR-0001")
    _approve(engine, "ADR-0003")
    git_repo.remove("docs/adr/0003-no-date.md")
    git_repo.commit("gone", date="2024-03-02T10:00:00+00:00")
    sync(git_repo.path, ref="HEAD", engine=engine, project="p", trigger="hook")
    result = backfill(git_repo.path, engine=engine, project="p")
    assert result.mode == "merged" and result.replayed > 0
    approved = {"approved_by": "Grace"}
    assert _trail(engine, "ADR-0001") == [(1, "created", "2024-01-01"), (2, "annotated", approved)]
    assert _trail(engine, "ADR-0003") == [(1, "created", "2024-03-01"), (2, "annotated", approved),
                                          (3, "deleted", {})]


def test_the_merge_on_hook_syncs_dates_no_annotated_revision(git_repo: GitRepo, engine: Any) -> None:
    git_repo.write("docs/adr/0001-use-git.md", adr(1, "Use git"))
    git_repo.commit("first", date="2024-03-01T10:00:00+00:00")
    assert backfill(git_repo.path, engine=engine, project="p").mode == "full"
    _approve(engine, "ADR-0001")
    git_repo.write("docs/adr/0003-no-date.md", UNDATED)
    git_repo.commit("undated", date="2024-03-02T10:00:00+00:00")
    sync(git_repo.path, ref="HEAD", engine=engine, project="p", trigger="hook")
    _approve(engine, "ADR-0003")
    result = backfill(git_repo.path, engine=engine, project="p")
    assert result.mode == "merged" and result.replayed == 0  # it stood on the hook's sync
    approved = {"approved_by": "Grace"}
    assert _trail(engine, "ADR-0001") == [(1, "created", "2024-01-01"), (2, "annotated", approved)]
    assert _trail(engine, "ADR-0003") == [(1, "created", "2024-03-02"), (2, "annotated", approved)]
    with db.session(engine) as session:
        dated = session.execute(select(ADR.date).where(ADR.adr_number == "ADR-0003")).scalar_one()
    assert dated is not None and dated.isoformat() == "2024-03-02"
