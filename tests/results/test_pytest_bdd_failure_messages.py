"""pytest-bdd's ``--cucumberjson`` writes pytest's whole traceback as a failed step's error_message: the message
stored is the exception that ended the test, as pytest's JUnit of the same run states it (``report.failure_line``),
not the traceback's first line (``fixturefunc = <function _holds at 0x7f…>``). Real reports of one run (pytest 9.2,
pytest-bdd 9.0.1, ``tests/results/fixtures/pytest-bdd-9-*``): an exception raised, an assertion pytest rewrote, an
exception chained to another (the last one ended the test) and a message of two lines."""

from __future__ import annotations

import json
from pathlib import Path

import pytest

from conftest import GitRepo
from tracertm.cli import main
from tracertm.results.report import failure_line

FIXTURES = Path(__file__).parent / "fixtures"

MESSAGES = {
    "Raised": "AssertionError: total 3, expected 4",
    "Asserted": "assert 3 == 4",
    "Chained": "ValueError: no total to check",
    "Several lines": "AssertionError: total 3",
}


def test_cucumber_json_of_pytest_bdd_stores_the_message_its_junit_states(
    git_repo: GitRepo, database_url: str, monkeypatch: pytest.MonkeyPatch, capsys: pytest.CaptureFixture[str],
) -> None:
    git_repo.write("features/pay.feature", (FIXTURES / "pytest-bdd-9-pay.feature").read_text())
    git_repo.commit("init")
    monkeypatch.chdir(git_repo.path)
    monkeypatch.setenv("TRACERTM_DATABASE_URL", database_url)
    assert main(["sync"]) == 0
    for report in ("pytest-bdd-9-failures-junit.xml", "pytest-bdd-9-failures.json"):
        assert main(["results", "import", str(FIXTURES / report)]) == 0
    capsys.readouterr()
    assert main(["results", "list", "--since", "2000-01-01", "--output", "json"]) == 0
    rows = json.loads(capsys.readouterr().out)
    by_format: dict[str, dict[str, str]] = {"junit": {}, "json": {}}
    for row in rows:
        assert row["scenario"] is not None, row
        title = str(row["scenario"]).split("/", 1)[1]
        by_format["json" if str(row["test"]).startswith("features/") else "junit"][title] = row["message"]
    assert by_format == {"junit": MESSAGES, "json": MESSAGES}, by_format


@pytest.mark.parametrize(("text", "line"), [
    ("Traceback (most recent call last):\n  File \"x.py\", line 1\nValueError: x",
     "Traceback (most recent call last):"),
    ("E   at the start\nE   more\n\nx.py:1: E", "at the start"),
    ("> raise\nE   first\r\n\r\nlater\r\n> raise\r\nE\r\nE   second\r\nE   third\r\n", "second"),
    ("Expected: E   x", "Expected: E   x"),  # no line starts with the marker
])
def test_failure_line(text: str, line: str) -> None:
    assert failure_line(text) == line
