"""Whether the SQLite file a watch daemon's engine opened is still the one at its path, and letting go of it if not.

The daemon keeps one engine per database for as long as it runs. When the SQLite file is deleted, or another file
is renamed over it (a backup restored, the file removed and created again), the engine's pooled connections still
hold the old file: an unlinked inode stays open, readable and writable, so every later sync would "succeed" into a
file no one can see. So before each sync the daemon asks whether the path still names the file, by ``(st_dev,
st_ino)``, that the connections opened (``DatabaseFile.moved``); if not, it disposes of the engine and opens what the
path names now (``DatabaseFile.let_go``; a new, empty file makes the reconcile that follows a first sync).

Letting go first waits for the WAL checkpoints of the old engine's last bulk writes (``db.engines._checkpoint_soon``,
which opens the file again by name), then deletes the old database's ``-wal`` and ``-shm`` files: SQLite leaves them
beside a moved file, and a stale WAL beside the new file would be replayed into it when it is next opened, pages of
the old database written over the new one.
"""

from __future__ import annotations

import logging
import os
from pathlib import Path
from typing import TYPE_CHECKING

from tracertm import db
from tracertm.watcher.logs import LOGGER

if TYPE_CHECKING:
    from sqlalchemy.engine import Engine

__all__ = ["DatabaseFile", "log_reopened"]

log = logging.getLogger(LOGGER)


def _identity(path: Path) -> tuple[int, int] | None:
    """Which file ``path`` names: (st_dev, st_ino); None when it names none (or cannot be read)."""
    try:
        st = os.stat(path)
    except OSError:
        return None
    return st.st_dev, st.st_ino


class DatabaseFile:
    """The SQLite file of one of the daemon's engines: which file its connections opened (``opened``, from the
    engine's "connect" event) and the WAL and shared-memory files beside it as they were while they were in use
    (``used``, at each "checkin"), to tell that the path names another file now, or none (``moved``)."""

    SIDECARS = ("-wal", "-shm")

    def __init__(self, path: Path) -> None:
        self.path = path
        self.files: set[tuple[int, int]] = set()
        self.sidecars: dict[str, tuple[int, int]] = {}

    @classmethod
    def follow(cls, engine: Engine) -> DatabaseFile | None:
        """The file of ``engine``'s SQLite database, followed from the engine's events on; None when the database
        is no file (PostgreSQL, an in-memory SQLite database)."""
        path = db.sqlite_file(engine.url)
        if path is None:
            return None
        from sqlalchemy import event

        file = cls(path)
        # First of the "connect" listeners: the file is opened once the connection exists, and the engine's own
        # set-up (pragmas, the dialect's first queries) fails on a file that is no database (another file renamed
        # over it). Noted only after them, such a file went unnoted, and its deletion then went unseen.
        event.listen(engine, "connect", lambda _dbapi, _record: file.opened(), insert=True)
        event.listen(engine, "checkin", lambda _dbapi, _record: file.used())
        return file

    def opened(self) -> None:
        found = _identity(self.path)
        if found is not None:  # (gone again already: the check before the next sync sees that)
            self.files.add(found)

    def used(self) -> None:
        for suffix in self.SIDECARS:
            found = _identity(self.path.with_name(self.path.name + suffix))
            if found is not None:
                self.sidecars[suffix] = found

    def moved(self) -> str | None:
        """"deleted", "replaced" (another file, or connections to two different files), or None: the file the
        connections opened is still there, or they opened none yet (nothing was written anywhere)."""
        if not self.files:
            return None
        try:
            st = os.stat(self.path)
        except FileNotFoundError:
            return "deleted"
        except OSError:  # cannot tell (no permission on its folder...): the sync itself says what is wrong
            return None
        return None if self.files <= {(st.st_dev, st.st_ino)} else "replaced"

    def let_go(self, engine: Engine) -> None:
        """Close ``engine``'s connections (they hold the old file), wait for the WAL checkpoints its last writes
        left to threads of their own, then forget the old file's sidecars. A checkpoint still running could open the
        sidecars by name after the new file's connections made their own there (its connection holds the old
        file): it must end before the sidecars are deleted and before anything opens the path again."""
        from tracertm.db.engines import wait_for_checkpoints

        engine.dispose()
        wait_for_checkpoints(engine)
        self.forget_sidecars()

    def forget_sidecars(self) -> None:
        """Delete the WAL and shared-memory files of the old database, once its connections are closed. SQLite
        leaves them when the database file was moved (it never checkpoints into, nor deletes beside, a file that
        is not the one it opened), and a stale WAL beside the new file would be replayed into it: pages of the old
        database written over the new one. Only the files the old connections used: a new database's own WAL
        (another process opened it first) is another file."""
        for suffix, known in self.sidecars.items():
            sidecar = self.path.with_name(self.path.name + suffix)
            if _identity(sidecar) == known:
                try:
                    sidecar.unlink()
                except FileNotFoundError:
                    pass
        self.sidecars.clear()  # gone, or another file's now: never deleted again


def log_reopened(url: str, path: Path, how: str, repositories: list[str]) -> None:
    """The ``database_reopened`` line: the file of ``url`` was ``how`` ("deleted", "replaced") while the daemon
    watched, and ``repositories`` (those syncing into it) are reconciled into what the path names now."""
    log.warning(
        "database file %s was %s while watching: %s; reconciling %d repositor%s into it",
        path,
        how,
        "creating it again" if how == "deleted" else "opening the new file",
        len(repositories),
        "y" if len(repositories) == 1 else "ies",
        extra={
            "fields": {
                "event": "database_reopened",
                "database": db.redact(url),
                "path": str(path),
                "reason": how,
                "repositories": repositories,
            }
        },
    )
