"""Reports of real tools at their edges, on SQLite and PostgreSQL. The fixtures were generated in this session:
``behave-rules-junit.xml`` and ``behave-own.json`` by behave 1.3.3 (``--junit``; ``-f json``),
``cucumber-js-commit-a.json`` by cucumber-js (``--format json``), ``pytest-bdd-escaped-ids.xml`` by pytest 9 with
pytest-bdd 9 (``--junitxml``); the feature files they ran are below.

- behave names two scenarios of one feature alike when only their Rules differ: two tests, not a rerun of one; the
  failure of one is not hidden behind the other's pass, and the import says so (not "reruns").
- A report of an older commit, without a time (it runs at its import), after a plain sync of a newer commit that
  changed the scenario: stale, as after ``sync --ref HEAD`` (a clean sync of what the run tested is not stale:
  ``test_coverage_stale_worktree``).
- pytest escapes what is not printable ASCII in a test id (``caf\\xe9``) and numbers repeated ids (``1_0``): the
  outline rows are still found.
- behave's own JSON is no Cucumber JSON: refused, saying so.
"""

from __future__ import annotations

import json
from pathlib import Path

import pytest
from sqlalchemy import select

from apikit import api_client, make_token
from conftest import GitRepo, force_streaming
from tracertm import db
from tracertm.cli import main
from tracertm.engine.sync import sync
from tracertm.errors import ParseError
from tracertm.models import TestCase, TestResult
from tracertm.results import import_results
from tracertm.results.formats import parse_report
from tracertm.results.report import final_cases

FIXTURES = Path(__file__).parent / "fixtures"

CART_RULES = """Feature: Cart
  Rule: Adding
    Scenario: Add an item
      Given a cart
      Then it holds 2

  Rule: Removing
    Scenario: Add an item
      Given a cart
      Then it holds 1
"""
WORDS = """Feature: Words
  Scenario Outline: Say
    Given the word "<w>"

    Examples:
      | w    |
      | café |
      | tea  |
      | 1    |
      | 1    |
      | ü\\n  |
"""


def _cli(capsys: pytest.CaptureFixture[str], *argv: str) -> tuple[int, str, str]:
    code = main(list(argv))
    out, err = capsys.readouterr()
    return code, out, err


def _results(database_url: str) -> dict[str, tuple[str, int, str | None, str | None]]:
    """Test id → (status, failed attempts, message, example row) of every stored result."""
    engine = db.make_engine(database_url)
    try:
        with db.session(engine) as session:
            rows = session.execute(
                select(TestCase.test_case_number, TestResult.status, TestResult.failed_attempts, TestResult.message,
                       TestResult.example_row).join(TestCase, TestResult.test_case_id == TestCase.id)
            ).all()
            return {number: (status, failed, message, row) for number, status, failed, message, row in rows}
    finally:
        engine.dispose()


def test_behave_scenarios_named_alike_are_two_tests_and_the_failure_stays(
    git_repo: GitRepo, database_url: str,
) -> None:
    git_repo.write("features/cart.feature", CART_RULES)
    git_repo.commit("cart")
    assert not sync(git_repo.path, ref="HEAD", database_url=database_url, project="cart").errors
    data = (FIXTURES / "behave-rules-junit.xml").read_bytes()
    assert b'tests="2" errors="0" failures="1"' in data
    summary = import_results(database_url, "cart", [("TESTS-cart.xml", data)], commit=git_repo.head())
    assert summary.statuses == {"failed": 1}
    assert _results(database_url) == {"cart.Cart::Add an item": ("failed", 0, "holds 1, expected 2", None)}
    head, failing, passing = data.split(b"<testcase ")  # the pass first: the failure is kept too
    passing, tail = passing.split(b"</testsuite>")
    report = parse_report("TESTS-cart.xml", head + b"<testcase " + passing + b"<testcase " + failing
                          + b"</testsuite>" + tail)
    assert [(c.status, c.failed_attempts, c.message) for c in final_cases([report])] == [
        ("failed", 0, "holds 1, expected 2")]


def test_the_import_says_behave_namesakes_were_kept_as_the_worse_not_as_reruns(
    git_repo: GitRepo, database_url: str, monkeypatch: pytest.MonkeyPatch, capsys: pytest.CaptureFixture[str],
) -> None:
    """It said "1 counted as reruns … (its last report decides; earlier failures make it flaky)" while it stored
    the failure, no failed attempt, not flaky: in text, JSON, streamed and in the API's summary alike."""
    git_repo.write("features/cart.feature", CART_RULES)
    git_repo.commit("cart")
    monkeypatch.chdir(git_repo.path)
    monkeypatch.setenv("TRACERTM_DATABASE_URL", database_url)
    assert _cli(capsys, "sync")[0] == 0
    report = str(FIXTURES / "behave-rules-junit.xml")
    code, out, err = _cli(capsys, "results", "import", report)
    assert code == 0, err
    assert out.splitlines()[2] == (
        "2 test reports: 1 of a scenario sharing its name with another of its feature (behave writes them under one "
        "name): one result for them, the worse, not a rerun")
    assert _results(database_url) == {"cart.Cart::Add an item": ("failed", 0, "holds 1, expected 2", None)}
    for project in ("json", "streamed", "api"):
        assert not sync(git_repo.path, ref="HEAD", database_url=database_url, project=project).errors
    code, out, err = _cli(capsys, "results", "import", report, "--project", "json", "--output", "json")
    assert code == 0, err
    said = {key: json.loads(out)[key] for key in ("reported", "merged", "namesakes")}
    assert said == {"reported": 2, "merged": 1, "namesakes": 1}
    forced = force_streaming(monkeypatch, 50, 50)
    summary = import_results(database_url, "streamed", [report], commit=git_repo.head())
    assert forced == ["streamed"] and (summary.reported, summary.merged, summary.namesakes) == (2, 1, 1)
    with api_client(database_url) as client:
        answer = client.post("/api/v1/projects/api/test-runs", params={"commit": git_repo.head()},
                             files=[("file", ("TESTS-cart.xml", Path(report).read_bytes(), "application/xml"))],
                             headers={"Authorization": f"Bearer {make_token(database_url)}"})
    assert answer.status_code == 201, answer.text
    assert {key: answer.json()["summary"][key] for key in said} == said


def test_a_report_of_an_older_commit_after_a_plain_sync_of_a_newer_one_is_stale(
    git_repo: GitRepo, database_url: str, monkeypatch: pytest.MonkeyPatch, capsys: pytest.CaptureFixture[str],
) -> None:
    git_repo.write("features/w.feature", "Feature: W\n  Scenario: One\n    Given x\n")
    a = git_repo.commit("A")
    git_repo.write("features/w.feature", "Feature: W\n  Scenario: One\n    Given y\n")
    git_repo.commit("B")
    monkeypatch.chdir(git_repo.path)
    monkeypatch.setenv("TRACERTM_DATABASE_URL", database_url)
    assert _cli(capsys, "sync")[0] == 0  # the clean work tree at B: its revisions name no commit
    code, _out, err = _cli(capsys, "results", "import", str(FIXTURES / "cucumber-js-commit-a.json"), "--commit", a)
    assert code == 0, err
    code, out, err = _cli(capsys, "coverage", "--format", "json")
    assert code == 0, err
    assert [item["scenario"] for item in json.loads(out)["stale"]] == ["w/One"]


def test_pytest_escaped_and_numbered_ids_find_their_outline_rows(git_repo: GitRepo, database_url: str) -> None:
    git_repo.write("features/w.feature", WORDS)
    git_repo.commit("words")
    assert not sync(git_repo.path, ref="HEAD", database_url=database_url, project="words").errors
    data = (FIXTURES / "pytest-bdd-escaped-ids.xml").read_bytes()
    import_results(database_url, "words", [("j.xml", data)], commit=git_repo.head())
    rows = {test: row for test, (_status, _failed, _message, row) in _results(database_url).items()}
    assert rows == {
        "tests.test_w::test_say[caf\\xe9]": "1.1",
        "tests.test_w::test_say[tea]": "1.2",
        "tests.test_w::test_say[1_0]": "1.3",
        "tests.test_w::test_say[1_1]": "1.4",
        "tests.test_w::test_say[\\xfc\\n]": "1.5",
    }


@pytest.mark.parametrize("fixture", ["behave-own.json"])
def test_behave_own_json_is_refused_saying_what_it_is(fixture: str) -> None:
    data = (FIXTURES / fixture).read_bytes()
    with pytest.raises(ParseError, match=r"behave's own JSON format .*behave --junit") as caught:
        parse_report(fixture, data)
    assert "\n" not in str(caught.value)
    untagged = data.replace(b'"tags": ["smoke"]', b'"tags": []')
    with pytest.raises(ParseError, match=r"behave's own JSON format"):
        parse_report(fixture, untagged)


def test_behave_own_json_is_refused_by_the_import(
    git_repo: GitRepo, database_url: str, monkeypatch: pytest.MonkeyPatch, capsys: pytest.CaptureFixture[str],
) -> None:
    git_repo.write("features/cart.feature", "Feature: Cart\n  Scenario: Add an item\n    Given a cart\n\n"
                                            "  @smoke\n  Scenario: Remove it\n    Given a cart\n")
    git_repo.commit("cart")
    monkeypatch.chdir(git_repo.path)
    monkeypatch.setenv("TRACERTM_DATABASE_URL", database_url)
    assert _cli(capsys, "sync")[0] == 0
    code, _out, err = _cli(capsys, "results", "import", str(FIXTURES / "behave-own.json"))
    assert code != 0 and "behave's own JSON format" in err and len(err.strip().splitlines()) == 1
    assert _results(database_url) == {}
