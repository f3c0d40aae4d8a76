"""A real ``tracertm serve`` on a free loopback port for tests: started, waited for (its health endpoint answers),
and stopped with SIGINT (killed if it hangs) when the ``with`` block ends, even when the test fails."""

from __future__ import annotations

import os
import re
import signal
import subprocess
import sys
import time
from collections.abc import Iterator
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
def serve(database_url: str, repo: Path, log_path: Path, *extra: str) -> Iterator[str]:
    """Run ``tracertm serve --database-url URL --path REPO EXTRA...``; yields its base URL."""
    with log_path.open("w") as log:
        # --port 0: the server binds a port the system picks and prints it. A port picked here and passed on was
        # free only when picked: another test's server (or a client's ephemeral port) could take it before this
        # server bound it, and then this one exited "in use", or the health check was answered by the other one.
        proc = subprocess.Popen(
            [sys.executable, "-m", "tracertm", "serve", "--port", "0", "--database-url", database_url,
             "--path", str(repo), *extra],
            stdout=log, stderr=subprocess.STDOUT, env={**os.environ, "PYTHONUNBUFFERED": "1"},
            start_new_session=True,  # its own group: one that hangs is killed with its --workers processes
        )
        try:
            base = _bound_address(proc, log_path)
            # The socket listens before the line is printed: this request waits for the app, it is not refused.
            try:
                health = httpx.get(f"{base}/api/v1/healthz", timeout=STARTUP_S)
            except httpx.TransportError as exc:
                pytest.fail(f"tracertm serve did not answer within {STARTUP_S}s ({exc!r}): {log_path.read_text()}")
            assert health.status_code == 200, (health.status_code, health.text, log_path.read_text())
            yield base
        finally:
            proc.send_signal(signal.SIGINT)
            try:
                proc.wait(timeout=20)
            except subprocess.TimeoutExpired:
                os.killpg(proc.pid, signal.SIGKILL)
                proc.wait()
