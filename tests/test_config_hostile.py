"""Hostile configurations: TOML nested past the interpreter's stack and id patterns that
``re`` cannot compile or would run for ever are one ``path:line`` error — for ``check`` and ``sync``, for the commit
of a backfill that holds them, and for the one repository of ``watch`` that has them — never an internal error, a
dead daemon or a hook that never ends. Real git repositories, real processes, real databases."""

from __future__ import annotations

import logging
import subprocess
import sys
from pathlib import Path

import pytest

from conftest import GitRepo, init_repo
from specs import adr
from tracertm import db
from tracertm.history.backfill import backfill
from test_watch import Db, sqlite_db, start, stop_all, wait_for  # noqa: F401 - fixtures
from tracertm.watcher import Watcher

DEEP = "adr_paths = " + "[" * 5000 + "]" * 5000 + "\n"


def _tracertm(repo: Path, *args: str, timeout: float = 60) -> subprocess.CompletedProcess[str]:
    return subprocess.run([sys.executable, "-m", "tracertm", *args], cwd=repo, capture_output=True, text=True,
                          timeout=timeout, check=False)


def _one_line(proc: subprocess.CompletedProcess[str]) -> str:
    lines = proc.stderr.strip().splitlines()
    assert proc.returncode == 2 and len(lines) == 1, (proc.returncode, proc.stderr)
    assert "internal error" not in proc.stderr and "Traceback" not in proc.stderr
    return lines[0]


@pytest.mark.parametrize("command", [["check"], ["sync", "--dry-run"]])
def test_toml_nested_past_the_stack_is_one_config_error(git_repo: GitRepo, command: list[str]) -> None:
    git_repo.write("docs/adr/0001-a.md", adr(1, "A"))
    git_repo.write(".tracertm.toml", 'project = "p"\n' + DEEP)
    line = _one_line(_tracertm(git_repo.path, *command))
    assert line == (f"tracertm: error: {git_repo.path / '.tracertm.toml'}:2: invalid TOML (arrays or inline tables "
                    "nested too deeply); fix the file or remove it")


def test_backfill_reports_deep_toml_at_its_commit_and_goes_on(git_repo: GitRepo, database_url: str) -> None:
    git_repo.write("docs/adr/0001-a.md", adr(1, "A"))
    git_repo.commit("seed")
    git_repo.write(".tracertm.toml", DEEP)
    git_repo.write("docs/adr/0002-b.md", adr(2, "B"))
    broken = git_repo.commit("deep")
    git_repo.remove(".tracertm.toml")
    git_repo.commit("removed")
    engine = db.make_engine(database_url)
    try:
        result = backfill(git_repo.path, engine=engine, project="p")
        assert [(e.commit, e.diagnostic.path, e.diagnostic.line) for e in result.errors] == [
            (broken, ".tracertm.toml", 1)]
        assert "nested too deeply" in result.errors[0].diagnostic.message
    finally:
        engine.dispose()


def test_watch_logs_deep_toml_for_its_repository_and_keeps_the_others(
    tmp_path: Path, sqlite_db: Db, stop_all: list[Watcher], caplog: pytest.LogCaptureFixture,  # noqa: F811
) -> None:
    first, second = init_repo(tmp_path / "first"), init_repo(tmp_path / "second")
    for repo in (first, second):
        repo.write("docs/adr/0001-a.md", adr(1, "A"))
        repo.write(".tracertm.toml", f'project = "{repo.path.name}"\n')
    watcher = start([first.path, second.path], sqlite_db.url)
    stop_all.append(watcher)
    caplog.set_level(logging.ERROR, logger="tracertm")
    first.write(".tracertm.toml", DEEP)
    wait_for(lambda: any("nested too deeply" in r.getMessage() for r in caplog.records), what="the config error")
    logged = [r.getMessage() for r in caplog.records if "nested too deeply" in r.getMessage()]
    assert f"{first.path / '.tracertm.toml'}:1:" in logged[0]
    second.write("docs/adr/0002-b.md", adr(2, "B"))  # the other repository still syncs
    wait_for(lambda: "docs/adr/0002-b.md" in sqlite_db.live(), what="the other repository's sync")
    first.write(".tracertm.toml", 'project = "first"\n')  # and the first one again once fixed
    first.write("docs/adr/0003-c.md", adr(3, "C"))
    wait_for(lambda: "docs/adr/0003-c.md" in sqlite_db.live(), what="the fixed repository's sync")


@pytest.mark.parametrize("key", ["requirement_pattern", "feature_id_pattern", "scenario_id_pattern"])
def test_a_pattern_re_cannot_build_is_one_error_at_its_line(git_repo: GitRepo, key: str) -> None:
    git_repo.write(".tracertm.toml", f"project = \"p\"\n{key} = 'X-a{{4294967296}}'\n")
    line = _one_line(_tracertm(git_repo.path, "check"))
    assert line.startswith(f"tracertm: error: {git_repo.path / '.tracertm.toml'}:2: {key} cannot be compiled ("), line


@pytest.mark.parametrize("key", ["requirement_pattern", "feature_id_pattern", "scenario_id_pattern"])
def test_an_ambiguous_alternation_under_a_repeat_is_refused(git_repo: GitRepo, key: str) -> None:
    git_repo.write(".tracertm.toml", f"\n{key} = 'REQ-(a|aa)+c'\n")
    git_repo.write("docs/adr/0001-a.md", adr(1, "A", decision="See REQ-" + "a" * 42 + "."))
    # Accepted, the requirement pattern ran for minutes on that line: the timeout is the failure.
    line = _one_line(_tracertm(git_repo.path, "check", timeout=30))
    assert line.startswith(f"tracertm: error: {git_repo.path / '.tracertm.toml'}:2: {key} = 'REQ-(a|aa)+c' "
                           "repeats a group that can match the same text in more than one way"), line


def test_patterns_with_ambiguous_rounds_are_told_from_unambiguous_ones() -> None:
    from tracertm.config import _backtracks

    slow = [r"REQ-(a|aa)+c", r"(a?a)+", r"(ab|abc|a)+x", r"(.*a){20}", r"(?i)(a|Ab)+c", r"(x+|y)+z",
            r"(\d|\d\d)*$"]
    kept = [r"\bREQ-\d+\b", r"(?:REQ|SPEC)-\d+", r"(?:REQ|RE)+-\d+", r"(a|b)+c", r"(?:ab|a)+b", r"(\S+\s)+",
            r"(a+b+)+", r"\b(?:[A-Z]{2,5}-)+\d+\b", r"(?i)(-[a-z]+)+", r"(\d+){2}"]
    assert [p for p in slow if not _backtracks(p)] == []
    assert [p for p in kept if _backtracks(p)] == []
