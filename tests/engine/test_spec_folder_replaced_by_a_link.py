"""A tracked spec folder replaced by a symbolic link to a folder outside the repository: git sees its files deleted
(it never follows a link), but the scan's "deleted, or back meanwhile?" look (``lstat``, which follows the folders
on the way) found a file of the same name through the link, and ``check``, ``sync`` and ``watch`` read the outside
file into the database — an audit found an ADR's row and revision holding another folder's text. A link is never
followed: the files are deleted, as git says. Real git repositories and links, SQLite and PostgreSQL."""

from __future__ import annotations

import os
import shutil
from pathlib import Path
from typing import Any

import pytest
from sqlalchemy import select

from conftest import GitRepo, run_cli
from specs import adr
from tracertm import db
from tracertm.engine.sync import sync
from tracertm.models import ADR, SpecRevision


@pytest.mark.parametrize("relative", [False, True])
def test_a_spec_folder_linked_outside_is_never_read(git_repo: GitRepo, engine: Any, tmp_path: Path,
                                                    relative: bool) -> None:
    git_repo.write("docs/adr/sub/0001-x.md", adr(1, "Inside"))
    git_repo.commit("seed")
    sync(git_repo.path, engine=engine)
    outside = tmp_path / "outside"
    outside.mkdir()
    (outside / "0001-x.md").write_text(adr(1, "Secret outside", decision="TOP SECRET"))
    shutil.rmtree(git_repo.path / "docs/adr/sub")
    os.symlink(os.path.relpath(outside, git_repo.path / "docs/adr") if relative else outside,
               git_repo.path / "docs/adr/sub")

    checked = run_cli("check", str(git_repo.path))
    assert "TOP SECRET" not in checked.stdout + checked.stderr and "1 parsed" not in checked.stderr, checked.stderr
    result = sync(git_repo.path, engine=engine)
    assert result.counts["adr"]["deleted"] == 1, result.counts
    with db.session(engine) as session:
        titles = session.execute(select(ADR.title).execution_options(include_deleted=True)).scalars().all()
        snapshots = session.execute(select(SpecRevision.snapshot)).scalars().all()
    assert titles == ["Inside"] and not any("SECRET" in str(s) for s in snapshots)


def test_a_folder_swapped_for_a_link_after_the_scan_is_not_read_through(git_repo: GitRepo, tmp_path: Path) -> None:
    """Between the scan's look at a file and its read (by a parse worker, later), a folder on its way swapped for a
    link to another folder made ``open`` read the other folder's file of that name: an audit leaked one into a
    revision in 4 syncs with a loop swapping the folder. The read checks what it opened (Linux: the descriptor's
    own path), and refuses a file that is not the one below the repository."""
    import errno

    from tracertm.config import load_settings
    from tracertm.engine.regular_file import Beneath, read_regular
    from tracertm.engine.scan import Location, scan

    git_repo.write("docs/adr/t/0001-x.md", adr(1, "Inside"))
    git_repo.commit("seed")
    root = os.path.realpath(git_repo.path)
    assert b"Inside" in read_regular(Beneath(root, "docs/adr/t/0001-x.md"))
    location = Location.find(git_repo.path)
    snapshot = scan(location, load_settings(location.root))
    outside = tmp_path / "outside"
    outside.mkdir()
    (outside / "0001-x.md").write_text(adr(1, "Secret outside"))
    (git_repo.path / "docs/adr/t").rename(git_repo.path / "docs/adr/t.real")
    os.symlink(outside, git_repo.path / "docs/adr/t")
    with pytest.raises(OSError) as info:
        read_regular(Beneath(root, "docs/adr/t/0001-x.md"))
    assert info.value.errno == errno.EXDEV and info.value.filename == f"{root}/docs/adr/t/0001-x.md"
    with pytest.raises(OSError):
        snapshot.read(["docs/adr/t/0001-x.md"])


def test_a_spec_folder_moved_out_and_linked_back_is_gone_for_a_first_sync_and_the_next(
        git_repo: GitRepo, engine: Any, tmp_path: Path) -> None:
    """``mv docs/adr/sub ../outside && ln -s ../outside docs/adr/sub``: the files behind the link are the same files
    (same bytes, same inode), so ``git ls-files -m`` — whose ``lstat`` goes through the link — lists none of them,
    and the scan took them as unchanged in the index. An incremental sync kept their records (``git status``:
    deleted), and a first sync, which must read them, refused the read through the link at every run ("changed
    while this sync read the work tree ... run the sync again", exit 75). Gone, like a folder linked to other
    files."""
    git_repo.write("docs/adr/sub/0001-x.md", adr(1, "Inside"))
    git_repo.write("docs/adr/0002-y.md", adr(2, "Stays"))
    git_repo.commit("seed")
    sync(git_repo.path, engine=engine)
    outside = tmp_path / "outside"
    os.rename(git_repo.path / "docs/adr/sub", outside)
    os.symlink(outside, git_repo.path / "docs/adr/sub")

    assert sync(git_repo.path, engine=engine).counts["adr"]["deleted"] == 1
    fresh = tmp_path / "fresh.db"
    first = db.make_engine(f"sqlite:///{fresh}")
    try:
        db.upgrade(first)
        assert sync(git_repo.path, engine=first).counts["adr"]["created"] == 1
        with db.session(first) as session:
            assert session.execute(select(ADR.title)).scalars().all() == ["Stays"]
    finally:
        first.dispose()
    with db.session(engine) as session:
        live = session.execute(select(ADR.title)).scalars().all()
    assert live == ["Stays"]
