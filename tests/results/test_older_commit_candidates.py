"""A report of an older commit imported beside the repository: the scenarios it is matched against are the feature
files as they were at that commit (``scenario_reads._from_git``), not today's as well. A feature file added after
the commit, or one whose feature's id tag changed since (@FEAT-2 → @FEAT-5), holds no scenario the runner saw:
its scenarios as they are now are no candidates. Real reports: pytest 9.2's JUnit (pytest-bdd 9.0.1) of the cart
feature alone, cucumber-js 12's JUnit and Messages of ``features/b.feature`` tagged @FEAT-2. And the line rule
never picks the first of two scenarios at one line (``ScenarioIndex._by_line``)."""

from __future__ import annotations

import json
from pathlib import Path

import pytest

from conftest import GitRepo
from tracertm.cli import main
from tracertm.parsers.feature import parse
from tracertm.results.mapping import ScenarioIndex
from tracertm.results.report import CaseResult
from tracertm.results.scenarios import scenario_ref

FIXTURES = Path(__file__).parent / "fixtures"

CART = """@ADR-0001 @REQ-1
Feature: Shopping cart

  Scenario: Add an item
    Given an empty cart
    When I add 1 "apple"
    Then the cart holds 1 items

  Scenario: Remove an item
    Given an empty cart
    When I add 2 "pear"
    And I remove 1 "pear"
    Then the cart holds 1 items

  Scenario Outline: Add several
    Given an empty cart
    When I add <n> "<fruit>"
    Then the cart holds <n> items

    Examples: small
      | n | fruit  |
      | 1 | kiwi   |
      | 2 | plum   |

    Examples: big
      | n  | fruit  |
      | 10 | grape  |
"""

CHECKOUT = """@REQ-2
Feature: Checkout

  Scenario: Add an item
    Given an empty cart
    When I add 1 "melon"
    Then the cart holds 1 items
"""

BETA = """@FEAT-2
Feature: Beta

  @SC-1
  Scenario: First
    Given an empty cart
"""


def _import(
    report: Path, commit: str, capsys: pytest.CaptureFixture[str],
) -> tuple[dict[str, object], list[dict[str, object]]]:
    capsys.readouterr()
    assert main(["results", "import", str(report), "--commit", commit, "--output", "json"]) == 0
    summary = json.loads(capsys.readouterr().out)
    assert main(["results", "list", "--output", "json"]) == 0
    return summary, json.loads(capsys.readouterr().out)


@pytest.fixture
def in_repo(git_repo: GitRepo, database_url: str, monkeypatch: pytest.MonkeyPatch) -> GitRepo:
    monkeypatch.chdir(git_repo.path)
    monkeypatch.setenv("TRACERTM_DATABASE_URL", database_url)
    monkeypatch.setenv("TRACERTM_RESULTS_STREAM", "0")
    return git_repo


def test_a_feature_file_added_after_the_commit_is_no_candidate(
    in_repo: GitRepo, capsys: pytest.CaptureFixture[str],
) -> None:
    """pytest-bdd's ``test_add_an_item`` named one scenario at the run's commit; the checkout feature added since
    has a scenario of that name too. Was: unmatched, ambiguous."""
    in_repo.write("features/cart.feature", CART)
    old = in_repo.commit("only cart")
    in_repo.write("features/checkout.feature", CHECKOUT)
    in_repo.commit("add checkout (another 'Add an item')")
    assert main(["sync"]) == 0
    summary, rows = _import(FIXTURES / "pytest-bdd-cart-junit.xml", old, capsys)
    assert summary["unmatched"] == 0 and summary["ambiguous"] == 0, summary
    assert summary["matched"] == {"tag": 0, "line": 0, "name": 5}, summary
    scenarios = {r["test"]: r["scenario"] for r in rows}
    assert scenarios["tests.test_bdd::test_add_an_item"] == "cart/Add an item", scenarios


@pytest.mark.parametrize(("report", "matched"), [
    ("cucumber-js-12-feat-2-junit.xml", {"tag": 0, "line": 0, "name": 1}),  # was: ambiguous (FEAT-2 and FEAT-5)
    ("cucumber-js-12-feat-2.ndjson", {"tag": 1, "line": 0, "name": 0}),  # was: FEAT-5/SC-1, by line
])
def test_a_feature_whose_id_tag_changed_since_keeps_the_number_it_had(
    in_repo: GitRepo, capsys: pytest.CaptureFixture[str], report: str, matched: dict[str, int],
) -> None:
    in_repo.write("features/b.feature", BETA)
    old = in_repo.commit("init")
    assert main(["sync"]) == 0
    in_repo.write("features/b.feature", BETA.replace("@FEAT-2", "@FEAT-5"))
    in_repo.commit("renumber FEAT-2 -> FEAT-5")
    assert main(["sync"]) == 0
    summary, rows = _import(FIXTURES / report, old, capsys)
    assert summary["matched"] == matched and summary["ambiguous"] == 0, summary
    assert [r["scenario"] for r in rows] == ["FEAT-2/SC-1"], rows


def test_at_the_commit_a_work_tree_sync_read_uncommitted_the_rows_synced_decide(
    in_repo: GitRepo, capsys: pytest.CaptureFixture[str],
) -> None:
    """A sync of a work tree whose id tag changed uncommitted (@FEAT-2 → @FEAT-5), then an import at HEAD (the
    last synced commit): the file at HEAD still says FEAT-2, the rows synced say FEAT-5, which is what ran. (Read
    at HEAD alone, FEAT-2's scenario at the line made the result ambiguous.)"""
    in_repo.write("features/b.feature", BETA)
    head = in_repo.commit("init")
    assert main(["sync"]) == 0
    in_repo.write("features/b.feature", BETA.replace("@FEAT-2", "@FEAT-5"))
    assert main(["sync"]) == 0
    summary, rows = _import(FIXTURES / "cucumber-js-12-feat-2.ndjson", head, capsys)
    assert summary["matched"] == {"tag": 1, "line": 0, "name": 0} and summary["ambiguous"] == 0, summary
    assert [r["scenario"] for r in rows] == ["FEAT-5/SC-1"], rows


def _at_line_5(scenario_name: str | None = None) -> CaseResult:
    return CaseResult(external_id="x", name="x", status="passed", feature_uri="features/b.feature", line=5,
                      scenario_name=scenario_name)


def test_two_scenarios_at_one_line_are_ambiguous() -> None:
    """One file's scenarios of two features (as it was at the commit, and as it is) at the same line: the line rule
    guessed the first. A report's scenario name that tells them apart still decides."""
    now = parse("features/b.feature", BETA.replace("@FEAT-2", "@FEAT-5").encode()).records[0]
    before = parse("features/b.feature", BETA.replace("First", "Earlier").encode()).records[0]
    index = ScenarioIndex([
        scenario_ref((record.number, child.number), record.number, record.fields["name"], "features/b.feature",
                     child.fields)
        for record in (now, before) for child in record.children
    ])
    assert {s.line for s in index.scenarios} == {5}
    unnamed = index.match(_at_line_5())
    assert unnamed.ambiguous and unnamed.scenario is None
    named = index.match(_at_line_5("Earlier"))
    assert (named.rule, named.scenario.label if named.scenario else None) == ("line", "FEAT-2/SC-1")
