"""README (Stopping): "After Ctrl-C the command exits 0". ``tracertm serve`` printed its ready line while uvicorn
had not yet taken SIGINT over (the app was still being built): a Ctrl-C right after the line exited 130 with
``tracertm: interrupted``. The signal is sent the moment the line is read (no sleep: it lands in that window)."""

from __future__ import annotations

import os
import selectors
import signal
import subprocess
import sys
import time
from pathlib import Path

import pytest

STARTUP_S = 60.0


@pytest.mark.parametrize("workers", ["1", "2"])
def test_ctrl_c_right_after_the_ready_line_exits_0(tmp_path: Path, workers: str) -> None:
    proc = subprocess.Popen(
        [sys.executable, "-m", "tracertm", "serve", "--port", "0", "--workers", workers,
         "--database-url", f"sqlite:///{tmp_path / 'served.db'}"],
        stdout=subprocess.PIPE, stderr=subprocess.PIPE, text=True, cwd=tmp_path,
        env={**os.environ, "PYTHONUNBUFFERED": "1"},
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
        proc.send_signal(signal.SIGINT)
        assert line.startswith("tracertm web view on http://127.0.0.1:"), line
        _, err = proc.communicate(timeout=30)
    finally:
        if proc.poll() is None:
            proc.kill()
            proc.communicate()
    assert proc.returncode == 0, err
    assert "interrupted" not in err and "Traceback" not in err, err
