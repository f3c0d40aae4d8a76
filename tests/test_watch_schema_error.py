"""``tracertm watch`` on a database whose schema it cannot use — migrated meanwhile by a newer tracertm, or
tracertm's tables left without their revision stamp — stops with the command's one-line error and exit 2: no retry
can help, where it used to warn "database unavailable" and retry forever."""

from __future__ import annotations


import pytest
from sqlalchemy import create_engine, text

from conftest import GitRepo
from specs import adr
from test_watch import Daemon, Db, sqlite_db, wait_for  # noqa: F401 - fixtures used by name


@pytest.mark.parametrize("change", [
    "UPDATE alembic_version SET version_num = '9999'",
    "DELETE FROM alembic_version",
], ids=["newer", "unstamped"])
def test_the_daemon_stops_with_exit_2_on_a_schema_it_cannot_use(
        git_repo: GitRepo, sqlite_db: Db, change: str) -> None:  # noqa: F811
    git_repo.write("docs/adr/0001-seed.md", adr(1, "Seed"))
    daemon = Daemon(git_repo.path, sqlite_db.url)
    try:
        wait_for(lambda: daemon.saw(lambda e: e.get("event") == "sync"), timeout=60, what="start-up reconcile")
        engine = create_engine(sqlite_db.url)
        try:
            with engine.begin() as conn:
                conn.execute(text(change))
        finally:
            engine.dispose()
        git_repo.write("docs/adr/0002-next.md", adr(2, "Next"))
        assert daemon.finish() == 2
    finally:
        if daemon.proc.poll() is None:
            daemon.proc.kill()
            daemon.finish()
    fatal = [e for e in daemon.lines if e.get("event") == "fatal"]
    assert len(fatal) == 1 and "stopping" in fatal[0]["message"], daemon.lines[-5:]
    assert not daemon.saw(lambda e: e.get("event") == "database_down")
    assert not daemon.saw(lambda e: "Traceback" in e.get("message", ""))
