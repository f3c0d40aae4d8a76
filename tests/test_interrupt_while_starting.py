"""A Ctrl-C while ``python -m tracertm`` imports its command line (the first tens of milliseconds, before the
command's own handler exists) is the one line every interrupted command prints and exit 130 — it was a
KeyboardInterrupt traceback. The interrupt is raised from the import itself, not timed with a signal."""

from __future__ import annotations

import subprocess
import sys

INTERRUPT_THE_IMPORT = """
import runpy, sys
class Interrupt:
    def find_spec(self, name, path=None, target=None):
        if name == "tracertm.cli":
            raise KeyboardInterrupt
        return None
sys.meta_path.insert(0, Interrupt())
sys.argv = ["tracertm", "--version"]
runpy.run_module("tracertm", run_name="__main__", alter_sys=True)
"""


def test_ctrl_c_while_the_command_line_is_imported() -> None:
    done = subprocess.run([sys.executable, "-c", INTERRUPT_THE_IMPORT], capture_output=True, text=True, timeout=60)
    assert (done.returncode, done.stderr, done.stdout) == (130, "tracertm: interrupted\n", "")
