"""``coverage``'s stale rule for content a sync of the work tree recorded (no commit): tests run on a clean checkout,
then a plain ``tracertm sync``, then the import. The sync's time is after the run's, but the run's commit holds
exactly what the sync recorded: not stale. Content the run's commit does not hold still is. SQLite and PostgreSQL."""

from __future__ import annotations

import datetime as dt
import json
from pathlib import Path

import pytest

from conftest import GitRepo
from tracertm.cli import main

LOGIN = ("Feature: Login\n\n  Scenario: Good password\n    Given a user\n\n"
         "  Scenario: Bad password\n    Given a user\n")


def login_report(folder: Path) -> Path:
    """A JUnit report of both login tests, run ten minutes ago (its time: before any sync the test makes)."""
    stamp = (dt.datetime.now(dt.timezone.utc) - dt.timedelta(minutes=10)).isoformat(timespec="seconds")
    report = folder / "junit.xml"
    report.write_text(f'<testsuite name="pytest" timestamp="{stamp}" time="1">'
                      '<testcase classname="tests.test_login" name="test_good_password"/>'
                      '<testcase classname="tests.test_login" name="test_bad_password"/></testsuite>')
    return report


def _cli(capsys: pytest.CaptureFixture[str], *argv: str) -> tuple[int, str, str]:
    code = main(list(argv))
    out, err = capsys.readouterr()
    return code, out, err


@pytest.fixture
def ran(git_repo: GitRepo, database_url: str, monkeypatch: pytest.MonkeyPatch, tmp_path: Path,
        capsys: pytest.CaptureFixture[str]) -> GitRepo:
    """Tests ran at HEAD ten minutes ago (the report's time), then a sync of the clean work tree, then the import."""
    git_repo.write("features/login.feature", LOGIN)
    git_repo.commit("login")
    report = login_report(tmp_path)
    monkeypatch.chdir(git_repo.path)
    monkeypatch.setenv("TRACERTM_DATABASE_URL", database_url)
    assert _cli(capsys, "sync")[0] == 0  # the work tree: its revisions name no commit
    code, _out, err = _cli(capsys, "results", "import", str(report))
    assert code == 0, err
    return git_repo


def _stale(capsys: pytest.CaptureFixture[str]) -> list[str]:
    code, out, err = _cli(capsys, "coverage", "--format", "json")
    assert code == 0, err
    return [item["scenario"] for item in json.loads(out)["stale"]]


def test_a_work_tree_sync_of_what_the_run_tested_leaves_nothing_stale(
    ran: GitRepo, capsys: pytest.CaptureFixture[str],
) -> None:
    assert _stale(capsys) == []
    code, out, _ = _cli(capsys, "coverage")
    assert code == 0 and "stale (last run older than the feature's last change): 0" in out


def test_a_work_tree_change_the_run_did_not_test_is_stale(ran: GitRepo, capsys: pytest.CaptureFixture[str]) -> None:
    ran.write("features/login.feature", LOGIN.replace("  Scenario: Bad password\n    Given a user",
                                                      "  Scenario: Bad password\n    Given a locked user"))
    assert _cli(capsys, "sync")[0] == 0  # uncommitted: the run's commit does not hold it
    assert _stale(capsys) == ["login/Bad password"]
