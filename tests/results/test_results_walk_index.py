"""``stats.walk`` (an import's statistics, ``coverage``, ``show``'s last results) reads a project's newest runs
through ``ix_test_runs_project_id_when`` (migration 0025): the rows it returns, no sort of every run the project
ever imported. The order is the former statement's (kept here as the reference: ``IN`` over the projects, sorted
whole) on runs with and without end and start times, ties of time and of import, a run left out, and scenarios
of two projects. SQLite (its plan, exactly) and PostgreSQL (EXPLAIN ANALYZE: no sort, the rows it returns)."""

from __future__ import annotations

import datetime as dt
import uuid
from collections.abc import Iterator
from typing import Any

import pytest
from sqlalchemy import func, select
from test_coverage_reads_bounded import _Reads

from conftest import GitRepo
from tracertm import db
from tracertm.engine.sync import sync
from tracertm.models import Feature, Project, Scenario, TestRun
from tracertm.results import stats

RUNS = 400
BASE = dt.datetime(2026, 1, 1, tzinfo=dt.timezone.utc)


class Shop:
    """One feature synced into projects ``shop`` and ``depot``, runs added to them directly."""

    def __init__(self, repo: GitRepo, url: str) -> None:
        self.engine = db.make_engine(url)
        self.repo = repo

    def project(self, session: Any, name: str) -> Project:
        found: Project = session.execute(select(Project).where(Project.name == name)).scalar_one()
        return found

    def scenarios(self, session: Any, *names: str) -> list[uuid.UUID]:
        return list(session.execute(select(Scenario.id).join(Feature).join(Project, Feature.project_id == Project.id)
                                    .where(Project.name.in_(names)).order_by(Scenario.id)).scalars())

    def add_runs(self, name: str, count: int, start: int = 0) -> None:
        """``count`` runs of project ``name``: ends, starts, or only imports, times and imports tied now and then."""
        with db.session(self.engine) as session:
            project = self.project(session, name)
            for i in range(start, start + count):
                at = BASE + dt.timedelta(minutes=(i * 7) % 97)  # out of import order, ties every 97 runs
                imported = BASE + dt.timedelta(days=1, seconds=i // 3)  # three runs share each import time
                kind = i % 3
                session.add(TestRun(
                    project_id=project.id, commit_sha=f"{i:040x}", name=f"{name} {i}", source_format="junit",
                    finished_at=at if kind == 0 else None, started_at=at if kind != 2 else None,
                    imported_at=imported if kind != 2 else at, digest=f"{name}-{i}",
                ))
            session.commit()


@pytest.fixture
def shop(git_repo: GitRepo, database_url: str) -> Iterator[Shop]:
    git_repo.write("features/shop.feature", "Feature: Shop\n\n  Scenario: Alpha\n    Given a\n\n"
                   "  Scenario: Beta\n    Given b\n")
    git_repo.commit("shop")
    for project in ("shop", "depot"):
        assert not sync(git_repo.path, ref="HEAD", database_url=database_url, project=project).errors
    made = Shop(git_repo, database_url)
    yield made
    made.engine.dispose()


def _former(session: Any, ids: list[uuid.UUID], skip: uuid.UUID | None, length: int) -> list[uuid.UUID]:
    """The runs the former statement walked (``IN`` over the projects, every run sorted): the reference."""
    when = func.coalesce(TestRun.finished_at, TestRun.started_at, TestRun.imported_at)
    projects = (select(Feature.project_id).join(Scenario, Scenario.feature_id == Feature.id)
                .where(Scenario.id.in_(ids)).distinct().scalar_subquery())
    statement = select(TestRun.id).where(TestRun.project_id.in_(projects))
    if skip is not None:
        statement = statement.where(TestRun.id != skip)
    return list(session.execute(statement.order_by(when.desc(), TestRun.imported_at.desc(), TestRun.id)
                                .limit(length)).scalars())


def _walked(session: Any, ids: list[uuid.UUID], skip: uuid.UUID | None = None,
            length: int | None = None) -> tuple[list[uuid.UUID], bool]:
    seen: list[uuid.UUID] = []
    _left, whole = stats.walk(session, ids, lambda _left, batch: seen.extend(run.id for run in batch),
                              lambda _ident: False, skip=skip, length=length)
    return seen, whole


def test_the_walk_keeps_the_former_order(shop: Shop) -> None:
    shop.add_runs("shop", 60)
    shop.add_runs("depot", 45, start=1000)
    with db.session(shop.engine) as session:
        own, both = shop.scenarios(session, "shop"), shop.scenarios(session, "shop", "depot")
        for ids in (own, both):
            runs, whole = _walked(session, ids)
            assert runs == _former(session, ids, None, stats._WALK) and not whole
            skip = runs[3]
            runs, _whole = _walked(session, ids, skip=skip, length=200)
            assert runs == _former(session, ids, skip, 200), ids
        runs, whole = _walked(session, own, length=60)  # every run walked
        assert runs == _former(session, own, None, 60) and whole


def _sorts(plan: dict[str, Any]) -> list[str]:
    own = [plan["Node Type"]] if "Sort" in plan["Node Type"] else []
    return own + [node for child in plan.get("Plans", []) for node in _sorts(child)]


def test_the_walk_reads_the_newest_runs_through_the_index(shop: Shop) -> None:
    shop.add_runs("shop", RUNS)
    shop.add_runs("depot", 50, start=RUNS)
    with db.session(shop.engine) as session:
        ids = shop.scenarios(session, "shop")
        newest = _former(session, ids, None, 1)[0]
        with _Reads(shop.engine) as reads:
            stats.walk(session, ids, lambda _left, _batch: None, lambda _ident: False, skip=newest)
    runs = [(statement, parameters) for statement, parameters in reads.seen if "FROM test_runs" in statement]
    assert len(runs) == 1, runs
    if shop.engine.dialect.name == "sqlite":
        plans = reads.plans("test_runs")
        assert "SEARCH test_runs USING INDEX ix_test_runs_project_id_when (project_id=?)" in plans, plans
        assert not any("TEMP B-TREE" in line for line in plans), plans
        assert reads.rows("test_runs") == stats._WALK + 1
        return
    with shop.engine.connect() as connection:
        connection.exec_driver_sql("ANALYZE test_runs")
        connection.commit()
        raw: Any = connection.connection.driver_connection
        cursor = raw.cursor()
        cursor.execute("EXPLAIN (ANALYZE, FORMAT JSON) " + runs[0][0], runs[0][1])
        plan = cursor.fetchone()[0][0]["Plan"]
    # Whichever index the planner takes, no sort of the project's runs: the newest rows in the index's order,
    # the one left out among them (the limit stops the scan).
    assert _sorts(plan) == [], plan
    assert reads.rows("test_runs") <= stats._WALK + 2 < RUNS, plan
