"""Backfill on hostile but real git histories: each one compared with what ``sync --ref`` of every first-parent
commit gives (README "The promise"), and with what a sync of its head reports (README "Broken files in old
commits": exit code 1 only when files are still broken at REF, like ``sync``)."""

from __future__ import annotations

import os
import subprocess
from sqlalchemy import select

from conftest import GitRepo
from specs import adr, feature
from test_backfill_promise import _state, sync_each_commit
from tracertm import db
from tracertm.history.backfill import backfill
from tracertm.models import SpecRevision


def _latin1_commit(repo: GitRepo, author: bytes) -> None:
    """A commit made where ``i18n.commitEncoding`` is latin1: git stores the author's name in Latin-1 bytes and an
    ``encoding latin1`` header, and prints it back in Latin-1 unless asked for UTF-8."""
    repo.git("add", "-A")
    env = {**os.environb, b"GIT_AUTHOR_NAME": author, b"GIT_COMMITTER_NAME": b"Ren\xe9"}
    subprocess.run(["git", "commit", "-q", "-F", "-"], cwd=repo.path, input="caf\xe9\n".encode("latin1"), env=env,
                   check=True, capture_output=True)


def test_a_latin1_commit_names_its_author_alike_in_a_backfill_and_a_sync(git_repo: GitRepo, database_url: str,
                                                                         other_database_url: str) -> None:
    git_repo.git("config", "i18n.commitEncoding", "latin1")
    git_repo.write("docs/adr/0001-use-git.md", adr(1, "Use git"))
    _latin1_commit(git_repo, "Jos\xe9".encode("latin1"))
    git_repo.write("features/login.feature", feature(1, "Login"))
    _latin1_commit(git_repo, "Fran\xe7oise".encode("latin1"))
    assert b"encoding latin1" in subprocess.run(["git", "cat-file", "commit", "HEAD"], cwd=git_repo.path,
                                                capture_output=True, check=True).stdout
    filled, synced = db.make_engine(database_url), db.make_engine(other_database_url)
    try:
        backfill(git_repo.path, engine=filled, project="p")
        sync_each_commit(git_repo, synced)
        assert _state(filled) == _state(synced)
        with synced.connect() as conn:  # both name them as written, not "Jos\ufffd" (Latin-1 read as UTF-8)
            t = SpecRevision.__table__.c
            people = set(conn.execute(select(t.author_name, t.committer_name)).all())
        assert people == {("Jos\xe9", "Ren\xe9"), ("Fran\xe7oise", "Ren\xe9")}
    finally:
        filled.dispose()
        synced.dispose()
