"""The public API: tracertm.sync/check/backfill/watch are plain functions, imported lazily, whatever was imported first."""

from __future__ import annotations

import subprocess
import sys
from pathlib import Path

from conftest import GitRepo
from specs import adr


def test_public_functions_work_whatever_was_imported_first(git_repo: GitRepo, tmp_path: Path) -> None:
    git_repo.write("docs/adr/0001-a.md", adr(1, "A"))
    git_repo.commit("a")
    url = f"sqlite:///{tmp_path / 'api.db'}"
    code = f"""
import tracertm.engine.sync, tracertm.checker, tracertm.history.backfill, tracertm.watcher  # submodules first
import inspect, tracertm
assert all(inspect.isfunction(getattr(tracertm, n)) for n in ("sync", "check", "backfill", "watch"))
print(tracertm.check({str(git_repo.path)!r}).ok)
print(tracertm.sync({str(git_repo.path)!r}, database_url={url!r}).counts["adr"]["created"])
print(tracertm.backfill({str(git_repo.path)!r}, database_url={url!r}).commits)
"""
    out = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True, check=True).stdout.split()
    assert out == ["True", "1", "1"]


def test_import_tracertm_is_cheap() -> None:
    code = "import sys, tracertm; print(sorted(m for m in sys.modules if m.startswith(('tracertm', 'sqlalchemy'))))"
    out = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True, check=True).stdout.strip()
    assert out == "['tracertm', 'tracertm._version']"
