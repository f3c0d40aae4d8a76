"""SIGHUP and ``tracertm watch``: the terminal closed, or a ``kill -HUP``, stops the daemon as SIGTERM does — the
sync in flight commits, exit 0 — where its default action killed it mid-sync (exit -1, the sync lost). A real
daemon, real file-system events, the waits bounded polls."""

from __future__ import annotations

import fcntl
import os
import pty
import select
import shutil
import signal
import subprocess
import sys
import termios
import time
from collections.abc import Iterator

import pytest

from conftest import GitRepo
from test_watch import (  # noqa: F401 - fixtures (dbx, sqlite_db) are used by name
    WAIT_S, Daemon, Db, _consistent, _start_a_big_sync, adr, adr_path, dbx, sqlite_db, wait_for,
)


@pytest.fixture(autouse=True)
def _sighup_not_ignored() -> Iterator[None]:
    """The daemons these tests start get SIGHUP's default action, whatever the suite's: one started with SIGHUP
    ignored keeps ignoring it, as it should (``nohup``), so under ``nohup ./scripts/test`` they waited out their
    bounds for a signal the daemon was right to ignore. (A hang-up meanwhile ends this worker, as without nohup.)"""
    before = signal.signal(signal.SIGHUP, signal.SIG_DFL)
    try:
        yield
    finally:
        signal.signal(signal.SIGHUP, before)


@pytest.mark.parametrize("database_url", ["sqlite", "postgresql"], indirect=True)
def test_sighup_stops_the_daemon_after_the_sync_in_flight(git_repo: GitRepo, dbx: Db) -> None:
    """A second SIGHUP is the same hang-up (a shell passes the terminal's on to its jobs): it rolls nothing back."""
    daemon = _start_a_big_sync(git_repo, dbx.url)
    try:
        daemon.proc.send_signal(signal.SIGHUP)
        daemon.wait(lambda e: e.get("event") == "signal", "the signal logged")
        daemon.proc.send_signal(signal.SIGHUP)
        assert daemon.finish() == 0, daemon.tail()
    finally:
        if daemon.proc.poll() is None:
            daemon.proc.kill()
            daemon.finish()
    assert [e.get("signal") for e in daemon.lines if e.get("event") == "signal"] == ["SIGHUP"]
    assert "SIGHUP received: stopping after the sync in flight (send SIGTERM to roll that sync back)" in daemon.tail()
    events = daemon.events()
    assert "aborted" not in events and events[-1] == "stop"
    big = [i for i, e in enumerate(daemon.lines) if e.get("event") == "sync" and e.get("paths") == 300]
    assert big and big[0] > events.index("signal")  # the sync in flight finished, after the signal
    assert _consistent(dbx) == 301
    assert dbx.in_sync_with(git_repo.path)


def _controlling_terminal() -> None:
    # In the child, after start_new_session's setsid(): its standard input, the pty, becomes its controlling
    # terminal, so the kernel sends it SIGHUP when the terminal's other end closes.
    fcntl.ioctl(0, termios.TIOCSCTTY, 0)


def _read_until(fd: int, text: bytes, seen: bytearray) -> None:
    """Read the terminal into ``seen`` until it holds ``text`` (the daemon's writes never fill the pty's buffer)."""
    deadline = time.monotonic() + 3 * WAIT_S
    while text not in seen:
        if time.monotonic() > deadline:
            raise AssertionError(f"timed out waiting for {text!r}; the daemon wrote:\n{seen[-2000:].decode()}")
        if select.select([fd], [], [], 0.1)[0]:
            seen += os.read(fd, 65536)


def test_closing_its_terminal_stops_the_daemon_after_the_sync_in_flight(git_repo: GitRepo, sqlite_db: Db) -> None:
    """The daemon runs in a terminal (a pty it controls) that is closed while a sync runs: the kernel's SIGHUP
    stops it once that sync has committed, though nothing it logs from then on can be written."""
    git_repo.write(adr_path(1), adr(1, "Seed"))
    master, slave = pty.openpty()
    cmd = [sys.executable, "-m", "tracertm", "watch", str(git_repo.path), "--database-url", sqlite_db.url,
           "--debounce", "50", "-v"]
    proc = subprocess.Popen(cmd, stdin=slave, stdout=slave, stderr=slave, start_new_session=True,
                            preexec_fn=_controlling_terminal)  # noqa: PLW1509 - a system call, no Python locks
    os.close(slave)
    seen = bytearray()
    try:
        _read_until(master, b" reconciled ", seen)
        staging = git_repo.path.parent / "staging"  # written outside, moved in at once: one batch
        staging.mkdir()
        for i in range(2, 302):
            (staging / f"{i:04d}-decision.md").write_text(adr(i, f"Decision {i}"))
        os.rename(staging, git_repo.path / "docs" / "adr" / "batch")
        _read_until(master, b"paths=300 events=", seen)  # "sync started ... paths=300 events=301"
    finally:
        os.close(master)  # the terminal goes away
        try:
            code = proc.wait(3 * WAIT_S)
        finally:
            if proc.poll() is None:
                proc.kill()
                proc.wait()
    assert code == 0, seen[-2000:].decode()
    assert _consistent(sqlite_db) == 301


def test_a_daemon_started_by_nohup_keeps_running_on_sighup(git_repo: GitRepo, sqlite_db: Db) -> None:
    """SIGHUP ignored at its start (``nohup``): the daemon outlives the terminal as asked, and keeps syncing."""
    nohup = shutil.which("nohup")
    if nohup is None:
        pytest.skip("nohup is not installed")
    git_repo.write(adr_path(1), adr(1, "Seed"))
    daemon = Daemon(git_repo.path, sqlite_db.url, wrapper=[nohup])
    try:
        daemon.wait(lambda e: e.get("event") == "sync", "the start-up reconcile")
        daemon.proc.send_signal(signal.SIGHUP)
        git_repo.write(adr_path(2), adr(2, "After the hang-up"))
        wait_for(lambda: len(sqlite_db.live()) == 2, 3 * WAIT_S, "the file written after SIGHUP synced")
        assert daemon.proc.poll() is None and "signal" not in daemon.events()
    finally:
        daemon.proc.send_signal(signal.SIGTERM)
        assert daemon.finish() == 0, daemon.tail()
