"""cucumber-junit-platform-engine under Maven Surefire: the test names its naming strategies give, mapped by name
(rule 3: feature name and scenario name), on SQLite and PostgreSQL. The fixtures are written by hand in the shape
read from the sources (their comments name them):

- ``long`` (cucumber's advice for Surefire 3.5.4 and later): classname the ``@Suite`` class, name
  ``<feature> - [<rule> - ]<scenario>`` and ``<feature> - [<rule> - ]<outline> - <examples> - Example #1.2``
  (``: <pickle name>`` added when the outline's name has placeholders; an unnamed Examples block is its keyword);
- ``surefire`` (for Surefire up to 3.5.3): classname the feature, name the long one without the feature;
- ``short`` (the default) under Surefire 3.5.4+: the scenario's name or ``Example #1.1`` under the suite class,
  which names no feature: unmatched;
- a long name two features' scenarios fit (``Returns - Back - Send``) is never guessed.
"""

from __future__ import annotations

from pathlib import Path

from sqlalchemy import select

from conftest import GitRepo
from tracertm import db
from tracertm.engine.sync import sync
from tracertm.models import Feature, Scenario, TestCase, TestResult
from tracertm.models.specification import scenario_test_case_association
from tracertm.parsers.feature import parse
from tracertm.results import import_results
from tracertm.results.mapping import ScenarioIndex
from tracertm.results.report import CaseResult
from tracertm.results.scenarios import ScenarioRef, scenario_ref

FIXTURES = Path(__file__).parent / "fixtures"

CART = """Feature: Shopping cart
  Scenario: Add an item
    Given an empty cart
    Then the cart holds 1 item

  Scenario Outline: Add <count> items
    Given an empty cart
    Then the cart holds <count> items

    Examples: small
      | count |
      | 1     |
      | 2     |

    Examples:
      | count |
      | 10    |

  Rule: Removing
    Scenario: Remove an item
      Given a cart with 1 item
      Then the cart is empty

    Scenario Outline: Remove twice
      Given a cart with <n> items
      Then the cart holds <n> items less 2

      Examples: pairs
        | n |
        | 3 |
        | 4 |
"""
FEATURES = {
    "features/cart.feature": CART,
    "features/refunds.feature": "Feature: Refunds - EU\n  Scenario: Full refund\n    Given a paid order\n",
    "features/checkout.feature": "Feature: Checkout\n  Scenario: Add an item\n    Given a cart\n",
    # "Returns - Back - Send" is both of these: ambiguous
    "features/returns.feature": "Feature: Returns\n  Scenario: Back - Send\n    Given a parcel\n",
    "features/returns_back.feature": "Feature: Returns - Back\n  Scenario: Send\n    Given a parcel\n",
}

LINKED_LONG = {
    "RunCucumberTest::Shopping cart - Add an item": ("Shopping cart", "Add an item", None),
    "RunCucumberTest::Shopping cart - Add <count> items - small - Example #1.1: Add 1 items":
        ("Shopping cart", "Add <count> items", "1.1"),
    "RunCucumberTest::Shopping cart - Add <count> items - small - Example #1.2: Add 2 items":
        ("Shopping cart", "Add <count> items", "1.2"),
    "RunCucumberTest::Shopping cart - Add <count> items - Examples - Example #2.1: Add 10 items":
        ("Shopping cart", "Add <count> items", "2.1"),
    "RunCucumberTest::Shopping cart - Removing - Remove an item": ("Shopping cart", "Remove an item", None),
    "RunCucumberTest::Shopping cart - Removing - Remove twice - pairs - Example #1.2":
        ("Shopping cart", "Remove twice", "1.2"),
    "RunCucumberTest::Refunds - EU - Full refund": ("Refunds - EU", "Full refund", None),
    "RunCucumberTest::Checkout - Add an item": ("Checkout", "Add an item", None),
}
LINKED_SUREFIRE = {
    "Shopping cart::Add an item": ("Shopping cart", "Add an item", None),
    "Shopping cart::Add <count> items - small - Example #1.1: Add 1 items":
        ("Shopping cart", "Add <count> items", "1.1"),
    "Shopping cart::Add <count> items - Examples - Example #2.1: Add 10 items":
        ("Shopping cart", "Add <count> items", "2.1"),
    "Shopping cart::Removing - Remove an item": ("Shopping cart", "Remove an item", None),
    "Shopping cart::Removing - Remove twice - pairs - Example #1.2": ("Shopping cart", "Remove twice", "1.2"),
    "Refunds - EU::Full refund": ("Refunds - EU", "Full refund", None),
    "Checkout::Add an item": ("Checkout", "Add an item", None),
}


def _project(git_repo: GitRepo, database_url: str) -> str:
    for path, text in FEATURES.items():
        git_repo.write(path, text)
    commit = git_repo.commit("features")
    assert not sync(git_repo.path, ref="HEAD", database_url=database_url, project="shop").errors
    return commit


def _linked(database_url: str) -> dict[str, tuple[str, str, str | None]]:
    """Test id → (feature name, scenario title, example row) of every result tied to a scenario."""
    engine = db.make_engine(database_url)
    try:
        with db.session(engine) as session:
            rows = session.execute(
                select(TestCase.test_case_number, Feature.name, Scenario.title, TestResult.example_row)
                .join(TestResult, TestResult.test_case_id == TestCase.id)
                .join(scenario_test_case_association, scenario_test_case_association.c.test_case_id == TestCase.id)
                .join(Scenario, Scenario.id == scenario_test_case_association.c.scenario_id)
                .join(Feature, Feature.id == Scenario.feature_id)
            ).all()
            return {number: (feature, title, row) for number, feature, title, row in rows}
    finally:
        engine.dispose()


def test_long_names_under_surefire_3_5_4_map_by_their_feature(git_repo: GitRepo, database_url: str) -> None:
    commit = _project(git_repo, database_url)
    data = (FIXTURES / "surefire-cucumber-long.xml").read_bytes()
    summary = import_results(database_url, "shop", [("TEST-RunCucumberTest.xml", data)], commit=commit)
    assert _linked(database_url) == LINKED_LONG
    assert summary.matched["name"] == len(LINKED_LONG)
    assert (summary.ambiguous, summary.unmatched) == (1, 1)  # Returns - Back - Send


def test_surefire_strategy_names_map_under_their_feature_classname(git_repo: GitRepo, database_url: str) -> None:
    commit = _project(git_repo, database_url)
    data = (FIXTURES / "surefire-cucumber-surefire.xml").read_bytes()
    summary = import_results(database_url, "shop", [("TEST-RunCucumberTest.xml", data)], commit=commit)
    assert _linked(database_url) == LINKED_SUREFIRE
    assert (summary.matched["name"], summary.unmatched) == (len(LINKED_SUREFIRE), 0)


def test_short_names_under_the_suite_class_are_unmatched(git_repo: GitRepo, database_url: str) -> None:
    commit = _project(git_repo, database_url)
    data = (FIXTURES / "surefire-cucumber-short.xml").read_bytes()
    summary = import_results(database_url, "shop", [("TEST-RunCucumberTest.xml", data)], commit=commit)
    assert _linked(database_url) == {}
    assert (summary.matched["name"], summary.unmatched) == (0, 4)


# ---------------------------------------------------------------------------------------------- index level


def _index() -> ScenarioIndex:
    refs: list[ScenarioRef] = []
    for path, text in FEATURES.items():
        feature = parse(path, text.encode()).records[0]
        refs += [scenario_ref((feature.number, child.number), feature.number, feature.fields["name"], path,
                              child.fields) for child in feature.children]
    return ScenarioIndex(refs)


def _match(name: str, classname: str = "RunCucumberTest") -> tuple[str | None, str | None, bool]:
    found = _index().match(CaseResult(external_id=name, name=name, classname=classname, status="passed"))
    return (found.scenario.title if found.scenario else None), found.row, found.ambiguous


def test_example_name_pickle_finds_the_row_and_a_shared_pickle_name_only_the_scenario() -> None:
    """``...long.example-name=pickle``: the row is the one whose values fill the outline's name; rows of an
    outline without placeholders share its name, so only the scenario is known."""
    assert _match("Shopping cart - Add <count> items - small - Add 2 items") == ("Add <count> items", "1.2", False)
    assert _match("Shopping cart - Add <count> items - Examples - Add 10 items") == (
        "Add <count> items", "2.1", False)
    assert _match("Shopping cart - Removing - Remove twice - pairs - Remove twice") == ("Remove twice", None, False)
    assert _match("Add <count> items - small - Add 1 items", "Shopping cart") == ("Add <count> items", "1.1", False)
    # a row of another examples block, or a name no row fills in: not this outline
    assert _match("Shopping cart - Add <count> items - small - Add 10 items") == (None, None, False)
    assert _match("Shopping cart - Add <count> items - big - Example #1.1") == (None, None, False)


def test_match_all_agrees_with_match_on_the_engine_names() -> None:
    """The unit-test fast path of ``match_all`` (a classname known to name no feature) still reads long names."""
    index = _index()
    names = [line.split('name="')[1].split('"')[0].replace("&lt;", "<").replace("&gt;", ">")
             for line in (FIXTURES / "surefire-cucumber-long.xml").read_text().splitlines()
             if "<testcase" in line]
    cases = [CaseResult(external_id=n, name=n, classname="RunCucumberTest", status="passed") for n in names * 2]
    assert index.match_all(cases) == [index.match(c) for c in cases]
    assert sum(m.scenario is not None for m in index.match_all(cases)) == 2 * len(LINKED_LONG)
