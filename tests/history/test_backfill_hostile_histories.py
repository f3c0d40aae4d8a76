"""Backfill on hostile but real git histories: each one compared with what ``sync --ref`` of every first-parent
commit gives (README "The promise"), and with what a sync of its head reports (README "Broken files in old
commits": exit code 1 only when files are still broken at REF, like ``sync``)."""

from __future__ import annotations

import json
import os
import shutil
import subprocess
from collections.abc import Iterator
from contextlib import contextmanager
from pathlib import Path
from typing import Any

import pytest
from sqlalchemy import select

from conftest import GitRepo, run_cli
from specs import adr, feature
from test_backfill_promise import _state, sync_each_commit
from tracertm import db
from tracertm.history.backfill import backfill
from tracertm.models import SpecRevision, SyncRun


@contextmanager
def backfilled_and_synced(git_repo: GitRepo, database_url: str,
                          other_database_url: str) -> Iterator[tuple[Any, Any]]:
    """The history backfilled into one database and synced commit by commit (``sync --ref``) into the other, the two
    found equal; both engines, disposed after."""
    filled, synced = db.make_engine(database_url), db.make_engine(other_database_url)
    try:
        backfill(git_repo.path, engine=filled, project="p")
        sync_each_commit(git_repo, synced)
        assert _state(filled) == _state(synced)
        yield filled, synced
    finally:
        filled.dispose()
        synced.dispose()


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
    with backfilled_and_synced(git_repo, database_url, other_database_url) as (filled, synced):
        with synced.connect() as conn:  # both name them as written, not "Jos\ufffd" (Latin-1 read as UTF-8)
            t = SpecRevision.__table__.c
            people = set(conn.execute(select(t.author_name, t.committer_name)).all())
        assert people == {("Jos\xe9", "Ren\xe9"), ("Fran\xe7oise", "Ren\xe9")}


LATIN1_NAME = os.fsdecode(b"features/caf\xe9.feature")  # a name git holds in Latin-1 bytes: never stored
SHOWN = "features/caf\\xe9.feature"  # as findings name it


def test_a_spec_file_whose_name_is_not_utf8_fails_a_backfill_as_it_fails_a_sync_of_the_ref(
        git_repo: GitRepo, database_url: str, other_database_url: str) -> None:
    """Such a file has no row to hold its error: the backfill reported nothing, neither in the commit that added it
    nor at the ref, and exited 0 where ``sync --ref`` of the ref exits 1."""
    git_repo.write("features/login.feature", feature(1, "Login"))
    git_repo.commit("seed")
    git_repo.write(LATIN1_NAME, feature(2, "Cafe"))
    added = git_repo.commit("a Latin-1 name")
    git_repo.write("features/login.feature", feature(1, "Log in"))
    git_repo.commit("an unrelated edit")

    synced = run_cli("sync", str(git_repo.path), "--ref", "HEAD", "--database-url", other_database_url)
    assert synced.returncode == 1 and SHOWN in synced.stdout + synced.stderr
    url = ["--database-url", database_url, "--quiet"]
    first = run_cli("backfill", str(git_repo.path), *url, "--format", "json")
    assert first.returncode == 1, first.stdout + first.stderr
    report = json.loads(first.stdout)
    assert [(e["commit"], e["path"]) for e in report["errors"]] == [(added, SHOWN)]
    assert [e["path"] for e in report["head_errors"]] == [SHOWN]
    again = run_cli("backfill", str(git_repo.path), *url)  # up to date: nothing replayed, the head still holds it
    assert again.returncode == 1 and SHOWN in again.stdout + again.stderr

    git_repo.git("mv", LATIN1_NAME, "features/cafe.feature")
    git_repo.commit("renamed to UTF-8")
    assert run_cli("backfill", str(git_repo.path), *url).returncode == 0
    engine = db.make_engine(database_url)
    try:
        with engine.connect() as conn:
            t = SpecRevision.__table__.c
            paths = {r[0] for r in conn.execute(select(t.source_path))}
        assert paths == {"features/login.feature", "features/cafe.feature"}
    finally:
        engine.dispose()


def test_a_name_with_spaces_around_it_is_kept_alike_in_a_backfill_and_a_sync(git_repo: GitRepo, database_url: str,
                                                                            other_database_url: str) -> None:
    """git trims the names it writes, but a commit object written by another tool may keep spaces around a name or
    an email; git prints them as they are, and a sync stores them so: the backfill trimmed them."""
    git_repo.write("docs/adr/0001-use-git.md", adr(1, "Use git"))
    git_repo.commit("seed")
    git_repo.write("docs/adr/0001-use-git.md", adr(1, "Use git", decision="Everywhere."))
    git_repo.git("add", "-A")
    raw = (f"tree {git_repo.git('write-tree')}\nparent {git_repo.head()}\n"
           "author  Ada  Spaced <ada@example.com > 1700000000 +0000\n"
           "committer Bob <bob@example.com> 1700000000 +0000\n\nwritten by another tool\n")
    sha = subprocess.run(["git", "hash-object", "-t", "commit", "-w", "--literally", "--stdin"], cwd=git_repo.path,
                         input=raw.encode(), capture_output=True, check=True).stdout.decode().strip()
    git_repo.git("update-ref", "refs/heads/main", sha)
    git_repo.git("reset", "-q", "--hard")
    with backfilled_and_synced(git_repo, database_url, other_database_url) as (filled, synced):
        with filled.connect() as conn:
            t = SpecRevision.__table__.c
            people = set(conn.execute(select(t.author_name, t.author_email).where(t.commit_sha == sha)).all())
        assert people == {(" Ada  Spaced", "ada@example.com ")}


@pytest.mark.skipif(shutil.which("ssh-keygen") is None, reason="signing commits needs ssh-keygen")
def test_signed_commits_shown_with_their_signatures_sync_and_backfill_as_any_other(
        git_repo: GitRepo, database_url: str, other_database_url: str, tmp_path: Path) -> None:
    """``log.showSignature`` (set where commits are signed) makes ``git log`` and ``git show`` print each commit's
    signature check ahead of the format: a ``sync --ref`` of a signed merge failed on it (exit 2), a backfill named the
    merge's author for the merged side's work, and a no-op sync of a signed commit recorded no commit date."""
    key = tmp_path / "signing-key"
    subprocess.run(["ssh-keygen", "-q", "-t", "ed25519", "-N", "", "-f", str(key)], check=True, capture_output=True)
    for name, value in {"gpg.format": "ssh", "user.signingKey": f"{key}.pub", "commit.gpgSign": "true",
                        "log.showSignature": "true"}.items():
        git_repo.git("config", name, value)
    git_repo.write("docs/adr/0001-use-git.md", adr(1, "Use git"))
    git_repo.commit("seed")
    git_repo.git("checkout", "-q", "-b", "side")
    git_repo.write("docs/adr/0002-use-ssh.md", adr(2, "Use ssh"))
    git_repo.commit("side", author="Sid Side <sid@example.com>")
    git_repo.git("checkout", "-q", "main")
    git_repo.write("docs/adr/0001-use-git.md", adr(1, "Use git", decision="Everywhere."))
    git_repo.commit("main")
    git_repo.git("merge", "-q", "--no-ff", "side", "-m", "merge side")
    assert "signature" in git_repo.git("show", "-s", "--format=%H", "HEAD")  # what tracertm must not read
    with backfilled_and_synced(git_repo, database_url, other_database_url) as (filled, synced):
        with filled.connect() as conn:
            t = SpecRevision.__table__.c
            people = dict(conn.execute(select(t.number, t.author_name).where(t.change == "created")).all())
        assert people == {"ADR-0001": "Ada Author", "ADR-0002": "Sid Side"}

        again = run_cli("sync", str(git_repo.path), "--project", "p", "--ref", "HEAD", "--database-url",
                        other_database_url)  # nothing changed: the no-op fast path records the run
        assert again.returncode == 0, again.stdout + again.stderr
        with synced.connect() as conn:
            t = SyncRun.__table__.c
            last = conn.execute(select(t.commit_sha, t.committed_at).order_by(t.started_at.desc()).limit(1)).one()
        assert last.commit_sha == git_repo.head() and last.committed_at is not None
