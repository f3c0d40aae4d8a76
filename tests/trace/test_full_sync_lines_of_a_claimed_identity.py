"""Two feature files claiming one id (``@FEAT-2`` in ``a.feature`` and in ``b.feature``): the file the database
knows keeps it (the first by path on a first sync) and the other is in error. ``sync --full`` parses both, and the
links of the kept records point at the lines of the kept file's references, as a first sync, an incremental sync
and a backfill store them — never at the lines of the losing file's (which once moved the kept scenario's
``@ADR-1`` link from its tag, line 5, to its keyword line, 6)."""

from __future__ import annotations

from typing import Any

from sqlalchemy import select

from conftest import GitRepo
from tracertm.engine.links import LINKS
from tracertm.engine.sync import sync
from tracertm.history.backfill import backfill
from tracertm.models import Project

KEPT = "@FEAT-2\nFeature: F2\n  desc none\n\n  @SC-1 @ADR-1\n  Scenario: s\n    plain\n\n    Given x\n"
LOSING = "@FEAT-2\nFeature: F2\n  desc none\n\n  @SC-1\n  Scenario: s\n    Given x\n"
EXPECTED = {("FEAT-2/SC-1", "ADR-0001", 5)}


def _links(engine: Any, project: str) -> set[tuple[str, str, int]]:
    t = LINKS.c
    with engine.connect() as conn:
        pid = conn.execute(select(Project.id).where(Project.name == project)).scalar_one()
        rows = conn.execute(select(t.source_ref, t.target_ref, t.source_line).where(t.project_id == pid)).all()
    return {(r.source_ref, r.target_ref, r.source_line) for r in rows}


def test_full_sync_keeps_the_kept_files_link_lines(git_repo: GitRepo, engine: Any) -> None:
    git_repo.write("features/a.feature", KEPT)
    git_repo.write("features/b.feature", LOSING)
    git_repo.commit("FEAT-2 claimed twice")
    first = sync(git_repo.path, engine=engine, project="p")
    assert [(d.path, "already defined" in d.message) for d in first.errors] == [("features/b.feature", True)]
    assert _links(engine, "p") == EXPECTED

    full = sync(git_repo.path, engine=engine, project="p", full=True)
    assert [d.path for d in full.errors] == ["features/b.feature"]
    assert _links(engine, "p") == EXPECTED

    sync(git_repo.path, engine=engine, project="fresh", ref="HEAD")
    backfill(git_repo.path, engine=engine, project="backfill")
    assert _links(engine, "fresh") == _links(engine, "backfill") == EXPECTED
