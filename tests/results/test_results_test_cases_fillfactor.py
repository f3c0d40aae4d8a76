"""On PostgreSQL the last executions' updates of a results import stay on their page (HOT updates): ``test_cases``
keeps room on each page (migration 0039, ``fillfactor = 60``), as ``scenarios`` does (0024). Filled to 100 %, a
daily import of the same suite (every test case's ``last_executed_at`` moves) moved nearly every row to another
page, with a new entry in each of the table's indexes. SQLite has no such setting."""

from __future__ import annotations

import time
from collections.abc import Iterator

import pytest
from sqlalchemy import text

from conftest import GitRepo, _fresh_pg, _pg_admin_url, _pg_connect, join_other_threads
from tracertm import db
from tracertm.engine.sync import sync
from tracertm.results import import_results

TESTS, DAYS = 400, 6


def _report(day: int) -> bytes:
    cases = "".join(f'<testcase classname="unit.module_{n % 20}" name="test_number_{n}" time="0.1">'
                    f'{"<failure/>" if (n + day) % 9 == 0 else ""}</testcase>' for n in range(TESTS))
    return f'<testsuite name="u" timestamp="2026-01-{day:02d}T00:00:00" time="1">{cases}</testsuite>'.encode()


@pytest.fixture
def pg_url(request: pytest.FixtureRequest) -> Iterator[str]:
    """A migrated, empty PostgreSQL database (skipped without one)."""
    yield from _fresh_pg(request.getfixturevalue("_pg_template"))


def _counters(url: str) -> tuple[int, int]:
    """(updates, HOT updates) of ``test_cases``, as the statistics collector has them now."""
    engine = db.make_engine(url)
    try:
        with engine.connect() as connection:
            row = connection.execute(text(
                "SELECT n_tup_upd, n_tup_hot_upd FROM pg_stat_user_tables WHERE relname = 'test_cases'")).one()
            return int(row[0]), int(row[1])
    finally:
        engine.dispose()


def test_last_execution_updates_stay_on_their_page(git_repo: GitRepo, pg_url: str) -> None:
    admin = db.make_engine(pg_url).execution_options(isolation_level="AUTOCOMMIT")
    git_repo.write("features/a.feature", "Feature: A\n\n  Scenario: one\n    Given a\n")
    git_repo.commit("features")
    assert not sync(git_repo.path, ref="HEAD", database_url=pg_url, project="p").errors
    join_other_threads()
    try:
        with admin.connect() as connection:
            options = connection.execute(text("SELECT reloptions FROM pg_class WHERE relname = 'test_cases'"))
            assert "fillfactor=60" in (options.scalar_one() or [])
            connection.execute(text("VACUUM FULL test_cases"))  # a database reused from an earlier test
            connection.execute(text("ALTER TABLE test_cases SET (autovacuum_enabled = false)"))
        updates0, hot0 = _counters(pg_url)
        engine = db.make_engine(pg_url)
        # Another database's transaction open through the imports, as the suite's other tests have at any moment:
        # VACUUM after each import takes this database's horizon alone (see test_results_scenarios_fillfactor).
        with _pg_connect(_pg_admin_url() or pg_url) as elsewhere, elsewhere.transaction():
            elsewhere.execute("SELECT txid_current()")
            try:
                for day in range(1, DAYS + 1):
                    import_results(engine, "p", [(f"d{day}.xml", _report(day))], commit=git_repo.head())
                    with admin.connect() as connection:
                        connection.execute(text("VACUUM test_cases"))
            finally:
                engine.dispose()  # its sessions end: their statistics reach the collector
        updated = (DAYS - 1) * TESTS  # each day after the first: every test case's last execution moves
        deadline = time.monotonic() + 60
        while (counters := _counters(pg_url))[0] - updates0 < updated and time.monotonic() < deadline:
            time.sleep(0.1)  # the collector's figures arrive when the sessions end
        updates, hot = counters
        assert updates - updates0 == updated, counters
        # Filled to 100 %, none or nearly none of them was HOT; at 60 %, most (the first import's full pages gain
        # room as their rows move).
        assert (hot - hot0) / (updates - updates0) >= 0.5, counters
    finally:
        with admin.connect() as connection:
            connection.execute(text("ALTER TABLE test_cases RESET (autovacuum_enabled)"))
        admin.dispose()
