"""The watch daemon's engines: one per database URL, kept for as long as the daemon runs; the DB-API connections
checked out of them, which ``interrupt`` cancels when the daemon aborts the sync in flight (from any thread); and,
for a SQLite database, the file its connections opened (``database_file``), to let go of an engine whose file was
deleted or replaced (``moved``)."""

from __future__ import annotations

from pathlib import Path
from typing import TYPE_CHECKING, Any

from tracertm import db
from tracertm.errors import DatabaseError
from tracertm.watcher.database_file import DatabaseFile

if TYPE_CHECKING:
    from sqlalchemy.engine import Engine

__all__ = ["Engines", "is_unavailable"]


class Engines:
    """The engine cache of one ``Watcher``, by database URL."""

    def __init__(self) -> None:
        self._engines: dict[str, Engine] = {}
        # Per SQLite database file (by URL): which file its engine's connections opened, to see before each sync
        # whether it was deleted or replaced meanwhile (``moved``).
        self._files: dict[str, DatabaseFile] = {}
        self._connections: set[Any] = set()  # DB-API connections checked out of these engines

    def get(self, url: str, source: str) -> Engine:
        """The engine for ``url``, made on first use (``source``: where the URL came from, for its errors)."""
        engine = self._engines.get(url)
        if engine is None:
            from sqlalchemy import event

            from tracertm.db.urls import _refuse_in_memory

            _refuse_in_memory(url, source)  # (a configuration's ``sqlite://``: everything synced gone at exit)
            engine = db.make_engine(url, source)
            connections = self._connections
            event.listen(engine, "checkout", lambda dbapi, _record, _proxy: connections.add(dbapi))
            event.listen(engine, "checkin", lambda dbapi, _record: connections.discard(dbapi))
            file = DatabaseFile.follow(engine)
            if file is not None:
                self._files[url] = file
            self._engines[url] = engine
        return engine

    def moved(self, url: str) -> tuple[Path, str] | None:
        """If the SQLite file of ``url``'s engine was deleted or replaced (another file renamed over it) since its
        connections opened it: let go of that engine (its connections held the old file; the next ``get`` opens
        what the path names now) and return the path and how ("deleted", "replaced"). None otherwise, and for a
        database that is no file or has no engine yet."""
        file = self._files.get(url)
        if file is None:
            return None
        how = file.moved()
        if how is None:
            return None
        del self._files[url]
        file.let_go(self._engines.pop(url))
        return file.path, how

    def interrupt(self) -> None:
        """Interrupt the database call in progress on every checked-out connection: safe from any thread."""
        for connection in list(self._connections):
            try:
                if hasattr(connection, "interrupt"):  # sqlite3
                    connection.interrupt()
                elif hasattr(connection, "cancel_safe"):  # psycopg 3.2+
                    connection.cancel_safe(timeout=5.0)
                elif hasattr(connection, "cancel"):
                    connection.cancel()
            except Exception:  # noqa: BLE001 - a connection that is closing or closed has nothing to cancel
                pass

    def refresh(self, url: str) -> None:
        """Close the pooled connections of ``url``'s engine: the next checkout opens new ones. A connection keeps
        the session defaults it was opened with (PostgreSQL's ``default_transaction_read_only``), so one refused
        the work for how it was set up would go on being refused after the database was fixed."""
        engine = self._engines.get(url)
        if engine is not None:
            engine.dispose()

    def dispose(self) -> None:
        for engine in self._engines.values():
            engine.dispose()


def is_unavailable(exc: BaseException) -> bool:
    """Errors that mean "the database cannot be used right now": retry later with the changes kept."""
    if isinstance(exc, DatabaseError):
        return True
    from sqlalchemy import exc as sa_exc

    if isinstance(
        exc, (sa_exc.OperationalError, sa_exc.InterfaceError, sa_exc.DisconnectionError, sa_exc.TimeoutError)
    ):
        return True
    return isinstance(exc, sa_exc.DBAPIError) and bool(exc.connection_invalidated)
