"""``check --results FILE --format github``: a finding about the report itself (one that does not parse) is
annotated at the report's path from the top of the checkout, where GitHub resolves ``file=``, whatever folder the
command ran in and whatever spec root (a sub-folder project) it checked; the spec root's folder is not put before a
path given on the command line. Text and JSON name the report as it was given. Real git repository."""

from __future__ import annotations

from pathlib import Path

import pytest

from conftest import GitRepo
from specs import adr
from tracertm.cli import main

ANNOTATION = "::error file={},line=1,col=1::unknown report format"


@pytest.fixture
def monorepo(git_repo: GitRepo) -> GitRepo:
    git_repo.write("svc/docs/adr/0001-use-git.md", adr(1, "Use git"))
    # (a spec at the top too: a check of the top that found none would warn so, a line beside the report's)
    git_repo.write("docs/adr/0001-use-git.md", adr(1, "Use git"))
    git_repo.write("reports/junit, 1.xml", "garbage<\n")  # (a comma: escaped in the property)
    git_repo.commit("seed")
    return git_repo


@pytest.mark.parametrize("cwd, project, report", [
    (".", "svc", "reports/junit, 1.xml"),
    ("svc", ".", "../reports/junit, 1.xml"),
    ("svc/docs", "..", "../../reports/junit, 1.xml"),
    (".", ".", "reports/junit, 1.xml"),
    ("reports", "..", "junit, 1.xml"),
    (".", "svc", "{top}/reports/junit, 1.xml"),
])
def test_a_report_finding_is_annotated_at_its_path_from_the_top(
        monorepo: GitRepo, capsys: pytest.CaptureFixture[str], monkeypatch: pytest.MonkeyPatch, cwd: str,
        project: str, report: str) -> None:
    monkeypatch.chdir(monorepo.path / cwd)
    report = report.format(top=monorepo.path)
    assert main(["check", project, "--results", report, "--format", "github"]) == 1
    out = capsys.readouterr().out.splitlines()
    assert len(out) == 1 and out[0].startswith(ANNOTATION.format("reports/junit%2C 1.xml")), out
    assert main(["check", project, "--results", report]) == 1
    assert capsys.readouterr().out.startswith(f"{report}:1:0: unknown report format")


def test_a_report_outside_the_repository_is_annotated_at_its_absolute_path(
        monorepo: GitRepo, capsys: pytest.CaptureFixture[str], monkeypatch: pytest.MonkeyPatch,
        tmp_path: Path) -> None:
    outside = tmp_path / "elsewhere.xml"
    outside.write_text("garbage<\n", encoding="utf-8")
    monkeypatch.chdir(monorepo.path)
    assert main(["check", "svc", "--results", str(outside), "--format", "github"]) == 1
    out = capsys.readouterr().out.splitlines()
    shown = str(outside).replace(":", "%3A").replace(",", "%2C")
    assert len(out) == 1 and out[0].startswith(ANNOTATION.format(shown)), out
