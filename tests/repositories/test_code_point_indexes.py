"""PostgreSQL: page 1 of a list reads its page, not the project (migration 0043, ``models.code_point_indexes``).

Lists order their text keys ``COLLATE "C"`` (``models.types.code_points``); the only ordered indexes on the numbers,
the unique constraints, are built under the database's collation and cannot give that order (not even
``C.UTF-8``'s), so page 1 of the scenario list — and every filtered first page — read every scenario of the project,
hash-joined the features and sorted them all (35 ms at 20,000 scenarios); the ADR, contract, feature and test case
lists sorted all of theirs. Which plan the planner takes depends on its statistics: at a few hundred scenarios,
analysed, it walks the project's features by the code point index and stops at the page (no sort of every row, no
scan of every feature). Forty ADRs, contracts or features fill a page or two of their tables, which the planner
rightly reads whole: their lists are planned with sequential scans priced out (``enable_seqscan``), which leaves
an index scan and a sort of everything found when no index gives their order."""

from __future__ import annotations

import re
from typing import Any

import pytest
from sqlalchemy import text

from conftest import GitRepo
from raw_sql import sql, statements_of
from specs import adr, contract, feature
from tracertm import db
from tracertm.engine.sync import sync
from tracertm.models.code_point_indexes import CODE_POINT_INDEXES
from tracertm.repositories import Projects, Records
from tracertm.schemas.filters import ListFilter

FEATURES, SCENARIOS = 40, 8  # 320 scenarios


def _seed(repo: GitRepo, url: str) -> str:
    for n in range(1, FEATURES + 1):
        repo.write(f"features/f{n}.feature", feature(n, f"Area {n}", {
            f"Step {n}.{i}": ["Given a cart", "When I pay"] for i in range(SCENARIOS)}))
        repo.write(f"docs/adr/{n:04d}-use-{n}.md", adr(n, f"Use {n}", status="Proposed" if n % 4 else "Accepted"))
        repo.write(f"contracts/c{n}.yaml", contract(n, f"Contract {n}"))
    repo.commit("seed")
    name = repo.path.name
    assert not sync(repo.path, database_url=url, project=name).errors
    sql(url, "ANALYZE")
    return name


def _plan(conn: Any, statement: str, parameters: Any) -> list[str]:
    return [str(row[0]) for row in conn.exec_driver_sql("EXPLAIN " + statement, parameters)]


def _sorts_everything(plan: list[str]) -> bool:
    """A plain Sort node (not an Incremental Sort of a presorted prefix): every row the scans found, sorted."""
    return any(re.match(r"\s*(->\s+)?Sort  \(", line) for line in plan)  # a node, not a "Sort Key:"


@pytest.mark.parametrize("database_url", ["postgresql"], indirect=True)
def test_page_one_walks_the_code_point_index(git_repo: GitRepo, database_url: str) -> None:
    name = _seed(git_repo, database_url)
    engine = db.make_engine(database_url)
    try:
        with db.session(engine) as session:
            project = Projects(session).get(name)
            cases: list[tuple[str, ListFilter, str, str]] = [
                ("scenario", ListFilter(limit=50), "features", "ix_features_project_id_feature_number_c"),
                ("scenario", ListFilter(limit=50, status=["draft"]), "features",
                 "ix_features_project_id_feature_number_c"),
                ("feature", ListFilter(limit=10), "features", "ix_features_project_id_feature_number_c"),
                ("adr", ListFilter(limit=10), "adrs", "ix_adrs_project_id_adr_number_c"),
                ("contract", ListFilter(limit=10), "contracts", "ix_contracts_project_id_contract_number_c"),
            ]
            for kind, flt, table, index in cases:
                if kind != "scenario":
                    session.execute(text("SET LOCAL enable_seqscan = off"))
                records = Records(session, kind)
                pages = statements_of(engine, lambda r=records, f=flt: r.list(project, f),
                                      lambda flat: "ORDER BY" in flat and "LIMIT" in flat)
                assert len(pages) == 1, (kind, pages)
                plan = _plan(session.connection(), *pages[0])
                shown = "\n".join(plan)
                assert index in shown, (kind, flt, shown)
                assert f"Seq Scan on {table}" not in shown, (kind, flt, shown)
                assert not _sorts_everything(plan), (kind, flt, shown)
            assert len(Records(session, "scenario").list(project, ListFilter(limit=50)).rows) == 50
    finally:
        engine.dispose()


@pytest.mark.parametrize("database_url", ["postgresql"], indirect=True)
def test_the_indexes_order_by_code_point(database_url: str) -> None:
    """Each index is there, on its table, its number column ``COLLATE "C"`` (the test cases' list has no rows to
    plan here: its index is checked as it is made)."""
    rows = {name: definition for name, definition in sql(
        database_url, "SELECT indexname, indexdef FROM pg_indexes WHERE indexname LIKE '%\\_c'")}
    for name, (table, columns) in CODE_POINT_INDEXES.items():
        assert f"ON public.{table} USING btree ({', '.join(columns)})" in rows[name], rows.get(name)
