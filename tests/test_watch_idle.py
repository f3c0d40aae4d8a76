"""``Watcher.wait_idle`` says idle only when the daemon holds no work: tests (and programs) read counters, the
history and the database right after it. It said idle while the loop added a repository a workspace's event had
announced (before that repository's reconcile was queued), and when the loop took a batch between its look at
whether the loop was busy and its look at the queue. Real git repositories, file-system events and SQLite; the
racing step is played exactly in the window by wrapping the method that runs there."""

from __future__ import annotations

import subprocess
from pathlib import Path
from typing import Any

import pytest

from conftest import GitRepo
from test_watch import Db, adr, adr_path, sqlite_db, start, stop_all, wait_for
from tracertm.watcher import Watcher
from tracertm.watcher.debounce import Debouncer
from tracertm.watcher.repos import Repository

__all__ = ["sqlite_db", "stop_all"]  # fixtures, used by name


def test_a_repository_a_workspace_announces_is_work_until_it_is_reconciled(
    tmp_path: Path, sqlite_db: Db, stop_all: list[Watcher], monkeypatch: pytest.MonkeyPatch
) -> None:
    workspace = tmp_path / "ws"
    workspace.mkdir()
    subprocess.run(["git", "init", "-q", "-b", "main", str(workspace / "alpha")], check=True)
    w = start([workspace], sqlite_db.url, discover_every=3600)  # found by the workspace's events only
    stop_all.append(w)
    idle_while_opening: list[bool] = []
    real_open = Repository.open

    def open_and_ask(cls: type[Repository], path: Path) -> Any:
        idle_while_opening.append(w.wait_idle(0))  # the loop, adding the repository it found
        return real_open(path)

    monkeypatch.setattr(Repository, "open", classmethod(open_and_ask))
    beta = tmp_path / "beta"  # made outside, moved in at once: the workspace's one event
    subprocess.run(["git", "init", "-q", "-b", "main", str(beta)], check=True)
    (beta / "docs" / "adr").mkdir(parents=True)
    (beta / adr_path(7)).write_text(adr(7, "Beta"))
    beta.rename(workspace / "beta")
    wait_for(lambda: sqlite_db.live() == {adr_path(7): "Beta"}, what="the new repository's ADR")
    assert idle_while_opening and not any(idle_while_opening), idle_while_opening  # (opened again if it failed)


def test_a_batch_taken_while_idleness_is_read_is_work(
    git_repo: GitRepo, monkeypatch: pytest.MonkeyPatch
) -> None:
    """The loop takes the due batch between wait_idle's two looks (whether it is busy, what is queued): not idle."""
    w = Watcher([git_repo.path])  # not started: this test plays the loop's part
    w._debouncer.add(str(git_repo.path), [adr_path(1)], now=0.0)
    real_len = Debouncer.__len__

    def taken_while_looked_at(self: Debouncer) -> int:
        w._busy = True  # the loop: busy, then the batch out of the queue
        self.pop_due(now=3600.0)
        return real_len(self)

    monkeypatch.setattr(Debouncer, "__len__", taken_while_looked_at)
    assert not w.wait_idle(0)
