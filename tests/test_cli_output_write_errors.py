"""Standard output that cannot take the output (``tracertm check > /dev/full``): one line naming where it could not
write and why, exit 2 (an environment error, as an unreachable database is), no traceback, no "internal error",
no "Exception ignored" from the interpreter's flush at exit, never a silent exit 0 — with Python's buffered stdout
and with ``PYTHONUNBUFFERED``. A closed pipe stays quiet (exit 141). Real processes, real git repository, a real
SQLite file."""

from __future__ import annotations

import os
import subprocess
import sys
from dataclasses import dataclass
from pathlib import Path
from typing import IO

import pytest

from conftest import GitRepo, init_repo
from specs import adr

pytestmark = pytest.mark.skipif(not os.path.exists("/dev/full"), reason="needs /dev/full")

LINE = "tracertm: error: stdout: cannot write: No space left on device"


def _run(repo: Synced, args: list[str], stdout: int | IO[str], *, unbuffered: bool
         ) -> subprocess.CompletedProcess[str]:
    env = {k: v for k, v in os.environ.items() if k != "PYTHONUNBUFFERED"}
    env["TRACERTM_DATABASE_URL"] = f"sqlite:///{repo.db}"
    if unbuffered:
        env["PYTHONUNBUFFERED"] = "1"
    return subprocess.run([sys.executable, "-m", "tracertm", *args], cwd=repo.git.path, stdout=stdout,
                          stderr=subprocess.PIPE, text=True, env=env, check=False, timeout=120)


@dataclass(frozen=True)
class Synced:
    git: GitRepo
    db: Path


@pytest.fixture(scope="module")
def repo(tmp_path_factory: pytest.TempPathFactory) -> Synced:
    """A synced repository with a broken ADR and a staged one, shared by the module's tests: they only read it
    (``check``, ``list``, ``matrix``), so one sync serves them all."""
    where = tmp_path_factory.mktemp("full-device")
    git_repo = init_repo(where / "repo")
    git_repo.write("docs/adr/0001-use-git.md", adr(1, "Use git"))
    git_repo.write("docs/adr/0002-broken.md", "# ADR-0002: Broken\n\nno status section\n")
    git_repo.commit("seed")
    synced = Synced(git_repo, where / "db")
    done = _run(synced, ["sync"], subprocess.PIPE, unbuffered=False)
    assert done.returncode in (0, 1), done.stderr
    git_repo.write("docs/adr/0003-staged.md", "# ADR-0003: Staged\n\nno status either\n")
    git_repo.git("add", "docs/adr/0003-staged.md")
    return synced


# Unbuffered, each command's own writes meet the full device (every way a command writes is tried); buffered, the
# small output waits for the last flush, which is the same for every command: three of them show it.
@pytest.mark.parametrize(("args", "unbuffered"), [
    *((args, True) for args in (
        ["check"], ["check", "--format", "json"], ["check", "--format", "github"], ["check", "--staged"],
        ["list", "adr"], ["list", "adr", "--format", "json"], ["matrix"])),
    *((args, False) for args in (["check"], ["check", "--staged"], ["list", "adr", "--format", "json"])),
])
def test_a_full_device_is_one_line_and_exit_2(repo: Synced, args: list[str], unbuffered: bool) -> None:
    with open("/dev/full", "w") as full:
        proc = _run(repo, args, full, unbuffered=unbuffered)
    assert proc.stderr.splitlines()[-1:] == [LINE + "; the output is incomplete"], proc.stderr
    assert "Traceback" not in proc.stderr and "Exception ignored" not in proc.stderr, proc.stderr
    assert "internal error" not in proc.stderr
    assert proc.returncode == 2, proc.stderr


def test_matrix_output_file_on_a_full_device(repo: Synced) -> None:
    proc = _run(repo, ["matrix", "-o", "/dev/full"], subprocess.DEVNULL, unbuffered=False)
    assert proc.stderr.splitlines() == [
        "tracertm: error: --output /dev/full: cannot write: No space left on device; the output is incomplete"
    ], proc.stderr
    assert proc.returncode == 2


@pytest.mark.parametrize("args", [["check"], ["list", "adr"], ["check", "--staged"]])
def test_a_closed_pipe_stays_quiet(repo: Synced, args: list[str]) -> None:
    read, write = os.pipe()
    os.close(read)  # the reader is gone before the first byte: every write meets EPIPE
    try:
        proc = _run(repo, args, write, unbuffered=False)
    finally:
        os.close(write)
    assert not [line for line in proc.stderr.splitlines() if line.startswith("tracertm:")], proc.stderr
    assert "Traceback" not in proc.stderr and "Exception ignored" not in proc.stderr, proc.stderr
    assert proc.returncode == 141


CLOSED = "tracertm: error: stdout: cannot write: standard output is closed; the output is incomplete"


def _closed(repo: Synced, args: list[str]) -> subprocess.CompletedProcess[str]:
    """``tracertm ARGS >&-``: started with no descriptor 1 at all (Python's ``sys.stdout`` is None)."""
    env = {**os.environ, "TRACERTM_DATABASE_URL": f"sqlite:///{repo.db}"}
    return subprocess.run(["sh", "-c", '"$@" >&-', "sh", sys.executable, "-m", "tracertm", *args],
                          cwd=repo.git.path, stderr=subprocess.PIPE, text=True, env=env, check=False, timeout=120)


@pytest.mark.parametrize("args", [["list", "adr"], ["status"], ["db", "current"], ["--version"]])
def test_a_closed_stdout_is_one_line_and_exit_2(repo: Synced, args: list[str]) -> None:
    proc = _closed(repo, args)
    assert proc.stderr.splitlines() == [CLOSED], proc.stderr
    assert proc.returncode == 2


def test_a_sync_with_stdout_closed_commits_as_on_a_full_device(tmp_path: Path) -> None:
    """Its report meets the closed stdout after the commit, as a full device's flush does: exit 2, the run in the
    database; a check that prints nothing on stdout passes, as with /dev/full."""
    synced = Synced(init_repo(tmp_path / "repo"), tmp_path / "db")
    synced.git.write("docs/adr/0001-use-git.md", adr(1, "Use git"))
    synced.git.commit("seed")
    for args in (["sync"], ["sync", "--format", "json"]):
        proc = _closed(synced, args)
        assert proc.stderr.splitlines() == [CLOSED], proc.stderr
        assert proc.returncode == 2
        synced.git.write("docs/adr/0002-use-sql.md", adr(2, "Use SQL"))
    listed = _run(synced, ["list", "adr"], subprocess.PIPE, unbuffered=False)
    assert "ADR-0001" in listed.stdout and "ADR-0002" in listed.stdout, listed.stdout
    proc = _closed(synced, ["check"])
    assert proc.returncode == 0 and "Traceback" not in proc.stderr, proc.stderr
