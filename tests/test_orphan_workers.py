"""Parse workers die with the process that started them, however it dies (SIGKILL, SIGTERM): they were left idle
for ever, reparented to init, by a killed sync or backfill. Real processes; Linux (``/proc``, prctl)."""

from __future__ import annotations

import os
import signal
import sqlite3
import subprocess
import sys
import time
from contextlib import closing
from pathlib import Path

import pytest

from conftest import GitRepo
from specs import feature

pytestmark = pytest.mark.skipif(sys.platform != "linux", reason="reads /proc; PR_SET_PDEATHSIG is Linux's")

DEADLINE = 60.0  # generous: the conditions below are polled, this only bounds a failure

# A process owning a parse pool whose workers are alive and idle (the state a killed sync or backfill leaves them
# in), started as argv[1] says; "ready" once they are.
OWNER = """
import sys, threading, time
from tracertm.engine.parse import ParsePool
from tracertm.parsers.records import ParserOptions

how = sys.argv[1]
work = [(f"features/f{i}.feature", "feature", b"@FEAT-%d\\nFeature: F\\n" % i) for i in range(64)]
pool = ParsePool(jobs=2, threshold=1, start_method="fork" if how == "thread" else how)
if how == "thread":
    # Started on a thread that then ends: the workers must outlive it (the kernel's parent-death signal follows
    # the forking *thread*), and still die with the process.
    t = threading.Thread(target=pool.parse, args=(work, ParserOptions()))
    t.start()
    t.join()
pool.parse(work, ParserOptions())
print("ready", flush=True)
time.sleep(3600)
"""


def _env() -> dict[str, str]:
    """The child processes import this checkout's tracertm (the one next to these tests)."""
    src = str(Path(__file__).resolve().parent.parent / "src")
    return {**os.environ, "PYTHONPATH": os.pathsep.join(p for p in (src, os.environ.get("PYTHONPATH")) if p)}


def _stat(pid: int) -> tuple[str, int] | None:
    """(state, start time) of a process; None when there is no such process."""
    try:
        text = Path(f"/proc/{pid}/stat").read_text()
    except (FileNotFoundError, ProcessLookupError):
        return None
    fields = text[text.rindex(")") + 2:].split()
    return fields[0], int(fields[19])


def _descendants(pid: int) -> dict[int, int]:
    """Every process below ``pid`` (workers; under forkserver, the server and its workers), with its start time."""
    found: dict[int, int] = {}
    todo = [pid]
    while todo:
        parent = todo.pop()
        try:
            tasks = list(Path(f"/proc/{parent}/task").iterdir())
        except OSError:  # the process ended after its parent listed it (a git command, say)
            continue
        for task in tasks:
            try:
                children = [int(c) for c in (task / "children").read_text().split()]
            except OSError:  # the task ended meanwhile
                continue
            for child in children:
                stat = _stat(child)
                if stat is not None and child not in found:
                    found[child] = stat[1]
                    todo.append(child)
    return found


def _alive(pid: int, started: int) -> bool:
    """Still running: not gone, not a zombie (a container's init may never reap), not another process since."""
    stat = _stat(pid)
    return stat is not None and stat[0] != "Z" and stat[1] == started


def _wait_gone(processes: dict[int, int]) -> list[int]:
    """Wait until every process is gone; those still alive at the deadline."""
    deadline = time.monotonic() + DEADLINE
    while True:
        left = [pid for pid, started in processes.items() if _alive(pid, started)]
        if not left or time.monotonic() > deadline:
            return left
        time.sleep(0.05)


def _kill_all(proc: subprocess.Popen[bytes], processes: dict[int, int]) -> None:
    """Whatever the outcome, leave nothing of this test running."""
    if proc.poll() is None:
        proc.kill()
    proc.wait(timeout=30)
    for pid, started in processes.items():
        if _alive(pid, started):
            os.kill(pid, signal.SIGKILL)


@pytest.mark.parametrize("how", ["fork", "forkserver", "thread"])
@pytest.mark.parametrize("sig", [signal.SIGKILL, signal.SIGTERM])
def test_idle_workers_die_with_the_pool_process(how: str, sig: signal.Signals) -> None:
    proc = subprocess.Popen([sys.executable, "-c", OWNER, how], stdout=subprocess.PIPE, env=_env())
    workers: dict[int, int] = {}
    try:
        assert proc.stdout is not None
        assert proc.stdout.readline() == b"ready\n", "the owner could not start its pool"
        workers = _descendants(proc.pid)
        assert workers, "the pool has worker processes"
        os.kill(proc.pid, sig)
        assert proc.wait(timeout=DEADLINE) == -sig
        assert _wait_gone(workers) == [], f"workers left alive after the pool's process got {sig.name}"
    finally:
        _kill_all(proc, workers)


def test_a_worker_whose_parent_died_before_its_set_up_exits() -> None:
    """The parent-death signal only covers deaths after it is armed: a worker that finds another parent (or, from
    a forkserver, no pool process) at its set-up exits at once."""
    gone = subprocess.Popen([sys.executable, "-c", "pass"])
    gone.wait()
    for args in (f"{os.getpid() + 10**6}, True, True", f"{gone.pid}, False, True", f"{os.getpid() + 10**6}, True"):
        code = f"from tracertm.engine.parse import _worker_start\n_worker_start({args})\nprint('alive')"
        done = subprocess.run([sys.executable, "-c", code], capture_output=True, timeout=60, env=_env())
        assert (done.returncode, done.stdout, done.stderr) == (1, b"", b""), args
    # With its real parent it carries on.
    done = subprocess.run([sys.executable, "-c", "import os\nfrom tracertm.engine.parse import _worker_start\n"
                           "_worker_start(os.getppid(), True, True)\nprint('alive')"],
                          capture_output=True, timeout=60, env=_env())
    assert (done.returncode, done.stdout) == (0, b"alive\n"), done.stderr


def _pythons(processes: dict[int, int]) -> dict[int, int]:
    """The parse workers among a sync's processes: Python, as the sync (its git commands are not)."""
    def exe(pid: int) -> str | None:
        try:
            return os.readlink(f"/proc/{pid}/exe")
        except OSError:
            return None

    python = os.path.realpath(sys.executable)
    return {pid: started for pid, started in processes.items() if exe(pid) == python}


def _features(repo: GitRepo, count: int) -> None:
    for i in range(1, count + 1):
        scenarios = {f"case {j}": [f"Given state {i}.{j}", "When it runs", f"Then result {j}"] for j in range(5)}
        repo.write(f"features/f{i:04d}.feature", feature(i, f"Feature {i}", scenarios))
    repo.commit("many features")


@pytest.mark.parametrize("sig", [signal.SIGKILL, signal.SIGTERM])
def test_a_killed_sync_leaves_no_worker(git_repo: GitRepo, tmp_path: Path, sig: signal.Signals) -> None:
    """``tracertm sync`` killed while its workers parse: SIGKILL takes them with it; SIGTERM stops it as Ctrl-C
    does (nothing written), exit 143."""
    _features(git_repo, 1500)
    url = f"sqlite:///{tmp_path / 'db.sqlite'}"
    err = tmp_path / "stderr"
    # Output to files, not pipes: orphaned workers would hold a pipe open, and reading it would never end.
    with err.open("wb") as stderr:
        proc = subprocess.Popen([sys.executable, "-m", "tracertm", "sync", str(git_repo.path), "--database-url", url,
                                 "--jobs", "2"], stdout=subprocess.DEVNULL, stderr=stderr, env=_env())
    workers: dict[int, int] = {}
    try:
        deadline = time.monotonic() + DEADLINE
        while len(workers) < 2:
            assert proc.poll() is None, "sync finished before its workers were seen; make the repository bigger"
            assert time.monotonic() < deadline, "no parse workers"
            workers = _pythons(_descendants(proc.pid))
            time.sleep(0.01)
        os.kill(proc.pid, sig)
        proc.wait(timeout=DEADLINE)
        if sig == signal.SIGKILL:
            assert proc.returncode == -sig
        else:
            assert (proc.returncode, err.read_text()) == (143, "tracertm: terminated\n")
            with closing(sqlite3.connect(tmp_path / "db.sqlite")) as conn:
                tables = {name for (name,) in conn.execute("SELECT name FROM sqlite_master WHERE type = 'table'")}
                assert "features" not in tables or conn.execute("SELECT count(*) FROM features").fetchone() == (0,)
        assert _wait_gone(workers) == [], f"workers left alive after sync got {sig.name}"
    finally:
        _kill_all(proc, workers)
