"""PostgreSQL: a write that waited for the project's write lock is stamped with a time after it got the lock, not
with the time it began to wait (``now()`` is its transaction's start). A results import queued behind another
writer gets an ``imported_at`` later than the other writer's commit, so ``results runs --since <a poll made while
it waited>`` lists it, and of two queued imports the one committed last is the newer run; the rows it writes with
the database's time (its test cases' ``created`` revisions, which ``changed_since`` reads) are stamped the same way.
Both import paths: in-process, and streamed (a forked parser; the import must be this process's only thread, so
the other writer is a process of its own).

The other writer is a real process holding the project's advisory lock; it lets go only once the database shows
the import trying that lock (``pg_stat_activity``), and reports the database's clock just before its commit. Every
wait is for that condition, bounded; the process is killed if it is still there when the test ends."""

from __future__ import annotations

import datetime as dt
import os
import subprocess
import sys
import textwrap
from collections.abc import Iterator
from pathlib import Path

import pytest
from sqlalchemy import select

from conftest import PG_ENV, GitRepo, _fresh_pg, force_streaming, join_other_threads
from specs import feature
from tracertm import db
from tracertm.engine.sync import sync
from tracertm.models import Project, Scenario, SpecRevision, TestCase, TestRun
from tracertm.results import import_results

pytestmark = pytest.mark.skipif(not os.environ.get(PG_ENV), reason=f"needs {PG_ENV}")

WAIT_S = 60  # an upper bound on waiting for a condition; never a pace

# Holds the advisory lock KEY in a transaction, prints "held", waits until another session of the database tries
# that lock (waits for it in PostgreSQL's queue), prints the database's clock and commits (releasing the lock).
HOLDER = textwrap.dedent("""
    import sys, time
    import psycopg
    url, key = sys.argv[1], int(sys.argv[2])
    with psycopg.connect(url) as held, psycopg.connect(url, autocommit=True) as watch:
        me = held.execute("SELECT pg_backend_pid()").fetchone()[0]
        held.execute("SELECT pg_advisory_xact_lock(%s)", (key,))
        print("held", flush=True)
        deadline = time.monotonic() + float(sys.argv[3])
        while not watch.execute(
            "SELECT count(*) FROM pg_stat_activity WHERE datname = current_database() AND pid <> %s "
            "AND pid <> pg_backend_pid() AND wait_event_type = 'Lock' AND query LIKE 'SELECT pg_advisory_lock%%'",
            (me,),
        ).fetchone()[0]:
            if time.monotonic() > deadline:
                print("timeout", flush=True)
                sys.exit(3)
            time.sleep(0.01)  # polling interval, not a guess at how long anything takes
        released = held.execute("SELECT clock_timestamp()").fetchone()[0]
        print(released.isoformat(), flush=True)
    # the with block committed: the lock is free
""")


@pytest.fixture
def pg_url(request: pytest.FixtureRequest) -> Iterator[str]:
    yield from _fresh_pg(request.getfixturevalue("_pg_template"))


def _report(tests: int) -> bytes:
    """A JUnit report: ``SC-1`` (maps to the synced scenario) and ``tests`` more unit tests."""
    cases = ['<testcase classname="Cart" name="first" time="0.5"/>'] + [
        f'<testcase classname="m{i % 3}" name="t{i}" time="0.{i}"/>' for i in range(tests)
    ]
    return ('<?xml version="1.0"?>\n<testsuite name="s">' + "\n".join(cases) + "</testsuite>\n").encode()


@pytest.mark.parametrize("path", ["in-process", "streamed"])
def test_an_import_that_waited_for_the_lock_is_stamped_after_the_lock_was_released(
    path: str, git_repo: GitRepo, pg_url: str, tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    outcomes = force_streaming(monkeypatch, 50, 200) if path == "streamed" else []
    git_repo.write("features/cart.feature", feature(1, "Cart"))
    git_repo.commit("cart")
    engine = db.make_engine(pg_url)
    try:
        sync(git_repo.path, engine=engine, project="p")
        join_other_threads()
        with db.session(engine) as s:
            project_id = s.execute(select(Project.id).where(Project.name == "p")).scalar_one()
            before = set(s.execute(select(SpecRevision.id)).scalars())  # the sync's
        key = db._lock_key(db.project_id_lock_name(project_id))
        report = tmp_path / "report.xml"
        report.write_bytes(_report(400))
        psycopg_url = pg_url.replace("postgresql+psycopg://", "postgresql://", 1)
        holder = subprocess.Popen([sys.executable, "-c", HOLDER, psycopg_url, str(key), str(WAIT_S)],
                                  stdout=subprocess.PIPE, stderr=subprocess.PIPE, text=True)
        try:
            assert holder.stdout is not None
            assert holder.stdout.readline().strip() == "held", holder.stderr.read() if holder.stderr else ""
            # Waits for the lock until the holder has seen it try and committed.
            summary = import_results(engine, "p", [report], lock_timeout=WAIT_S * 2)
            out, err = holder.communicate(timeout=WAIT_S)
            assert holder.returncode == 0, (out, err)
        finally:
            if holder.poll() is None:
                holder.kill()
                holder.wait()
        released = dt.datetime.fromisoformat(out.strip())
        if path == "streamed":
            assert outcomes == ["streamed"]
        assert summary.total == 401 and summary.scenarios_updated == 1
        with db.session(engine) as s:
            imported_at = s.execute(select(TestRun.imported_at).where(TestRun.id == summary.run_id)).scalar_one()
            assert imported_at >= released, (imported_at, released)
            created = s.execute(select(TestCase.created_at)).scalars().all()
            assert len(created) == 401 and min(created) >= released, (min(created), released)
            revised = [when for ident, _kind, when in s.execute(
                select(SpecRevision.id, SpecRevision.entity_type, SpecRevision.created_at)) if ident not in before]
            # the test cases' created revisions and the scenario's statistics revision
            assert len(revised) == 402 and min(revised) >= released, (min(revised), released)
            executed = s.execute(select(Scenario.last_executed_at).where(Scenario.scenario_number == "SC-1"))
            assert executed.scalar_one() == imported_at  # the report has no time of its own: the run's
    finally:
        engine.dispose()
