"""A backfill stopped by SIGTERM says so in one line — "run it again to continue from its last checkpoint" — and
exits 143; it does not go on to claim "terminated after the sync committed; the database holds this run", which
is only for a SIGTERM that lands after a sync has committed (README, exit codes, row 143).

Run in a process of its own (the signal goes to that process, whose main thread has the CLI's handler), and sent
by the backfill itself from its progress callback, after its first checkpoint: the signal lands mid-run on any
machine, however fast or loaded, with no sleep to tune."""

from __future__ import annotations

import os
import signal
import subprocess
import sys

from conftest import GitRepo
from specs import adr

# The CLI, with the backfill's progress callback sending the process SIGTERM once a batch has been checkpointed:
# a CI job's timeout in the middle of a long backfill.
_SCRIPT = """
import os, signal, sys
import tracertm.history.backfill as module
from tracertm.cli import main
real = module.backfill
def backfill(*args, **kwargs):
    def on_progress(p):
        if p.done >= 2:
            os.kill(os.getpid(), signal.SIGTERM)
            sum(range(1000))  # bytecode after the kill: the handler runs here, in the callback
    kwargs["on_progress"] = on_progress
    return real(*args, **kwargs)
module.backfill = backfill
sys.exit(main(sys.argv[1:]))
"""


def test_sigterm_during_a_backfill_prints_one_line_and_exits_143(git_repo: GitRepo) -> None:
    for i in range(1, 13):
        git_repo.write(f"docs/adr/{i:04d}-decision.md", adr(i, f"Decision {i}"))
        git_repo.commit(f"adr {i}")
    url = f"sqlite:///{git_repo.path.parent / 'backfill.db'}"
    proc = subprocess.run(
        [sys.executable, "-c", _SCRIPT, "backfill", str(git_repo.path), "--batch-size", "2", "--database-url", url],
        capture_output=True, text=True, timeout=300, check=False,
    )
    assert proc.returncode == 143, proc.stderr
    assert proc.stderr == (
        "tracertm: backfill terminated; run it again to continue from its last checkpoint\n"
    ), proc.stderr
    assert "backfill" not in proc.stdout, "stopped before its summary"


def test_sigterm_to_the_process_group_stops_the_parse_workers_quietly(git_repo: GitRepo) -> None:
    """A CI job's timeout signals the whole process group: the forked parse workers get the SIGTERM too. They
    ran the CLI's handler they inherited ("Process ForkProcess-1:" and a KeyboardInterrupt traceback each, and a
    pool broken under the parent's stop, which could hang it); now they leave it to the parent, which stops them.
    Every commit changes 80 files, so every batch parses in the workers; the signal goes once the first commit is
    done (its progress line), with the workers running and the rest of the history to go."""
    for i in range(1, 81):
        git_repo.write(f"docs/adr/{i:04d}-decision.md", adr(i, f"Decision {i}"))
    git_repo.commit("seed")
    for n in range(40):
        for i in range(1, 81):
            git_repo.write(f"docs/adr/{i:04d}-decision.md", adr(i, f"Decision {i}", decision=f"Take {n}."))
        git_repo.commit(f"take {n}")
    url = f"sqlite:///{git_repo.path.parent / 'backfill.db'}"
    proc = subprocess.Popen(
        [sys.executable, "-m", "tracertm", "backfill", str(git_repo.path), "--batch-size", "2", "--jobs", "2",
         "--database-url", url],
        stdout=subprocess.DEVNULL, stderr=subprocess.PIPE, text=True, start_new_session=True,
    )
    try:
        assert proc.stderr is not None
        first = proc.stderr.readline()
        assert first.startswith("backfill: 1/41 commits"), first
        os.killpg(proc.pid, signal.SIGTERM)
        code = proc.wait(timeout=120)
        rest = proc.stderr.read()
    finally:
        if proc.poll() is None:
            os.killpg(proc.pid, signal.SIGKILL)
            proc.wait()
    assert code == 143, rest
    assert "Traceback" not in rest and "Process ForkProcess" not in rest, rest
    assert rest.splitlines()[-1:] == [
        "tracertm: backfill terminated; run it again to continue from its last checkpoint"
    ], rest
