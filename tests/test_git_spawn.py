"""``tracertm.git.spawn``: git started without the subprocess module (the hook paths) behaves as subprocess did —
both implementations (``posix_spawnp``, and the ``subprocess.Popen`` wrapper used where it is missing)."""

from __future__ import annotations

import os
import sys
import time
from pathlib import Path

import pytest

from tracertm.git import spawn as spawn_module
from tracertm.git.spawn import spawn


@pytest.fixture(params=["posix_spawn", "popen"])
def impl(request: pytest.FixtureRequest, monkeypatch: pytest.MonkeyPatch) -> str:
    if request.param == "popen":
        monkeypatch.delattr(os, "posix_spawnp")
    return str(request.param)


def _python(code: str) -> list[str]:
    return [sys.executable, "-c", code]


def test_output_and_errors_both_large_never_deadlock(impl: str) -> None:
    # Far more than a pipe holds on each stream, interleaved: reading one to its end first would hang.
    code = "import sys\nfor i in range(2000):\n sys.stdout.write('o' * 500 + '\\n'); sys.stderr.write('e' * 500 + '\\n')\n"
    child = spawn(_python(code), dict(os.environ))
    out, err = child.communicate()
    assert out == (b"o" * 500 + b"\n") * 2000 and err == (b"e" * 500 + b"\n") * 2000
    assert child.returncode == 0


def test_exit_status_stderr_devnull_and_environment(impl: str) -> None:
    code = "import os, sys\nprint(os.environ['TRACERTM_SPAWN_TEST']); sys.stderr.write('noise'); sys.exit(3)"
    child = spawn(_python(code), {**os.environ, "TRACERTM_SPAWN_TEST": "seen"}, stderr="devnull")
    out, err = child.communicate()
    assert (out, err, child.returncode) == (b"seen\n", b"", 3)


def test_a_missing_program_raises_file_not_found(impl: str) -> None:
    with pytest.raises(FileNotFoundError):
        spawn(["tracertm-no-such-program-here"], dict(os.environ))


def test_request_answer_pipes_bounded_wait_and_kill(impl: str) -> None:
    child = spawn(_python("import sys\nfor line in sys.stdin:\n print(line.strip().upper(), flush=True)"),
                  dict(os.environ), stdin=True, pipes=True)
    assert child.stdin is not None and child.stdout is not None
    child.stdin.write(b"abc\n")
    child.stdin.flush()
    assert child.stdout.readline() == b"ABC\n"
    started = time.monotonic()
    assert child.wait(0.2) is None and child.poll() is None, "still reading its input"
    assert time.monotonic() - started < 5
    child.kill()
    assert child.wait(5) == -9 and child.returncode == -9
    child.close_pipes()
    child.close_pipes()  # idempotent
    assert not Path(f"/proc/{child.pid}").exists(), "reaped"


def test_closing_input_ends_the_child(impl: str) -> None:
    child = spawn(_python("import sys\nsys.stdin.read()"), dict(os.environ), stdin=True, pipes=True)
    assert child.stdin is not None
    child.stdin.close()
    assert child.wait(10) == 0
    child.close_pipes()


def test_no_descriptor_of_ours_leaks_into_the_child(impl: str, tmp_path: Path) -> None:
    with open(tmp_path / "held", "wb") as held:
        fd = held.fileno()
        child = spawn(_python(f"import os\nprint(os.path.exists('/proc/self/fd/{fd}'))"), dict(os.environ))
        out, _ = child.communicate()
    assert out == b"False\n"


def test_a_closed_standard_descriptor_falls_back_to_popen(monkeypatch: pytest.MonkeyPatch) -> None:
    started: list[str] = []
    monkeypatch.setattr(spawn_module._Popen, "__init__", _recording(spawn_module._Popen.__init__, started))
    saved = os.dup(0)
    os.close(0)  # the next pipe would be 0: its duplication onto the child's 0..2 would clash
    try:
        child = spawn(_python("print('ok')"), dict(os.environ))
        out, _ = child.communicate()
    finally:
        os.dup2(saved, 0)
        os.close(saved)
    assert out == b"ok\n" and started == ["popen"]


def _recording(init, started):  # type: ignore[no-untyped-def]
    def wrapped(self, *args, **kwargs):  # type: ignore[no-untyped-def]
        started.append("popen")
        init(self, *args, **kwargs)
    return wrapped
