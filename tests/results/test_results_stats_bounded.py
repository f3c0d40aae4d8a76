"""An import's statistics and ``show``'s last results read what is imported and shown, not every run the project
ever imported: the import reads its scenarios' runs newest first until each has ``window`` executed outcomes
(``stats.Prior``, over ``stats.walk``, the walk ``coverage`` takes), counting the older executed runs from the
stored ``execution_count``; ``scenario_results`` walks the runs until they hold the results it shows. Both give
what the full reads gave (kept here as the references: ``stats.recompute`` without ``found`` reads every result,
and the former ``scenario_results`` statement) on a generated history imported with the library, in process and
streamed: failures, skipped and partial runs, a rerun that passed, a run back-dated before the others, a scenario
skipped in most runs. SQLite and PostgreSQL."""

from __future__ import annotations

import datetime as dt
from collections.abc import Iterator
from typing import Any

import pytest
from sqlalchemy import func, select
from test_coverage_reads_bounded import _Reads

from conftest import GitRepo, force_streaming, join_other_threads
from tracertm import db
from tracertm.engine.sync import sync
from tracertm.models import Feature, Project, Scenario, TestCase, TestResult, TestRun
from tracertm.results import import_results, queries, stats
from tracertm.timetext import json_time_or_none

NAMES = ["Alpha", "Beta", "Gamma", "Delta", "Epsilon"]
WINDOW = 3
STATS = ("pass_rate", "last_status", "last_executed_at", "execution_count", "flaky")


def _report(n: int, names: list[str], failed: set[str], skipped: set[str], rerun: set[str], hours: int) -> bytes:
    stamp = (dt.datetime(2026, 1, 1, tzinfo=dt.timezone.utc) + dt.timedelta(hours=hours)).isoformat()
    cases = []
    for name in names:
        inner = ("<skipped/>" if name in skipped else '<failure message="boom"/>' if name in failed
                 else '<flakyFailure message="timeout"/>' if name in rerun else "")
        cases.append(f'<testcase classname="shop.Shop" name="{name}" time="0.1">{inner}</testcase>')
    return f'<testsuite name="s{n}" timestamp="{stamp}" time="1">{"".join(cases)}</testsuite>'.encode()


class Shop:
    """One feature of five scenarios, synced, and runs imported against it with the library."""

    def __init__(self, repo: GitRepo, url: str) -> None:
        self.repo, self.runs = repo, 0
        self.engine = db.make_engine(url)
        self.updated: list[int] = []

    def run(self, names: list[str] = NAMES, failed: set[str] | None = None, skipped: set[str] | None = None,
            rerun: set[str] | None = None, hours: int | None = None) -> None:
        self.runs += 1
        data = _report(self.runs, names, failed or set(), skipped or set(), rerun or set(),
                       self.runs if hours is None else hours)
        summary = import_results(self.engine, "shop", [(f"r{self.runs}.xml", data)], commit=self.repo.head(),
                                 repo=self.repo.path, window=WINDOW)
        self.updated.append(summary.scenarios_updated)

    def ids(self, session: Any) -> list[Any]:
        project = session.execute(select(Project).where(Project.name == "shop")).scalar_one()
        return list(session.execute(select(Scenario.id).join(Feature).where(Feature.project_id == project.id)
                                    .order_by(Scenario.title)).scalars())


@pytest.fixture
def shop(git_repo: GitRepo, database_url: str) -> Iterator[Shop]:
    body = "".join(f"  Scenario: {name}\n    Given step {name.lower()}\n\n" for name in NAMES)
    git_repo.write("features/shop.feature", f"Feature: Shop\n\n{body}")
    git_repo.commit("shop")
    assert not sync(git_repo.path, ref="HEAD", database_url=database_url, project="shop").errors
    made = Shop(git_repo, database_url)
    yield made
    made.engine.dispose()


def _history(shop: Shop, runs: int, start: int = 0) -> None:
    """``runs`` runs: failures now and then, Epsilon skipped in most runs (it outlives the walk), a rerun that
    passed, a partial run, and (from the second one on) a run back-dated before every other."""
    for i in range(start, start + runs):
        if i == 5:
            shop.run(NAMES[:2])
        elif i == 9:
            shop.run(hours=-100, failed={"Beta"})
        else:
            shop.run(failed={NAMES[i % 4]} if i % 3 == 0 else set(), skipped={"Epsilon"} if i % 5 else set(),
                     rerun={"Gamma"} if i % 7 == 3 else set())


def _full_recompute_changes_nothing(shop: Shop) -> None:
    """The statistics stored equal those of every result: ``recompute`` reading all of them changes none."""
    with db.session(shop.engine) as session:
        ids = shop.ids(session)
        before = {row[0]: row[1:] for row in session.execute(
            select(Scenario.id, *[getattr(Scenario, key) for key in STATS]).where(Scenario.id.in_(ids)))}
        assert stats.recompute(session, ids, WINDOW) == 0, before
        session.rollback()


# The statement ``scenario_results`` ran before, verbatim: the reference.
def _old_last_results(session: Any, scenario: Scenario, limit: int) -> dict[str, Any]:
    when = func.coalesce(TestRun.finished_at, TestRun.started_at, TestRun.imported_at)
    rows = session.execute(
        select(TestResult, TestRun, TestCase.test_case_number)
        .join(TestRun, TestResult.run_id == TestRun.id)
        .join(TestCase, TestResult.test_case_id == TestCase.id)
        .where(TestResult.scenario_id == scenario.id)
        .order_by(when.desc(), TestRun.imported_at.desc(), TestCase.test_case_number)
        .limit(limit)
        .execution_options(include_deleted=True)
    ).all()
    return {"last_results": [
        {"status": r.status, "test": test, "row": r.example_row, "commit": run.commit_sha, "run": run.name,
         "when": json_time_or_none(run.finished_at or run.started_at or run.imported_at), "message": r.message}
        for r, run, test in rows]}


@pytest.mark.parametrize("streamed", [False, True], ids=["in-process", "streamed"])
def test_statistics_and_last_results_equal_the_full_reads(
    shop: Shop, streamed: bool, monkeypatch: pytest.MonkeyPatch
) -> None:
    outcomes = force_streaming(monkeypatch, 2, 4) if streamed else []
    # A short walk: the history below goes beyond it, and Epsilon (skipped in most runs) outlives it.
    monkeypatch.setattr(stats, "_WALK", 4)
    # Twelve runs hold every scripted case of ``_history`` (3, 5, 9, 10) and are three times the walk; Epsilon is
    # executed in two of them, fewer than the window: its walk reads them all.
    for i in range(12):
        join_other_threads()  # a process with another thread does not fork
        _history(shop, 1, i)
        _full_recompute_changes_nothing(shop)
    assert outcomes == (["streamed"] * 12 if streamed else [])
    assert min(shop.updated) > 0
    with db.session(shop.engine) as session:
        # The walk stopped early for most scenarios (their counts came from the stored figures), not for Epsilon.
        newest = session.execute(select(TestRun.id).order_by(TestRun.imported_at.desc()).limit(1)).scalar_one()
        prior = stats.Prior(newest, held=True, window=WINDOW)
        prior.read(session, shop.ids(session))
        scenarios = session.execute(select(Scenario).where(Scenario.id.in_(shop.ids(session)))).scalars().all()
        by_title = {s.title: s.id for s in scenarios}
        assert set(prior.older) == {by_title[name] for name in NAMES[:4]}, prior.older
        assert all(count > 0 for count in prior.older.values())
        for scenario in scenarios:
            for limit in (1, 3, 5, 7, 40):
                new = queries.scenario_results(session, scenario, limit)
                assert new["last_results"] == _old_last_results(session, scenario, limit)["last_results"]
                assert len(new["last_results"]) == min(limit, session.execute(
                    select(func.count()).select_from(TestResult).where(TestResult.scenario_id == scenario.id)
                ).scalar_one())


def _import_reads(shop: Shop) -> _Reads:
    """The reads of one more import (every scenario run)."""
    with _Reads(shop.engine) as reads:
        shop.run()
    return reads


def _show_reads(shop: Shop) -> _Reads:
    """The reads of ``show``'s last results of Alpha."""
    with db.session(shop.engine) as session:
        alpha = session.execute(select(Scenario).where(Scenario.title == "Alpha")).scalar_one()
        with _Reads(shop.engine) as reads:
            queries.scenario_results(session, alpha, 5)
    return reads


def test_import_and_show_reads_do_not_grow_with_imported_runs(shop: Shop) -> None:
    for _ in range(8):
        shop.run(failed={"Beta"} if shop.runs % 2 else set())
    first, shown = _import_reads(shop), _show_reads(shop)
    before = (first.rows("test_results"), shown.rows("test_results"))
    for _ in range(24):  # three times as many runs
        shop.run(failed={"Beta"} if shop.runs % 2 else set())
    second, shown = _import_reads(shop), _show_reads(shop)
    after = (second.rows("test_results"), shown.rows("test_results"))
    _full_recompute_changes_nothing(shop)
    if shop.engine.dialect.name == "sqlite":
        # The same rows at 9 and 33 runs (all outcomes read: 8 x 5, then 32 x 5), each (scenario, run) an index
        # seek, none of the scenarios' results read by scenario alone.
        assert after == before, (before, after)
        for reads in (second, shown):
            plans = reads.plans("test_results")
            assert any("(scenario_id=? AND run_id=?)" in line for line in plans), plans
            assert not any(line.startswith("SCAN test_results") for line in plans), plans
            assert not any(line.endswith("(scenario_id=?)") for line in plans), plans
    else:
        # PostgreSQL, whichever plan it picks (EXPLAIN ANALYZE: rows passed and filtered out, all loops): the
        # import reads its run's results twice (the statistics', and the test cases' last execution:
        # ``case_results``) and one batch of runs (each read whole at most: 5 x 5), far below every result
        # (32 x 5); the last results: five runs (each read whole at most: 5 x 5), not Alpha's 33 results — or, where
        # the planner loops over them (a nested loop read them 125 times on a loaded CI machine, at 9 runs as at
        # 33), no more than at 9 runs, and fewer than every result.
        assert after[0] <= len(NAMES) * (2 + stats._RUN_BATCH) < len(NAMES) * 32, (before, after)
        assert after[1] <= max(before[1], 5 * len(NAMES)) < len(NAMES) * shop.runs, (before, after)
