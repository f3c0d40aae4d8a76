"""``tracertm serve --port 0`` printed ``http://127.0.0.1:0/`` as the address it serves: uvicorn bound a port of its
own choosing after the line was printed. The socket is now bound (and listening) before the line is printed, and
uvicorn serves that socket, in one process or in each ``--workers`` process."""

from __future__ import annotations

import os
import re
import selectors
import signal
import subprocess
import sys
import time
from pathlib import Path

import httpx
import pytest

STARTUP_S = 60.0


def _first_line(proc: subprocess.Popen[str]) -> str:
    """The first line the server prints on stdout, waited for until it comes, the process ends, or a deadline."""
    assert proc.stdout is not None
    deadline = time.monotonic() + STARTUP_S
    with selectors.DefaultSelector() as selector:
        selector.register(proc.stdout, selectors.EVENT_READ)
        while not selector.select(timeout=max(0.0, deadline - time.monotonic())):
            if time.monotonic() >= deadline:
                pytest.fail(f"tracertm serve printed nothing within {STARTUP_S}s")
    return proc.stdout.readline()


@pytest.mark.parametrize("workers", ["1", "2"])
def test_serve_on_port_0_prints_the_port_it_listens_on(tmp_path: Path, workers: str) -> None:
    log = tmp_path / "serve.log"
    with log.open("w") as stderr:
        proc = subprocess.Popen(
            [sys.executable, "-m", "tracertm", "serve", "--port", "0", "--workers", workers,
             "--database-url", f"sqlite:///{tmp_path / 'served.db'}"],
            stdout=subprocess.PIPE, stderr=stderr, text=True, cwd=tmp_path,
            env={**os.environ, "PYTHONUNBUFFERED": "1"}, start_new_session=True,
        )
    try:
        line = _first_line(proc)
        found = re.search(r"web view on (http://127\.0\.0\.1:(\d+))/ and API on (\S+) ", line)
        assert found, (line, log.read_text())
        base, port, api = found.group(1), int(found.group(2)), found.group(3)
        assert port != 0 and api == f"{base}/api/v1", line
        # The socket listens before the line is printed: the request waits for the app, it is not refused.
        answer = httpx.get(f"{api}/healthz", timeout=STARTUP_S)
        assert answer.status_code == 200 and answer.json()["status"] == "ok", answer.text
    finally:
        proc.send_signal(signal.SIGINT)
        try:
            proc.wait(timeout=20)
        except subprocess.TimeoutExpired:  # the whole group: its --workers processes too
            os.killpg(proc.pid, signal.SIGKILL)
            proc.wait()
        if proc.stdout is not None:
            proc.stdout.close()
    assert proc.returncode == 0, log.read_text()
