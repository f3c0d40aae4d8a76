"""A backslash in an ADR's file name is part of the name, as git (and any POSIX file system) has it: the paths
tracertm reads are git's, whose folders ``/`` separates. ``file_identity`` took it for a folder separator, so that
``docs/adr/0012-queue\\notes.md`` and ``docs/adr/0013-bus\\notes.md`` were both the ADR ``notes``: a conflict, and
one of them not stored. Real git repository, SQLite and PostgreSQL."""

from __future__ import annotations

from typing import Any

from conftest import GitRepo
from tracertm.engine.sync import sync


def test_each_file_is_numbered_by_its_own_name(git_repo: GitRepo, engine: Any) -> None:
    from sqlalchemy import select

    from tracertm import db
    from tracertm.models import ADR

    git_repo.write("docs/adr/0012-queue\\notes.md", "# Queue notes\n\n## Status\n\nAccepted\n")
    git_repo.write("docs/adr/0013-bus\\notes.md", "# Bus notes\n\n## Status\n\nAccepted\n")
    git_repo.commit("two ADRs with a backslash in their names")
    result = sync(git_repo.path, engine=engine, ref="HEAD")
    assert not result.errors, result.errors
    with db.session(engine) as session:
        stored = session.execute(select(ADR.adr_number, ADR.source_path).order_by(ADR.adr_number)).all()
    assert [tuple(row) for row in stored] == [("ADR-0012", "docs/adr/0012-queue\\notes.md"),
                                             ("ADR-0013", "docs/adr/0013-bus\\notes.md")]


def test_a_links_backslashes_are_slashes(git_repo: GitRepo) -> None:
    """A Markdown link written with backslashes (``..\\adr\\0001-use-x.md``) is read as browsers and GitHub read it:
    the file's own name keeps its backslashes, a link's are separators."""
    from conftest import run_cli

    git_repo.write("docs/adr/0001-use-x.md", "# 1. Use X\n\n## Status\n\nAccepted\n")
    git_repo.write("docs/adr/0002-use-y.md", "# 2. Use Y\n\n## Status\n\nAccepted\n\n"
                   "Supersedes [ADR 1](.\\0001-use-x.md)\n\n## Context\n\nSee [the first](..\\adr\\0001-use-x.md).\n")
    git_repo.commit("linked with backslashes")
    done = run_cli("check", str(git_repo.path))
    assert done.returncode == 0, done.stdout + done.stderr
