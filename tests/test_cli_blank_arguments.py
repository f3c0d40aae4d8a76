"""A blank argument is one usage line naming it (exit 2), as the README says of names, paths and values: an empty
``PATH`` was read as the current folder (``tracertm hook install "$REPO"`` with ``REPO`` unset hooked the folder
the script ran in), an empty ``ID`` or ``REF`` gave a message naming nothing (``: no ADR …``, ``diff:  is not a
commit``), and ``matrix -o ''`` wrote the matrix to standard output."""

from __future__ import annotations

import os
import subprocess
import sys
from pathlib import Path

import pytest

from conftest import GitRepo, run_cli
from specs import adr


def _one_usage_line(result: object, argument: str) -> str:
    code, out, err = result.returncode, result.stdout, result.stderr  # type: ignore[attr-defined]
    lines = err.strip("\n").splitlines()
    assert code == 2 and out == "", (code, out, err)
    assert len(lines) == 1 and "Traceback" not in err, err
    assert f"argument {argument}: blank" in lines[0], lines[0]
    return str(lines[0])


@pytest.fixture
def synced(git_repo: GitRepo, tmp_path: Path) -> tuple[GitRepo, str]:
    git_repo.write("docs/adr/0001-a.md", adr(1, "A"))
    git_repo.commit("seed")
    url = f"sqlite:///{tmp_path / 'specs.db'}"
    assert run_cli("sync", str(git_repo.path), "--database-url", url).returncode == 0
    return git_repo, url


@pytest.mark.parametrize(
    ("argv", "argument"),
    [
        (["show", ""], "ID"),
        (["history", " "], "ID"),
        (["trace", ""], "ID"),
        (["review", ""], "LINK|ID"),
        (["matrix", "-o", ""], "--output/-o"),
        (["status", ""], "PATH"),
    ],
    ids=["show", "history", "trace", "review", "matrix-output", "status"],
)
def test_blank_argument_of_a_reading_command(
    synced: tuple[GitRepo, str], argv: list[str], argument: str, monkeypatch: pytest.MonkeyPatch
) -> None:
    repo, url = synced
    monkeypatch.chdir(repo.path)
    _one_usage_line(run_cli(*argv, "--database-url", url), argument)


@pytest.mark.parametrize(
    ("argv", "argument"),
    [(["diff", ""], "REF1"), (["diff", "HEAD", ""], "REF2"), (["check", ""], "PATH"), (["steps", ""], "PATH"),
     (["check", "--results", ""], "--results")],
    ids=["diff-ref1", "diff-ref2", "check", "steps", "check-results"],
)
def test_blank_argument_of_a_command_without_a_database(
    git_repo: GitRepo, argv: list[str], argument: str, monkeypatch: pytest.MonkeyPatch
) -> None:
    git_repo.write("docs/adr/0001-a.md", adr(1, "A"))
    git_repo.commit("seed")
    monkeypatch.chdir(git_repo.path)
    _one_usage_line(run_cli(*argv), argument)


@pytest.mark.parametrize(
    ("argv", "argument"),
    [(["watch", ""], "WORKSPACE"), (["serve", "--port", "0", "--host", ""], "--host"),
     (["serve", "--port", "0", "--forwarded-allow-ips", " "], "--forwarded-allow-ips")],
    ids=["watch", "serve-host", "serve-proxies"],
)
def test_blank_argument_of_a_daemon(tmp_path: Path, argv: list[str], argument: str) -> None:
    """In a process of its own, ended if it outlives the timeout: before the fix these started a daemon."""
    env = {**os.environ, "TRACERTM_DATABASE_URL": f"sqlite:///{tmp_path / 'specs.db'}"}
    try:
        result = subprocess.run([sys.executable, "-m", "tracertm", *argv], cwd=tmp_path, env=env,
                                capture_output=True, text=True, timeout=60)
    except subprocess.TimeoutExpired:
        pytest.fail(f"tracertm {' '.join(argv)} was not refused: it kept running")
    _one_usage_line(result, argument)


@pytest.mark.parametrize("verb", [["sync"], ["backfill"], ["hook", "sync"]])
def test_blank_path_of_a_writer_writes_nothing(
    git_repo: GitRepo, tmp_path: Path, verb: list[str], monkeypatch: pytest.MonkeyPatch
) -> None:
    git_repo.write("docs/adr/0001-a.md", adr(1, "A"))
    git_repo.commit("seed")
    monkeypatch.chdir(git_repo.path)
    db_file = tmp_path / "specs.db"
    _one_usage_line(run_cli(*verb, "", "--database-url", f"sqlite:///{db_file}"), "PATH")
    assert not db_file.exists()


def test_blank_path_of_hook_install_hooks_nothing(git_repo: GitRepo, monkeypatch: pytest.MonkeyPatch) -> None:
    """It installed the hooks of the current folder's repository."""
    git_repo.write("docs/adr/0001-a.md", adr(1, "A"))
    git_repo.commit("seed")
    monkeypatch.chdir(git_repo.path)
    hooks = git_repo.path / ".git" / "hooks"
    before = sorted(p.name for p in hooks.iterdir())
    _one_usage_line(run_cli("hook", "install", ""), "PATH")
    _one_usage_line(run_cli("hook", "uninstall", " "), "PATH")
    assert sorted(p.name for p in hooks.iterdir()) == before


def test_blank_report_file(synced: tuple[GitRepo, str], monkeypatch: pytest.MonkeyPatch) -> None:
    repo, url = synced
    monkeypatch.chdir(repo.path)
    line = _one_usage_line(run_cli("results", "import", "", "--database-url", url), "FILE")
    assert "give a report file" in line
