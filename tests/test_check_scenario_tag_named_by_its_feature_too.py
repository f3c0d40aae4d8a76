"""A scenario tagged ``@ADR-1`` in a feature tagged ``@ADR-1`` too, with no ADR-0001: a sync stores two dangling
links, the feature's at its tag (line 1) and the scenario's at its own tag (line 5, not the inherited one), and
``check`` reports an error at each of those lines — every file, the hook's ``--staged`` and ``--ref`` alike (it
reported only line 1: one error per missing ADR in the file's feature, scenarios included)."""

from __future__ import annotations

from typing import Any

from sqlalchemy import select

from conftest import GitRepo
from tracertm.checker import check
from tracertm.engine.links import LINKS
from tracertm.engine.sync import sync

FEATURE = "features/f1.feature"
TEXT = "@FEAT-1 @ADR-1\nFeature: F1\n  desc none\n\n  @SC-1 @ADR-1\n  Scenario: s\n    Given x\n"
EXPECTED = [
    (FEATURE, 1, "tag refers to ADR-0001, which is not an ADR of this repository; fix the id or add the ADR"),
    (FEATURE, 5, "scenario SC-1 tag refers to ADR-0001, which is not an ADR of this repository; fix the id or "
                 "add the ADR"),
]


def _errors(result: Any) -> list[tuple[str, int, str]]:
    return [(d.path, d.line, d.message) for d in result.errors]


def test_a_scenario_tag_is_reported_at_its_line_when_its_feature_names_the_adr_too(
    git_repo: GitRepo, engine: Any
) -> None:
    git_repo.write("features/other.feature", "@FEAT-9\nFeature: Other\n  Scenario: s\n    Given x\n")
    git_repo.commit("seed")
    git_repo.write(FEATURE, TEXT)
    git_repo.git("add", "-A")
    assert _errors(check(git_repo.path, staged=True)) == EXPECTED
    assert _errors(check(git_repo.path, staged=True, cache=False)) == EXPECTED
    assert _errors(check(git_repo.path)) == EXPECTED
    git_repo.commit("tags")
    assert _errors(check(git_repo.path, ref="HEAD")) == EXPECTED

    sync(git_repo.path, engine=engine, project="p")
    t = LINKS.c
    with engine.connect() as conn:
        rows = conn.execute(select(t.source_ref, t.source_line).where(t.target_id.is_(None))).all()
    assert sorted((r.source_ref, r.source_line) for r in rows) == [("FEAT-1", 1), ("FEAT-1/SC-1", 5)]
