"""A configuration file replaced by a FIFO (or a socket, a device) was taken for no configuration at all: the
default globs applied, and a sync soft-deleted every record only the configured globs find, while git saw the file
modified, not deleted. It is one error naming the file now, as a FIFO in place of a spec file is, and nothing is
written. An audit found it; a real repository, a real FIFO, the command line in a process of its own where it
meets the FIFO (bounded by a timeout: a read of a FIFO blocks until a writer opens it)."""

from __future__ import annotations

import os
import subprocess
import sys
from pathlib import Path

import pytest

from conftest import GitRepo, run_cli
from specs import adr


def _tracertm(repo: Path, *args: str) -> subprocess.CompletedProcess[str]:
    return subprocess.run([sys.executable, "-m", "tracertm", *args], cwd=repo, capture_output=True, text=True,
                          timeout=120, check=False)


@pytest.mark.parametrize("name", [".tracertm.toml", "pyproject.toml"])
def test_a_fifo_in_place_of_the_configuration_is_an_error_and_deletes_nothing(
    git_repo: GitRepo, tmp_path: Path, name: str, monkeypatch: pytest.MonkeyPatch
) -> None:
    url = f"sqlite:///{tmp_path / 'specs.db'}"
    git_repo.write("decisions/0001-use-x.md", adr(1, "Use X"))
    table = "[tool.tracertm]\n" if name == "pyproject.toml" else ""
    git_repo.write(name, f'{table}adr_paths = ["decisions/*.md"]\n')
    git_repo.commit("seed")
    monkeypatch.chdir(git_repo.path)  # the sync before the FIFO and the listing after it: no FIFO, this process
    first = run_cli("sync", "--database-url", url)
    assert first.returncode == 0, first.stderr
    (git_repo.path / name).unlink()
    os.mkfifo(git_repo.path / name)
    for command in (["check"], ["sync", "--database-url", url]):
        done = _tracertm(git_repo.path, *command)
        lines = done.stderr.strip().splitlines()
        assert done.returncode == 2 and len(lines) == 1 and "Traceback" not in done.stderr, done.stderr
        assert lines[0] == (f"tracertm: error: {git_repo.path / name}: not a regular file but a FIFO; put the "
                            "configuration file back in its place (or git rm it)")
    (git_repo.path / name).unlink()  # the file back in its place: the database held on to the record
    subprocess.run(["git", "checkout", "--", name], cwd=git_repo.path, check=True)
    listed = run_cli("list", "adrs", "--include-deleted", "--database-url", url)
    assert listed.returncode == 0 and "ADR-0001" in listed.stdout and "deleted" not in listed.stdout, listed.stdout
