"""``tracertm watch`` when its database no longer holds what the daemon last wrote, though the database file is the
same one (no ``database_reopened``): a SQLite backup restored in place, a PostgreSQL database dropped and created
again, another writer's sync. The next change must not be synced alone into that database (the rest of the
repository would stay as the database has it): the daemon reconciles instead — once: its own reconcile is then the
newest run, and the change after it is a sync of its paths again. Real daemons, git repositories, file-system events
and databases; every wait polls an observable condition."""

from __future__ import annotations

import sqlite3
from contextlib import closing
from pathlib import Path

import pytest
from sqlalchemy.engine import make_url
from sqlalchemy.exc import DBAPIError

from conftest import GitRepo, _pg_execute_autocommit
from test_watch import (  # noqa: F401 - fixtures (dbx, sqlite_db, stop_all) are used by name
    Db, adr, adr_path, dbx, sqlite_db, start, stop_all, wait_for,
)
from tracertm.engine.sync import sync
from tracertm.watcher import Watcher


def live(url: str) -> dict[str, str] | None:
    """source_path → title of the live ADRs, on an engine of its own (a dropped PostgreSQL database ends the
    connections of any pool); None while the database has no schema (or cannot be reached)."""
    handle = Db(url)
    try:
        return handle.live()
    except DBAPIError:
        return None
    finally:
        handle.close()


def in_sync(url: str, root: Path) -> bool:
    handle = Db(url)
    try:
        return handle.in_sync_with(root)
    finally:
        handle.close()


def three(git_repo: GitRepo) -> dict[str, str]:
    for n in (1, 2, 3):
        git_repo.write(adr_path(n), adr(n, f"Decision {n}"))
    return {adr_path(n): f"Decision {n}" for n in (1, 2, 3)}


def test_a_sqlite_backup_restored_in_place_is_reconciled(
    git_repo: GitRepo, sqlite_db: Db, tmp_path: Path, stop_all: list[Watcher]
) -> None:
    """``sqlite3 t.db ".restore backup.db"``: the same file (inode) gets the backup's pages; what was synced after
    the backup is gone from it. The next edit, of another file, brings it all back."""
    expected = three(git_repo)
    w = start(git_repo.path, sqlite_db.url)
    stop_all.append(w)
    path = Path(sqlite_db.url.removeprefix("sqlite:///"))
    backup = tmp_path / "backup.db"
    with closing(sqlite3.connect(path)) as source, closing(sqlite3.connect(backup)) as copy:
        source.backup(copy)
    git_repo.write(adr_path(2), adr(2, "After the backup"))
    expected[adr_path(2)] = "After the backup"
    wait_for(lambda: live(sqlite_db.url) == expected, what="the edit after the backup")
    assert w.wait_idle(20)

    with closing(sqlite3.connect(backup)) as source, closing(sqlite3.connect(path)) as target:
        source.backup(target)  # what ``.restore`` does: into the file in place
    assert (live(sqlite_db.url) or {}).get(adr_path(2)) == "Decision 2"
    git_repo.write(adr_path(1), adr(1, "After the restore"))
    expected[adr_path(1)] = "After the restore"

    wait_for(lambda: live(sqlite_db.url) == expected, what="the restored database brought up to date")
    assert w.wait_idle(20)
    assert w.history[-1].reconcile
    assert in_sync(sqlite_db.url, git_repo.path)
    assert w.stats.failures == 0


@pytest.mark.parametrize("empty_database_url", ["postgresql"], indirect=True)
def test_a_postgresql_database_dropped_and_created_again_is_reconciled(
    git_repo: GitRepo, empty_database_url: str, stop_all: list[Watcher]
) -> None:
    """``dropdb; createdb`` under the daemon: the database is empty (no schema) but the URL and server are the same.
    The next edit of one file migrates it and syncs every file, not that one alone."""
    url = empty_database_url
    expected = three(git_repo)
    w = start(git_repo.path, url)
    stop_all.append(w)
    assert live(url) == expected
    name = make_url(url).database
    admin = make_url(url).set(database="postgres").render_as_string(hide_password=False)
    admin = admin.replace("postgresql+psycopg://", "postgresql://", 1)
    _pg_execute_autocommit(admin, f'DROP DATABASE "{name}" WITH (FORCE)')
    _pg_execute_autocommit(admin, f'CREATE DATABASE "{name}"')
    git_repo.write(adr_path(1), adr(1, "After the database came back"))
    expected[adr_path(1)] = "After the database came back"

    wait_for(lambda: live(url) == expected, what="every file synced into the new database")
    assert w.wait_idle(20)
    assert w.history[-1].reconcile
    assert in_sync(url, git_repo.path)


def test_another_writers_sync_is_reconciled_once(git_repo: GitRepo, dbx: Db, stop_all: list[Watcher]) -> None:
    """A sync of the index (a pre-commit hook's) writes the staged version of a file the work tree has edited: the
    daemon's next batch, for another file, reconciles and puts the work tree's version back. That reconcile is the
    newest run then: the next edit is a sync of its paths again, no reconcile loop."""
    expected = three(git_repo)
    git_repo.commit("three")
    w = start(git_repo.path, dbx.url)
    stop_all.append(w)
    git_repo.write(adr_path(2), adr(2, "Edited, not staged"))
    expected[adr_path(2)] = "Edited, not staged"
    wait_for(lambda: dbx.live() == expected, what="the edit")
    assert w.wait_idle(20)

    sync(git_repo.path, staged=True, engine=dbx.engine)  # another writer: the index's "Decision 2"
    assert dbx.live()[adr_path(2)] == "Decision 2"
    reconciles = w.stats.reconciles
    git_repo.write(adr_path(3), adr(3, "Edited later"))
    expected[adr_path(3)] = "Edited later"
    wait_for(lambda: dbx.live() == expected, what="the work tree's version back")
    assert w.wait_idle(20)
    assert w.history[-1].reconcile and w.stats.reconciles == reconciles + 1

    git_repo.write(adr_path(1), adr(1, "Edited last"))
    expected[adr_path(1)] = "Edited last"
    wait_for(lambda: dbx.live() == expected, what="the last edit")
    assert w.wait_idle(20)
    assert not w.history[-1].reconcile and w.history[-1].paths == 1
    assert w.stats.reconciles == reconciles + 1
    assert dbx.in_sync_with(git_repo.path)
