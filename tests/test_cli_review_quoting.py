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


def _suspect_link(git_repo: GitRepo, database_url: str, monkeypatch: pytest.MonkeyPatch,
                  capsys: pytest.CaptureFixture[str], folder: str = "") -> None:
    """A feature implementing ADR-0001 (in ``folder``: a sub-folder project), synced from the top, then the ADR's
    decision changed and synced again: the feature's link is suspect."""
    prefix = f"{folder}/" if folder else ""
    git_repo.write(f"{prefix}docs/adr/0001-refunds.md", adr(1, "Refunds"))
    git_repo.write(f"{prefix}features/refunds.feature", FEATURE)
    git_repo.commit("seed")
    monkeypatch.setenv("TRACERTM_DATABASE_URL", database_url)
    monkeypatch.chdir(git_repo.path)
    where = [folder] if folder else []
    assert run(capsys, "sync", *where)[0] == 0
    git_repo.write(f"{prefix}docs/adr/0001-refunds.md", adr(1, "Refunds", decision="We will refund within 90 days."))
    assert run(capsys, "sync", *where)[0] == 0


def test_suggested_review_command_runs_as_printed(
    git_repo: GitRepo, database_url: str, monkeypatch: pytest.MonkeyPatch, capsys: pytest.CaptureFixture[str]
) -> None:
    _suspect_link(git_repo, database_url, monkeypatch, capsys)

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


def _suggestions(out: str) -> list[str]:
    return [line.split("then run: ", 1)[1] for line in out.splitlines() if "then run: " in line]


@pytest.mark.parametrize("where", ["top", "inside"])
def test_suggested_review_command_of_a_sub_folder_project_runs_where_check_ran(
    git_repo: GitRepo, database_url: str, monkeypatch: pytest.MonkeyPatch, capsys: pytest.CaptureFixture[str],
    where: str,
) -> None:
    """``check svc --strict`` from the top, or ``check . --strict`` inside ``svc/``: the read verbs' default project
    is the top's, so the suggestion names the folder (``tracertm review FEAT-2/SC-1`` was 'no project for …', exit 2,
    where it was printed — README's own "Suspect links" example)."""
    _suspect_link(git_repo, database_url, monkeypatch, capsys, "svc")
    if where == "inside":
        monkeypatch.chdir(git_repo.path / "svc")

    code, out, err = run(capsys, "check", "svc" if where == "top" else ".", "--strict")
    assert code == 1
    folder = "svc" if where == "top" else "."
    commands = _suggestions(out + err)
    assert f"tracertm review --path {folder} FEAT-2/SC-1" in commands, out + err
    assert f"tracertm review --path {folder} 'FEAT-2/Refund window has closed'" in commands

    code, out, err = run(capsys, *shlex.split(f"tracertm review --path {folder} FEAT-2/SC-1")[1:])
    assert code == 0, err
    assert out.startswith("reviewed FEAT-2/SC-1 implements ADR-0001")


@pytest.mark.parametrize("where", ["top", "inside", "project"])
def test_the_review_command_status_suggests_runs_where_status_ran(
    git_repo: GitRepo, database_url: str, monkeypatch: pytest.MonkeyPatch, capsys: pytest.CaptureFixture[str],
    where: str,
) -> None:
    """``status svc`` from the top, ``status .`` inside ``svc/``, ``status --project svc``: the heading of the
    suspect links names the review command to paste there, as ``check --strict``'s does. It said ``tracertm review
    ID`` — 'no project for …' (exit 2) where it was printed, as README's "Suspect links" example showed."""
    _suspect_link(git_repo, database_url, monkeypatch, capsys, "svc")
    if where == "inside":
        monkeypatch.chdir(git_repo.path / "svc")

    code, out, err = run(capsys, "status", *{"top": ["svc"], "inside": ["."], "project": ["--project", "svc"]}[where])
    assert code == 0, err
    hint = {"top": "tracertm review --path svc", "inside": "tracertm review --path .",
            "project": "tracertm review --project svc"}[where]
    assert f"suspect links (review with '{hint} ID'):" in out, out

    code, out, err = run(capsys, *shlex.split(hint)[1:], "FEAT-2/SC-1")
    assert code == 0, err
    assert out.startswith("reviewed FEAT-2/SC-1 implements ADR-0001")


def test_the_review_command_status_suggests_at_the_top_is_plain(
    git_repo: GitRepo, database_url: str, monkeypatch: pytest.MonkeyPatch, capsys: pytest.CaptureFixture[str]
) -> None:
    _suspect_link(git_repo, database_url, monkeypatch, capsys)
    code, out, err = run(capsys, "status")
    assert code == 0 and "suspect links (review with 'tracertm review ID'):" in out, out + err
