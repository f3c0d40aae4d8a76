"""The public API: tracertm.sync/check/backfill/watch are callable however the package was imported."""

from __future__ import annotations

import subprocess
import sys

from conftest import GitRepo
from specs import adr


def test_public_functions_are_callable_whatever_was_imported_first(git_repo: GitRepo, tmp_path) -> None:  # type: ignore[no-untyped-def]
    git_repo.write("docs/adr/0001-a.md", adr(1, "A"))
    git_repo.commit("a")
    url = f"sqlite:///{tmp_path / 'api.db'}"
    code = f"""
import tracertm.sync.engine, tracertm.check, tracertm.backfill, tracertm.watch  # submodules first
import tracertm
assert callable(tracertm.watch)
print(tracertm.check({str(git_repo.path)!r}).ok)
print(tracertm.sync({str(git_repo.path)!r}, database_url={url!r}).counts["adr"]["created"])
print(tracertm.backfill({str(git_repo.path)!r}, database_url={url!r}).commits)
"""
    out = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True, check=True).stdout.split()
    assert out == ["True", "1", "1"]
