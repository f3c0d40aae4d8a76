"""A commit taken from ``$GITHUB_SHA`` / ``$CI_COMMIT_SHA`` that cannot be used is reported under the variable's name
(the user never typed ``--commit``): one line, no traceback, exit 2 as any usage error."""

from __future__ import annotations

from pathlib import Path

import pytest

from conftest import GitRepo
from tracertm.cli import main

REPORT = '<testsuite><testcase classname="a" name="b"/></testsuite>'


def _import(capsys: pytest.CaptureFixture[str], report: Path, url: str) -> tuple[int, str]:
    capsys.readouterr()
    code = main(["results", "import", str(report), "--database-url", url])
    return code, capsys.readouterr().err


@pytest.fixture
def setup(git_repo: GitRepo, tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> tuple[GitRepo, Path, str]:
    git_repo.write("features/a.feature", "Feature: A\n\n  Scenario: One\n    Given x\n")
    git_repo.commit("a")
    url = f"sqlite:///{tmp_path / 'db.sqlite'}"
    monkeypatch.chdir(git_repo.path)
    monkeypatch.delenv("GITHUB_SHA", raising=False)
    monkeypatch.delenv("CI_COMMIT_SHA", raising=False)
    assert main(["sync", "--ref", "HEAD", "--database-url", url]) == 0
    report = tmp_path / "j.xml"
    report.write_text(REPORT)
    return git_repo, report, url


@pytest.mark.parametrize("variable", ["GITHUB_SHA", "CI_COMMIT_SHA"])
def test_an_abbreviation_the_repository_cannot_resolve_names_the_variable(
    setup: tuple[GitRepo, Path, str], monkeypatch: pytest.MonkeyPatch, capsys: pytest.CaptureFixture[str],
    variable: str,
) -> None:
    _repo, report, url = setup
    monkeypatch.setenv(variable, "abc123")
    code, err = _import(capsys, report, url)
    lines = err.strip().splitlines()
    assert code == 2 and len(lines) == 1 and "Traceback" not in err, err
    assert f"{variable}=abc123 is not a commit of this repository" in lines[0]
    assert "--commit 'abc123'" not in lines[0] and f"unset {variable}" in lines[0]


def test_an_abbreviation_without_a_repository_names_the_variable(
    setup: tuple[GitRepo, Path, str], tmp_path: Path, monkeypatch: pytest.MonkeyPatch,
    capsys: pytest.CaptureFixture[str],
) -> None:
    _repo, report, url = setup
    elsewhere = tmp_path / "elsewhere"
    elsewhere.mkdir()
    monkeypatch.chdir(elsewhere)  # no repository around: nothing to resolve the abbreviation with
    monkeypatch.setenv("GITHUB_SHA", "abc123")
    code, err = _import(capsys, report, url)
    lines = err.strip().splitlines()
    assert code == 2 and len(lines) == 1 and "Traceback" not in err, err
    assert "GITHUB_SHA=abc123" in lines[0] and "--commit 'abc123'" not in lines[0]


def test_a_resolvable_abbreviation_from_the_variable_is_stored_whole(
    setup: tuple[GitRepo, Path, str], monkeypatch: pytest.MonkeyPatch, capsys: pytest.CaptureFixture[str],
) -> None:
    repo, report, url = setup
    monkeypatch.setenv("GITHUB_SHA", repo.head()[:8])
    capsys.readouterr()
    assert main(["results", "import", str(report), "--database-url", url, "--output", "json"]) == 0
    assert f'"commit": "{repo.head()}"' in capsys.readouterr().out


def test_the_id_of_a_blob_in_the_variable_names_the_variable(
    setup: tuple[GitRepo, Path, str], monkeypatch: pytest.MonkeyPatch, capsys: pytest.CaptureFixture[str],
) -> None:
    """A full id the repository holds as a blob is no commit: refused naming the variable, not ``--commit``."""
    repo, report, url = setup
    blob = repo.git("rev-parse", "HEAD:features/a.feature").strip()
    monkeypatch.setenv("GITHUB_SHA", blob)
    code, err = _import(capsys, report, url)
    lines = err.strip().splitlines()
    assert code == 2 and len(lines) == 1 and "Traceback" not in err, err
    assert lines[0].startswith(f"tracertm: error: GITHUB_SHA={blob}: a blob of the repository at "), err
    assert "unset GITHUB_SHA" in lines[0] and "--commit '" not in lines[0]
