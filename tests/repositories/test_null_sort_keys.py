"""Keyset pages over a sort field that may be empty (an undated ADR's ``date``): following ``next_cursor`` returns
every record once, empty values last in both directions, on SQLite and PostgreSQL alike. A cursor on an empty value
matched no row after it (a comparison with NULL is never true): records were dropped silently. Facets count an
empty value as None, not as the text "None" that no filter selects."""

from __future__ import annotations

from typing import Any

import pytest
from sqlalchemy import select

from conftest import GitRepo
from specs import adr
from tracertm import db
from tracertm.engine.sync import sync
from tracertm.models import Project, TestCase
from tracertm.repositories.records import Records
from tracertm.schemas.filters import ListFilter


def _follow(engine: Any, kind: str, sort: str) -> list[str]:
    out: list[str] = []
    with db.session(engine) as session:
        project = session.execute(select(Project)).scalar_one()
        repo, cursor = Records(session, kind), None
        for _ in range(20):
            page = repo.list(project, ListFilter(sort=[sort], limit=2), cursor)
            out += [row.adr_number if kind == "adr" else row.test_case_number for row, _ in page.rows]
            cursor = page.next_cursor
            if cursor is None:
                return out
    raise AssertionError(f"pages never ended: {out}")


@pytest.mark.parametrize("sort", ["date", "-date"])
def test_undated_adrs_are_all_paged_after_the_dated_ones(git_repo: GitRepo, engine: Any, sort: str) -> None:
    for n in range(1, 7):
        text = adr(n, f"Choice {n}")
        git_repo.write(f"docs/adr/{n:04d}-choice.md", text if n % 2 else text.replace(f"Date: 2024-01-{n:02d}\n", ""))
    git_repo.commit("adrs, every other one undated")
    sync(git_repo.path, engine=engine, project="p")

    got = _follow(engine, "adr", sort)
    dated = ["ADR-0001", "ADR-0003", "ADR-0005"]
    assert got == (dated if sort == "date" else dated[::-1]) + ["ADR-0002", "ADR-0004", "ADR-0006"]


def test_test_cases_with_no_status_are_paged_and_counted_as_none(git_repo: GitRepo, engine: Any) -> None:
    git_repo.write("docs/adr/0001-x.md", adr(1, "X"))
    git_repo.commit("adr")
    sync(git_repo.path, engine=engine, project="p")
    with db.session(engine) as session, session.begin():
        project = session.execute(select(Project)).scalar_one()
        for n in range(1, 6):
            session.add(TestCase(project_id=project.id, test_case_number=f"x::t{n}", title=f"t{n}",
                                 status="automated" if n % 2 else None))
    for sort in ("status", "-status"):  # (ties in id order: ids are random here, so compared as sets)
        got = _follow(engine, "test_case", sort)
        assert len(got) == 5 and set(got[:3]) == {"x::t1", "x::t3", "x::t5"} and set(got[3:]) == {"x::t2", "x::t4"}
    with db.session(engine) as session:
        project = session.execute(select(Project)).scalar_one()
        assert Records(session, "test_case").facets(project)["status"] == [("automated", 3), (None, 2)]
