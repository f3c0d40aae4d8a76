"""A second SIGTERM that lands while the watch daemon waits on a git command of its own, outside a sync: the first
git call of a repository it discovers in a workspace folder (``Repository.open``: ``git rev-parse``). ``abort()``
ends that command (its ``git.Scope``), which raises ``Cancelled``; the daemon took it for an unreadable repository
(``not watched yet (cancelled during git rev-parse; …); retrying``), and a ``Cancelled`` raised elsewhere in the
loop ended its thread with a traceback. Now the daemon stops as after an aborted sync: exit 0, no warning, no
traceback, the git command gone.

The git command is held by a ``git`` of the test's first on the daemon's ``PATH``: a script that, for the marked
repository only and once armed, waits on a FIFO before it runs the real git — no time guessed."""

from __future__ import annotations

import os
import shutil
import signal
from pathlib import Path

import pytest

from conftest import GitRepo, init_repo
from test_watch import WAIT_S, Daemon, Db, adr, adr_path, open_gate, sqlite_db
from test_watch_stop_git import running
from waiting import until

__all__ = ["sqlite_db"]  # a fixture, used by name

MARKED = "gated-repo"  # the repository whose first git call waits at the gate


class GatedGit:
    """A ``git`` script in ``folder/bin``: the real git, except that once armed, the first call naming the marked
    repository writes its process id (the leader of the process group the git layer gave it) to ``started`` and
    waits on the FIFO ``gate`` until the test opens it or the group is ended."""

    def __init__(self, folder: Path) -> None:
        self.bin, self.gate = folder / "bin", folder / "gate"
        self.armed, self.started = folder / "armed", folder / "started"
        self.bin.mkdir(parents=True)
        os.mkfifo(self.gate)
        real = shutil.which("git")
        assert real is not None
        note = folder / "started.tmp"  # (renamed into place: never read half-written)
        script = self.bin / "git"
        script.write_text(
            "#!/bin/sh\n"
            f'case " $* " in *"/{MARKED} "*)\n'
            f"  if rm '{self.armed}' 2>/dev/null; then echo $$ > '{note}'; mv '{note}' '{self.started}'; "
            f"read go < '{self.gate}'; fi;;\n"
            "esac\n"
            f'exec \'{real}\' "$@"\n'
        )
        script.chmod(0o755)
        self.pid: int | None = None

    def env(self) -> list[str]:
        """The command prefix that puts this git first on the daemon's ``PATH``."""
        return ["env", f"PATH={self.bin}{os.pathsep}{os.environ['PATH']}"]

    def arm(self) -> None:
        self.armed.touch()

    def waiting(self) -> int:
        """Once the armed git waits at the gate: its process id."""
        until(self.started.exists, "git at the gate", WAIT_S)
        self.pid = int(self.started.read_text())
        return self.pid

    def release(self) -> None:
        """Open the gate to a git still waiting there, and end what is left (the test failed)."""
        open_gate(self.gate)
        if self.pid is not None and running(self.pid):
            os.killpg(self.pid, signal.SIGKILL)


@pytest.mark.parametrize("when", ["at start-up", "discovered later"])
def test_a_second_sigterm_during_a_git_command_of_the_daemon_own_stops_it_quietly(
    git_repo: GitRepo, sqlite_db: Db, tmp_path: Path, when: str
) -> None:
    """A real daemon watching a workspace folder (``tmp_path``: ``repo`` in it, with an ADR) is held in the first
    git call for a repository in that folder — at its start-up discovery, or a later one (a ``git init`` while it
    runs). SIGTERM, then SIGTERM again: exit 0 at once, the signal's and the stop's lines logged, no "not watched
    yet" warning, no traceback, and the held git (with its process group) gone."""
    git_repo.write(adr_path(1), adr(1, "Seed"))
    gated = GatedGit(tmp_path / "gated")
    gated.arm()
    if when == "at start-up":
        init_repo(tmp_path / MARKED)
    daemon = Daemon(tmp_path, sqlite_db.url, wrapper=gated.env())
    try:
        if when == "discovered later":
            daemon.wait(lambda e: e.get("event") == "sync", "the start-up reconcile")
            init_repo(tmp_path / MARKED)
        git = gated.waiting()
        daemon.abort()
        assert not running(git)
    finally:
        gated.release()
        if daemon.proc.poll() is None:
            daemon.proc.kill()
        daemon.finish()
    assert daemon.saw(lambda e: e.get("event") == "signal" and e.get("abort")), daemon.tail()
    assert daemon.saw(lambda e: e.get("event") == "stop"), daemon.tail()
    assert not daemon.saw(lambda e: e.get("event") == "repository_unreadable"), daemon.tail()
    assert not daemon.saw(lambda e: "Traceback" in str(e.get("message", ""))), daemon.tail()
    assert not daemon.saw(lambda e: "Exception in thread" in str(e.get("message", ""))), daemon.tail()
