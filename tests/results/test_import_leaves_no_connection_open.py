"""``import_results`` given a database URL (the README's ``import_results("postgresql+psycopg://...", ...)``) makes
an engine of its own and disposes it before it returns, as ``sync`` does: it was left to the garbage collector, so a
program importing in a loop held one more SQLite descriptor or PostgreSQL backend per import (50 after 50 with the
collector paused). An engine the caller passes stays open: it is the caller's."""

from __future__ import annotations

import gc
from pathlib import Path

import tracertm
from conftest import GitRepo
from connections import open_connections
from specs import feature
from tracertm import db
from tracertm.results import import_results

REPORT = '<testsuite name="s"><testcase classname="Login" name="first"/></testsuite>'


def test_an_import_by_url_leaves_no_connection_open(git_repo: GitRepo, database_url: str, tmp_path: Path) -> None:
    git_repo.write("features/login.feature", feature(1, "Login"))
    sha = git_repo.commit("feature")
    tracertm.sync(git_repo.path, database_url=database_url, project="p")
    report = tmp_path / "junit.xml"
    report.write_text(REPORT, encoding="utf-8")
    before = open_connections(database_url)
    gc.disable()  # what the collector would close some time later is what the call left open
    try:
        for _ in range(20):
            summary = import_results(database_url, "p", [report], commit=sha, repo=git_repo.path)
            assert summary.run_id is not None or summary.duplicate
        left = open_connections(database_url) - before
    finally:
        gc.enable()
        gc.collect()
    assert left == 0, f"20 imports left {left} connection(s) open"


def test_a_callers_engine_stays_open(git_repo: GitRepo, database_url: str) -> None:
    git_repo.write("features/login.feature", feature(1, "Login"))
    sha = git_repo.commit("feature")
    tracertm.sync(git_repo.path, database_url=database_url, project="p")
    engine = db.open_engine(database_url)
    try:
        import_results(engine, "p", [("junit.xml", REPORT.encode())], commit=sha)
        import_results(engine, "p", [("again.xml", REPORT.replace("first", "second").encode())], commit=sha)
        with engine.connect() as conn:  # usable: not disposed under the caller
            assert conn.exec_driver_sql("SELECT count(*) FROM test_runs").scalar_one() == 2
    finally:
        engine.dispose()
