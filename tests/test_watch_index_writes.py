"""git commands that hold or write the index without touching the spec files (``git status`` or an editor
refreshing it, ``git add``: an editor staging on save) run again and again beside the daemon. A sync that such a
command overlaps must still commit, and a batch held for one must still sync: the daemon used to roll back every
sync during which git held or wrote the index (``SyncGuard``, for a checkout overtaking the sync), and to start its
wait for HEAD again each time it saw git hold the index, so under ``git add`` in a loop 300 edits did not reach the
database in 60 s (one run in six; its syncs rolled back again and again). Real git, real file-system events."""

from __future__ import annotations

import logging
import os
import subprocess
import threading
import time
from pathlib import Path
from typing import Any

import pytest

from conftest import GitRepo
from test_watch import WAIT_S, Db, adr, adr_path, dbx, open_gate, sqlite_db, start, stop_all, wait_for
from tracertm.engine import sync as sync_module
from tracertm.watcher import Watcher
from tracertm.watcher.logs import LOGGER

__all__ = ["dbx", "sqlite_db", "stop_all"]  # fixtures, used by name


def gated_clean(repo: GitRepo, gate: Path) -> None:
    """The clean filter of ``.txt`` files, once armed (``git_holding_the_index``), waits until ``open_gate(gate)``:
    ``git add`` then holds the index. Only once: git runs it again wherever it compares such a file (the sync's
    ``git ls-files -m``)."""
    os.mkfifo(gate)
    repo.write(".gitattributes", "*.txt filter=slow\n")
    armed = gate.with_suffix(".armed")
    repo.git("config", "filter.slow.clean", f"if rm '{armed}' 2>/dev/null; then read go < '{gate}'; fi; cat")


def git_holding_the_index(repo: GitRepo, gate: Path, *args: str) -> subprocess.Popen[bytes]:
    """``git ARGS`` started, its filter armed at ``gate``, returned once it holds the index (its own session: killed
    if the test fails)."""
    gate.with_suffix(".armed").touch()
    proc = subprocess.Popen(["git", *args], cwd=repo.path, start_new_session=True)
    wait_for(lambda: (repo.path / ".git" / "index.lock").exists(), what="git holding the index")
    return proc


def finish(proc: subprocess.Popen[bytes], gate: Path) -> None:
    try:
        wait_for(lambda: open_gate(gate), what="git's filter at the gate")
        assert proc.wait(WAIT_S) == 0
    finally:
        if proc.poll() is None:
            os.killpg(proc.pid, 9)
            proc.wait()


@pytest.mark.parametrize("git_does", ["holds the index", "writes a new index"])
def test_a_git_command_that_leaves_the_spec_files_alone_does_not_stop_a_sync(
    git_repo: GitRepo, dbx: Db, stop_all: list[Watcher], tmp_path: Path, monkeypatch: pytest.MonkeyPatch,
    git_does: str,
) -> None:
    """git takes the index while the daemon's sync scans (after the daemon looked): ``git add`` of a file that is
    no spec, held in its filter until the sync has committed or been held; or ``git add -A``, which stages the
    edits the sync reads and writes a new index. Neither changed what the sync read: it commits."""
    git_repo.write(adr_path(1), adr(1, "Decision 1"))
    git_repo.commit("main")
    gate = tmp_path / "gate"
    gated_clean(git_repo, gate)
    git_repo.write("notes.txt", "notes\n")
    w = start(git_repo.path, dbx.url)
    stop_all.append(w)
    syncs, held = w.stats.syncs, w.stats.held
    git: list[subprocess.Popen[bytes]] = []
    real_scan = sync_module.scan

    def scan_while_git_works(*args: Any, **kwargs: Any) -> Any:
        if threading.current_thread().name == "tracertm-watch" and not git:
            if git_does == "holds the index":
                git.append(git_holding_the_index(git_repo, gate, "add", "notes.txt"))
            else:
                git.append(subprocess.Popen(["git", "add", "-A", "docs"], cwd=git_repo.path))
                assert git[0].wait(WAIT_S) == 0
        return real_scan(*args, **kwargs)

    monkeypatch.setattr(sync_module, "scan", scan_while_git_works)
    git_repo.write(adr_path(1), adr(1, "Edited"))
    try:
        wait_for(lambda: w.stats.syncs > syncs or w.stats.held > held, what="the sync committed or held")
        assert (w.stats.syncs - syncs, w.stats.held - held) == (1, 0)
        assert dbx.live() == {adr_path(1): "Edited"}
    finally:
        if git and git_does == "holds the index":
            finish(git[0], gate)
    assert w.wait_idle(WAIT_S) and w.stats.failures == 0


def test_git_holding_the_index_again_does_not_restart_the_wait_for_head(
    git_repo: GitRepo, sqlite_db: Db, stop_all: list[Watcher], tmp_path: Path
) -> None:
    """A batch held for git, the index then unlike HEAD (``git add`` staged the edit): the daemon waits for git to
    move HEAD at most ``ref_wait_s`` from when git first let go of the index. Another ``git add`` seen holding the
    index holds the batch while it runs, not for ``ref_wait_s`` more after it: an editor that stages on save would
    otherwise keep the batch forever. The daemon's clock is moved past ``ref_wait_s`` while that git runs."""
    git_repo.write(adr_path(1), adr(1, "Decision 1"))
    git_repo.commit("main")
    gate = tmp_path / "gate"
    gated_clean(git_repo, gate)
    git_repo.write("notes.txt", "notes\n")
    skew = [0.0]
    w = start(git_repo.path, sqlite_db.url, ref_wait_s=3 * WAIT_S, reconcile_every=3600.0,
              clock=lambda: time.monotonic() + skew[0])
    stop_all.append(w)
    key = str(git_repo.path.resolve())
    git_repo.write(adr_path(1), adr(1, "Staged"))
    wait_for(lambda: sqlite_db.live() == {adr_path(1): "Staged"}, what="the edit synced")
    assert w.wait_idle(WAIT_S)  # its sync counted: the count comes after the COMMIT the database shows
    git_repo.git("add", adr_path(1))  # the index now unlike HEAD (as after a checkout, before git moves HEAD)
    syncs, held = w.stats.syncs, w.stats.held

    git = git_holding_the_index(git_repo, gate, "add", "notes.txt")
    git_repo.write(adr_path(1), adr(1, "Edited"))  # due while git holds the index
    wait_for(lambda: w.stats.held > held, what="the batch held while git holds the index")
    finish(git, gate)
    wait_for(lambda: w._held.get(key) is not None, what="the daemon seeing git gone, waiting for HEAD")

    git_repo.write("notes.txt", "more notes\n")
    git = git_holding_the_index(git_repo, gate, "add", "notes.txt")
    held = w.stats.held
    wait_for(lambda: w.stats.held >= held + 2, what="the batch held again while git holds the index")
    skew[0] = 3 * WAIT_S  # the wait for HEAD is over
    finish(git, gate)
    held = w.stats.held
    wait_for(lambda: sqlite_db.live() == {adr_path(1): "Edited"}, what="the edit synced")
    assert w.wait_idle(WAIT_S)
    assert w.stats.syncs == syncs + 1 and w.stats.held == held


def test_hundreds_of_edits_reach_the_database_under_git_add_in_a_loop(
    git_repo: GitRepo, dbx: Db, stop_all: list[Watcher], caplog: pytest.LogCaptureFixture
) -> None:
    """An editor that stages on save and refreshes the index all the time: ``git add -A`` and ``git update-index
    --refresh`` in a loop while 200 specs are edited. The database reaches the work tree within the wait for HEAD
    (the index is unlike HEAD all along) and a quiet period or two, and no sync is rolled back."""
    count = 200
    for i in range(1, count + 1):
        git_repo.write(adr_path(i), adr(i, f"Decision {i}"))
    git_repo.commit("main")
    w = start(git_repo.path, dbx.url, ref_wait_s=2.0)
    stop_all.append(w)
    caplog.set_level(logging.DEBUG, logger=LOGGER)
    stop = threading.Event()

    def index_writes() -> None:
        while not stop.is_set():
            for args in (["add", "-A"], ["update-index", "-q", "--refresh"]):
                subprocess.run(["git", *args], cwd=git_repo.path, capture_output=True, check=False)

    loop = threading.Thread(target=index_writes, name="index-writes")
    loop.start()
    try:
        for i in range(1, count + 1):
            git_repo.write(adr_path(i), adr(i, f"Edited {i}"))
        # (A bound for a failure only, wider than the other waits: git runs without a pause beside the daemon, and
        # CI's two cores are shared with another test process.)
        wait_for(lambda: dbx.live() == {adr_path(i): f"Edited {i}" for i in range(1, count + 1)},
                 timeout=3 * WAIT_S, what="the edits")
    finally:
        stop.set()
        loop.join()
    assert not [r for r in caplog.records if "git took the index" in r.getMessage()]
    assert w.stats.failures == 0
