"""A git command that takes the index after the daemon looked (a checkout begun just as a sync starts, as on a
loaded machine after another checkout's late events) rewrites the work tree while the sync reads it. The sync must
not commit that state, of neither commit: it rolls back and the batch waits for git, then syncs the finished state
once. It used to commit it — a record deleted that the checkout then wrote back, "deleted" then "restored" where a
sync before and one after record a move (test_watch_real_saves' checkout of hundreds of specs on PostgreSQL, twice in
nine runs of the watch tests under load). Real git (its filter held at a gate half-way through the checkout), real
file-system events, both databases; the checkout is started from inside the daemon's sync, at its scan."""

from __future__ import annotations

import subprocess
import threading
from pathlib import Path
from typing import Any

import pytest
from sqlalchemy import select

from conftest import GitRepo
from test_watch import WAIT_S, Db, adr, adr_path, dbx, gate_filter, open_gate, start, stop_all, wait_for
from tracertm import db
from tracertm.engine import sync as sync_module
from tracertm.models import SpecRevision
from tracertm.watcher import Watcher

__all__ = ["dbx", "stop_all"]  # fixtures, used by name


def changes(handle: Db, number: str) -> list[str]:
    with db.session(handle.engine) as s:
        query = select(SpecRevision.change).where(SpecRevision.number == number).order_by(SpecRevision.version)
        return list(s.execute(query).scalars())


def branch_moving_adr_3(repo: GitRepo) -> None:
    """ADR-0001 to 0003 committed on ``main``; branch ``big``, checked out, renames ADR-0003's file."""
    for i in (1, 2, 3):
        repo.write(adr_path(i), adr(i, f"Decision {i}"))
    repo.commit("main")
    repo.git("checkout", "-q", "-b", "big")
    repo.remove(adr_path(3))
    repo.write(adr_path(3, "moved"), adr(3, "Decision 3"))
    repo.commit("big")


def test_a_checkout_begun_while_a_sync_reads_is_waited_for(
    git_repo: GitRepo, dbx: Db, stop_all: list[Watcher], tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    git_repo.write(".gitattributes", "docs/adr/*.md filter=slow\n")
    branch_moving_adr_3(git_repo)
    git_repo.git("checkout", "-q", "main")
    gate = tmp_path / "gate"
    gate_filter(git_repo, gate, adr_path(3, "moved"))  # git stops before writing the moved file
    w = start(git_repo.path, dbx.url)
    stop_all.append(w)
    syncs = w.stats.syncs
    checkout: list[subprocess.Popen[bytes]] = []
    real_scan = sync_module.scan

    def scan_half_way_through_a_checkout(*args: Any, **kwargs: Any) -> Any:
        """The daemon's next sync scans while git, started after the daemon's look at the index, has deleted the
        old file and not yet written the new one; git finishes before the sync goes on."""
        if threading.current_thread().name != "tracertm-watch" or checkout:
            return real_scan(*args, **kwargs)
        checkout.append(subprocess.Popen(["git", "checkout", "-q", "big"], cwd=git_repo.path))
        wait_for(lambda: not (git_repo.path / adr_path(3)).exists(), what="git deleting the old file")
        try:
            return real_scan(*args, **kwargs)
        finally:
            wait_for(lambda: open_gate(gate), what="git's filter at the gate")
            assert checkout[0].wait(WAIT_S) == 0

    monkeypatch.setattr(sync_module, "scan", scan_half_way_through_a_checkout)
    w._debouncer.add(str(git_repo.path.resolve()), reconcile=True)  # (as the periodic reconcile does)
    want = {adr_path(1): "Decision 1", adr_path(2): "Decision 2", adr_path(3, "moved"): "Decision 3"}
    wait_for(lambda: checkout and w.wait_idle(0) and dbx.live() == want, what="the checkout synced")
    assert changes(dbx, "ADR-0003") == ["created", "moved"]
    assert [(r.reconcile, r.counts["moved"], r.counts["deleted"]) for r in list(w.history)[syncs:]] == [(True, 1, 0)]
    assert w.stats.failures == 0 and w.stats.held >= 1
