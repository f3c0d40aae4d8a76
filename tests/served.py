"""A real ``tracertm serve`` on a free loopback port for tests: started, waited for (its health endpoint answers),
and stopped when the ``with`` block ends, even when the test fails.

By default the server runs in a thread of the test's process: the command's own options, settings, socket and
uvicorn server, reached over TCP, without a new interpreter's imports and app (2-3 s of CPU each, most of what
a served test cost). ``process=True`` (and ``--workers``) starts the ``tracertm serve`` command itself, stopped with
SIGINT (killed if it hangs): for a test of the command, its log or its worker processes."""

from __future__ import annotations

import os
import re
import signal
import subprocess
import sys
import threading
import time
from collections.abc import Callable, Iterator
from contextlib import contextmanager
from pathlib import Path

import httpx
import pytest

STARTUP_S = 60.0

# The first line ``serve`` prints once its socket listens: the address it bound.
READY = re.compile(r"^tracertm web view on (http://127\.0\.0\.1:[1-9]\d*)/ and API on ", re.MULTILINE)


def _bound_address(proc: subprocess.Popen[bytes], log_path: Path) -> str:
    """The base URL of the server's ready line in its log, waited for until it is printed, the process ends, or a
    deadline (only a bound on a failure)."""
    deadline = time.monotonic() + STARTUP_S
    while True:
        found = READY.search(log_path.read_text(errors="replace"))
        if found:
            return found.group(1)
        if proc.poll() is not None:
            pytest.fail(f"tracertm serve exited with {proc.returncode}: {log_path.read_text()}")
        if time.monotonic() > deadline:
            pytest.fail(f"tracertm serve printed no ready line within {STARTUP_S}s: {log_path.read_text()}")
        time.sleep(0.05)  # polling interval, not a guess at how long start-up takes


@contextmanager
def serve(database_url: str, repo: Path, log_path: Path, *extra: str, process: bool = False) -> Iterator[str]:
    """``tracertm serve --port 0 --database-url URL --path REPO EXTRA...``; yields its base URL. In a thread of this
    process unless ``process`` or ``--workers`` (then ``log_path`` holds the command's output)."""
    argv = ["serve", "--port", "0", "--database-url", database_url, "--path", str(repo), *extra]
    if process or "--workers" in extra:
        with _process(argv, log_path) as base:
            yield base
    else:
        with _thread(argv, log_path) as base:
            yield base


def _healthy(base: str, log: Callable[[], str]) -> None:
    """Wait for the health endpoint: the socket listens before the app has started, so this request waits for the
    app, it is not refused."""
    try:
        health = httpx.get(f"{base}/api/v1/healthz", timeout=STARTUP_S)
    except httpx.TransportError as exc:
        pytest.fail(f"tracertm serve did not answer within {STARTUP_S}s ({exc!r}): {log()}")
    assert health.status_code == 200, (health.status_code, health.text, log())


@contextmanager
def _thread(argv: list[str], log_path: Path) -> Iterator[str]:
    """The server in a thread; what it logs (uvicorn's lines, a traceback) is written to ``log_path`` too."""
    import logging

    import uvicorn

    from tracertm.api.app import create_app
    from tracertm.cli import build_parser
    from tracertm.cli import serve as command

    args = build_parser().parse_args(argv)
    sock = command._listen(args.host, args.port)
    log = logging.FileHandler(log_path, encoding="utf-8")
    log.setFormatter(logging.Formatter("%(levelname)s %(name)s: %(message)s"))
    logging.getLogger().addHandler(log)
    try:
        settings, options, _ = command.prepare(args, sock)
        # No log configuration: uvicorn's would replace this process's logging for the rest of the session.
        server = uvicorn.Server(uvicorn.Config(create_app(settings), **options, log_config=None))
        failure: list[BaseException] = []

        def run() -> None:
            try:
                server.run()  # not the main thread: uvicorn leaves signals alone
            except BaseException as exc:  # shown by the test, not lost in the thread
                failure.append(exc)

        thread = threading.Thread(target=run, name="tracertm serve", daemon=True)
        thread.start()
        try:
            base = command.base_url(sock)
            _healthy(base, lambda: f"{failure!r} {log_path.read_text()}")
            yield base
        finally:
            server.should_exit = True
            thread.join(timeout=30)
            assert not thread.is_alive(), "the served thread did not stop within 30 s"
        assert not failure, failure
    finally:
        logging.getLogger().removeHandler(log)
        log.close()
        sock.close()


@contextmanager
def _process(argv: list[str], log_path: Path) -> Iterator[str]:
    with log_path.open("w") as log:
        # --port 0: the server binds a port the system picks and prints it. A port picked here and passed on was
        # free only when picked: another test's server (or a client's ephemeral port) could take it before this
        # server bound it, and then this one exited "in use", or the health check was answered by the other one.
        proc = subprocess.Popen(
            [sys.executable, "-m", "tracertm", *argv],
            stdout=log, stderr=subprocess.STDOUT, env={**os.environ, "PYTHONUNBUFFERED": "1"},
            start_new_session=True,  # its own group: one that hangs is killed with its --workers processes
        )
        try:
            base = _bound_address(proc, log_path)
            _healthy(base, log_path.read_text)
            yield base
        finally:
            proc.send_signal(signal.SIGINT)
            try:
                proc.wait(timeout=20)
            except subprocess.TimeoutExpired:
                os.killpg(proc.pid, signal.SIGKILL)
                proc.wait()
