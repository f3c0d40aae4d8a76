"""A sync stopped while it waits on a git command: a slow clean filter (``.gitattributes``) makes the sync's ``git
hash-object`` (a changed file's blob id) or ``git ls-files -m`` (a file whose size and time are unchanged: git reads
it through the filter to compare) run as long as the filter does. The watch daemon's second SIGTERM, and
``Watcher.abort()``, interrupted the sync's database call but not git: the daemon waited for git however long it
took (SIGTERM again, SIGKILL only left git behind), and an interrupted ``tracertm sync`` ended git but left the filter
running. Now git runs in a process group of its own, which the git layer ends, filter and all, and the sync rolls
back. The filter here blocks on a FIFO until the test opens it or the filter is killed: no time guessed."""

from __future__ import annotations

import os
import signal
import subprocess
import sys
from pathlib import Path

import pytest
from sqlalchemy import func, select

from conftest import GitRepo
from test_interrupt_while_starting import AS_FROM_A_TERMINAL
from test_watch import WAIT_S, Daemon, Db, _consistent, adr, adr_path, dbx, open_gate, sqlite_db, start, stop_all
from tracertm import db
from tracertm.models import SyncRun
from tracertm.watcher import Watcher
from waiting import until

__all__ = ["dbx", "sqlite_db", "stop_all"]  # fixtures, used by name

OLD = 1_577_836_800_000_000_000  # 2020-01-01 in ns: the seed older than the index, so that git never finds it racy


class SlowFilter:
    """The ``slow`` clean filter of ``*.md`` files: ``cat``, except once armed: then it writes its process id and
    git's (``$$ $PPID``) to ``started`` and waits on the FIFO ``gate`` until the test opens it (``release``) or the
    filter is killed; the git command that runs it waits as long."""

    def __init__(self, repo: GitRepo, folder: Path) -> None:
        self.gate, self.armed, self.started = folder / "gate", folder / "armed", folder / "started"
        os.mkfifo(self.gate)
        note = folder / "started.tmp"  # (renamed into place: never read half-written)
        repo.write(".gitattributes", "*.md filter=slow\n")
        repo.git("config", "filter.slow.clean", f"if rm '{self.armed}' 2>/dev/null; then echo $$ $PPID > '{note}'; "
                                                f"mv '{note}' '{self.started}'; read go < '{self.gate}'; fi; cat")
        self.pids: list[int] = []

    def arm(self) -> None:
        self.armed.touch()

    def waiting(self) -> tuple[int, int]:
        """Once the armed filter waits at the gate: its process id and git's."""
        until(self.started.exists, "filter started", WAIT_S)
        shell, git = (int(pid) for pid in self.started.read_text().split())
        self.pids += [shell, git]
        return shell, git

    def release(self) -> None:
        """Open the gate to a filter still waiting there, and kill what is left (the test failed)."""
        open_gate(self.gate)
        for pid in self.pids:
            if running(pid) and str(self.gate.parent).encode() in _cmdline(pid):
                os.kill(pid, signal.SIGKILL)


def _cmdline(pid: int) -> bytes:
    try:
        return Path(f"/proc/{pid}/cmdline").read_bytes().replace(b"\0", b" ")
    except FileNotFoundError:
        return b""


def running(pid: int) -> bool:
    """Whether process ``pid`` runs: a zombie (dead, not reaped yet by its parent) does not."""
    try:
        stat = Path(f"/proc/{pid}/stat").read_text()
    except FileNotFoundError:
        return False
    return stat.rsplit(")", 1)[1].split()[0] not in ("Z", "X")


def seeded(repo: GitRepo, folder: Path) -> SlowFilter:
    """ADR 1 committed ("Seed"), its file older than the index; the slow filter set up, not armed."""
    slow = SlowFilter(repo, folder)
    os.utime(repo.write(adr_path(1), adr(1, "Seed")), ns=(OLD, OLD))
    repo.commit("seed")
    return slow


def save(repo: GitRepo, folder: Path, how: str) -> None:
    """An editor's atomic save of ADR 1 (written aside, renamed over it): a new title of another length, or of the
    same length with the old file's time (git then compares the content: through the filter)."""
    aside = folder / "aside.md"
    if how == "resized":
        aside.write_text(adr(1, "Seed, edited"))
    else:
        aside.write_text(adr(1, "Sees"))
        os.utime(aside, ns=(OLD, OLD))
    os.rename(aside, repo.path / adr_path(1))


def runs(dbx: Db) -> int:
    with db.session(dbx.engine) as s:
        return int(s.execute(select(func.count()).select_from(SyncRun)).scalar_one())


@pytest.mark.parametrize("database_url", ["sqlite", "postgresql"], indirect=True)
@pytest.mark.parametrize(("how", "command"), [("resized", "hash-object"), ("same size and time", "ls-files")])
def test_a_second_sigterm_ends_the_git_command_the_sync_waits_on(
    git_repo: GitRepo, dbx: Db, tmp_path: Path, how: str, command: str
) -> None:
    """A real daemon: the first SIGTERM lets the sync in flight finish, as ever; the second rolls it back, ending
    git and its filter, and the daemon exits 0 at once, not once git is done."""
    slow = seeded(git_repo, tmp_path)
    daemon = Daemon(git_repo.path, dbx.url)
    try:
        daemon.wait(lambda e: e.get("event") == "sync", "the start-up reconcile")
        before = runs(dbx)
        slow.arm()
        save(git_repo, tmp_path, how)
        shell, git = slow.waiting()
        assert f" {command} ".encode() in _cmdline(git)  # the sync's git command, held by its filter
        daemon.abort()
        assert not running(git) and not running(shell)
    finally:
        slow.release()
        if daemon.proc.poll() is None:
            daemon.proc.kill()
        daemon.finish()
    assert daemon.saw(lambda e: e.get("event") == "aborted" and f"cancelled during git {command};" in e["message"])
    assert not daemon.saw(lambda e: "Traceback" in str(e.get("message", "")))
    assert dbx.live() == {adr_path(1): "Seed"} and runs(dbx) == before
    assert _consistent(dbx) == 1


def test_abort_from_another_thread_ends_the_git_command_and_reaps_it(
    git_repo: GitRepo, sqlite_db: Db, stop_all: list[Watcher], tmp_path: Path
) -> None:
    """The in-process daemon: ``abort()`` called on this thread while the daemon's sync waits on git. The loop ends
    within the bound, git is reaped (no zombie left in this process) and its filter is gone."""
    slow = seeded(git_repo, tmp_path)
    w = start(git_repo.path, sqlite_db.url)
    stop_all.append(w)
    before = runs(sqlite_db)
    try:
        slow.arm()
        save(git_repo, tmp_path, "resized")
        shell, git = slow.waiting()
        w.abort()
        w.join(WAIT_S)
        assert w._thread is not None and not w._thread.is_alive(), "the daemon's loop still waits on git"
        assert not Path(f"/proc/{git}").exists()  # ended and reaped
        assert not running(shell)
    finally:
        slow.release()
    assert sqlite_db.live() == {adr_path(1): "Seed"} and runs(sqlite_db) == before
    assert w.stats.syncs == 1  # the start-up reconcile alone


@pytest.mark.parametrize(("signum", "code", "said"), [
    (signal.SIGINT, 130, "tracertm: interrupted"), (signal.SIGTERM, 143, "tracertm: terminated"),
])
def test_an_interrupted_sync_leaves_no_git_command_behind(
    git_repo: GitRepo, sqlite_db: Db, tmp_path: Path, signum: int, code: int, said: str
) -> None:
    """``tracertm sync`` sent SIGINT (``kill -INT``: a terminal's Ctrl-C reaches git's process group no more) or
    SIGTERM while git runs its filter: the command stops as before, and git and the filter with it."""
    slow = seeded(git_repo, tmp_path)
    save(git_repo, tmp_path, "resized")  # (an unchanged file is read from git's objects: no filter)
    slow.arm()
    cmd = [sys.executable, "-m", "tracertm", "sync", str(git_repo.path), "--database-url", sqlite_db.url]
    proc = subprocess.Popen([sys.executable, "-c", AS_FROM_A_TERMINAL, *cmd], stdout=subprocess.PIPE,
                            stderr=subprocess.PIPE, text=True)
    try:
        shell, git = slow.waiting()
        proc.send_signal(signum)
        _, err = proc.communicate(timeout=WAIT_S)
        assert (proc.returncode, err.strip()) == (code, said)
        assert not running(git) and not running(shell)
    finally:
        slow.release()
        if proc.poll() is None:
            proc.kill()
        proc.communicate()
    assert sqlite_db.live() == {} and runs(sqlite_db) == 0
