"""A full disk under a SQLite sync: one line that says the disk is full and to free space (exit 2), and ``watch``
treating it as a database that refuses writes — down, retried with backoff, synced into once there is room.

SQLite rolls the whole transaction back on SQLITE_FULL, so the savepoint tracertm writes each batch in was gone
too: its ROLLBACK TO failed with "no such savepoint", which hid the full disk — the sync said a record was refused
("fix the file"), and ``watch`` parked the repository until a file changed. The disk is filled deterministically
by SQLite's own limit on the file's pages (``PRAGMA max_page_count``, set on every transaction of every engine while
a test caps it): growing past it fails with the same SQLITE_FULL, and the same whole-transaction rollback, as a
file system with no space left."""

from __future__ import annotations

import logging
import re
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import pytest
from sqlalchemy import event
from sqlalchemy.engine import Engine

from conftest import GitRepo, run_cli
from specs import adr
from test_watch import Db, adr_path, sqlite_db, start, stop_all, wait_for  # noqa: F401 - fixtures used by name
from tracertm.watcher import Watcher
from tracertm.watcher.logs import LOGGER

ADRS = 40
FULL = re.compile(r"^tracertm: error: database sqlite:///\S+: its disk is full \(database or disk is full\); what "
                  r"this command had not committed was undone — free space on the disk that holds it, then run it "
                  r"again$")


class DiskCap:
    """The pages a SQLite file may grow by from when it is capped (``cap``) until ``lift``: SQLite's
    ``max_page_count`` on each transaction's connection, as its pages were counted at the first one."""

    def __init__(self) -> None:
        self.slack: int | None = None
        self.limit: int | None = None

    def cap(self, slack: int) -> None:
        self.slack, self.limit = slack, None

    def lift(self) -> None:
        self.slack = self.limit = None

    def begin(self, conn: Any) -> None:
        if conn.dialect.name != "sqlite":
            return
        raw = conn.connection.dbapi_connection
        if self.slack is None:
            raw.execute("PRAGMA max_page_count = 4294967294")  # SQLite's default: a pooled connection kept none
            return
        if self.limit is None:
            self.limit = raw.execute("PRAGMA page_count").fetchone()[0] + self.slack
        raw.execute(f"PRAGMA max_page_count = {self.limit}")


@pytest.fixture
def disk() -> Iterator[DiskCap]:
    cap = DiskCap()
    event.listen(Engine, "begin", cap.begin)
    try:
        yield cap
    finally:
        event.remove(Engine, "begin", cap.begin)


def write_adrs(repo: GitRepo, decision: str) -> None:
    for n in range(1, ADRS + 1):
        repo.write(adr_path(n), adr(n, f"Decision {n}", decision=decision))


def decisions(db: Db) -> set[str]:
    with db.engine.connect() as conn:
        return {row[0] for row in conn.exec_driver_sql("SELECT decision FROM adrs")}


@pytest.mark.parametrize("slack", [0, 2], ids=["at-once", "on-a-later-page"])
def test_a_full_disk_during_a_sync_is_said_in_one_line(
    git_repo: GitRepo, sqlite_db: Db, disk: DiskCap, slack: int
) -> None:
    write_adrs(git_repo, "We will do it.")
    git_repo.commit("first")
    assert run_cli("sync", str(git_repo.path), "--database-url", sqlite_db.url).returncode == 0
    write_adrs(git_repo, "x" * 3000)  # the batch of updated records needs new pages
    git_repo.commit("longer")
    disk.cap(slack)
    full = run_cli("sync", str(git_repo.path), "--database-url", sqlite_db.url)
    assert full.returncode == 2 and FULL.match(full.stderr.strip()), full.stderr
    disk.lift()
    assert decisions(sqlite_db) == {"We will do it."}, "nothing was written"
    assert run_cli("sync", str(git_repo.path), "--database-url", sqlite_db.url).returncode == 0
    assert decisions(sqlite_db) == {"x" * 3000}


def test_a_full_disk_during_a_first_sync_is_said_in_one_line(
    git_repo: GitRepo, sqlite_db: Db, disk: DiskCap
) -> None:
    """A first sync writes its records as the files are parsed, under a savepoint of its own (``engine.eager``)."""
    write_adrs(git_repo, "y" * 3000)
    git_repo.commit("first")
    disk.cap(2)
    full = run_cli("sync", str(git_repo.path), "--database-url", sqlite_db.url)
    assert full.returncode == 2 and FULL.match(full.stderr.strip()), full.stderr
    assert sqlite_db.live() == {}


def test_watch_waits_out_a_full_disk_and_syncs_once_there_is_room(
    git_repo: GitRepo, sqlite_db: Db, disk: DiskCap, stop_all: list[Watcher], caplog: pytest.LogCaptureFixture
) -> None:
    caplog.set_level(logging.INFO, logger=LOGGER)
    write_adrs(git_repo, "We will do it.")
    w = start(git_repo.path, sqlite_db.url, retry_base=0.05, retry_cap=0.2)
    stop_all.append(w)
    assert decisions(sqlite_db) == {"We will do it."}
    disk.cap(2)
    write_adrs(git_repo, "z" * 3000)
    wait_for(lambda: w.stats.failures >= 3, what="several attempts on the full disk")
    assert decisions(sqlite_db) == {"We will do it."}
    events = [getattr(r, "fields", {}) for r in caplog.records]
    down = [e for e in events if e.get("event") == "database_down"]
    assert len(down) == 1 and "its disk is full (database or disk is full)" in down[0]["error"], events
    assert "free space on the disk that holds it" in down[0]["error"]
    assert not [e for e in events if e.get("event") == "sync_failed"], "a full disk parks no repository"
    disk.lift()  # space freed: no file changes, the retry syncs
    wait_for(lambda: decisions(sqlite_db) == {"z" * 3000}, what="the kept changes synced once there is room")

    def ups() -> int:
        return [getattr(r, "fields", {}).get("event") for r in caplog.records].count("database_up")

    # (logged after the commit the read above may already see: waited for, not assumed)
    wait_for(lambda: ups() >= 1, what="database_up logged")
    assert ups() == 1
