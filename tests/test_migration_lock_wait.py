"""A migration that waited ``lock_timeout`` for another writer migrating the database (or holding it) says so in
the one line ``tracertm sync`` prints, on either database: on PostgreSQL, where the migration lock is an advisory
lock, the line was only ``tracertm: error: migrations``."""

from __future__ import annotations

import sqlite3
from collections.abc import Iterator
from contextlib import closing, contextmanager

from conftest import GitRepo, _pg_connect, run_cli
from specs import adr
from tracertm import db


@contextmanager
def migration_lock_held(url: str) -> Iterator[None]:
    """Another writer holding what a migration of ``url`` waits for: SQLite's write lock (of a new file in WAL mode,
    as another tracertm migrating it holds it), or on PostgreSQL the migration lock (a session's advisory lock, as
    a migration hung on another machine holds it)."""
    if url.startswith("sqlite"):
        with closing(sqlite3.connect(url.removeprefix("sqlite:///"), isolation_level=None)) as conn:
            conn.execute("PRAGMA journal_mode=WAL")
            conn.execute("BEGIN IMMEDIATE")
            yield
        return
    with _pg_connect(url) as conn:
        conn.execute("SELECT pg_advisory_lock(%s)", (db._lock_key("tracertm:migrations"),))
        yield


def test_a_migration_that_waited_for_another_writer_says_so(empty_database_url: str, git_repo: GitRepo) -> None:
    git_repo.write("docs/adr/0001-first.md", adr(1, "First"))
    git_repo.write(".tracertm.toml", "lock_timeout = 0.5\n")
    git_repo.commit("seed")
    with migration_lock_held(empty_database_url):
        result = run_cli("sync", str(git_repo.path), "--database-url", empty_database_url)
    database = db.redact(db.parse_url(empty_database_url))
    assert result.returncode == 2, result.stderr
    assert result.stderr == (f"tracertm: error: database {database}: waited 0.5 s for another writer to migrate it; "
                             "try again, or raise lock_timeout in the tracertm configuration\n")
    assert run_cli("sync", str(git_repo.path), "--database-url", empty_database_url).returncode == 0
