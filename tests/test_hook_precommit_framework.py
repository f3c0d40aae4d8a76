"""Native hooks beside the pre-commit framework's own hook script, whichever was installed first, driven by the real
framework (``python -m pre_commit``, a ``repo: local`` hook: no network) and real ``git commit``.

``pre-commit install`` moves a hook it finds to ``<hook>.legacy`` and runs that first ("migration mode"); it refuses
to run its own script from there. tracertm's script chained the framework's like any hook: the next ``pre-commit
install`` made every commit fail ("bug: pre-commit's script is installed in migration mode"), and ``tracertm hook
uninstall`` never looked at ``.legacy``, so the check it did not report kept running."""

from __future__ import annotations

import os
import subprocess
import sys
from pathlib import Path

import pytest
from sqlalchemy import create_engine

import tracertm
from conftest import GitRepo, sqlite_only
from specs import adr, dump, feature
from tracertm import hooks

FRAMEWORK_CONFIG = """repos:
- repo: local
  hooks:
  - id: framework-check
    name: framework-check
    entry: "true"
    language: system
    always_run: true
    pass_filenames: false
"""
BROKEN_TAG = "@ADR-0009\n" + feature(1, "Login")


@pytest.fixture
def repo(git_repo: GitRepo, tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> GitRepo:
    # The hooks' `python -m tracertm` imports this checkout's tracertm, wherever the test runs from.
    monkeypatch.setenv("PYTHONPATH", str(Path(tracertm.__file__).resolve().parent.parent))
    monkeypatch.setenv("PRE_COMMIT_HOME", str(tmp_path / "pre-commit-home"))
    monkeypatch.setenv("PRE_COMMIT_COLOR", "never")
    git_repo.write("docs/adr/0001-use-git.md", adr(1, "Use git"))
    git_repo.write("features/login.feature", "@ADR-0001\n" + feature(1, "Login"))
    git_repo.write(".pre-commit-config.yaml", FRAMEWORK_CONFIG)
    git_repo.commit("seed")
    return git_repo


def _pre_commit(repo: GitRepo, *args: str) -> None:
    subprocess.run([sys.executable, "-m", "pre_commit", *args], cwd=repo.path, check=True, capture_output=True)


def _commit_all(repo: GitRepo) -> subprocess.CompletedProcess[str]:
    """``git commit -a`` through the installed hooks (their verdict is the point; git sends hook output to stderr)."""
    return subprocess.run(["git", "commit", "-q", "-a", "-m", "change"], cwd=repo.path, capture_output=True,
                          text=True, check=False)


def test_installed_after_the_framework_it_is_the_frameworks_legacy_hook(repo: GitRepo) -> None:
    directory = repo.path / ".git" / "hooks"
    _pre_commit(repo, "install")
    framework = (directory / "pre-commit").read_bytes()
    changes = hooks.install(repo.path)
    assert [(c.hook, c.action, c.path.name) for c in changes] == [
        ("pre-commit", "installed", "pre-commit.legacy"), ("pre-merge-commit", "installed", "pre-merge-commit")]
    assert (directory / "pre-commit").read_bytes() == framework, "the framework's script is left where it is"
    assert not (directory / "pre-commit.tracertm-chained").exists()

    repo.write("features/login.feature", BROKEN_TAG)
    refused = _commit_all(repo)
    assert refused.returncode == 1, refused.stdout + refused.stderr
    assert "features/login.feature:1:1: tag refers to ADR-0009" in refused.stderr
    assert "framework-check" in refused.stderr, "the framework's hooks still run"

    # The framework's next install (a setup script, another hook type) keeps both: before, it moved tracertm's
    # script to .legacy, whose run of the chained framework script failed every commit.
    _pre_commit(repo, "install")
    assert [c.action for c in hooks.install(repo.path)] == ["unchanged", "unchanged"]
    still = _commit_all(repo)
    assert still.returncode == 1 and "ADR-0009" in still.stderr, still.stdout + still.stderr
    assert "migration mode" not in still.stdout + still.stderr
    repo.write("features/login.feature", "@ADR-0001\n" + feature(1, "Login, reworded"))
    passed = _commit_all(repo)
    assert passed.returncode == 0, passed.stdout + passed.stderr

    # `pre-commit uninstall` puts tracertm's script back as the hook; `tracertm hook uninstall` then removes it.
    _pre_commit(repo, "uninstall")
    assert hooks.MARKER in (directory / "pre-commit").read_text()
    assert [(c.hook, c.action) for c in hooks.uninstall(repo.path)] == [
        ("pre-commit", "removed"), ("pre-merge-commit", "removed")]
    assert sorted(p.name for p in directory.iterdir() if not p.name.endswith(".sample")) == []


def test_uninstall_removes_the_script_the_framework_moved_to_legacy(repo: GitRepo) -> None:
    """``tracertm hook install`` (chaining the user's hook), then ``pre-commit install``: ``uninstall`` said it
    removed pre-merge-commit alone and the check kept running from ``pre-commit.legacy``; now it goes, and the
    user's hook it chained is the framework's legacy hook again."""
    directory = repo.path / ".git" / "hooks"
    user_hook = "#!/bin/sh\necho user-hook-ran >&2\n"
    (directory / "pre-commit").write_text(user_hook)
    (directory / "pre-commit").chmod(0o755)
    hooks.install(repo.path)
    _pre_commit(repo, "install")
    assert hooks.MARKER in (directory / "pre-commit.legacy").read_text()

    changes = hooks.uninstall(repo.path)
    assert [(c.hook, c.action, c.path.name) for c in changes] == [
        ("pre-commit", "removed", "pre-commit.legacy"), ("pre-commit", "restored", "pre-commit.legacy"),
        ("pre-merge-commit", "removed", "pre-merge-commit")]
    assert (directory / "pre-commit.legacy").read_text() == user_hook
    assert not (directory / "pre-commit.tracertm-chained").exists()

    repo.write("features/login.feature", BROKEN_TAG)
    result = _commit_all(repo)
    assert result.returncode == 0, "tracertm's check no longer runs: " + result.stderr
    assert "user-hook-ran" in result.stderr and "framework-check" in result.stderr


def test_install_repairs_a_chained_framework_script(repo: GitRepo) -> None:
    """The layout an install before this fix left once the framework installed again: the framework's script as
    the hook, tracertm's as its legacy hook, and the framework's script chained by tracertm's — which the
    framework refuses to run from there. Installing again drops the chained copy; commits work again."""
    directory = repo.path / ".git" / "hooks"
    _pre_commit(repo, "install")
    framework = (directory / "pre-commit").read_text()
    (directory / "pre-commit.tracertm-chained").write_text(framework)
    (directory / "pre-commit.tracertm-chained").chmod(0o755)
    (directory / "pre-commit.legacy").write_text(hooks.script("pre-commit"))
    (directory / "pre-commit.legacy").chmod(0o755)
    repo.write("features/login.feature", "@ADR-0001\n" + feature(1, "Login, reworded"))
    assert "migration mode" in _commit_all(repo).stderr, "the broken layout, as the framework reports it"

    changes = hooks.install(repo.path)
    assert (changes[0].hook, changes[0].action, changes[0].path.name) == (
        "pre-commit", "removed", "pre-commit.tracertm-chained")
    assert not (directory / "pre-commit.tracertm-chained").exists()
    repo.write("features/login.feature", BROKEN_TAG)
    result = _commit_all(repo)
    assert result.returncode == 1 and "ADR-0009" in result.stderr, result.stdout + result.stderr
    assert "migration mode" not in result.stdout + result.stderr


@sqlite_only
def test_a_rebase_under_the_frameworks_scripts_is_synced_once(
    repo: GitRepo, database_url: str, monkeypatch: pytest.MonkeyPatch
) -> None:
    """The sync hooks as the framework's legacy hooks pass over a rebase when the framework's post-rewrite runs
    tracertm's at its end (``passed_over``), and the framework installing again breaks nothing (before: its
    post-checkout hook failed, so did ``git checkout``)."""
    monkeypatch.setenv("TRACERTM_DATABASE_URL", database_url)
    stages = ("-t", "post-commit", "-t", "post-checkout", "-t", "post-rewrite")
    _pre_commit(repo, "install", *stages)
    hooks.install(repo.path, sync_on="all", check=False)
    _pre_commit(repo, "install", *stages)
    for number in (2, 3, 4):
        repo.write(f"docs/adr/000{number}-more.md", adr(number, f"More {number}"))
        repo.commit(f"adr {number}")
    checkout = subprocess.run(["git", "checkout", "-q", "-b", "topic"], cwd=repo.path, capture_output=True,
                              text=True, check=False)
    assert checkout.returncode == 0, checkout.stderr
    engine = create_engine(database_url)
    try:
        runs = len(dump(engine, tables=("sync_runs",))["sync_runs"])
        done = subprocess.run(["git", "rebase", "-q", "-i", "--exec", "true", "HEAD~3"], cwd=repo.path,
                              capture_output=True, text=True, check=False,
                              env={**os.environ, "GIT_SEQUENCE_EDITOR": "true"})
        assert done.returncode == 0, done.stderr
        live = sorted(r["adr_number"] for r in dump(engine)["adrs"] if not r["deleted"])
        assert live == ["ADR-0001", "ADR-0002", "ADR-0003", "ADR-0004"]
        got = dump(engine, tables=("sync_runs",))["sync_runs"]
        assert len(got) == runs + 1, "one sync, at the end of the rebase"
    finally:
        engine.dispose()
