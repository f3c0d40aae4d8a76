"""A migration that waited ``lock_timeout`` for another writer migrating the database (or holding it) says so in
the one line ``tracertm sync`` prints, on either database: on PostgreSQL, where the migration lock is an advisory
lock, the line was only ``tracertm: error: migrations``. And on PostgreSQL the wait is first come first served: a
migration waiting for the lock is next when it is let go, however eagerly its holder takes it again."""

from __future__ import annotations

import sqlite3
import subprocess
import sys
from collections.abc import Iterator
from contextlib import closing, contextmanager

import pytest

from conftest import GitRepo, _pg_connect, run_cli, schema_revision
from specs import adr
from tracertm import db
from waiting import until

WAIT_S = 120.0  # an upper bound on waiting for a condition; never a pace


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


def _until_waiting(url: str, name: str) -> None:
    """Wait until the session named ``name`` (its application_name) has asked for an advisory lock in a transaction
    still open: blocked in the lock call (or, before, between two tries of a try-lock)."""
    with _pg_connect(url) as conn:  # autocommit: a transaction per look, each with a new snapshot of the statistics
        until(lambda: bool(conn.execute(
            "SELECT count(*) FROM pg_stat_activity WHERE datname = current_database() AND application_name = %s "
            "AND state <> 'idle' AND query LIKE '%%advisory%%lock%%'", (name,),
        ).fetchone()[0]), f"{name} waiting for the migration lock", WAIT_S)


@pytest.mark.parametrize("empty_database_url", ["postgresql"], indirect=True)
def test_a_migration_is_not_starved_by_a_migration_lock_that_changes_hands(
    empty_database_url: str, git_repo: GitRepo
) -> None:
    """Another session holds the migration lock and takes it again the moment it lets it go, each hold a quarter of
    the waiting sync's lock_timeout (a stall of the host up to three quarters of it is no failure), all of them
    together longer than it. The sync waits in PostgreSQL's queue: it is next when the lock is let go, migrates the
    empty database and syncs. Before, it polled with a try-lock, lost the lock to the holder at every release and
    failed with exit 2 ('waited 8 s for another writer to migrate it')."""
    bound = 8.0
    holds = 6
    git_repo.write("docs/adr/0001-first.md", adr(1, "First"))
    git_repo.write(".tracertm.toml", f"lock_timeout = {bound:g}\n")
    git_repo.commit("seed")
    url = empty_database_url
    key = db._lock_key("tracertm:migrations")
    sync = [sys.executable, "-m", "tracertm", "sync", str(git_repo.path), "--database-url",
            f"{url}{'&' if '?' in url else '?'}application_name=migrator"]
    with _pg_connect(url) as holder:
        holder.execute(f"SET lock_timeout = '{WAIT_S:g}s'")  # a bound on taking it back behind the sync
        holder.execute("SELECT pg_advisory_lock(%s)", (key,))
        proc = subprocess.Popen(sync, stdout=subprocess.PIPE, stderr=subprocess.PIPE, text=True)
        try:
            _until_waiting(url, "migrator")
            for _ in range(holds):
                try:
                    proc.wait(bound / 4)  # a time of the bound's own, not of the host
                    break  # it ended: it synced, or (before) its bound ran out
                except subprocess.TimeoutExpired:
                    pass
                holder.execute("SELECT pg_advisory_unlock(%s)", (key,))
                holder.execute("SELECT pg_advisory_lock(%s)", (key,))  # (once the sync has migrated)
            holder.execute("SELECT pg_advisory_unlock(%s)", (key,))
            _, err = proc.communicate(timeout=WAIT_S)
        finally:
            if proc.poll() is None:
                proc.kill()
            proc.communicate()
    assert proc.returncode == 0, err
    assert schema_revision(url) == db.SCHEMA_HEAD
