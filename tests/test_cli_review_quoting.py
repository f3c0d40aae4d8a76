"""The review command ``check --strict`` suggests for a suspect link is shell-quoted: an untagged scenario's id is
``FEAT-N/its title``, with spaces, and the suggestion pasted as printed must review it (it was a usage error)."""

from __future__ import annotations

import shlex

import pytest

from conftest import GitRepo
from specs import adr
from tracertm.cli import main

FEATURE = """@FEAT-2 @ADR-0001
Feature: Refunds

  @SC-1
  Scenario: Full refund
    Given a paid order
    When I refund it
    Then the money is back

  Scenario: Refund window has closed
    Given the payment was captured 181 days ago
    When the agent refunds it
    Then the refund is rejected
"""


def run(capsys: pytest.CaptureFixture[str], *argv: str) -> tuple[int, str, str]:
    code = main(list(argv))
    out, err = capsys.readouterr()
    return code, out, err


def test_suggested_review_command_runs_as_printed(
    git_repo: GitRepo, database_url: str, monkeypatch: pytest.MonkeyPatch, capsys: pytest.CaptureFixture[str]
) -> None:
    git_repo.write("docs/adr/0001-refunds.md", adr(1, "Refunds"))
    git_repo.write("features/refunds.feature", FEATURE)
    git_repo.commit("seed")
    monkeypatch.setenv("TRACERTM_DATABASE_URL", database_url)
    monkeypatch.chdir(git_repo.path)
    assert run(capsys, "sync")[0] == 0
    git_repo.write("docs/adr/0001-refunds.md", adr(1, "Refunds", decision="We will refund within 90 days."))
    assert run(capsys, "sync")[0] == 0

    code, out, err = run(capsys, "check", "--strict")
    assert code == 1
    lines = [line for line in (out + err).splitlines() if "suspect link: FEAT-2/Refund window has closed" in line]
    assert len(lines) == 1, out + err
    command = lines[0].split("then run: ", 1)[1]
    assert command == "tracertm review 'FEAT-2/Refund window has closed'"
    simple = [line for line in (out + err).splitlines() if "suspect link: FEAT-2/SC-1 " in line]
    assert simple and simple[0].endswith("then run: tracertm review FEAT-2/SC-1")  # nothing to quote: as is

    words = shlex.split(command)
    assert words[:2] == ["tracertm", "review"]
    code, out, err = run(capsys, *words[1:])
    assert code == 0, err
    assert out.startswith("reviewed FEAT-2/Refund window has closed implements ADR-0001")
