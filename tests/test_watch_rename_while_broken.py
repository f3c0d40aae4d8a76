"""A spec file renamed and broken in one save, then fixed: the daemon's sync of the fixed file alone must let it take
its records over from the file it replaced (a move), as a full sync does. The first sync keeps the old file's
records while the new one does not parse (``Plan.held``); the sync of the fixed file used to read it alone, find the
id still held by the old, gone file and store the fixed file in error ("already defined in" a file that no longer
exists) until the next full reconcile, up to ``--reconcile-every`` later. Real file-system events, real databases."""

from __future__ import annotations

import os
from pathlib import Path

import pytest
from sqlalchemy import select

from conftest import GitRepo
from test_watch import Db, adr, dbx, start, stop_all, wait_for  # noqa: F401 - fixtures used by name
from tracertm import db
from tracertm.models import Project, SpecRevision
from tracertm.repositories import Projects
from tracertm.watcher import Watcher

BROKEN = "---\nstatus: [bad\n---\n# 1. Storage\n"


def changes(handle: Db, number: str) -> list[tuple[str, str | None]]:
    """(change, source_path) of each revision of ``number``, oldest first."""
    with db.session(handle.engine) as s:
        rows = s.execute(
            select(SpecRevision.change, SpecRevision.source_path)
            .where(SpecRevision.number == number)
            .order_by(SpecRevision.version)
        ).all()
    return [(change, path) for change, path in rows]


def _renamed_broken(
    git_repo: GitRepo, dbx: Db, stop_all: list[Watcher]  # noqa: F811
) -> tuple[Watcher, Path, int]:
    """Two ADRs, a daemon watching them, then 0001-storage.md renamed to 0001-storage-v2.md broken in one save: the
    daemon, its ADR folder and its sync count before the rename."""
    git_repo.write("docs/adr/0001-storage.md", adr(1, "Storage"))
    git_repo.write("docs/adr/0002-other.md", adr(2, "Other"))
    git_repo.commit("init")
    w = start(git_repo.path, dbx.url)
    stop_all.append(w)
    folder = git_repo.path / "docs" / "adr"
    syncs = w.stats.syncs
    staged = git_repo.path.parent / "0001-storage-v2.md"  # written outside the watched folders: it appears whole
    staged.write_text(BROKEN, encoding="utf-8")
    os.replace(staged, folder / "0001-storage-v2.md")
    (folder / "0001-storage.md").unlink()
    return w, folder, syncs


@pytest.mark.parametrize("database_url", ["sqlite", "postgresql"], indirect=True)
@pytest.mark.parametrize("then", ["fixed", "deleted"])
def test_a_file_renamed_and_broken_then_fixed_takes_its_records_over(
    git_repo: GitRepo, dbx: Db, stop_all: list[Watcher], then: str  # noqa: F811
) -> None:
    w, folder, syncs = _renamed_broken(git_repo, dbx, stop_all)
    # A fence: the observers report events in order, so once this edit is synced the rename's two events have come
    # (a sync and an idle daemon alone may come before the second on a loaded machine).
    (folder / "0002-other.md").write_text(adr(2, "Other, edited"), encoding="utf-8")
    wait_for(lambda: w.stats.syncs > syncs and w.wait_idle(0) and "Other, edited" in dbx.live().values(),
             what="the sync of the rename")
    # Held: the old file's records stay while the new one does not parse.
    assert dbx.live() == {"docs/adr/0001-storage.md": "Storage", "docs/adr/0002-other.md": "Other, edited"}

    syncs = w.stats.syncs
    if then == "fixed":
        (folder / "0001-storage-v2.md").write_text(adr(1, "Storage, fixed"), encoding="utf-8")
        want = {"docs/adr/0001-storage-v2.md": "Storage, fixed", "docs/adr/0002-other.md": "Other, edited"}
    else:  # the new file goes too: the old one is really gone
        (folder / "0001-storage-v2.md").unlink()
        want = {"docs/adr/0002-other.md": "Other, edited"}
    wait_for(lambda: w.stats.syncs > syncs and w.wait_idle(0), what="the sync of the fix")
    assert w.stats.reconciles == 1  # the start-up reconcile only: the sync of the fixed file did it
    assert dbx.live() == want
    assert dbx.in_sync_with(git_repo.path)
    # One revision for the whole story: the move to the fixed file (or the delete), never a delete then a create.
    gone = ("deleted", "docs/adr/0001-storage.md")
    assert changes(dbx, "ADR-0001")[1:] == [("moved", "docs/adr/0001-storage-v2.md") if then == "fixed" else gone]


@pytest.mark.parametrize("database_url", ["sqlite", "postgresql"], indirect=True)
def test_a_sync_of_another_file_keeps_the_broken_new_file_in_status(
    git_repo: GitRepo, dbx: Db, stop_all: list[Watcher]  # noqa: F811
) -> None:
    """The new broken file has no row: ``status`` lists it from the newest run's errors. A sync of another file
    alone used to leave the held files out, so its run found no error and ``status`` listed none."""
    w, folder, _ = _renamed_broken(git_repo, dbx, stop_all)
    for title in ("Other, edited", "Other, edited again"):  # the fence of the rename, then a sync of it alone
        (folder / "0002-other.md").write_text(adr(2, title), encoding="utf-8")
        wait_for(lambda: w.wait_idle(0) and title in dbx.live().values(), what=f"the sync of {title!r}")
        assert dbx.live() == {"docs/adr/0001-storage.md": "Storage", "docs/adr/0002-other.md": title}  # held
        with db.session(dbx.engine) as s:
            status = Projects(s).status(s.execute(select(Project)).scalar_one())
        assert [f["path"] for f in status["files_in_error"]] == ["docs/adr/0001-storage-v2.md"], status
        assert status["last_run"]["status"] == "errors", status
