"""README (Stopping): "After Ctrl-C the command exits 0". ``tracertm serve`` printed its ready line while uvicorn
had not yet taken SIGINT over (the app was still being built): a Ctrl-C right after the line exited 130 with
``tracertm: interrupted``. With ``--workers`` the line came before uvicorn's supervisor took the signals over: a
Ctrl-C there landed inside uvicorn's set-up (exit 3, "cannot release un-acquired lock"), or was lost and the server
ran on (killed, its workers were left serving). The signal is sent the moment the line is read (no sleep: it lands
in that window)."""

from __future__ import annotations

import contextlib
import os
import selectors
import signal
import subprocess
import sys
import time
from pathlib import Path

import pytest

STARTUP_S = 60.0


def _caught(pid: int) -> set[int] | None:
    """The signals a process has a handler for (Linux's ``/proc/PID/status``, ``SigCgt``); None elsewhere."""
    try:
        status = Path(f"/proc/{pid}/status").read_text()
    except OSError:
        return None
    mask = int(next(line for line in status.splitlines() if line.startswith("SigCgt:")).split()[1], 16)
    return {n for n in range(1, 65) if mask >> (n - 1) & 1}


@pytest.mark.parametrize("workers", ["1", "2"])
def test_ctrl_c_right_after_the_ready_line_exits_0(tmp_path: Path, workers: str) -> None:
    proc = subprocess.Popen(
        [sys.executable, "-m", "tracertm", "serve", "--port", "0", "--workers", workers,
         "--database-url", f"sqlite:///{tmp_path / 'served.db'}"],
        stdout=subprocess.PIPE, stderr=subprocess.PIPE, text=True, cwd=tmp_path,
        env={**os.environ, "PYTHONUNBUFFERED": "1"}, start_new_session=True,
    )
    assert proc.stdout is not None
    try:
        deadline = time.monotonic() + STARTUP_S
        with selectors.DefaultSelector() as selector:
            selector.register(proc.stdout, selectors.EVENT_READ)
            while not selector.select(timeout=max(0.0, deadline - time.monotonic())):
                if time.monotonic() >= deadline:
                    pytest.fail(f"tracertm serve printed nothing within {STARTUP_S}s")
        line = proc.stdout.readline()
        caught = _caught(proc.pid)
        proc.send_signal(signal.SIGINT)
        assert line.startswith("tracertm web view on http://127.0.0.1:"), line
        _, err = proc.communicate(timeout=30)
    finally:
        # The whole group: a server that hangs must not leave its --workers processes behind (they hold the pipes).
        hung = proc.poll() is None
        with contextlib.suppress(ProcessLookupError):
            os.killpg(proc.pid, signal.SIGKILL)
        if hung:
            proc.communicate()
    assert proc.returncode == 0, err
    # The window itself, not only its chance outcome: when the line is out, uvicorn handles SIGTERM (Python alone
    # leaves it at the default action) — in the server, or in the --workers supervisor.
    assert caught is None or signal.SIGTERM in caught, (caught, err)
    assert "interrupted" not in err and "Traceback" not in err, err
