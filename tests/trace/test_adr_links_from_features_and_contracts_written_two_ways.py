"""A feature or a contract naming one ADR two ways (a feature's ``@ADR-2`` tag on line 1 and ``ADR-0002-use-a`` in
its description on line 3, while ADR-0002-use-a is the one ADR of number 2) has one link to it, at the first
reference. When that ADR goes, the two references name two ADRs that do not exist: two dangling links, each at its
own reference's line — the unchanged feature's file is read again for it, as an unchanged ADR's is. When the ADR
comes back they are one link again.

The same after an incremental sync (of the work tree, of ``HEAD``, or of the changed paths alone, as the watcher
syncs), a sync of the commit into a fresh project, ``sync --full`` and a backfill.
"""

from __future__ import annotations

from typing import Any

import pytest
from sqlalchemy import select

from conftest import GitRepo
from tracertm.engine.links import LINKS
from tracertm.engine.sync import sync
from tracertm.history.backfill import backfill
from tracertm.models import Project

ADR = "docs/adr/0002-a.md"
ADR_TEXT = "---\nid: ADR-0002-use-a\n---\n# ADR-0002: Use a\n\n## Status\nAccepted\n\n## Context\nC.\n"
FEATURE = "@FEAT-2 @ADR-2\nFeature: F2\n  desc ADR-0002-use-a\n\n  @SC-1\n  Scenario: s\n    Given x\n"
CONTRACT = "id: CTR-0001\ntitle: C\nmetadata:\n  d: ADR-0002\n  e: ADR-0002-use-a\n"

Row = tuple[str, str, int, str, bool]

ONE_LINK: set[Row] = {
    ("FEAT-2", "ADR-0002-use-a", 1, "implements", True),
    ("FEAT-2/SC-1", "ADR-0002-use-a", 1, "implements", True),
    ("CTR-0001", "ADR-0002-use-a", 4, "implements", True),
}
TWO_LINKS: set[Row] = {
    ("FEAT-2", "ADR-0002", 1, "implements", False),
    ("FEAT-2", "ADR-0002-use-a", 3, "implements", False),
    ("FEAT-2/SC-1", "ADR-0002", 1, "implements", False),  # (a scenario inherits its feature's tags, not its text)
    ("CTR-0001", "ADR-0002", 4, "implements", False),
    ("CTR-0001", "ADR-0002-use-a", 5, "implements", False),
}


def _links(engine: Any, project: str) -> set[Row]:
    t = LINKS.c
    with engine.connect() as conn:
        pid = conn.execute(select(Project.id).where(Project.name == project)).scalar_one()
        rows = conn.execute(select(t.source_ref, t.target_ref, t.source_line, t.link_type, t.target_id)
                            .where(t.project_id == pid, t.target_kind == "adr")).all()
    return {(r.source_ref, r.target_ref, r.source_line, r.link_type, r.target_id is not None) for r in rows}


def _same_everywhere(repo: GitRepo, engine: Any, step: str, expected: set[Row]) -> None:
    assert _links(engine, "p") == expected
    sync(repo.path, engine=engine, project=f"fresh {step}", ref="HEAD")
    sync(repo.path, engine=engine, project=f"first {step}")
    backfill(repo.path, engine=engine, project=f"backfill {step}")
    for other in ("fresh", "first", "backfill"):
        assert _links(engine, f"{other} {step}") == expected, other
    sync(repo.path, engine=engine, project="p", full=True)
    assert _links(engine, "p") == expected


def _sync(repo: GitRepo, engine: Any, how: str) -> None:
    if how == "paths":
        sync(repo.path, engine=engine, project="p", paths=[ADR])
    else:
        sync(repo.path, engine=engine, project="p", ref="HEAD" if how == "ref" else None)


@pytest.mark.parametrize("how", ["worktree", "ref", "paths"])
def test_references_naming_one_adr_two_ways_split_at_their_own_lines_when_it_goes(
    git_repo: GitRepo, engine: Any, how: str
) -> None:
    git_repo.write(ADR, ADR_TEXT)
    git_repo.write("features/f2.feature", FEATURE)
    git_repo.write("contracts/c1.yaml", CONTRACT)
    git_repo.commit("ADR-0002-use-a, named two ways by a feature and a contract")
    sync(git_repo.path, engine=engine, project="p")
    assert _links(engine, "p") == ONE_LINK

    git_repo.remove(ADR)
    git_repo.commit("ADR-0002-use-a goes")
    _sync(git_repo, engine, how)
    _same_everywhere(git_repo, engine, "gone", TWO_LINKS)

    git_repo.write(ADR, ADR_TEXT)
    git_repo.commit("ADR-0002-use-a comes back")
    _sync(git_repo, engine, how)
    _same_everywhere(git_repo, engine, "back", ONE_LINK)
