"""A bulk write leaves SQLite's WAL checkpoint to a thread of its own (``db.engines._checkpoint_soon``), which opens
the database file again by name. If the file is deleted, or another one renamed over it, between the write's commit
and that thread (a user's ``rm``, a backup restored, while ``tracertm watch`` runs), the checkpoint must neither
create an empty database where the user deleted one nor copy the old WAL's pages into the other file. And the watch
daemon, letting go of a moved file (``watcher.database_file``), waits for that thread before it opens the path again.

Real SQLite files and real threads. The checkpoint thread is held at its start through ``threading.settrace`` (the
hook every ``threading.Thread`` runs before its target), so the file moves exactly between the commit and the
checkpoint; every wait is on an event or an observable condition."""

from __future__ import annotations

import hashlib
import shutil
import sqlite3
import sys
import threading
from collections.abc import Iterator
from contextlib import closing
from pathlib import Path
from types import FrameType
from typing import Any

import pytest
from sqlalchemy import text

from test_watch import wait_for
from tracertm import db
from tracertm.db.engines import wait_for_checkpoints
from tracertm.watcher.engines import Engines

WAIT_S = 30.0
ROWS = 200


class HeldCheckpoints:
    """Checkpoint threads, each held before its first statement until ``release``."""

    def __init__(self) -> None:
        self.reached = threading.Event()
        self.release = threading.Event()
        self.threads: list[threading.Thread] = []

    def hook(self, frame: FrameType, event: str, arg: Any) -> None:
        thread = threading.current_thread()
        if thread.name == db.CHECKPOINT_THREAD:
            self.threads.append(thread)
            self.reached.set()
            self.release.wait(WAIT_S)
        sys.settrace(None)  # the thread's first call only

    def held(self) -> threading.Thread:
        assert self.reached.wait(WAIT_S), "the bulk write started no checkpoint thread"
        [thread] = self.threads
        return thread

    def finish(self) -> None:
        self.release.set()
        for thread in self.threads:
            thread.join(WAIT_S)
            assert not thread.is_alive()


@pytest.fixture
def checkpoints() -> Iterator[HeldCheckpoints]:
    held = HeldCheckpoints()
    threading.settrace(held.hook)
    try:
        yield held
    finally:
        threading.settrace(None)
        held.release.set()


def bulk_write(engine: Any) -> None:
    """One bulk write (a sync's write phase does the same): its commit leaves the WAL to the checkpoint thread."""
    with db.write_session(engine, "p", bulk=True) as sess:
        sess.execute(text("CREATE TABLE IF NOT EXISTS t (n INTEGER, payload TEXT)"))
        sess.execute(text("INSERT INTO t VALUES (:n, :p)"), [{"n": n, "p": "x" * 500} for n in range(ROWS)])


def rows_in_the_file_alone(path: Path, tmp_path: Path) -> int | None:
    """Rows of ``t`` in the database file itself, without its WAL (a copy of the file alone); None: no table."""
    copy = tmp_path / "alone" / path.name
    copy.parent.mkdir(exist_ok=True)
    shutil.copyfile(path, copy)
    try:
        with closing(sqlite3.connect(f"file:{copy}?mode=ro", uri=True)) as conn:
            return int(conn.execute("SELECT count(*) FROM t").fetchone()[0])
    except sqlite3.OperationalError:
        return None
    finally:
        copy.unlink()


def digest(path: Path) -> str:
    return hashlib.sha256(path.read_bytes()).hexdigest()


def other_database(path: Path) -> None:
    """Another SQLite database, in WAL mode, everything in the file itself."""
    with closing(sqlite3.connect(path)) as conn:
        conn.execute("PRAGMA journal_mode=WAL")
        conn.execute("CREATE TABLE other (v TEXT)")
        conn.execute("INSERT INTO other VALUES ('the other file')")
        conn.commit()
    assert not path.with_name(path.name + "-wal").exists()  # checkpointed and deleted on close


def test_the_checkpoint_copies_the_wal_into_the_file_it_wrote(tmp_path: Path, checkpoints: HeldCheckpoints) -> None:
    """The file in place: the checkpoint still happens (what the two tests below skip is the moved file only)."""
    path = tmp_path / "db.sqlite"
    engine = db.make_engine(f"sqlite:///{path}")
    try:
        bulk_write(engine)
        checkpoints.held()
        assert rows_in_the_file_alone(path, tmp_path) is None  # the write is in the WAL only
        checkpoints.finish()
        assert rows_in_the_file_alone(path, tmp_path) == ROWS
    finally:
        engine.dispose()


def test_a_database_file_deleted_before_the_checkpoint_is_not_created_again(
    tmp_path: Path, checkpoints: HeldCheckpoints
) -> None:
    path = tmp_path / "db.sqlite"
    engine = db.make_engine(f"sqlite:///{path}")
    try:
        bulk_write(engine)
        checkpoints.held()
        path.unlink()  # ``rm db.sqlite``: its WAL and shared memory stay beside the path
        checkpoints.finish()
        assert not path.exists()
    finally:
        engine.dispose()
    assert not path.exists()


def test_a_database_file_replaced_before_the_checkpoint_is_left_alone(
    tmp_path: Path, checkpoints: HeldCheckpoints
) -> None:
    path = tmp_path / "db.sqlite"
    replacement = tmp_path / "other.sqlite"
    other_database(replacement)
    engine = db.make_engine(f"sqlite:///{path}")
    try:
        bulk_write(engine)
        checkpoints.held()
        before = digest(replacement)
        replacement.replace(path)  # a backup restored over it, the old WAL and shared memory still beside it
        checkpoints.finish()
        # Not a page of the old database's WAL was written into the other file.
        assert digest(path) == before
    finally:
        engine.dispose()
    assert digest(path) == before


def test_a_database_file_replaced_while_the_checkpoint_connects_is_left_alone(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    """The other file is renamed over the path after the checkpoint thread found the path naming the write's file,
    and before its connection opened the path (a backup restored right after a sync of ``tracertm watch``, on a
    loaded machine: test_watch_database_file_replaced's backup case, once in a few runs). That connection has the
    other file, the old WAL and shared memory beside it: a read through it, then its close (SQLite checkpoints at
    the last close of a file that was not moved), copied the old WAL's pages into the other file."""
    path = tmp_path / "db.sqlite"
    replacement = tmp_path / "other.sqlite"
    other_database(replacement)
    before = digest(replacement)
    connect = sqlite3.connect
    swapped = threading.Event()

    def replaced_then_connect(*args: Any, **kwargs: Any) -> Any:
        if threading.current_thread().name == db.CHECKPOINT_THREAD and not swapped.is_set():
            replacement.replace(path)  # after the thread's look at the path, before its connection opens it
            swapped.set()
        return connect(*args, **kwargs)

    monkeypatch.setattr(sqlite3, "connect", replaced_then_connect)
    engine = db.make_engine(f"sqlite:///{path}")
    try:
        bulk_write(engine)
        assert swapped.wait(WAIT_S), "the bulk write started no checkpoint thread"
        wait_for_checkpoints(engine)
        # Not a page of the old database's WAL was written into the other file.
        assert digest(path) == before
    finally:
        engine.dispose()
    assert digest(path) == before


def test_the_watch_daemon_lets_go_of_a_moved_file_once_its_checkpoint_has_ended(
    tmp_path: Path, checkpoints: HeldCheckpoints
) -> None:
    """``Engines.moved`` (before a sync, the daemon sees its file deleted) returns only after the checkpoint thread of
    the old engine's last write has ended: only then are the old sidecars deleted and the path opened again."""
    path = tmp_path / "watch.db"
    url = f"sqlite:///{path}"
    engines = Engines()
    try:
        bulk_write(engines.get(url, "--database-url"))
        checkpoint = checkpoints.held()
        path.unlink()
        outcome: dict[str, Any] = {}

        def let_go() -> None:
            outcome["moved"] = engines.moved(url)
            outcome["checkpoint running"] = checkpoint.is_alive()

        daemon = threading.Thread(target=let_go, name="daemon-loop")
        daemon.start()

        def waiting_for_the_checkpoint() -> bool:
            frame = sys._current_frames().get(daemon.ident or 0)
            while frame is not None:
                if frame.f_code.co_name == "wait_for_checkpoints":
                    return True
                frame = frame.f_back
            return False

        # Either it let go at once (and the checkpoint may still open the path), or it waits for the checkpoint.
        wait_for(lambda: not daemon.is_alive() or waiting_for_the_checkpoint(), WAIT_S, "the daemon to let go")
        checkpoints.finish()
        daemon.join(WAIT_S)
        assert outcome == {"moved": (path, "deleted"), "checkpoint running": False}
        assert not path.exists()
    finally:
        engines.dispose()
