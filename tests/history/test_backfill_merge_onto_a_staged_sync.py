"""A backfill merged onto a record a ``sync --staged`` wrote first, whose file a merged branch later moved.

An audit's random histories found it: the staged sync's revision names no commit (its run's HEAD did not hold the
file yet), so the merge looked for the history's latest state with the same content — the content hash leaves the
path out, so that was the merged move — and grafted the whole history before the sync's revision: a second
``created`` at the commit, and the sync's own ``created`` relabelled ``moved`` to the path it already had. The
graft now takes the latest such state at the path the sync saw. Real git repositories, SQLite and PostgreSQL."""

from __future__ import annotations

from typing import Any

from sqlalchemy import select

from conftest import GitRepo
from specs import adr
from tracertm import db
from tracertm.engine.sync import sync
from tracertm.history.backfill import backfill
from tracertm.models import SpecRevision

OLD, NEW = "docs/adr/0002-second.md", "docs/adr/arch/0002-second.md"


def _trail(engine: Any, number: str) -> list[tuple[int, str, str | None]]:
    with db.session(engine) as session:
        rows = session.execute(
            select(SpecRevision.version, SpecRevision.change, SpecRevision.source_path)
            .where(SpecRevision.entity_type == "adr", SpecRevision.number == number)
            .order_by(SpecRevision.version, SpecRevision.created_at)).all()
    return [tuple(r) for r in rows]


def test_the_staged_sync_created_revision_stays_the_one_created(git_repo: GitRepo, engine: Any) -> None:
    git_repo.write("docs/adr/0001-first.md", adr(1, "First"))
    git_repo.commit("c1")
    sync(git_repo.path, engine=engine)
    git_repo.write(OLD, adr(2, "Second"))
    git_repo.git("add", "-A")
    sync(git_repo.path, engine=engine, staged=True)
    git_repo.commit("c2")
    # A commit that breaks the file and one that mends it, each synced: its records stay as they were.
    git_repo.write(OLD, "---\ntitle: [unclosed\n---\n" + adr(2, "Second"))
    git_repo.commit("broken")
    sync(git_repo.path, engine=engine)
    git_repo.write(OLD, adr(2, "Second"))
    git_repo.commit("mended")
    sync(git_repo.path, engine=engine)
    git_repo.git("checkout", "-q", "-b", "side")
    (git_repo.path / "docs/adr/arch").mkdir()
    git_repo.git("mv", OLD, NEW)
    git_repo.commit("move")
    sync(git_repo.path, engine=engine)
    git_repo.git("checkout", "-q", "-")
    sync(git_repo.path, engine=engine)
    git_repo.git("merge", "-q", "--no-ff", "-m", "merge", "side")
    sync(git_repo.path, engine=engine, ref="HEAD")
    backfill(git_repo.path, engine=engine)

    trail = _trail(engine, "ADR-0002")
    changes = [change for _, change, _ in trail]
    assert changes.count("created") == 1 and changes[0] == "created", trail
    assert trail[0][2] == OLD and trail[-1][2] == NEW, trail
    # Every move goes somewhere else than the revision before it.
    assert all(path != before for (_, change, path), (_, _, before) in zip(trail[1:], trail) if change == "moved")
    assert [v for v, _, _ in trail] == sorted(v for v, _, _ in trail) and trail[-1][0] == len(
        {v for v, _, _ in trail}), trail
