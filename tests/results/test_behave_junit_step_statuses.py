"""behave's JUnit reports say which status a scenario's failing step had: every result gets the status behave
reported, on SQLite and PostgreSQL. The fixtures are behave 1.3.3's own ``--junit`` reports of the two features
below (``<system-out>`` trimmed), from a run in which:

- ``Apply a discount``'s step raises ``StepNotImplementedError`` (behave's pending step, what its snippets for
  undefined steps write): ``<error type="StepNotImplementedError">`` whose text says "... pending in 0.000s" —
  pending, as Cucumber's pending, not an error;
- ``Pay with bitcoin`` has an undefined step: ``<error type="NoneType" message="None">``, "... undefined";
- ``Gift wrap`` calls ``context.scenario.skip()``: skipped;
- ``Add an item`` is the name of a scenario of each feature, and ``Add several`` an outline with two Examples
  tables (one tagged) whose last row fails.
"""

from __future__ import annotations

import json
from pathlib import Path

import pytest
from sqlalchemy import select

from conftest import GitRepo
from tracertm import db
from tracertm.cli import main
from tracertm.models import Feature, Scenario, TestCase, TestResult
from tracertm.results.formats import parse_report

FIXTURES = Path(__file__).parent / "fixtures"
REPORTS = ("behave-1.3-orders-junit.xml", "behave-1.3-shop.cart-junit.xml")

ORDERS = """Feature: Orders

  Scenario: Add an item
    Given an order
    When I add an order line
    Then the order has 2 lines

  Scenario: Über-Bestellung ändern
    Given an order
    When I add an order line
    Then the order has 1 lines

  Scenario: Apply a discount
    Given an order
    When I apply a 10% discount
    Then the order has 0 lines
"""
CART = """Feature: Warenkorb – Café
  The shopping cart, with non-ASCII names.

  Background:
    Given an empty cart

  Scenario: Add an item
    When I add 1 "tea"
    Then the cart holds 1 items

  Scenario Outline: Add several
    When I add <n> "<item>"
    Then the cart holds <total> items

    Examples: small
      | n | item | total |
      | 1 | café | 1     |
      | 2 | thé  | 2     |

    @slow
    Examples: large
      | n  | item | total |
      | 10 | tea  | 10    |
      | 3  | café | 4     |

  Scenario: Remove an item
    When I add 2 "tea"
    And I remove 1 "tea"
    Then the cart holds 5 items

  Rule: Bezahlung – paying

    Scenario: Pay by card
      When I add 1 "tea"
      And I pay by card
      Then the order is paid

    Scenario: Pay with bitcoin
      When I pay with bitcoin
      Then the order is paid

    Scenario: Gift wrap
      When I wrap it as a gift
      Then the order is paid
"""


def test_behave_pending_step_is_pending() -> None:
    data = (FIXTURES / REPORTS[0]).read_bytes()
    report = parse_report(REPORTS[0], data)
    assert [(c.name, c.status, c.message) for c in report.cases] == [
        ("Add an item", "failed", "order has 1 lines, expected 2"),
        ("Über-Bestellung ändern", "passed", None),
        ("Apply a discount", "pending", "discounts"),
    ]


def test_a_step_text_saying_pending_is_no_status() -> None:
    data = (FIXTURES / REPORTS[0]).read_bytes().replace(
        b"When I apply a 10% discount ... pending in 0.000s", b"When I say ... pending twice ... failed in 0.000s")
    assert [c.status for c in parse_report(REPORTS[0], data).cases] == ["failed", "passed", "error"]


def test_every_behave_result_gets_behaves_status_and_its_own_scenario(
    git_repo: GitRepo, database_url: str, monkeypatch: pytest.MonkeyPatch, capsys: pytest.CaptureFixture[str],
) -> None:
    git_repo.write("features/orders.feature", ORDERS)
    git_repo.write("features/shop/cart.feature", CART)
    commit = git_repo.commit("features")
    monkeypatch.chdir(git_repo.path)
    monkeypatch.setenv("TRACERTM_DATABASE_URL", database_url)
    assert main(["sync"]) == 0
    capsys.readouterr()
    assert main(["results", "import", *(str(FIXTURES / name) for name in REPORTS), "--commit", commit]) == 0
    out = capsys.readouterr().out
    assert "1 error" not in out and "1 pending" in out and "unmatched 0" in out, out

    engine = db.make_engine(database_url)
    try:
        with db.session(engine) as session:
            rows = session.execute(
                select(TestCase.test_case_number, TestResult.status, Feature.source_path, Scenario.title,
                       TestResult.example_row, TestResult.duration)
                .join(TestCase, TestResult.test_case_id == TestCase.id)
                .join(Scenario, TestResult.scenario_id == Scenario.id)
                .join(Feature, Scenario.feature_id == Feature.id)
            ).all()
    finally:
        engine.dispose()
    got = {number: (status, path, title, row) for number, status, path, title, row, _duration in rows}
    cart = "shop.cart.Warenkorb – Café::"
    shop, orders = "features/shop/cart.feature", "features/orders.feature"
    assert got == {
        "orders.Orders::Add an item": ("failed", orders, "Add an item", None),
        "orders.Orders::Über-Bestellung ändern": ("passed", orders, "Über-Bestellung ändern", None),
        "orders.Orders::Apply a discount": ("pending", orders, "Apply a discount", None),
        cart + "Add an item": ("passed", shop, "Add an item", None),
        cart + "Add several -- @1.1 small": ("passed", shop, "Add several", "1.1"),
        cart + "Add several -- @1.2 small": ("passed", shop, "Add several", "1.2"),
        cart + "Add several -- @2.1 large": ("passed", shop, "Add several", "2.1"),
        cart + "Add several -- @2.2 large": ("failed", shop, "Add several", "2.2"),
        cart + "Remove an item": ("failed", shop, "Remove an item", None),
        cart + "Pay by card": ("passed", shop, "Pay by card", None),
        cart + "Pay with bitcoin": ("undefined", shop, "Pay with bitcoin", None),
        cart + "Gift wrap": ("skipped", shop, "Gift wrap", None),
    }
    # behave's times, in seconds: the steps that add to the cart sleep 20 ms
    durations = {number: duration or -1.0 for number, *_rest, duration in rows}
    assert 0.015 < durations[cart + "Add an item"] < 1 and 0 < durations["orders.Orders::Add an item"] < 0.015

    assert main(["coverage", "--format", "json"]) == 0
    failing = {item["scenario"]: item["last_status"] for item in json.loads(capsys.readouterr().out)["failing"]}
    assert failing == {
        "orders/Add an item": "failed", "orders/Apply a discount": "pending", "shop/cart/Add several": "failed",
        "shop/cart/Remove an item": "failed", "shop/cart/Pay with bitcoin": "undefined",
    }
