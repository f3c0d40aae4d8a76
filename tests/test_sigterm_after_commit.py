"""A SIGTERM that lands after a sync has committed (while its summary prints) does not pretend that nothing was
written: the summary finishes, one line says the run is in the database, exit 143 (README, exit codes). Run in a
process of its own: the signal goes to that process, whose main thread has the CLI's handler (a test worker's
thread may not)."""

from __future__ import annotations

import subprocess
import sys

from conftest import GitRepo
from specs import adr

# The CLI, with the summary sending the process SIGTERM first: the CI job's timeout, just after the commit.
_SCRIPT = """
import os, signal, sys
from tracertm import output
from tracertm.cli import main
summary = output.sync_summary
def terminated_while_printing(result):
    os.kill(os.getpid(), signal.SIGTERM)
    return summary(result)
output.sync_summary = terminated_while_printing
sys.exit(main(sys.argv[1:]))
"""


def test_sigterm_while_the_summary_prints_keeps_the_run_and_says_so(git_repo: GitRepo) -> None:
    git_repo.write("docs/adr/0001-use-git.md", adr(1, "Use git"))
    git_repo.commit("init")
    url = f"sqlite:///{git_repo.path.parent / 'after-commit.db'}"
    proc = subprocess.run([sys.executable, "-c", _SCRIPT, "sync", str(git_repo.path), "--database-url", url],
                          capture_output=True, text=True, timeout=120, check=False)
    assert proc.returncode == 143, proc.stderr
    assert "adrs             1" in proc.stdout  # the summary was printed whole
    assert proc.stderr == "tracertm: terminated after the sync committed; the database holds this run\n"
    shown = subprocess.run([sys.executable, "-m", "tracertm", "show", "ADR-0001", "--database-url", url,
                            "--project", git_repo.path.name], capture_output=True, text=True, timeout=120,
                           check=False)
    assert shown.returncode == 0, shown.stderr


# The CLI, with SIGTERM sent right after the write transaction's COMMIT, as its connection is let go (where a bulk
# write hands its WAL checkpoint to a thread): before the sync has handed its result back, where the signal used to
# stop it with "terminated" — a run the database holds, reported as if nothing was written.
_AT_COMMIT = """
import os, signal, sys
from tracertm.cli import main
from tracertm.db import locks
checkpoint = locks._checkpoint_soon
def terminated_after_commit(*args):
    os.kill(os.getpid(), signal.SIGTERM)
    return checkpoint(*args)
locks._checkpoint_soon = terminated_after_commit
sys.exit(main(sys.argv[1:]))
"""


def test_sigterm_right_after_the_commit_keeps_the_run_and_says_so(git_repo: GitRepo) -> None:
    git_repo.write("docs/adr/0001-use-git.md", adr(1, "Use git"))
    git_repo.commit("init")
    url = f"sqlite:///{git_repo.path.parent / 'at-commit.db'}"
    proc = subprocess.run([sys.executable, "-c", _AT_COMMIT, "sync", str(git_repo.path), "--database-url", url],
                          capture_output=True, text=True, timeout=120, check=False)
    assert "adrs             1" in proc.stdout, proc.stderr  # the summary was printed whole
    assert proc.stderr == "tracertm: terminated after the sync committed; the database holds this run\n"
    assert proc.returncode == 143
