"""A PostgreSQL server that goes away while a sync copies its rows in (``COPY ... FROM STDIN``, which runs beneath
SQLAlchemy): the line says the connection was lost and to run the sync again, nothing is written, and the next sync
succeeds. The driver's error used to reach the rollback unwrapped: the rollback failed in turn on the dead
connection ("the connection is lost") and hid it, and the line read "cannot use database …; check
--database-url".

The server is cut off by a real TCP proxy between tracertm and PostgreSQL, which reads the client's protocol
messages and closes both sides instead of forwarding the n-th ``CopyDone``: every ``COPY`` of the sync is cut in
turn, until a sync runs through."""

from __future__ import annotations

import socket
import struct
import threading
from collections.abc import Iterator

import pytest
from sqlalchemy import create_engine, text
from sqlalchemy.engine import make_url

from conftest import GitRepo, run_cli
from sample import SAMPLE_REPO

postgresql_only = pytest.mark.parametrize("database_url", ["postgresql"], indirect=True)

_SSL_REQUEST, _GSS_REQUEST = 80877103, 80877104


class CopyCutter:
    """A TCP proxy to ``target`` that ends every connection it carries once a client sends its ``cut_at``-th
    ``CopyDone`` (counted over all connections), without forwarding it."""

    def __init__(self, target: tuple[str, int], cut_at: int) -> None:
        self.target, self.cut_at, self.copies, self.cut = target, cut_at, 0, False
        self.server = socket.create_server(("127.0.0.1", 0))
        self.port = self.server.getsockname()[1]
        self.sockets: list[socket.socket] = []
        self.lock = threading.Lock()
        self.threads = [threading.Thread(target=self._accept, daemon=True)]
        self.threads[0].start()

    def _accept(self) -> None:
        while True:
            try:
                client, _ = self.server.accept()
            except OSError:  # closed
                return
            upstream = socket.create_connection(self.target)
            with self.lock:
                self.sockets += [client, upstream]
            for source, sink, parse in ((client, upstream, True), (upstream, client, False)):
                thread = threading.Thread(target=self._pump, args=(source, sink, parse), daemon=True)
                thread.start()
                self.threads.append(thread)

    def _pump(self, source: socket.socket, sink: socket.socket, parse: bool) -> None:
        buffer, started = b"", False
        try:
            while data := source.recv(65536):
                if not parse:
                    sink.sendall(data)
                    continue
                buffer += data
                while True:  # forward whole messages: untyped ones until the startup message, then typed ones
                    if not started:
                        if len(buffer) < 8:
                            break
                        length, code = struct.unpack("!ii", buffer[:8])
                        started = code not in (_SSL_REQUEST, _GSS_REQUEST)
                        size, kind = length, b""
                    else:
                        if len(buffer) < 5:
                            break
                        kind, size = buffer[:1], struct.unpack("!i", buffer[1:5])[0] + 1
                    if len(buffer) < size:
                        break
                    if kind == b"c":  # CopyDone
                        with self.lock:
                            self.copies += 1
                            if self.copies == self.cut_at:
                                self.cut = True
                        if self.cut:
                            self.close_all()
                            return
                    sink.sendall(buffer[:size])
                    buffer = buffer[size:]
        except OSError:
            pass
        for end in (source, sink):
            end.close()

    def close_all(self) -> None:
        with self.lock:
            for sock in self.sockets:
                try:
                    sock.shutdown(socket.SHUT_RDWR)
                except OSError:
                    pass
                sock.close()

    def stop(self) -> None:
        try:
            self.server.shutdown(socket.SHUT_RDWR)  # wakes the accept (closing alone does not, on Linux)
        except OSError:
            pass
        self.server.close()
        self.close_all()
        for thread in self.threads:
            thread.join(timeout=5)


@pytest.fixture
def proxies() -> Iterator[list[CopyCutter]]:
    made: list[CopyCutter] = []
    try:
        yield made
    finally:
        for proxy in made:
            proxy.stop()


def _count(url: str, sql: str) -> int:
    engine = create_engine(url)
    try:
        with engine.connect() as conn:
            return int(conn.execute(text(sql)).scalar_one())
    finally:
        engine.dispose()


@postgresql_only
def test_every_copy_cut_off_is_a_lost_connection_and_writes_nothing(
        git_repo: GitRepo, database_url: str, proxies: list[CopyCutter]) -> None:
    import shutil

    shutil.copytree(SAMPLE_REPO, git_repo.path, dirs_exist_ok=True)
    git_repo.commit("sample")
    url = make_url(database_url)
    target = (url.host or "127.0.0.1", url.port or 5432)
    lines = []
    for cut_at in range(1, 200):
        proxy = CopyCutter(target, cut_at)
        proxies.append(proxy)
        through = url.set(host="127.0.0.1", port=proxy.port, query={"sslmode": "disable"})
        done = run_cli("sync", str(git_repo.path), "--database-url", through.render_as_string(hide_password=False))
        proxy.stop()
        if not proxy.cut:  # fewer COPYs than cut_at: this sync ran through
            assert done.returncode == 0, (cut_at, done.stderr)
            break
        lines.append(done.stderr)
        assert done.returncode == 2, (cut_at, done.returncode, done.stderr)
        assert done.stderr.count("\n") == 1 and done.stderr.startswith("tracertm: error: lost the connection to "), \
            (cut_at, done.stderr)
        assert done.stderr.rstrip().endswith("run it again"), (cut_at, done.stderr)
        written = _count(database_url, "SELECT count(*) FROM adrs")
        assert written == 0, (cut_at, written)  # nothing of the sync was written
    assert len(lines) > 1, "the sync copied (almost) nothing: the test cut (almost) nothing"
    assert _count(database_url, "SELECT count(*) FROM adrs") == 8, lines
    # Each cut run was marked failed (by itself, on a new connection, or by the sync that ran through).
    assert _count(database_url, "SELECT count(*) FROM sync_runs WHERE status = 'running'") == 0, lines
