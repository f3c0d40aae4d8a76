"""``check --results REPORT --staged`` finds the approved scenarios with the configuration the commit holds (the
staged ``.tracertm.toml``, as the rest of ``check --staged`` does), not the work tree's; and a report it cannot read
says what ``check --results`` accepts, not a ``--format`` option it does not have. Real git repository."""

from __future__ import annotations

from pathlib import Path

import pytest

from conftest import GitRepo
from tracertm.cli import main

APPROVED = """Feature: Payments

  @SC-7 @approved
  Scenario: Pay by card
    Given a card

  @SC-8 @approved
  Scenario: Pay by invoice
    Given an invoice
"""
PASSED_CARD = '<testsuite name="Cucumber"><testcase classname="Payments" name="Pay by card"/></testsuite>'


def test_the_staged_configuration_says_where_the_scenarios_are(
        git_repo: GitRepo, capsys: pytest.CaptureFixture[str], tmp_path: Path) -> None:
    git_repo.write(".tracertm.toml", 'feature_paths = ["features/**/*.feature"]\n')
    git_repo.commit("settings")
    git_repo.write("specs/pay.feature", APPROVED)
    git_repo.write(".tracertm.toml", 'feature_paths = ["specs/**/*.feature"]\n')
    git_repo.git("add", "-A")
    git_repo.write(".tracertm.toml", 'feature_paths = ["features/**/*.feature"]\n')  # (the work tree's, unstaged)
    report = tmp_path / "junit.xml"
    report.write_text(PASSED_CARD, encoding="utf-8")
    assert main(["check", str(git_repo.path), "--staged", "--all", "--results", str(report)]) == 1
    out = capsys.readouterr().out.splitlines()
    assert out == ["specs/pay.feature:8:0: approved scenario pay/SC-8 'Pay by invoice' has no passing result in "
                   "junit.xml; make it pass, or take it back to review"], out
    assert main(["check", str(git_repo.path), "--staged", "--results", str(report)]) == 1
    assert "SC-8 'Pay by invoice' has no passing result" in capsys.readouterr().out


@pytest.mark.parametrize("content", ["garbage\n", "<html><body/></html>\n", '{"no": "messages"}\n', '{"a": 1}\n'])
def test_a_report_check_cannot_read_says_what_check_accepts(
        git_repo: GitRepo, capsys: pytest.CaptureFixture[str], tmp_path: Path, content: str) -> None:
    git_repo.write("features/pay.feature", APPROVED)
    git_repo.commit("payments")
    report = tmp_path / "report.txt"
    report.write_text(content, encoding="utf-8")
    assert main(["check", str(git_repo.path), "--results", str(report)]) == 1
    out = capsys.readouterr().out
    assert "--format" not in out and "?format=" not in out, out
    assert "nothing was imported" not in out, out
    assert out.endswith("; check --results reads JUnit XML ('<'), Cucumber JSON ('[') and Cucumber Messages NDJSON "
                        "('{'), told apart by the first character; pass a report in one of them\n"), out
