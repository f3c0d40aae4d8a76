"""``tracertm diff``'s history method in a project with imported test results. A results import writes a revision
for each test case it creates, with no commit and no sync run (no file holds a test case): the history method read
those as records "changed in uncommitted files" that it cannot date, so ``--method history`` refused every diff of
such a project (exit 2, suggesting a backfill that changes nothing) and ``auto`` always parsed.

Real git repository, a real Cucumber JSON report, SQLite and PostgreSQL."""

from __future__ import annotations

import json
from typing import Any

import pytest

from conftest import GitRepo
from specs import adr
from tracertm.cli import main
from tracertm.engine.sync import sync
from tracertm.history.backfill import backfill
from tracertm.results import import_results
from tracertm.trace.diff import diff

FEATURE = "@FEAT-1\nFeature: Pay\n\n  @SC-1 @ADR-0001\n  Scenario: card\n    Given a card\n"


def _report(*outcomes: tuple[str, int, str]) -> bytes:
    """A Cucumber JSON report of features/pay.feature: (scenario name, line, status) each."""
    elements = [{"id": f"pay;{name}", "keyword": "Scenario", "name": name, "line": line, "type": "scenario",
                 "steps": [{"keyword": "Given ", "name": "a card", "line": line + 1,
                            "result": {"status": status, "duration": 1}}]} for name, line, status in outcomes]
    return json.dumps([{"uri": "features/pay.feature", "id": "pay", "keyword": "Feature", "name": "Pay", "line": 2,
                        "elements": elements}]).encode()


def _changes(result: Any) -> list[tuple[Any, ...]]:
    return [(c.action, c.kind, c.id, c.fields) for c in result.changes]


def test_imported_test_cases_do_not_keep_the_history_method_from_diffing(
        git_repo: GitRepo, engine: Any, database_url: str, capsys: pytest.CaptureFixture[str]) -> None:
    git_repo.write("docs/adr/0001-use-cards.md", adr(1, "Use cards"))
    git_repo.write("features/pay.feature", FEATURE)
    first = git_repo.commit("one")
    sync(git_repo.path, engine=engine, project="shop")
    # A matched test case and one no scenario has (unmatched): both are new test cases with a revision.
    summary = import_results(engine, "shop", [("cucumber.json", _report(("card", 5, "passed"),
                                                                        ("gone", 9, "failed")))])
    assert summary.matched["tag"] + summary.matched["line"] == 1
    git_repo.write("docs/adr/0001-use-cards.md", adr(1, "Use cards", decision="Cards and wallets."))
    second = git_repo.commit("two")
    sync(git_repo.path, engine=engine, project="shop")
    backfill(git_repo.path, engine=engine, project="shop")

    parsed = diff(git_repo.path, first, second, method="parse")
    assert _changes(parsed) == [("updated", "adr", "ADR-0001", ("decision",))]
    for method in ("auto", "history"):
        found = diff(git_repo.path, first, second, method=method, project="shop", database_url=database_url)
        assert found.method == "history" and _changes(found) == _changes(parsed), method
    # The command line alike: no "changed in uncommitted files" refusal (exit 2).
    code = main(["diff", first, second, "--method", "history", "--path", str(git_repo.path), "--project", "shop",
                 "--database-url", database_url])
    out, err = capsys.readouterr()
    assert code == 0 and err == "", err
    assert "from history" in out and "updated  adr       ADR-0001" in out
