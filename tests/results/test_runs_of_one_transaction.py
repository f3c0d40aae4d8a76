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
