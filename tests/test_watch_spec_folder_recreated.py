"""A spec folder deleted and made again (``rm -rf docs; git restore docs``) before the daemon's loop got to
its events: the folder has a new inotify watch to get, though ext4 gives the new folder the inode number the old one
freed. The daemon told the two apart by that number alone: it kept the dead watch (inotify's dies with its folder),
and every later edit in the folder went unseen until the periodic reconcile
(test_watch_real_saves.py::test_spec_folder_deleted_and_restored[sqlite] failed so once in a run of the watch tests
at -n 4 beside a CPU hog: the edit of features/cart.feature after it never synced). The watch's own deletion, which
the observer reports before it ends, now marks it dead. Real folders, real events; the loop's look at the folders to
watch is held back until the observer has reported the old folder's deletion, and the new folder is given the
old one's inode number."""

from __future__ import annotations

import shutil
from pathlib import Path
from typing import Any

import pytest

from conftest import GitRepo
from test_watch import WAIT_S, Db, adr, adr_path, sqlite_db, start, stop_all, wait_for
from tracertm.watcher import Watcher, observe

__all__ = ["sqlite_db", "stop_all"]  # fixtures, used by name


def test_an_edit_in_a_spec_folder_made_again_before_the_daemon_looked_syncs(
    git_repo: GitRepo, sqlite_db: Db, stop_all: list[Watcher], monkeypatch: pytest.MonkeyPatch
) -> None:
    git_repo.write(adr_path(1), adr(1, "One"))
    git_repo.commit("one")
    w = start(git_repo.path, sqlite_db.url, reconcile_every=3600.0)
    stop_all.append(w)
    repo = w._repos[str(git_repo.path.resolve())]
    folder = str(git_repo.path / "docs")  # (a top folder: its own recursive watch)
    seen: list[tuple[str, bool, list[str]]] = []
    classify = repo.classify

    def recorded(role: Any, anchor: Any, event_type: str, is_directory: bool, paths: Any) -> Any:
        seen.append((event_type, is_directory, list(paths)))
        return classify(role, anchor, event_type, is_directory, paths)

    monkeypatch.setattr(repo, "classify", recorded)
    apply_rewatch, hold = w._apply_rewatch, [True]
    monkeypatch.setattr(w, "_apply_rewatch", lambda: None if hold[0] else apply_rewatch())

    real_inode, old = observe._inode, observe._inode(Path(folder))
    # ext4 gives the new folder the number the old one freed, mostly: here always
    monkeypatch.setattr(observe, "_inode", lambda path: old if str(path) == folder else real_inode(path))
    shutil.rmtree(folder)
    git_repo.git("restore", "docs")
    # Reported twice: by the root's watch and, before it ends, by the folder's own.
    wait_for(lambda: seen.count(("deleted", True, [folder])) >= 2, what="the old folder's watch reporting its end")
    hold[0] = False  # the loop looks at the folders to watch only now, the folder back
    w._debouncer.wake()
    assert w.wait_idle(WAIT_S)

    git_repo.write(adr_path(1), adr(1, "One, edited"))
    wait_for(lambda: sqlite_db.live() == {adr_path(1): "One, edited"}, what="the edit synced")
