"""The server's SQLite file: always the one its path names now, never a file moved aside, never one it created.

``serve`` keeps one engine for as long as it runs, and each pooled SQLite connection holds the file it opened.
When that file is moved aside or deleted and another one is put at its path (a backup restored, README:
Reliability), the connections went on reading and writing the old one: writes answered 200 into a file no one can
see, and reads answered from either file, depending on the connection. So the engine follows the path, as the watch
daemon does before each sync (``watcher.database_file``), but per connection, since the server never stops:

- a checkout compares the path's ``(st_dev, st_ino)`` with the file the connection opened (``OPENED_FILE``, one
  ``os.stat``): a connection holding another file is let go (SQLAlchemy's ``DisconnectionError``: the pool opens
  the path again);
- a COMMIT checks the same first, so that no write is acknowledged into a file replaced during its request;
- a connection is opened with ``mode=rw``, which never creates the file: while the path names none (deleted, moved
  aside) requests fail with a ``DatabaseError`` (503), and once a file is there again the server opens it;
- before the first connection to another file, the old file's ``-wal`` and ``-shm`` still beside the path (the
  user moved only the database file) are deleted (``DatabaseFile.forget_sidecars``): a stale WAL beside the new file
  would be replayed into it, the old database's pages written over the restored one.
"""

from __future__ import annotations

import os
import threading
from pathlib import Path
from typing import TYPE_CHECKING, Any
from urllib.parse import quote

from tracertm.db.engines import OPENED_FILE
from tracertm.errors import DatabaseError
from tracertm.watcher.database_file import DatabaseFile

if TYPE_CHECKING:
    from sqlalchemy.engine import Connection, Engine

__all__ = ["KnownDamage", "follow_path"]

# The engines already following their path (``create_app`` may be given one engine for several apps).
_FOLLOWED = "tracertm_follows_path"


def follow_path(engine: Engine) -> None:
    """Make ``engine``'s connections follow the file its SQLite URL names (this module's docstring); nothing for
    PostgreSQL or an in-memory database. Call it once the schema is there: from then on the file is never created."""
    from sqlalchemy import event

    if engine.dialect.name != "sqlite" or getattr(engine, _FOLLOWED, False):
        return
    cargs, _ = engine.dialect.create_connect_args(engine.url)
    name = str(cargs[0]) if cargs else ""
    if not name or name == ":memory:" or name.startswith("file:"):
        return
    path = _PathFollower(Path(name))
    event.listen(engine, "do_connect", path.connect)
    event.listen(engine, "connect", path.opened)
    event.listen(engine, "checkout", path.checkout)
    event.listen(engine, "commit", path.commit)
    setattr(engine, _FOLLOWED, True)


class _PathFollower:
    """The events of one engine following its path (``follow_path``). ``current``: the file its latest
    connection opened, whose sidecars (``file.sidecars``) are noted when a connection to it is opened."""

    def __init__(self, path: Path) -> None:
        self.path = path
        self.uri = f"file:{quote(str(path))}?mode=rw"
        self.file = DatabaseFile(path)
        self.current: tuple[int, int] | None = None
        self.lock = threading.Lock()

    def connect(self, dialect: Any, _record: Any, _cargs: Any, cparams: dict[str, Any]) -> Any:
        """A new connection to the file the path names now; never a new, empty file where the path names none."""
        found = self._identity()
        with self.lock:
            if found is not None and self.current not in (None, found):
                # Another file: the old one's sidecars go before anything opens the path, and only those.
                self.file.forget_sidecars()
            self.current = found or self.current
        return dialect.connect(self.uri, **{**cparams, "uri": True})

    def opened(self, _dbapi: Any, record: Any) -> None:
        """Note the WAL and shared-memory files of the file the new connection opened (its first read opened them):
        they stay the same files while the server holds a connection to it, which keeps SQLite from deleting them."""
        opened = record.info.get(OPENED_FILE)
        with self.lock:
            if opened is not None and tuple(opened[1:]) == self.current == self._identity(missing_ok=True):
                self.file.used()

    def checkout(self, _dbapi: Any, record: Any, _proxy: Any) -> None:
        """Let go of a connection holding a file the path no longer names: the pool opens the path again."""
        if self._holds_another(record.info):
            from sqlalchemy.exc import DisconnectionError  # (imported here: checkouts are the hot path)

            raise DisconnectionError(f"database file {self.path} was replaced; opening the file at its path")

    def commit(self, conn: Connection) -> None:
        """Refuse a COMMIT into a file the path no longer names (replaced during the request): nothing is written,
        and the request fails (503) rather than being acknowledged into a file no one can see."""
        if self._holds_another(conn.connection.info):
            raise DatabaseError(f"database file {self.path} was replaced during a write; nothing was written, "
                                "and the next request opens the file at its path")

    def _holds_another(self, info: dict[Any, Any]) -> bool:
        opened = info.get(OPENED_FILE)
        found = self._identity()
        return opened is not None and found is not None and tuple(opened[1:]) != found

    def _identity(self, missing_ok: bool = False) -> tuple[int, int] | None:
        """Which file the path names, (st_dev, st_ino); a ``DatabaseError`` when it names none (unless
        ``missing_ok``: None); None when that cannot be told (SQLite then says what is wrong)."""
        try:
            st = os.stat(self.path)
        except FileNotFoundError:
            if missing_ok:
                return None
            raise DatabaseError(
                f"database file {self.path} is gone (deleted or moved while the server ran); restore it from a "
                "backup, or run 'tracertm sync' to build a new one: the server opens what the path names then"
            ) from None
        except OSError:
            return None
        return st.st_dev, st.st_ino


class KnownDamage:
    """The damage a request met in the server's SQLite file (``problems.unusable_file``), for ``/healthz``: it reads
    the schema revision alone, and answered 200 "ok" on a file whose other pages are damaged while every read
    answered 503 — a load balancer kept the worker. Remembered with the file's state (device, inode, size,
    modification time) when met, and forgotten once the path names a file in another state (restored, rebuilt):
    a probe costs one ``os.stat``, never an integrity check."""

    def __init__(self, path: Path | None) -> None:
        self.path = path
        self.lock = threading.Lock()
        self.met_in: tuple[int, int, int, int] | None = None
        self.detail: str | None = None

    def met(self, detail: str) -> None:
        """A request met the damage ``detail`` says (the 503's detail) in the file the path names now."""
        state = self._state()
        if state is not None:
            with self.lock:
                self.met_in, self.detail = state, detail

    def known(self) -> str | None:
        """The detail of the damage met in the file the path still names unchanged; None when there is none."""
        with self.lock:
            if self.met_in is None:
                return None
            if self._state() != self.met_in:
                self.met_in = self.detail = None
            return self.detail

    def _state(self) -> tuple[int, int, int, int] | None:
        if self.path is None:
            return None
        try:
            st = os.stat(self.path)
        except OSError:
            return None
        return st.st_dev, st.st_ino, st.st_size, st.st_mtime_ns
