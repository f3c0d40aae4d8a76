"""Runs imported in one transaction come in one order, on SQLite and PostgreSQL: newest import first, then by id.

``import_results`` into a caller's session (README: "caller commits") can import several runs before one commit;
PostgreSQL's ``now()`` is the transaction's start, so they share ``imported_at``. ``results runs``
(``queries.list_runs``) and the newest run of ``queries.list_results`` sorted by the import time alone, and ``results
prune`` settled the tie by id ascending while the runs' pages and ``results list`` settle it descending: which run
was "newest" depended on the query. All of them follow ``queries.newest_first`` now.
"""

from __future__ import annotations

import json
from typing import Any

import pytest

from conftest import GitRepo, run_cli
from tracertm import db
from tracertm.engine.sync import sync
from tracertm.models import TestRun
from tracertm.repositories import Projects
from tracertm.results import import_results, list_results

RUNS = 6  # a tie of six runs read in the order they were written is by id in one order of 720


def _report(n: int) -> tuple[str, bytes]:
    return (f"run-{n}.xml", f'<testsuite name="s"><testcase classname="Pay" name="test {n}"/></testsuite>'.encode())


def _json(*argv: str) -> Any:
    done = run_cli(*argv, "--project", "shop", "--output", "json")
    assert done.returncode == 0, done.stderr
    return json.loads(done.stdout)


def test_runs_imported_in_one_transaction_are_newest_by_id_everywhere(
        git_repo: GitRepo, database_url: str, monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setenv("TRACERTM_DATABASE_URL", database_url)
    monkeypatch.chdir(git_repo.path)
    git_repo.write("features/pay.feature", "Feature: Pay\n\n  Scenario: one\n    Given x\n")
    git_repo.commit("specs")
    engine = db.make_engine(database_url)
    try:
        sync(git_repo.path, engine=engine, project="shop")
        with db.session(engine) as session:
            for n in range(RUNS):
                import_results(session, "shop", [_report(n)])
            session.commit()
        with db.session(engine) as session:
            runs = [(r.imported_at, str(r.id)) for r in session.query(TestRun)]
            if engine.dialect.name == "postgresql":
                assert len({at for at, _ in runs}) == 1  # the tie this is about
            newest = sorted(runs, reverse=True)
            listed = {row["run"] for row in list_results(session, Projects(session).resolve("shop"))}
    finally:
        engine.dispose()
    expected = [run_id for _, run_id in newest]
    assert [run["id"] for run in _json("results", "runs")] == expected
    assert listed == {expected[0]}
    assert {row["run"] for row in _json("results", "list")} == {expected[0]}
    assert run_cli("results", "prune", "--keep", "1", "--project", "shop").returncode == 0
    assert [run["id"] for run in _json("results", "runs")] == expected[:1]


@pytest.mark.parametrize("walk", [32, 1], ids=["walked", "ranked"])
def test_a_scenarios_last_results_of_runs_of_one_transaction_come_in_the_walks_order(
        git_repo: GitRepo, database_url: str, monkeypatch: pytest.MonkeyPatch, walk: int) -> None:
    """``show SC-n``'s last results come newest first in the statistics' order whether the newest runs walked
    answered them (``stats.walk``) or the scenario's results were ranked from all of them (``_newest_results``,
    a walk of one run here): the run's time, its import, then its id, as the walk and the statistics take runs
    (``ix_test_runs_project_id_when``). The ranking had no run id: results of runs tied on their time and import
    came in any order of the runs, and its first result need not be the run ``last_status`` names."""
    from tracertm.results import stats

    monkeypatch.setattr(stats, "_WALK", walk)
    # PostgreSQL reads the results through no index, as its planner may for a large table: rows of tied runs then
    # come as written rather than by run id (the order ``ix_test_results_scenario_id_run_id`` happens to give).
    monkeypatch.setenv("PGOPTIONS", "-c enable_indexscan=off -c enable_bitmapscan=off -c enable_indexonlyscan=off")
    monkeypatch.setenv("TRACERTM_DATABASE_URL", database_url)
    monkeypatch.chdir(git_repo.path)
    git_repo.write("features/pay.feature", "Feature: Pay\n\n  @SC-1\n  Scenario: one\n    Given x\n")
    git_repo.commit("specs")
    engine = db.make_engine(database_url)
    try:
        sync(git_repo.path, engine=engine, project="shop")
        with db.session(engine) as session:
            for n in range(RUNS):
                report = f'<testsuite name="s"><testcase classname="Pay" name="one" time="0.{n}"/></testsuite>'
                import_results(session, "shop", [(f"run-{n}.xml", report.encode())], run_name=f"run-{n}")
            session.commit()
        with db.session(engine) as session:
            runs = [(r.imported_at, r.id, r.name) for r in session.query(TestRun)]

    finally:
        engine.dispose()
    if engine.dialect.name == "postgresql":
        assert len({at for at, _, _ in runs}) == 1  # the tie this is about
    # Newest import first, then by id (ascending: the statistics' order).
    expected = [name for _, _, name in sorted(sorted(runs, key=lambda r: r[1]), key=lambda r: r[0], reverse=True)]
    shown = run_cli("show", "SC-1", "--project", "shop", "--format", "json")
    assert shown.returncode == 0, shown.stderr
    assert [r["run"] for r in json.loads(shown.stdout)["results"]["last_results"]] == expected[:5]
