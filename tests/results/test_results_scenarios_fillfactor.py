"""On PostgreSQL the statistics' updates of a results import stay on their page (HOT updates): ``scenarios`` keeps
room on each page (migration 0024, ``fillfactor = 60``). Filled to 100 %, the updates of wide scenario rows moved
them to other pages (new entries in every index) and the table grew with every import; with the room, they are HOT
and the table keeps its size. SQLite has no such setting."""

from __future__ import annotations

import datetime as dt
import time
from collections.abc import Iterator

import pytest
from sqlalchemy import text

from conftest import GitRepo, _fresh_pg, _pg_admin_url, _pg_connect, join_other_threads
from tracertm import db
from tracertm.engine.sync import sync
from tracertm.results import import_results

FEATURES, SCENARIOS, STEPS = 6, 10, 12  # 60 wide scenarios


def _feature(f: int) -> str:
    body = ""
    for s in range(SCENARIOS):
        steps = "".join(f"    And a fairly long step number {k} of scenario {s} in feature {f}\n"
                        for k in range(STEPS))
        body += f"  Scenario: Case {f} {s}\n    Given step {f} {s}\n{steps}    Then done\n\n"
    return f"Feature: Feat{f}\n\n{body}"


def _report(n: int) -> bytes:
    stamp = (dt.datetime(2026, 1, 1, tzinfo=dt.timezone.utc) + dt.timedelta(hours=n)).isoformat()
    cases = "".join(
        f'<testcase classname="feat{f}.Feat{f}" name="Case {f} {s}" time="0.1">'
        f'{"<failure/>" if (f + s + n) % 7 == 0 else ""}</testcase>'
        for f in range(FEATURES) for s in range(SCENARIOS))
    return f'<testsuite name="s{n}" timestamp="{stamp}" time="1">{cases}</testsuite>'.encode()


@pytest.fixture
def pg_url(request: pytest.FixtureRequest) -> Iterator[str]:
    """A migrated, empty PostgreSQL database (skipped without one)."""
    yield from _fresh_pg(request.getfixturevalue("_pg_template"))


def _counters(url: str) -> tuple[int, int, int]:
    """(updates, HOT updates, heap size) of ``scenarios``, as the statistics collector has them now."""
    engine = db.make_engine(url)
    try:
        with engine.connect() as connection:
            row = connection.execute(text(
                "SELECT n_tup_upd, n_tup_hot_upd, pg_relation_size('scenarios') FROM pg_stat_user_tables "
                "WHERE relname = 'scenarios'")).one()
            return int(row[0]), int(row[1]), int(row[2])
    finally:
        engine.dispose()


def test_statistics_updates_stay_on_their_page(git_repo: GitRepo, pg_url: str) -> None:
    admin = db.make_engine(pg_url).execution_options(isolation_level="AUTOCOMMIT")
    try:
        with admin.connect() as connection:
            options = connection.execute(text("SELECT reloptions FROM pg_class WHERE relname = 'scenarios'"))
            assert "fillfactor=60" in (options.scalar_one() or [])
            # A database reused from an earlier test: its emptied pages rewritten, as a new table's.
            connection.execute(text("VACUUM FULL scenarios"))
            # No autovacuum (nor its ANALYZE, whose snapshot holds back the pruning of old row versions) while
            # the updates are counted: the figures are the page's room alone.
            connection.execute(text("ALTER TABLE scenarios SET (autovacuum_enabled = false)"))
        # Another database's transaction, open through the imports: what the suite's other tests have at any
        # moment, here every time (it held back the pruning of this database's row versions; see _imports).
        with _pg_connect(_pg_admin_url() or pg_url) as elsewhere, elsewhere.transaction():
            elsewhere.execute("SELECT txid_current()")
            _imports(git_repo, pg_url)
    finally:
        with admin.connect() as connection:
            connection.execute(text("ALTER TABLE scenarios RESET (autovacuum_enabled)"))
        admin.dispose()


def _imports(git_repo: GitRepo, pg_url: str) -> None:
    """Sync 60 wide scenarios, import 12 runs of them, and check the ``scenarios`` updates they made."""
    for f in range(FEATURES):
        git_repo.write(f"features/f{f}.feature", _feature(f))
    git_repo.commit("features")
    assert not sync(git_repo.path, ref="HEAD", database_url=pg_url, project="p").errors
    join_other_threads()  # whatever the sync left running ends first: its snapshot would hold back the pruning
    engine = db.make_engine(pg_url)
    vacuum = engine.execution_options(isolation_level="AUTOCOMMIT")
    updates0, hot0, _size = _counters(pg_url)
    updated = 0
    try:
        for n in range(12):
            summary = import_results(engine, "p", [(f"r{n}.xml", _report(n))], commit=git_repo.head(),
                                     repo=git_repo.path)
            updated += summary.scenarios_updated
            # The row versions the import left are removed now, as the next import's own page pruning removes
            # them on a quiet server. That pruning waits for every snapshot of the whole cluster, other
            # databases' too (PostgreSQL 15: a backend recomputes its horizon only once the cluster's oldest
            # snapshot has moved): under the suite, another test's long transaction elsewhere left them, every
            # second update of a page went to another page (50 % HOT, 210 pages) and the test failed. VACUUM
            # takes this database's horizon alone; what is measured is the page's room, as before.
            with vacuum.connect() as connection:
                connection.execute(text("VACUUM scenarios"))
    finally:
        engine.dispose()  # its sessions end: their statistics reach the collector
    assert updated >= 11 * FEATURES * SCENARIOS
    deadline = time.monotonic() + 60
    while (counters := _counters(pg_url))[0] - updates0 < updated and time.monotonic() < deadline:
        time.sleep(0.1)  # the collector's figures arrive when the sessions end
    updates, hot, size = counters
    assert updates - updates0 >= updated, counters
    # Filled to 100 %, none of these 720 updates was HOT and the heap grew to 195 pages (1.6 MB); at 80 %, 84 %
    # were, on 58 pages; at 60 %, all of them, on 30 pages (three imports of them not HOT, on 120 pages, while a
    # snapshot of another session held back the pruning).
    assert (hot - hot0) / (updates - updates0) >= 0.5, counters  # (margin for a snapshot held elsewhere)
    assert size <= 170 * 8192, counters
