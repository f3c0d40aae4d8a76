"""``tracertm watch`` while its database cannot be reached: a PostgreSQL outage (the daemon connects through a TCP
proxy that the test switches off) loses no change and is logged once each way, and a database that cannot be opened
at start is retried until it can. Real git, real file-system events, bounded polling instead of fixed sleeps (see
``test_watch``)."""

from __future__ import annotations

import logging
import socket
import threading
from pathlib import Path

import pytest
from sqlalchemy.engine import make_url

from conftest import GitRepo
from test_watch import (  # noqa: F401 - fixtures (dbx, sqlite_db, stop_all) are used by name
    Db, adr, adr_path, dbx, sqlite_db, start, stop_all, wait_for,
)
from tracertm.watcher import Watcher


class Proxy:
    """A TCP forwarder on 127.0.0.1 that can be switched off (connections refused, live ones cut)."""

    def __init__(self, upstream: tuple[str, int]) -> None:
        self.upstream = upstream
        self.port = 0
        self._listener: socket.socket | None = None
        self._sockets: list[socket.socket] = []
        self._lock = threading.Lock()
        self.up()

    def up(self) -> None:
        listener = socket.socket()
        listener.setsockopt(socket.SOL_SOCKET, socket.SO_REUSEADDR, 1)
        listener.bind(("127.0.0.1", self.port))
        listener.listen(64)
        listener.settimeout(0.05)
        self.port = listener.getsockname()[1]
        self._listener = listener
        threading.Thread(target=self._accept, args=(listener,), daemon=True).start()

    def down(self) -> None:
        listener, self._listener = self._listener, None
        if listener is not None:
            listener.close()
        with self._lock:
            sockets, self._sockets = self._sockets, []
        for s in sockets:
            _close(s)

    def _accept(self, listener: socket.socket) -> None:
        while self._listener is listener:
            try:
                client, _ = listener.accept()
            except TimeoutError:
                continue
            except OSError:
                return
            client.settimeout(None)
            try:
                server = socket.create_connection(self.upstream)
            except OSError:
                _close(client)
                continue
            with self._lock:
                self._sockets += [client, server]
            for a, b in ((client, server), (server, client)):
                threading.Thread(target=self._pump, args=(a, b), daemon=True).start()

    @staticmethod
    def _pump(src: socket.socket, dst: socket.socket) -> None:
        try:
            while data := src.recv(65536):
                dst.sendall(data)
        except OSError:
            pass
        finally:
            _close(src)
            _close(dst)


def _close(s: socket.socket) -> None:
    try:
        s.shutdown(socket.SHUT_RDWR)
    except OSError:
        pass
    s.close()


@pytest.mark.parametrize("database_url", ["postgresql"], indirect=True)
def test_database_outage_loses_nothing(
    git_repo: GitRepo, dbx: Db, stop_all: list[Watcher], caplog: pytest.LogCaptureFixture
) -> None:
    caplog.set_level(logging.DEBUG, logger="tracertm.watch")
    real = make_url(dbx.url)
    proxy = Proxy((real.host or "127.0.0.1", real.port or 5432))
    proxied = real.set(host="127.0.0.1", port=proxy.port).render_as_string(hide_password=False)
    git_repo.write(adr_path(1), adr(1, "Edited during the outage"))
    git_repo.write(adr_path(2), adr(2, "Deleted during the outage"))
    git_repo.write(adr_path(1), adr(1, "Before"))
    try:
        w = start(git_repo.path, proxied, retry_base=0.05, retry_cap=0.2)
        stop_all.append(w)
        assert dbx.live() == {adr_path(1): "Before", adr_path(2): "Deleted during the outage"}

        proxy.down()
        git_repo.write(adr_path(1), adr(1, "Edited during the outage"))
        git_repo.remove(adr_path(2))
        git_repo.write(adr_path(3), adr(3, "Created during the outage"))
        wait_for(lambda: w.stats.failures >= 3, what="several failed attempts")
        git_repo.write(adr_path(4), adr(4, "Created later in the outage"))
        wait_for(lambda: w.stats.failures >= 5, what="more failed attempts")
        assert dbx.live()[adr_path(1)] == "Before"  # nothing got through

        proxy.up()
        expected = {
            adr_path(1): "Edited during the outage",
            adr_path(3): "Created during the outage",
            adr_path(4): "Created later in the outage",
        }
        wait_for(lambda: dbx.live() == expected, what="pending changes after the outage")
        assert w._thread is not None and w._thread.is_alive()
        assert dbx.in_sync_with(git_repo.path)
        messages = [r.getMessage() for r in caplog.records if r.levelno >= logging.INFO]
        assert sum("database unavailable" in m for m in messages) == 1  # once per state change
        assert sum("available again" in m for m in messages) == 1

        git_repo.write(adr_path(5), adr(5, "After"))  # business as usual
        wait_for(lambda: adr_path(5) in dbx.live(), what="edit after the outage")
    finally:
        proxy.down()


def test_database_down_at_start_then_up(
    git_repo: GitRepo, sqlite_db: Db, stop_all: list[Watcher], tmp_path: Path
) -> None:
    """A database that cannot be opened yet (its folder is a file) is retried; nothing crashes."""
    blocker = tmp_path / "later"
    blocker.write_text("not a folder")
    url = f"sqlite:///{blocker / 'tracertm.db'}"
    git_repo.write(adr_path(1), adr(1, "Waiting"))
    w = Watcher([git_repo.path], database_url=url, debounce_ms=50, retry_base=0.05, retry_cap=0.2).start()
    stop_all.append(w)
    wait_for(lambda: w.stats.failures >= 2, what="failed attempts")
    blocker.unlink()
    blocker.mkdir()
    wait_for(lambda: w.stats.reconciles >= 1, what="the reconcile once the database is there")
    later = Db(url)
    try:
        assert later.live() == {adr_path(1): "Waiting"}
    finally:
        later.close()
