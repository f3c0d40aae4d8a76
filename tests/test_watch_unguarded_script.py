"""The README's "From Python" example run as a script (``python script.py``), with no ``if __name__ ==
"__main__":`` guard, as people write them: its parse pools must not run the script again (multiprocessing's own
forkserver imports the main module in its server and in every worker, which started a second daemon there and hung
the first sync for ever), and stopping ``watch()`` or closing a ``Watcher`` must end the processes it started (the
fork server, and multiprocessing's resource tracker), a later Watcher in the same process starting them again.
A real process, git repository, SQLite files and file-system events; Linux (``/proc``)."""

from __future__ import annotations

import json
import os
import signal
import sqlite3
import subprocess
import sys
import threading
import time
from contextlib import closing
from pathlib import Path
from typing import Any

import pytest

from conftest import GitRepo
from test_orphan_workers import _descendants, _env, _wait_gone
from test_watch import adr, adr_path
from tracertm.engine.parse import PARALLEL_THRESHOLD

pytestmark = pytest.mark.skipif(sys.platform != "linux", reason="reads /proc")

DEADLINE = 120.0  # an upper bound only: every wait below polls and returns as soon as it holds

# The README's example, made to end by itself: ``watch`` until SIGTERM, then a ``Watcher`` until its first sync.
# Each step prints the processes this one has then (JSON lines on stdout).
SCRIPT = """\
import json
import logging
import os
import sys
import time
from pathlib import Path

from tracertm.watcher import Watcher, watch

repo, first_url, second_url = sys.argv[1:4]
logging.basicConfig(level=logging.INFO, format="%(message)s")


def children():
    found = []
    for task in Path(f"/proc/{os.getpid()}/task").iterdir():
        try:
            found += (task / "children").read_text().split()
        except OSError:
            pass
    commands = {}
    for pid in found:
        try:
            commands[pid] = Path(f"/proc/{pid}/cmdline").read_bytes().replace(b"\\0", b" ").decode()
        except OSError:  # ended after it was listed
            pass
    return commands


def report(step, stats):
    print(json.dumps({"step": step, "stats": stats.as_dict(), "children": children()}), flush=True)


report("watch", watch([repo], database_url=first_url))  # blocks until SIGINT/SIGTERM

with Watcher([repo], database_url=second_url, debounce_ms=100) as w:  # on a background thread
    while w.stats.reconciles < 1 and w.stats.failures == 0:
        time.sleep(0.05)
    report("inside", w.stats)
report("closed", w.stats)
"""


def adrs(path: Path) -> int:
    with closing(sqlite3.connect(f"file:{path}?mode=ro", uri=True)) as conn:
        return int(conn.execute("SELECT count(*) FROM adrs WHERE deleted_at IS NULL").fetchone()[0])


def test_the_readme_example_runs_as_an_unguarded_script_and_leaves_no_process(
    tmp_path: Path, git_repo: GitRepo
) -> None:
    files = PARALLEL_THRESHOLD + 20  # a first sync of that many files parses in a pool of processes
    for n in range(1, files + 1):
        git_repo.write(adr_path(n), adr(n, f"Decision {n}"))
    script = tmp_path / "watch_script.py"
    script.write_text(SCRIPT)
    first, second = tmp_path / "first.db", tmp_path / "second.db"
    proc = subprocess.Popen(
        [sys.executable, str(script), str(git_repo.path), f"sqlite:///{first}", f"sqlite:///{second}"],
        cwd=tmp_path, env=_env(), stdout=subprocess.PIPE, stderr=subprocess.PIPE, text=True, start_new_session=True,
    )
    seen: dict[int, int] = {}  # every process below the script, sampled while it runs
    log: list[str] = []
    out: list[dict[str, Any]] = []

    def sample() -> None:
        while proc.poll() is None:
            try:
                seen.update(_descendants(proc.pid))
            except OSError:  # the script ended meanwhile
                pass
            time.sleep(0.02)

    def read(stream: Any, into: list[Any], parse: bool) -> None:
        for line in stream:
            into.append(json.loads(line) if parse else line.rstrip("\n"))

    threads = [threading.Thread(target=sample, daemon=True),
               threading.Thread(target=read, args=(proc.stderr, log, False), daemon=True),
               threading.Thread(target=read, args=(proc.stdout, out, True), daemon=True)]
    for t in threads:
        t.start()

    def wait_until(condition: Any, what: str) -> None:
        deadline = time.monotonic() + DEADLINE
        while not condition():
            if proc.poll() is not None or time.monotonic() > deadline:
                tail = "\n".join(log[-20:])
                raise AssertionError(f"{what}: not seen (exit code {proc.poll()}); the script logged:\n{tail}")
            time.sleep(0.05)

    try:
        wait_until(lambda: any(line.startswith("reconciled ") for line in log), "watch()'s first sync")
        proc.send_signal(signal.SIGTERM)
        wait_until(lambda: any(o["step"] == "closed" for o in out), "the Watcher's first sync and close")
        assert proc.wait(DEADLINE) == 0
    finally:
        if proc.poll() is None:
            os.killpg(proc.pid, signal.SIGKILL)  # the script and whatever it started: its own session
            proc.wait(30)
        for t in threads:
            t.join(10)
        left = _wait_gone(seen)
        for pid in left:
            os.kill(pid, signal.SIGKILL)
    assert left == [], f"processes left after the script ended: {left}"

    steps = {o["step"]: o for o in out}
    text = "\n".join(log)
    assert "Traceback" not in text and "bootstrapping phase" not in text, text
    # watch() synced every file, with a pool of worker processes (a fork server the sampling saw), then stopped:
    assert steps["watch"]["stats"]["syncs"] >= 1 and steps["watch"]["stats"]["failures"] == 0
    assert steps["watch"]["children"] == {}, "watch() returned and left processes running"
    assert adrs(first) == files
    # ... and a later Watcher in the same process started them again, and ended them when it was closed.
    inside = steps["inside"]
    assert inside["stats"]["reconciles"] == 1 and inside["stats"]["failures"] == 0
    assert any("forkserver" in command for command in inside["children"].values()), inside["children"]
    assert steps["closed"]["children"] == {}, "the closed Watcher left processes running"
    assert adrs(second) == files
    assert sum(1 for line in log if line.startswith("watching ")) == 2  # the script ran once: no daemon in a worker


# A program using multiprocessing itself, beside a Watcher: its pool starts while the Watcher runs (the resource
# tracker was not running before), and must keep working once the Watcher is closed.
OWN_POOL = """\
import concurrent.futures
import multiprocessing
import os
import sys
import time

from tracertm.watcher import Watcher

if __name__ == "__main__":  # its own pool (spawn) imports this module again: guarded
    repo, url = sys.argv[1:3]
    with Watcher([repo], database_url=url, debounce_ms=100) as w:
        while w.stats.reconciles < 1 and w.stats.failures == 0:
            time.sleep(0.05)
        pool = concurrent.futures.ProcessPoolExecutor(2, mp_context=multiprocessing.get_context("spawn"))
        pool.submit(os.getpid).result()  # one worker
    # Two tasks at once: a second worker starts now, and opens the pool's semaphores by name.
    list(pool.map(time.sleep, [0.2, 0.2], chunksize=1))
    print("ok", w.stats.failures, flush=True)
    pool.shutdown()
"""


def test_a_pool_of_the_program_itself_outlives_a_closed_watcher(tmp_path: Path, git_repo: GitRepo) -> None:
    git_repo.write(adr_path(1), adr(1, "One"))
    script = tmp_path / "own_pool.py"
    script.write_text(OWN_POOL)
    proc = subprocess.Popen([sys.executable, str(script), str(git_repo.path), f"sqlite:///{tmp_path / 'w.db'}"],
                            cwd=tmp_path, env=_env(), stdout=subprocess.PIPE, stderr=subprocess.PIPE, text=True,
                            start_new_session=True)
    try:
        out, err = proc.communicate(timeout=DEADLINE)
    finally:
        if proc.poll() is None:
            os.killpg(proc.pid, signal.SIGKILL)
            proc.wait(30)
    assert proc.returncode == 0 and out.split() == ["ok", "0"], err[-3000:]
    assert "leaked" not in err and "Traceback" not in err, err[-3000:]
