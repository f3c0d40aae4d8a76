"""A SIGTERM that comes where Python ignores exceptions still stops the sync: nothing written, one line, exit 143.
In a callback ``os.fork`` runs in the parent (logging's lock release, as the parse workers start), the handler's
``KeyboardInterrupt`` used to be printed as "Exception ignored in: <function _releaseLock …>" with a traceback and
lost: the sync ran on, committed, and then said it had been terminated after the commit. The pool now holds the
signal while it forks (``engine.parse._signals_held``); one raised in a finalizer is raised again in plain code
(the CLI's ``sys.unraisablehook``). Each in a process of its own: the signal goes to that process, whose main thread
has the CLI's handler."""

from __future__ import annotations

import sqlite3
import subprocess
import sys
from contextlib import closing

import pytest

from conftest import GitRepo
from specs import feature

# The CLI, with the first fork in this process (the parse pool's first worker) sending it SIGTERM from a callback
# that runs in the parent after the fork: the handler runs there, inside the callback.
_SCRIPT = """
import os, signal, sys
from tracertm.cli import main
sent = []
def terminate_once():
    if not sent:
        sent.append(True)
        os.kill(os.getpid(), signal.SIGTERM)
        sum(range(1000))  # bytecode after the kill: where the handler runs, still inside this callback
os.register_at_fork(after_in_parent=terminate_once)
sys.exit(main(sys.argv[1:]))
"""


# The CLI, with the parse sending this process SIGTERM from a finalizer (``__del__``) first.
_FINALIZER = """
import os, signal, sys
from tracertm.cli import main
from tracertm.engine import parse
class Doomed:
    def __del__(self):
        os.kill(os.getpid(), signal.SIGTERM)
        sum(range(1000))  # bytecode after the kill: where the handler runs, still inside the finalizer
real = parse.ParsePool.parse
def parse_after_a_finalizer(self, *args, **kwargs):
    Doomed()  # dropped at once: its finalizer runs here
    return real(self, *args, **kwargs)
parse.ParsePool.parse = parse_after_a_finalizer
sys.exit(main(sys.argv[1:]))
"""


@pytest.mark.parametrize("script", [_SCRIPT, _FINALIZER], ids=["fork-callback", "finalizer"])
def test_a_sigterm_where_exceptions_are_ignored_stops_the_sync(git_repo: GitRepo, script: str) -> None:
    for i in range(1, 241):
        git_repo.write(f"features/f{i:03d}.feature", feature(i, f"Feature {i}", {"case": ["Given a", "Then b"]}))
    git_repo.commit("features")
    database = git_repo.path.parent / "terminated.db"
    proc = subprocess.run([sys.executable, "-c", script, "sync", str(git_repo.path), "--database-url",
                           f"sqlite:///{database}", "--jobs", "2"], capture_output=True, text=True, timeout=120,
                          check=False)
    assert (proc.returncode, proc.stderr) == (143, "tracertm: terminated\n")
    if database.exists():  # nothing of the sync was written
        with closing(sqlite3.connect(database)) as connection:
            tables = {name for (name,) in connection.execute("SELECT name FROM sqlite_master WHERE type='table'")}
            if "features" in tables:
                assert connection.execute("SELECT count(*) FROM features").fetchone() == (0,)
