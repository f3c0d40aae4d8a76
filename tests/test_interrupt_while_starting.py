"""A Ctrl-C while ``tracertm`` starts (the first tens of milliseconds, its imports, before the command's own handler
exists) is the one line every interrupted command prints and exit 130 — it was a KeyboardInterrupt traceback, under
``python -m tracertm`` and under the console script an installer writes. The SIGINT is real, sent by the process to
itself when a given module is looked up, so that it lands in the import every time (no timing)."""

from __future__ import annotations

import os
import signal
import subprocess
import sys
import tomllib
from pathlib import Path

import pytest

REPO_ROOT = Path(__file__).resolve().parents[1]

# Installed first, before anything of tracertm's is imported. ``IN_AN_EXEC`` sends the signal from a string exec,
# as when it lands while an import builds a dataclass or a namedtuple (their code is a string exec).
INTERRUPT_AT = """
import os, signal, sys
AT, IN_AN_EXEC = {at!r}, {in_an_exec!r}
class Interrupt:
    def find_spec(self, name, path=None, target=None):
        if name == AT:
            sys.meta_path.remove(self)
            if IN_AN_EXEC:
                exec("os.kill(os.getpid(), signal.SIGINT)\\nfor _ in range(9): pass", {{"os": os, "signal": signal}})
            else:
                os.kill(os.getpid(), signal.SIGINT)
        return None
sys.meta_path.insert(0, Interrupt())
sys.argv = ["tracertm", "--version"]
"""

# ``python -m tracertm``, run itself by ``python -m`` (a SystemExit leaves Python the way it leaves ``-m``)
RUN_MODULE = """
import runpy
runpy.run_module("tracertm", run_name="__main__", alter_sys=True)
"""


def console_script() -> str:
    """The script pip writes for pyproject's ``tracertm`` entry point (pip's own template)."""
    entry = tomllib.loads((REPO_ROOT / "pyproject.toml").read_text())["project"]["scripts"]["tracertm"]
    module, function = entry.split(":")
    return (
        f"import sys\nfrom {module} import {function}\nif __name__ == '__main__':\n"
        f"    sys.argv[0] = sys.argv[0].removesuffix('.exe')\n    sys.exit({function}())\n"
    )


# Python only installs its Ctrl-C handler when SIGINT is at its default action: a process started by one that
# ignores SIGINT (the suite run as a background job of a script, ``cmd &``, or under nohup) inherits the ignore,
# the signal sent below is lost and ``--version`` exits 0. The command starts as a terminal's foreground command
# does, SIGINT at its default, whatever the suite inherited: this exec (no preexec_fn, unsafe in a process with
# threads, as an xdist worker is).
AS_FROM_A_TERMINAL = (
    "import os, signal, sys; signal.signal(signal.SIGINT, signal.SIG_DFL); os.execv(sys.executable, sys.argv[1:])"
)


def start(tmp_path: Path, way: str, at: str, in_an_exec: bool = False) -> subprocess.CompletedProcess[str]:
    """Run ``tracertm --version`` started ``way``, interrupted when ``at`` is imported."""
    started = RUN_MODULE if way == "python -m" else console_script()
    script = tmp_path / "launch.py"
    script.write_text(INTERRUPT_AT.format(at=at, in_an_exec=in_an_exec) + started)
    env = dict(os.environ, PYTHONPATH=os.pathsep.join([str(tmp_path), os.environ.get("PYTHONPATH", "")]))
    argv = [sys.executable, "-m", "launch"] if way == "python -m" else [sys.executable, str(script)]
    return subprocess.run([sys.executable, "-c", AS_FROM_A_TERMINAL, *argv], capture_output=True, text=True,
                          timeout=60, env=env)


@pytest.mark.parametrize("way", ["python -m", "console script"])
@pytest.mark.parametrize("at", ["typing", "tracertm.cli", "tracertm.cli.stdout"])
def test_ctrl_c_while_the_command_line_is_imported(tmp_path: Path, way: str, at: str) -> None:
    done = start(tmp_path, way, at)
    assert (done.returncode, done.stderr, done.stdout) == (130, "tracertm: interrupted\n", "")


@pytest.mark.parametrize("way", ["python -m", "console script"])
def test_ctrl_c_inside_a_string_exec_of_the_import_still_exits_130(tmp_path: Path, way: str) -> None:
    # CPython notes such an interrupt as unhandled, even once caught, and ended ``python -m`` by SIGINT.
    done = start(tmp_path, way, "tracertm.cli", in_an_exec=True)
    assert (done.returncode, done.stderr, done.stdout) == (130, "tracertm: interrupted\n", "")


def test_the_interrupt_lands_when_the_tests_run_with_sigint_ignored(tmp_path: Path) -> None:
    # The suite started in the background (a script's ``pytest &``, nohup) ignores SIGINT, and so would every
    # command these tests start: the tests above then saw ``tracertm 0.1.0`` and exit 0, the signal lost.
    ignored = signal.signal(signal.SIGINT, signal.SIG_IGN)
    try:
        done = start(tmp_path, "console script", "tracertm.cli")
    finally:
        signal.signal(signal.SIGINT, ignored)
    assert (done.returncode, done.stderr, done.stdout) == (130, "tracertm: interrupted\n", "")


def test_the_package_imports_nothing_before_the_guard() -> None:
    # What ``import tracertm`` runs is outside any handler of ours (the installer's script, runpy): it stays a few
    # statements, not typing's import (7 ms).
    probe = "import sys; before = set(sys.modules); import tracertm; print(sorted(set(sys.modules) - before))"
    done = subprocess.run([sys.executable, "-c", probe], capture_output=True, text=True, timeout=60, check=True)
    assert done.stdout == "['__future__', 'tracertm', 'tracertm._version']\n"
