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
