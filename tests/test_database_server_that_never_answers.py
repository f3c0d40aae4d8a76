"""A PostgreSQL server that accepts the connection and never answers (stuck, or a proxy or load balancer in front of
a dead one): a command gives up after the connection timeout with one line, exit 2, instead of waiting forever — a
CI job or a git hook that never ended. A ``connect_timeout`` in the URL's query is the user's and is kept. A real
TCP server that accepts and says nothing; a real ``tracertm`` process."""

from __future__ import annotations

import os
import socket
import subprocess
import sys
import threading
import time
from collections.abc import Iterator
from pathlib import Path

import pytest

import tracertm
from conftest import GitRepo, run_cli
from specs import adr
from tracertm.db.engines import PG_CONNECT_TIMEOUT_S


@pytest.fixture
def silent_port(silent_server: tuple[int, list[socket.socket]]) -> int:
    return silent_server[0]


@pytest.fixture
def silent_server() -> Iterator[tuple[int, list[socket.socket]]]:
    """A TCP port whose server accepts every connection and never sends a byte, and the connections it accepted;
    closed (so that a client still waiting gets end of file) when the test ends, whatever happened."""
    server = socket.create_server(("127.0.0.1", 0))
    accepted: list[socket.socket] = []
    done = threading.Event()

    def serve() -> None:
        while not done.is_set():
            try:
                conn, _ = server.accept()
            except OSError:  # closed
                return
            accepted.append(conn)

    thread = threading.Thread(target=serve, daemon=True)
    thread.start()
    try:
        yield server.getsockname()[1], accepted
    finally:
        done.set()
        try:
            server.shutdown(socket.SHUT_RDWR)  # wakes the accept (closing alone does not, on Linux)
        except OSError:
            pass
        server.close()
        for conn in accepted:
            conn.close()
        thread.join(timeout=5)


@pytest.mark.parametrize("verb", [["sync"], ["hook", "sync"]])
def test_sync_gives_up_on_a_server_that_never_answers(
        git_repo: GitRepo, silent_server: tuple[int, list[socket.socket]], verb: list[str]) -> None:
    """After one connection timeout: the no-op fast path's connection timing out is the engine's error, not a
    reason to let the engine wait as long again."""
    silent_port, accepted = silent_server
    git_repo.write("docs/adr/0001-use-git.md", adr(1, "Use git"))
    git_repo.commit("seed")
    url = f"postgresql+psycopg://ci:secret@127.0.0.1:{silent_port}/specs"
    source = str(Path(tracertm.__file__).resolve().parents[1])  # this checkout's sources, whatever the current folder
    env = {**os.environ, "PYTHONPATH": source, "TRACERTM_DATABASE_URL": url}
    started = time.monotonic()
    done = subprocess.run([sys.executable, "-m", "tracertm", *verb], cwd=git_repo.path, env=env,
                          capture_output=True, text=True, timeout=PG_CONNECT_TIMEOUT_S + 40, check=False)
    took = time.monotonic() - started
    line = (f"cannot use database postgresql+psycopg://ci:***@127.0.0.1:{silent_port}/specs: connection timeout "
            "expired; check TRACERTM_DATABASE_URL\n")
    if verb == ["sync"]:
        assert (done.returncode, done.stderr) == (2, f"tracertm: error: {line}")
    else:  # a hook never fails the git command it runs in
        assert (done.returncode, done.stderr) == (0, f"tracertm: hook sync skipped: {line}")
    assert len(accepted) == 1  # one connection waited for, not the fast path's and then the engine's
    assert PG_CONNECT_TIMEOUT_S <= took < PG_CONNECT_TIMEOUT_S + 30


def test_a_connect_timeout_in_the_url_is_kept(
        silent_port: int, tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.chdir(tmp_path)  # outside any repository: the default database is not looked at
    url = f"postgresql+psycopg://ci@127.0.0.1:{silent_port}/specs?connect_timeout=1"
    started = time.monotonic()
    done = run_cli("db", "current", "--database-url", url)
    assert time.monotonic() - started < PG_CONNECT_TIMEOUT_S  # its 1 s, not the default
    assert done.returncode == 2 and done.stderr.endswith(": connection timeout expired; check --database-url\n"), \
        done.stderr


def test_a_sync_keeps_the_urls_connect_timeout_in_its_fast_path_too(git_repo: GitRepo, silent_port: int) -> None:
    """The no-op fast path (``tracertm.fastpath``) connects with psycopg itself: it waited its own 10 s before the
    full sync waited the URL's ``connect_timeout``."""
    git_repo.write("docs/adr/0001-use-git.md", adr(1, "Use git"))
    git_repo.commit("seed")
    url = f"postgresql+psycopg://ci@127.0.0.1:{silent_port}/specs?connect_timeout=1"
    source = str(Path(tracertm.__file__).resolve().parents[1])
    env = {**os.environ, "PYTHONPATH": source, "TRACERTM_DATABASE_URL": url}
    started = time.monotonic()
    done = subprocess.run([sys.executable, "-m", "tracertm", "sync"], cwd=git_repo.path, env=env,
                          capture_output=True, text=True, timeout=PG_CONNECT_TIMEOUT_S + 40, check=False)
    assert done.returncode == 2 and "connection timeout expired" in done.stderr, done.stderr
    assert time.monotonic() - started < PG_CONNECT_TIMEOUT_S  # the URL's 1 s, twice at most: not 10 s
