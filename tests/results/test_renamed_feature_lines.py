"""A report from before an untagged feature file was renamed keeps the line rule: its scenarios are read from the
file at the run's commit (parsed from git), under the number the feature had there (``cart``), and are the rows the
feature has now (``basket``)."""

from __future__ import annotations

import json
from pathlib import Path

import pytest

from conftest import GitRepo
from tracertm.cli import main

CART = "Feature: Cart\n\n  Scenario: Add\n    Given a step\n\n  Scenario: Add\n    Given another step\n"


def _element(ident: str, line: int, step: str, status: str) -> dict[str, object]:
    return {"id": ident, "keyword": "Scenario", "name": "Add", "line": line, "type": "scenario",
            "steps": [{"keyword": "Given ", "name": step, "line": line + 1,
                       "result": {"status": status, "duration": 1}}]}


REPORT = [{"uri": "features/cart.feature", "id": "cart", "keyword": "Feature", "name": "Cart", "line": 1,
           "elements": [_element("cart;add", 3, "a step", "passed"),
                        _element("cart;add;2", 6, "another step", "failed")]}]


def test_a_report_from_before_a_rename_matches_by_line(
    git_repo: GitRepo, database_url: str, monkeypatch: pytest.MonkeyPatch, capsys: pytest.CaptureFixture[str],
    tmp_path: Path,
) -> None:
    git_repo.write("features/cart.feature", CART)
    old = git_repo.commit("init")
    monkeypatch.chdir(git_repo.path)
    monkeypatch.setenv("TRACERTM_DATABASE_URL", database_url)
    monkeypatch.setenv("TRACERTM_RESULTS_STREAM", "0")
    assert main(["sync"]) == 0
    git_repo.git("mv", "features/cart.feature", "features/basket.feature")
    git_repo.commit("rename")
    assert main(["sync"]) == 0
    report = tmp_path / "report.json"
    report.write_text(json.dumps(REPORT))
    capsys.readouterr()
    assert main(["results", "import", str(report), "--commit", old, "--output", "json"]) == 0
    summary = json.loads(capsys.readouterr().out)
    assert summary["matched"] == {"tag": 0, "line": 2, "name": 0}, summary
    assert main(["results", "list", "--output", "json"]) == 0
    rows = json.loads(capsys.readouterr().out)
    assert sorted((r["status"], r["scenario"], r["match"]) for r in rows) == [
        ("failed", "basket/Add#2", "line"), ("passed", "basket/Add", "line")]


def test_a_report_from_before_a_rename_the_first_sync_came_after_matches_by_line(
    git_repo: GitRepo, database_url: str, monkeypatch: pytest.MonkeyPatch, capsys: pytest.CaptureFixture[str],
    tmp_path: Path,
) -> None:
    """The database never knew the feature as ``cart`` (its first sync came after the rename): git's rename
    detection from the run's commit to HEAD names its file now. Without it both results went to the name rule,
    where the two scenarios named "Add" made each ambiguous: stored unmatched."""
    git_repo.write("features/cart.feature", CART)
    old = git_repo.commit("init")
    git_repo.git("mv", "features/cart.feature", "features/basket.feature")
    git_repo.write("features/basket.feature", CART + "\n  Scenario: Remove\n    Given a third step\n")
    git_repo.commit("rename, and a scenario more")
    monkeypatch.chdir(git_repo.path)
    monkeypatch.setenv("TRACERTM_DATABASE_URL", database_url)
    monkeypatch.setenv("TRACERTM_RESULTS_STREAM", "0")
    assert main(["sync"]) == 0
    report = tmp_path / "report.json"
    report.write_text(json.dumps(REPORT))
    capsys.readouterr()
    assert main(["results", "import", str(report), "--commit", old, "--output", "json"]) == 0
    summary = json.loads(capsys.readouterr().out)
    assert summary["matched"] == {"tag": 0, "line": 2, "name": 0}, summary  # was unmatched, 2 ambiguous
    assert main(["results", "list", "--output", "json"]) == 0
    rows = json.loads(capsys.readouterr().out)
    assert sorted((r["status"], r["scenario"], r["match"]) for r in rows) == [
        ("failed", "basket/Add#2", "line"), ("passed", "basket/Add", "line")]
