"""Runs imported in one transaction come in one order, on SQLite and PostgreSQL: newest import first, then by id.

``import_results`` into a caller's session (README: "caller commits") can import several runs before one commit;
PostgreSQL's ``now()`` is the transaction's start, so they share ``imported_at``. ``results runs``
(``queries.list_runs``) and the newest run of ``queries.list_results`` sorted by the import time alone, and ``results
prune`` settled the tie by id ascending while the runs' pages and ``results list`` settle it descending: which run
was "newest" depended on the query. All of them follow ``queries.newest_first`` now, whose id ascending is the
statistics' (``stats.walk``, ``ix_test_runs_project_id_when``): ``results list`` took the run of the highest id as
the newest where ``show SC-n`` and ``last_status`` took the lowest (and the statistics, after an import or a prune,
any of the tied runs: the order the runs were added or read in).
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
from tracertm.results.queries import runs_page

RUNS = 6  # a tie of six runs read in the order they were written is by id in one order of 720
# One outcome of SC-1 per run, each its own status (a JUnit element each), so that ``last_status`` names one run:
# the newest run that executed (skipped does not).
OUTCOMES = {
    "passed": "", "failed": "<failure/>", "error": "<error/>", "undefined": '<failure type="undefined"/>',
    "pending": '<failure type="pending"/>', "skipped": "<skipped/>",
}


def _report(n: int, element: str) -> tuple[str, bytes]:
    # (and a test of no scenario, with the same outcome: ``results unmatched`` names its newest)
    report = (f'<testsuite name="s"><testcase classname="Pay" name="one">{element}</testcase>'
              f'<testcase classname="Other" name="none">{element}</testcase></testsuite>')
    return (f"run-{n}.xml", report.encode())


def _json(*argv: str) -> Any:
    done = run_cli(*argv, "--project", "shop", "--output", "json")
    assert done.returncode == 0, done.stderr
    return json.loads(done.stdout)


def _shop(repo: GitRepo, url: str, monkeypatch: pytest.MonkeyPatch) -> Any:
    """The project ``shop`` (one feature, ``SC-1``) synced into ``url``, which the CLI reads from ``repo``: its
    engine, for the caller to dispose of."""
    monkeypatch.setenv("TRACERTM_DATABASE_URL", url)
    monkeypatch.chdir(repo.path)
    repo.write("features/pay.feature", "Feature: Pay\n\n  @SC-1\n  Scenario: one\n    Given x\n")
    repo.commit("specs")
    engine = db.make_engine(url)
    try:
        sync(repo.path, engine=engine, project="shop")
    except BaseException:
        engine.dispose()
        raise
    return engine


def _agree(expected: list[tuple[str, str, str]]) -> None:
    """Every read names the runs ``expected`` ((id, name, status), newest first) in that order, and its first run
    that executed as the scenario's last one."""
    ids = [run_id for run_id, _, _ in expected]
    assert [run["id"] for run in _json("results", "runs")] == ids
    assert {row["run"] for row in _json("results", "list")} == {ids[0]}
    assert [row["last_status"] for row in _json("results", "unmatched")] == [expected[0][2]]
    shown = run_cli("show", "SC-1", "--project", "shop", "--format", "json")
    assert shown.returncode == 0, shown.stderr
    results = json.loads(shown.stdout)["results"]
    assert [r["run"] for r in results["last_results"]] == [name for _, name, _ in expected[:5]]
    last = next((status for _, _, status in expected if status != "skipped"), None)
    assert results["last_status"] == last
    covered = run_cli("coverage", "--project", "shop", "--format", "json")
    assert covered.returncode == 0, covered.stderr
    failing = json.loads(covered.stdout)["failing"]
    assert [item["last_status"] for item in failing] == ([] if last in (None, "passed") else [last])


def test_runs_imported_in_one_transaction_are_newest_by_id_everywhere(
        git_repo: GitRepo, database_url: str, monkeypatch: pytest.MonkeyPatch) -> None:
    """``results runs``, the runs' pages, ``results list``, ``prune``, ``show SC-n`` and the statistics
    (``last_status``, ``coverage``) name the same newest run of runs tied on their import, before and after a
    prune (which recomputes the statistics from every result)."""
    engine = _shop(git_repo, database_url, monkeypatch)
    try:
        with db.session(engine) as session:
            for n, element in enumerate(OUTCOMES.values()):
                import_results(session, "shop", [_report(n, element)], run_name=f"run-{n}")
            session.commit()
        with db.session(engine) as session:
            runs = [(r.imported_at, r.id, r.name) for r in session.query(TestRun)]
            project = Projects(session).resolve("shop")
            listed = {row["run"] for row in list_results(session, project)}
            paged, cursor = runs_page(session, project, 1)
            while cursor is not None:
                page, cursor = runs_page(session, project, 1, cursor)
                paged += page
    finally:
        engine.dispose()
    if engine.dialect.name == "postgresql":
        assert len({at for at, _, _ in runs}) == 1  # the tie this is about
    # Newest import first, then by id ascending (stable sorts: last key first).
    newest = sorted(sorted(runs, key=lambda r: r[1]), key=lambda r: r[0], reverse=True)
    status = dict(zip((f"run-{n}" for n in range(RUNS)), OUTCOMES, strict=True))
    expected = [(str(run_id), name, status[name]) for _, run_id, name in newest]
    assert [run["id"] for run in paged] == [run_id for run_id, _, _ in expected]
    assert listed == {expected[0][0]}
    _agree(expected)
    for keep in (3, 1):
        assert run_cli("results", "prune", "--keep", str(keep), "--project", "shop").returncode == 0
        _agree(expected[:keep])


def test_the_statistics_of_an_import_tied_with_a_run_of_a_higher_id_name_its_run(
        git_repo: GitRepo, database_url: str, monkeypatch: pytest.MonkeyPatch) -> None:
    """An import's statistics add its own run after the runs it read (``stats.Prior.sorted``): tied with them on
    the time and the import, it was taken as the oldest of them, whatever its id. Two runs in one transaction, the
    second of the lower id (the transaction is rolled back and imported again until it is: ids are random), the
    first failed and the second passed: ``last_status`` is the second's, the run every list takes as the newest."""
    engine = _shop(git_repo, database_url, monkeypatch)
    try:
        with db.session(engine) as session:
            for _attempt in range(64):  # each one's ids in the order wanted: one chance in two
                older = import_results(session, "shop", [_report(0, OUTCOMES["failed"])], run_name="run-0").run_id
                newer = import_results(session, "shop", [_report(1, OUTCOMES["passed"])], run_name="run-1").run_id
                assert older is not None and newer is not None
                if newer < older:
                    break
                session.rollback()
            assert newer < older
            session.commit()
            tied = len({at for (at,) in session.query(TestRun.imported_at)}) == 1
    finally:
        engine.dispose()
    if engine.dialect.name == "postgresql":
        assert tied  # the tie this is about
    # Tied, run-1 leads by its id; else (SQLite's clock may move between the imports) by its later import.
    _agree([(str(newer), "run-1", "passed"), (str(older), "run-0", "failed")])


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
    engine = _shop(git_repo, database_url, monkeypatch)
    try:
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
