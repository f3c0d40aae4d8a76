"""``tracertm watch`` when its SQLite file is deleted, or another file is renamed over it, while the daemon runs: the
daemon must not go on writing into the old file (its connections keep the unlinked inode open, and every sync
"succeeds" where no one can see it). Before a sync it sees that the path names another file, or none: it lets go
of the old one, opens (or creates) the file the path names now, says so in one log line, and reconciles every
repository syncing into it. Real daemons, git repositories, file-system events and SQLite files; every wait
polls an observable condition."""

from __future__ import annotations

import logging
import shutil
import signal
import sqlite3
from contextlib import closing
from pathlib import Path

import pytest
from sqlalchemy.exc import OperationalError

from conftest import GitRepo, init_repo
from test_watch import (  # noqa: F401 - fixtures (sqlite_db, stop_all) are used by name
    Daemon,
    Db,
    adr,
    adr_path,
    sqlite_db,
    start,
    stop_all,
    wait_for,
)
from tracertm.watcher import Watcher
from tracertm.watcher.logs import LOGGER


def live(url: str) -> dict[str, str] | None:
    """source_path → title of the live ADRs in the file ``url`` names now (an engine of its own, closed again at
    once: a pooled connection would go on reading the old file); None while that file has no schema yet. Not
    called between the swap and the daemon's noticing it: opening the path would create the file (or replay the
    old WAL still beside it into it)."""
    handle = Db(url)
    try:
        return handle.live()
    except OperationalError:
        return None
    finally:
        handle.close()


def reopened(caplog: pytest.LogCaptureFixture) -> list[logging.LogRecord]:
    return [r for r in caplog.records if getattr(r, "fields", {}).get("event") == "database_reopened"]


def two_repositories(tmp_path: Path, git_repo: GitRepo, template: Path) -> tuple[GitRepo, Path, str]:
    """``git_repo`` and another repository, each with one ADR, and a migrated SQLite file for both."""
    other = init_repo(tmp_path / "other")
    git_repo.write(adr_path(1), adr(1, "Before"))
    other.write(adr_path(7), adr(7, "Other"))
    path = tmp_path / "watch.db"
    shutil.copy(template, path)
    return other, path, f"sqlite:///{path}"


def created_by_reconciles(w: Watcher, since: int) -> dict[str, int]:
    """Repository folder name → records the reconciles after the first ``since`` syncs created."""
    return {Path(r.repository).name: r.counts["created"] for r in list(w.history)[since:] if r.reconcile}


def integrity(path: Path) -> str:
    with closing(sqlite3.connect(f"file:{path}?mode=ro", uri=True)) as conn:
        return str(conn.execute("PRAGMA integrity_check").fetchone()[0])


@pytest.mark.parametrize("sidecars", [False, True], ids=["the-file", "with-wal-and-shm"])
def test_a_deleted_database_file_is_created_again_with_every_repository(
    tmp_path: Path,
    git_repo: GitRepo,
    _sqlite_template: Path,
    stop_all: list[Watcher],
    caplog: pytest.LogCaptureFixture,
    sidecars: bool,
) -> None:
    caplog.set_level(logging.INFO, logger=LOGGER)
    other, path, url = two_repositories(tmp_path, git_repo, _sqlite_template)
    w = start([git_repo.path, other.path], url)
    stop_all.append(w)
    assert live(url) == {adr_path(1): "Before", adr_path(7): "Other"}
    synced = len(w.history)

    path.unlink()
    if sidecars:  # ``rm tracertm.db*``
        for name in (f"{path.name}-wal", f"{path.name}-shm"):
            (path.parent / name).unlink(missing_ok=True)
    git_repo.write(adr_path(2), adr(2, "After"))  # only one repository changes

    wait_for(lambda: reopened(caplog), what="the daemon to see its file deleted")
    # A new file: the next sync of each repository is a first sync, the unchanged ADRs of both included.
    wait_for(lambda: live(url) == {adr_path(1): "Before", adr_path(2): "After", adr_path(7): "Other"},
             what="every repository synced into the new file")
    git_repo.write(adr_path(1), adr(1, "Edited later"))  # and it goes on syncing into it
    wait_for(lambda: (live(url) or {}).get(adr_path(1)) == "Edited later", what="a later edit")
    assert w.wait_idle(20)
    # Everything was created anew: nothing of the old database came into the new file (its WAL, replayed).
    assert created_by_reconciles(w, synced) == {"repo": 2, "other": 1}

    [record] = reopened(caplog)  # one line, once
    message = record.getMessage()
    assert str(path) in message and "deleted" in message and "\n" not in message
    assert record.levelno == logging.WARNING
    assert w.stats.failures == 0
    assert integrity(path) == "ok"


@pytest.mark.parametrize("replacement", ["empty", "backup"])
def test_a_database_file_replaced_by_another_is_reopened_and_reconciled(
    tmp_path: Path,
    git_repo: GitRepo,
    _sqlite_template: Path,
    stop_all: list[Watcher],
    caplog: pytest.LogCaptureFixture,
    replacement: str,
) -> None:
    """Another file renamed over the database: a new empty one, or a backup taken earlier (restored the usual way,
    written beside it and moved over it). The reconcile brings it up to date with every repository."""
    caplog.set_level(logging.INFO, logger=LOGGER)
    other, path, url = two_repositories(tmp_path, git_repo, _sqlite_template)
    w = start([git_repo.path, other.path], url)
    stop_all.append(w)
    new = tmp_path / "new.db"
    if replacement == "empty":
        shutil.copy(_sqlite_template, new)
    else:
        with closing(sqlite3.connect(path)) as source, closing(sqlite3.connect(new)) as copy:
            source.backup(copy)
    git_repo.write(adr_path(2), adr(2, "Not in the backup"))
    wait_for(lambda: (live(url) or {}).get(adr_path(2)) == "Not in the backup", what="a sync before the swap")
    assert w.wait_idle(20)
    synced = len(w.history)

    new.replace(path)
    git_repo.write(adr_path(3), adr(3, "After the swap"))

    wait_for(lambda: reopened(caplog), what="the daemon to see its file replaced")
    expected = {adr_path(1): "Before", adr_path(2): "Not in the backup", adr_path(3): "After the swap",
                adr_path(7): "Other"}
    wait_for(lambda: live(url) == expected, what="every repository reconciled with the new file")
    assert w.wait_idle(20)
    # What the new file lacked was created, no more: nothing of the old database came into it (its WAL, replayed).
    missing = {"repo": 3, "other": 1} if replacement == "empty" else {"repo": 2, "other": 0}
    assert created_by_reconciles(w, synced) == missing
    [record] = reopened(caplog)
    assert "replaced" in record.getMessage() and str(path) in record.getMessage()
    assert w.stats.failures == 0
    assert integrity(path) == "ok"


def test_the_file_in_place_is_never_reopened(
    git_repo: GitRepo, sqlite_db: Db, stop_all: list[Watcher], caplog: pytest.LogCaptureFixture
) -> None:
    """Syncs into the same file (its WAL checkpointed, truncated, its connections new) are no replacement."""
    caplog.set_level(logging.INFO, logger=LOGGER)
    w = start(git_repo.path, sqlite_db.url)
    stop_all.append(w)
    for n in range(1, 4):
        git_repo.write(adr_path(n), adr(n, f"Decision {n}"))
        wait_for(lambda: len(sqlite_db.live()) == n, what=f"ADR {n}")  # noqa: B023 - called at once
        with closing(sqlite3.connect(sqlite_db.url.removeprefix("sqlite:///"))) as conn:
            conn.execute("PRAGMA wal_checkpoint(TRUNCATE)")
    assert w.wait_idle(20)
    assert reopened(caplog) == []


def test_the_command_line_daemon_logs_the_reopening_as_one_json_event(
    tmp_path: Path, git_repo: GitRepo, _sqlite_template: Path
) -> None:
    """``tracertm watch --log-format json``: the same, in a process of its own, ended by SIGTERM as a service is."""
    git_repo.write(adr_path(1), adr(1, "Before"))
    path = tmp_path / "watch.db"
    shutil.copy(_sqlite_template, path)
    url = f"sqlite:///{path}"
    daemon = Daemon(git_repo.path, url)
    try:
        daemon.wait(lambda e: e.get("event") == "sync", "the start-up reconcile")
        path.unlink()
        git_repo.write(adr_path(2), adr(2, "After"))
        daemon.wait(lambda e: e.get("event") == "database_reopened", "the reopening")
        daemon.wait_for(lambda: live(url) == {adr_path(1): "Before", adr_path(2): "After"}, "the new file filled")
    finally:
        daemon.proc.send_signal(signal.SIGTERM)
        assert daemon.finish() == 0, daemon.tail()
    [event] = [e for e in daemon.lines if e.get("event") == "database_reopened"]
    assert event["reason"] == "deleted" and event["path"] == str(path) and event["level"] == "warning"
    assert event["repositories"] == [str(git_repo.path.resolve())]
    assert not daemon.saw(lambda e: "Traceback" in e.get("message", ""))


def test_a_foreign_file_over_the_database_deleted_again_is_a_reopening(
    tmp_path: Path, git_repo: GitRepo, _sqlite_template: Path
) -> None:
    """Another program's file renamed over the database (no SQLite file: every sync fails, the database is down),
    then deleted: the path names no file any more, and the daemon says it creates it again, as for its database
    deleted (``database_reopened``, "deleted"), before the outage ends (``database_up``). The connection to the
    foreign file failed in its set-up, before that file was noted, so its deletion went unseen: the log said only
    ``database_up``, of a file created anew."""
    git_repo.write(adr_path(1), adr(1, "Before"))
    path = tmp_path / "watch.db"
    shutil.copy(_sqlite_template, path)
    url = f"sqlite:///{path}"
    daemon = Daemon(git_repo.path, url)
    try:
        daemon.wait(lambda e: e.get("event") == "sync", "the start-up reconcile")
        foreign = tmp_path / "notes.txt"
        foreign.write_text("not a database\n")
        foreign.replace(path)
        git_repo.write(adr_path(2), adr(2, "During"))
        daemon.wait(lambda e: e.get("event") == "database_down", "the foreign file refused")
        path.unlink()
        daemon.wait(lambda e: e.get("event") == "database_up", "the database back")
        daemon.wait_for(lambda: live(url) == {adr_path(1): "Before", adr_path(2): "During"}, "the new file filled")
    finally:
        daemon.proc.send_signal(signal.SIGTERM)
        assert daemon.finish() == 0, daemon.tail()
    states = [(e["event"], e.get("reason")) for e in daemon.lines
              if e.get("event") in ("database_reopened", "database_down", "database_up")]
    assert states == [("database_reopened", "replaced"), ("database_down", None), ("database_reopened", "deleted"),
                      ("database_up", None)], daemon.tail()
    assert not daemon.saw(lambda e: "Traceback" in e.get("message", ""))
