"""An ``Examples:`` block's tags are its rows' (cucumber gives them to the scenarios it makes of the rows), so its
``@ADR-n`` and ``@REQ-n`` tags are references of the outline, as the outline's own tags are: a sync links the
outline to the ADR (at the tag's line) and stores the requirement in ``requirement_ids``; ``check`` reports such a
tag naming no ADR at the tag, as it does an outline's own tag. Before, a tag of an Examples block made no link, no
requirement and no finding."""

from __future__ import annotations

from typing import Any

import pytest
from sqlalchemy import delete, select

from conftest import GitRepo
from specs import adr
from tracertm.cli import main
from tracertm.engine.sync import sync
from tracertm.models import Link, Scenario

FEATURE = """\
@FEAT-1
Feature: Basket

  @SC-1 @ADR-1
  Scenario Outline: add <n> <fruit>
    When I add <n> "<fruit>"
    Then the basket holds <n> items

    @smoke @ADR-2 @REQ-5
    Examples: small
      | n | fruit |
      | 1 | pear  |

    @ADR-1 @ADR-3
    Examples: big
      | n | fruit |
      | 9 | fig   |
"""
DANGLING = "scenario SC-1 tag refers to ADR-0003, which is not an ADR of this repository; fix the id or add the ADR"


def _links(engine: Any) -> dict[tuple[str, str], int]:
    t = Link.__table__
    with engine.connect() as conn:
        rows = conn.execute(select(t.c.target_ref, t.c.link_type, t.c.source_line, t.c.target_id)
                            .where(t.c.source_ref == "FEAT-1/SC-1")).all()
    return {(r.target_ref, r.link_type): r.source_line for r in rows if r.target_id is not None
            or r.link_type == "covers"}


def test_an_examples_block_tag_links_the_outline(git_repo: GitRepo, engine: Any) -> None:
    for number in (1, 2, 3):
        git_repo.write(f"docs/adr/000{number}-a{number}.md", adr(number, f"A{number}"))
    git_repo.write("features/basket.feature", FEATURE)
    git_repo.commit("seed")
    assert not sync(git_repo.path, engine=engine).errors
    # ADR-0001 at the outline's own tag (line 4), ADR-0002 and ADR-0003 at their Examples blocks' tag lines; a
    # requirement at the outline's line, as one the outline's own tag names.
    assert _links(engine) == {("ADR-0001", "implements"): 4, ("ADR-0002", "implements"): 9,
                              ("ADR-0003", "implements"): 14, ("REQ-5", "covers"): 5}
    with engine.connect() as conn:
        assert conn.execute(select(Scenario.requirement_ids)).scalar_one() == ["REQ-5"]

    # A database synced by the former parsers (no such links) gains them at the next sync.
    from raw_sql import set_marker

    from tracertm.engine.parsed_by import PARSER_OUTPUT_KEY

    expected = _links(engine)
    with engine.begin() as conn:
        conn.execute(delete(Link).where(Link.source_ref == "FEAT-1/SC-1", Link.target_ref != "ADR-0001"))
    set_marker(engine.url.render_as_string(hide_password=False), PARSER_OUTPUT_KEY, 8)
    assert not sync(git_repo.path, engine=engine).changed
    assert _links(engine) == expected


@pytest.mark.parametrize("staged", [False, True])
def test_check_reports_an_examples_block_tag_naming_no_adr(
    git_repo: GitRepo, capsys: pytest.CaptureFixture[str], staged: bool
) -> None:
    git_repo.write("docs/adr/0001-a1.md", adr(1, "A1"))
    git_repo.write("docs/adr/0002-a2.md", adr(2, "A2"))
    git_repo.commit("adrs")
    git_repo.write("features/basket.feature", FEATURE)
    if staged:
        git_repo.git("add", "features/basket.feature")
    else:
        git_repo.commit("feature")
    args = ["check", str(git_repo.path), *(["--staged"] if staged else [])]
    for _ in range(2):  # the second run reads the sketches from the check cache
        assert main(args) == 1
        assert capsys.readouterr().out.splitlines() == [f"features/basket.feature:14:12: {DANGLING}"]
