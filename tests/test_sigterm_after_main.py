"""A SIGTERM that lands after ``main`` has returned — the command's report printed, its exit code decided, the
process on its way out — ends the process as SIGTERM does (status 143 in a shell), with no further line: the
README's exit codes say so ("one that lands as the process exits, after its report, ends it with 143 and no further
line — the report stands"). The caller that sent it learns that its signal ended the process; the report is whole.

The console script (``tracertm.cli.run``) runs in a process of its own with ``main`` wrapped: once the real one has
returned, the wrapper says so on stderr and waits for its stdin to close. The test sends SIGTERM on that line (no
sleep: the moment is the wrapper's word), then closes stdin."""

from __future__ import annotations

import signal
import subprocess
import sys

from conftest import GitRepo
from specs import adr

_SCRIPT = """
import sys
import tracertm.cli as cli
real = cli.main
def main(argv=None):
    code = real(argv)
    print(f"main returned {code}", file=sys.stderr, flush=True)
    sys.stdin.read()  # until the test has sent its SIGTERM and closed our stdin
    return code
cli.main = main
cli.run()
"""


def test_a_sigterm_after_main_returned_ends_the_process_with_its_report_whole(git_repo: GitRepo) -> None:
    git_repo.write("docs/adr/0001-use-git.md", adr(1, "Use git"))
    git_repo.commit("init")
    url = f"sqlite:///{git_repo.path.parent / 'after-main.db'}"
    argv = [sys.executable, "-c", _SCRIPT, "sync", str(git_repo.path), "--database-url", url]
    proc = subprocess.Popen(argv, stdin=subprocess.PIPE, stdout=subprocess.PIPE, stderr=subprocess.PIPE, text=True)
    try:
        assert proc.stderr is not None and proc.stdin is not None
        said = proc.stderr.readline()
        assert said == "main returned 0\n", said + proc.stderr.read()
        proc.send_signal(signal.SIGTERM)
        proc.stdin.close()
        proc.wait(timeout=120)  # (its report is a few lines: no pipe fills meanwhile)
        assert proc.stdout is not None
        out, err = proc.stdout.read(), proc.stderr.read()
    finally:
        if proc.poll() is None:
            proc.kill()
            proc.wait()
        for pipe in (proc.stdin, proc.stdout, proc.stderr):
            if pipe is not None:
                pipe.close()
    assert proc.returncode == -signal.SIGTERM, (proc.returncode, err)  # 143 in a shell
    assert "adrs             1" in out and err == ""  # the report stands; no further line
