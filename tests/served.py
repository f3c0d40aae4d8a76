"""A real ``tracertm serve`` on a free loopback port for tests: started, waited for (its health endpoint answers),
and stopped with SIGINT (killed if it hangs) when the ``with`` block ends, even when the test fails."""

from __future__ import annotations

import os
import signal
import socket
import subprocess
import sys
import time
from collections.abc import Iterator
from contextlib import contextmanager
from pathlib import Path

import httpx
import pytest

STARTUP_S = 60.0


def free_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return int(s.getsockname()[1])


@contextmanager
def serve(database_url: str, repo: Path, log_path: Path, *extra: str) -> Iterator[str]:
    """Run ``tracertm serve --database-url URL --path REPO EXTRA...``; yields its base URL."""
    port = free_port()
    with log_path.open("w") as log:
        proc = subprocess.Popen(
            [sys.executable, "-m", "tracertm", "serve", "--port", str(port), "--database-url", database_url,
             "--path", str(repo), *extra],
            stdout=log, stderr=subprocess.STDOUT, env={**os.environ, "PYTHONUNBUFFERED": "1"},
            start_new_session=True,  # its own group: one that hangs is killed with its --workers processes
        )
        base = f"http://127.0.0.1:{port}"
        try:
            deadline = time.monotonic() + STARTUP_S
            # One client for every poll: each new one loads the CA certificates (~30 ms of CPU, taken from the
            # server starting up beside it).
            with httpx.Client(timeout=2) as poll:
                while True:
                    if proc.poll() is not None:
                        pytest.fail(f"tracertm serve exited with {proc.returncode}: {log_path.read_text()}")
                    try:
                        if poll.get(f"{base}/api/v1/healthz").status_code == 200:
                            break
                    except httpx.TransportError:
                        pass
                    if time.monotonic() > deadline:
                        pytest.fail(f"tracertm serve did not answer within {STARTUP_S}s")
                    time.sleep(0.05)  # polling interval, not a guess at how long start-up takes
            yield base
        finally:
            proc.send_signal(signal.SIGINT)
            try:
                proc.wait(timeout=20)
            except subprocess.TimeoutExpired:
                os.killpg(proc.pid, signal.SIGKILL)
                proc.wait()
