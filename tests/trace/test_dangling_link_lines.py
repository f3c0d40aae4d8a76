"""A link points at the line its reference is written on — an ``@ADR-n`` tag of the feature or of a scenario (a
scenario's inherited feature tag: the feature's tag line), a mention in a description, an ADR's related id, a
contract's mention — and so does a dangling link's finding. On every path that derives links: the first sync's
eager writer, a first sync of a commit, a later sync (a changed record, and a file whose lines only moved),
``sync --full`` and a backfill (SQLite and PostgreSQL)."""

from __future__ import annotations

import re
from typing import Any

import pytest
from sqlalchemy import select

from conftest import GitRepo
from tracertm.engine.links import LINKS
from tracertm.engine.sync import sync
from tracertm.history.backfill import backfill

FEATURE = "features/pay.feature"
FEATURE_TEXT = (
    "# payments\n"  # 1
    "@FEAT-1 @ADR-0099\n"  # 2
    "Feature: Pay\n"  # 3
    "  A description mentioning ADR-0095.\n"  # 4
    "\n"  # 5
    "  @SC-1 @ADR-0098\n"  # 6
    "  Scenario: one\n"  # 7
    "    Given x\n"  # 8
    "\n"  # 9
    "  @SC-2\n"  # 10
    "  Scenario: two\n"  # 11
    "    Given y\n"  # 12
)
ADR = "docs/adr/0001-pay.md"
ADR_TEXT = "# 1. Pay\n\n## Status\n\nAccepted\n\n## Context\n\nSome context.\n\nSee ADR-0097 too.\n"  # line 11
CONTRACT = "contracts/pay.yaml"
CONTRACT_TEXT = (
    "id: CTR-0001\ntitle: Pay\ntype: service\nstatus: approved\n"
    "description: implements ADR-0096\n"  # 5
    "states: [pending, paid]\ntransitions:\n  - {from: pending, to: paid, trigger: pay}\n"
)
# (source, target) → the line of the reference, for every dangling link of the files above.
EXPECTED = {
    ("FEAT-1", "ADR-0099"): 2, ("FEAT-1", "ADR-0095"): 4,
    ("FEAT-1/SC-1", "ADR-0098"): 6, ("FEAT-1/SC-1", "ADR-0099"): 2, ("FEAT-1/SC-2", "ADR-0099"): 2,
    ("ADR-0001", "ADR-0097"): 11, ("CTR-0001", "ADR-0096"): 5,
}
PATHS = {"FEAT-1": FEATURE, "ADR-0001": ADR, "CTR-0001": CONTRACT}
_FINDING = re.compile(r"dangling link: (\S+) \S+ (\S+),")


def _shifted(expected: dict[tuple[str, str], int], by: int, path: str) -> dict[tuple[str, str], int]:
    return {k: v + by if PATHS[k[0].split("/")[0]] == path else v for k, v in expected.items()}


def _stored(engine: Any) -> dict[tuple[str, str], int]:
    t = LINKS.c
    with engine.connect() as conn:
        rows = conn.execute(select(t.source_ref, t.target_ref, t.source_line, t.source_path)
                            .where(t.target_id.is_(None), t.target_kind == "adr")).all()
    for r in rows:
        assert r.source_path == PATHS[r.source_ref.split("/")[0]]
    return {(r.source_ref, r.target_ref): r.source_line for r in rows}


def _reported(findings: list[Any]) -> dict[tuple[str, str], int]:
    out: dict[tuple[str, str], int] = {}
    for d in findings:
        m = _FINDING.match(d.message)
        assert m is not None, d.message
        assert d.path == PATHS[m.group(1).split("/")[0]]
        out[(m.group(1), m.group(2))] = d.line
    return out


def _seed(git_repo: GitRepo) -> None:
    git_repo.write(FEATURE, FEATURE_TEXT)
    git_repo.write(ADR, ADR_TEXT)
    git_repo.write(CONTRACT, CONTRACT_TEXT)
    git_repo.commit("specs")


@pytest.mark.parametrize("ref", [None, "HEAD"], ids=["eager-worktree", "commit"])
def test_first_sync_points_each_link_at_its_reference(git_repo: GitRepo, engine: Any, ref: str | None) -> None:
    _seed(git_repo)
    result = sync(git_repo.path, engine=engine, project="shop", ref=ref)
    assert _reported(result.links) == EXPECTED
    assert _stored(engine) == EXPECTED


def test_later_syncs_follow_the_references(git_repo: GitRepo, engine: Any) -> None:
    _seed(git_repo)
    sync(git_repo.path, engine=engine, project="shop")

    # A changed feature (a new dangling tag on the second scenario): its links are derived again.
    changed = FEATURE_TEXT.replace("  @SC-2\n", "  @SC-2 @ADR-0094\n")
    git_repo.write(FEATURE, changed)
    git_repo.commit("tag")
    result = sync(git_repo.path, engine=engine, project="shop")
    expected = {**EXPECTED, ("FEAT-1/SC-2", "ADR-0094"): 10}
    assert _reported(result.links)[("FEAT-1/SC-2", "ADR-0094")] == 10
    assert _stored(engine) == expected

    # Lines added above every record, no content changed (no new version): the links follow their references.
    git_repo.write(FEATURE, "# more\n# comments\n" + changed)
    git_repo.write(ADR, ADR_TEXT.replace("Some context.\n", "Some context.\n\nMore context.\n"))
    git_repo.write(CONTRACT, "# a comment\n" + CONTRACT_TEXT)
    git_repo.commit("moved lines")
    sync(git_repo.path, engine=engine, project="shop")
    moved = _shifted(_shifted(_shifted(expected, 2, FEATURE), 2, ADR), 1, CONTRACT)
    assert _stored(engine) == moved

    full = sync(git_repo.path, engine=engine, project="shop", full=True)
    assert _reported(full.links) == moved
    assert _stored(engine) == moved


def test_backfill_points_each_link_at_its_reference(git_repo: GitRepo, engine: Any) -> None:
    git_repo.write(FEATURE, FEATURE_TEXT.replace("@ADR-0099", "@ADR-0093"))
    git_repo.commit("first")
    _seed(git_repo)
    backfill(git_repo.path, engine=engine, project="shop")
    assert _stored(engine) == EXPECTED
