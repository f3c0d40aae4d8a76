"""``results import --project NAME`` run from the repository's top, for a project synced from a sub-folder of it
(``tracertm sync pay``: its paths are relative to ``pay/``, its configuration is ``pay/.tracertm.toml``). An audit
found the import read the top's feature files at the run's commit — another project's, whose line 5 matched a
result to the wrong scenario — and the top's configuration (its scenario id pattern, results window). The project's
folder is found as the API's upload and ``show --at`` find it (``project_root.spec_root``). SQLite and PostgreSQL."""

from __future__ import annotations

import json
from pathlib import Path
from typing import Any

import pytest

from conftest import GitRepo
from tracertm.cli import main

PAY = ("@FEAT-1\nFeature: Pay\n\n  @SC-1\n  Scenario: Pay with card\n    Given a card\n\n"
       "  @SC-2\n  Scenario: Refund\n    Given a card\n")


def _report(folder: Path, name: str, line: int, *, tags: tuple[str, ...] = (), status: str = "passed") -> Path:
    """A Cucumber JSON report of one scenario of ``features/pay.feature`` (the runner's path, relative to the
    project's folder), named ``name`` at ``line``."""
    element: dict[str, Any] = {
        "id": "pay;" + name.lower().replace(" ", "-"), "keyword": "Scenario", "name": name, "line": line,
        "type": "scenario", "tags": [{"name": tag, "line": line - 1} for tag in tags],
        "steps": [{"keyword": "Given ", "name": "a card", "line": line + 1,
                   "result": {"status": status, "duration": 1}}]}
    report = folder / f"{status}-{line}.json"
    report.write_text(json.dumps([{"uri": "features/pay.feature", "id": "pay", "keyword": "Feature",
                                   "name": "Pay", "line": 2, "elements": [element]}]))
    return report


def _cli(capsys: pytest.CaptureFixture[str], *argv: str) -> Any:
    capsys.readouterr()
    code = main(list(argv))
    out, err = capsys.readouterr()
    assert code == 0, err
    return json.loads(out)


@pytest.fixture
def top(git_repo: GitRepo, database_url: str, monkeypatch: pytest.MonkeyPatch) -> GitRepo:
    """The commands run from the repository's top, into ``database_url``."""
    monkeypatch.chdir(git_repo.path)
    monkeypatch.setenv("TRACERTM_DATABASE_URL", database_url)
    return git_repo


def test_lines_are_read_from_the_projects_folder_not_the_tops(
    top: GitRepo, tmp_path: Path, capsys: pytest.CaptureFixture[str],
) -> None:
    top.write("features/pay.feature", "@FEAT-1\nFeature: Top\n\n  @SC-1\n  Scenario: Refund\n    Given a card\n")
    top.write("pay/features/pay.feature", PAY)
    top.commit("two projects")
    assert main(["sync", "pay"]) == 0
    # Line 5 of pay/features/pay.feature is "Pay with card", which the report's name contradicts: the name decides.
    summary = _cli(capsys, "results", "import", str(_report(tmp_path, "Refund", 5)), "--project", "pay",
                   "--output", "json")
    assert summary["matched"] == {"tag": 0, "line": 0, "name": 1}, summary
    rows = _cli(capsys, "results", "list", "--project", "pay", "--output", "json")
    assert [r["scenario"] for r in rows] == ["FEAT-1/SC-2"]


def test_a_scenario_renamed_since_the_run_matches_by_its_line_then(
    top: GitRepo, tmp_path: Path, capsys: pytest.CaptureFixture[str],
) -> None:
    top.write("pay/features/pay.feature", PAY)
    ran = top.commit("pay")
    top.write("pay/features/pay.feature", PAY.replace("Pay with card", "Pay by card"))
    top.commit("renamed")
    assert main(["sync", "pay"]) == 0
    summary = _cli(capsys, "results", "import", str(_report(tmp_path, "Pay with card", 5)), "--project", "pay",
                   "--commit", ran, "--output", "json")
    assert summary["matched"] == {"tag": 0, "line": 1, "name": 0}, summary
    rows = _cli(capsys, "results", "list", "--project", "pay", "--output", "json")
    assert [r["scenario"] for r in rows] == ["FEAT-1/SC-1"]


def test_the_projects_own_configuration_is_read(
    top: GitRepo, tmp_path: Path, capsys: pytest.CaptureFixture[str],
) -> None:
    top.write("svc/pay/.tracertm.toml", "scenario_id_pattern = 'TC-\\d+'\nresults_window = 1\n")
    top.write("svc/pay/features/pay.feature", PAY.replace("@SC-2", "@TC-7"))
    top.commit("pay")
    assert main(["sync", "svc/pay"]) == 0
    failed = _report(tmp_path, "Not its name", 50, tags=("@TC-7",), status="failed")
    summary = _cli(capsys, "results", "import", str(failed), "--project", "pay", "--output", "json")
    assert summary["matched"] == {"tag": 1, "line": 0, "name": 0}, summary
    passed = _report(tmp_path, "Not its name", 50, tags=("@TC-7",))
    _cli(capsys, "results", "import", str(passed), "--project", "pay", "--output", "json")
    # results_window = 1: the pass rate covers the newest run alone (of the default 20, one pass in two).
    shown = _cli(capsys, "show", "FEAT-1/TC-7", "--project", "pay", "--format", "json")
    assert shown["results"]["pass_rate"] == 1.0, shown["results"]


def test_path_names_the_sub_folder_and_its_own_database(
    git_repo: GitRepo, database_url: str, tmp_path: Path, monkeypatch: pytest.MonkeyPatch,
    capsys: pytest.CaptureFixture[str],
) -> None:
    """A sub-folder whose configuration names its database (``database_url`` in ``svc/pay/.tracertm.toml``): ``sync
    svc/pay`` writes there, and the results verbs and ``coverage`` had no way to read it but ``--database-url`` —
    run from the top or from the sub-folder, they opened the top's (here a file that is not there). ``--path``
    reads the folder's configuration, its project and its folder, as ``status --path`` does."""
    git_repo.write(".tracertm.toml", "database_url = 'sqlite:///top.db'\n")
    git_repo.write("svc/pay/.tracertm.toml", f"database_url = '{database_url}'\nresults_window = 1\n")
    git_repo.write("svc/pay/features/pay.feature", PAY)
    git_repo.commit("pay")
    monkeypatch.chdir(git_repo.path / "svc/pay")
    assert main(["sync", "."]) == 0
    summary = _cli(capsys, "results", "import", str(_report(tmp_path, "Refund", 9)), "--path", ".",
                   "--output", "json")
    assert (summary["project"], summary["matched"]) == ("pay", {"tag": 0, "line": 1, "name": 0}), summary
    monkeypatch.chdir(git_repo.path)
    rows = _cli(capsys, "results", "list", "--path", "svc/pay", "--output", "json")
    assert [r["scenario"] for r in rows] == ["FEAT-1/SC-2"]
    report = _cli(capsys, "coverage", "--path", "svc/pay", "--format", "json")
    assert [s["scenario"] for s in report["never_executed"]] == ["FEAT-1/SC-1"], report
    capsys.readouterr()
    assert main(["results", "prune", "--keep", "0", "--path", "svc/pay"]) == 0
    assert capsys.readouterr().out == "pruned 1 run of pay; kept the newest 0\n"
    assert not (git_repo.path / "top.db").exists()
