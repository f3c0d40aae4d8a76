"""``tracertm watch`` when a watched repository's folder is replaced by another one at the same path (a fresh clone
swapped in: ``mv ws/app elsewhere/app-old; mv elsewhere/app-fresh ws/app``). An inotify watch follows its folder's
inode, not its path: the daemon must let go of the moved-away folder (whose edits are no change of ``ws/app``) and
watch, and reconcile, the folder now at the path. Real daemons, git repositories, file-system events and SQLite
files; every wait polls an observable condition."""

from __future__ import annotations

import logging
from pathlib import Path

import pytest

from conftest import GitRepo, init_repo
from test_watch import (  # noqa: F401 - fixtures (sqlite_db, stop_all) are used by name
    Db, adr, adr_path, sqlite_db, start, stop_all, wait_for,
)
from tracertm.watcher import Watcher
from tracertm.watcher.logs import LOGGER


def clone(origin: GitRepo, path: Path) -> GitRepo:
    origin.git("clone", "-q", str(origin.path), str(path))
    return GitRepo(path)


@pytest.mark.parametrize("target", ["repository", "workspace"])
def test_a_folder_swapped_in_at_a_watched_path_is_watched_instead(
    tmp_path: Path, sqlite_db: Db, stop_all: list[Watcher], caplog: pytest.LogCaptureFixture, target: str
) -> None:
    """``target``: the daemon is given the repository itself (nothing above it is watched), or the folder holding
    it (whose own watch sees the folder go and come)."""
    caplog.set_level(logging.INFO, logger=LOGGER)
    origin = init_repo(tmp_path / "origin")
    origin.write(adr_path(1), adr(1, "First"))
    origin.commit("init")
    (tmp_path / "ws").mkdir()
    (tmp_path / "elsewhere").mkdir()
    app = clone(origin, tmp_path / "ws" / "app").path
    w = start(app if target == "repository" else tmp_path / "ws", sqlite_db.url)
    stop_all.append(w)
    assert sqlite_db.live() == {adr_path(1): "First"}

    fresh = clone(origin, tmp_path / "elsewhere" / "app-fresh").path
    old = tmp_path / "elsewhere" / "app-old"
    app.rename(old)
    fresh.rename(app)
    wait_for(lambda: any(getattr(r, "fields", {}).get("event") == "repository_added" for r in caplog.records),
             what="the daemon to watch the folder now at the path")
    (app / adr_path(1)).write_text(adr(1, "Edited in the new folder"))
    wait_for(lambda: sqlite_db.live() == {adr_path(1): "Edited in the new folder"}, what="the new folder's edit")
    assert w.wait_idle(20)

    (old / adr_path(1)).write_text(adr(1, "Edited in the moved-away folder"))  # no change of ws/app
    (app / adr_path(2)).write_text(adr(2, "Later in the new folder"))  # its events come after the old one's
    wait_for(lambda: adr_path(2) in sqlite_db.live(), what="the later edit")
    assert w.wait_idle(20)
    assert sqlite_db.live() == {adr_path(1): "Edited in the new folder", adr_path(2): "Later in the new folder"}
    assert sqlite_db.in_sync_with(app)
    assert w.repositories == [app.resolve()]
    assert w.stats.failures == 0
