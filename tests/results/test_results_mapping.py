"""Mapping results to scenarios, rule by rule (tag, line, name per framework), on scenarios parsed from real
feature text; ambiguous names are never guessed."""

from __future__ import annotations

from pathlib import Path

import pytest

from tracertm.parsers.feature import parse
from tracertm.results.mapping import ScenarioIndex, pytest_bdd_name
from tracertm.results.report import CaseResult
from tracertm.results.scenarios import ScenarioRef, scenario_ref

CART = (Path(__file__).parent / "project" / "features" / "cart.feature").read_bytes()

RULES = b"""# language: en
@FEAT-9
Feature: Refunds

  Background:
    Given a paid order

  Rule: Refunds within 30 days

    @SC-20 @approved
    Scenario: Full refund
      # a comment between the keyword and the steps
      When the customer asks for a refund
        | amount | 10 |
      Then the order is refunded

    Scenario Outline: Partial refund of <amount>
      When the customer asks for <amount>
      Then <left> is left

      @big
      Examples: big
        | amount | left |
        | 90     | 10   |

      Examples:
        | amount | left |
        | 1      | 99   |
        | 2      | 98   |

  Rule: Late refunds
    Scenario: Full refund
      When the customer asks after 31 days
      Then the refund is refused
"""


def _refs(path: str, data: bytes) -> list[ScenarioRef]:
    feature = parse(path, data).records[0]
    return [
        scenario_ref((feature.number, child.number), feature.number, feature.fields["name"], path, child.fields)
        for child in feature.children
    ]


def _index(*files: tuple[str, bytes]) -> ScenarioIndex:
    return ScenarioIndex([ref for path, data in files for ref in _refs(path, data)])


def _case(name: str = "", **kw) -> CaseResult:  # type: ignore[no-untyped-def]
    return CaseResult(external_id=name, name=name, status="passed", **kw)


def test_lines_are_recovered_from_the_parsed_fields() -> None:
    feature = parse("features/refunds.feature", RULES).records[0]
    refs = _refs("features/refunds.feature", RULES)
    assert [r.line for r in refs] == [child.line for child in feature.children] == [11, 17, 32]
    outline = refs[1]
    assert [(r.ident, r.line, r.cells, r.examples_name) for r in outline.rows] == [
        ("1.1", 24, ("90", "10"), "big"), ("2.1", 28, ("1", "99"), ""), ("2.2", 29, ("2", "98"), "")]
    assert refs[0].rule == "Refunds within 30 days" and refs[0].status == "approved"


def test_rule_1_id_tag_wins_over_everything() -> None:
    index = _index(("features/cart.feature", CART), ("features/refunds.feature", RULES))
    match = index.match(_case("whatever", tags=("smoke", "SC-20"), line=999, feature_uri="elsewhere.feature"))
    assert (match.rule, match.scenario.number if match.scenario else None) == ("tag", "SC-20")


def test_rule_2_feature_path_and_line_including_outline_rows() -> None:
    index = _index(("features/cart.feature", CART), ("features/refunds.feature", RULES))
    row = index.match(_case("x", feature_uri="features/refunds.feature", line=29))
    assert (row.rule, row.scenario.number if row.scenario else None, row.row) == (
        "line", "Partial refund of <amount>", "2.2")
    # A runner started in another folder names the file by a longer or shorter relative path.
    assert index.match(_case("x", feature_uri="./app/features/cart.feature", line=11)).rule == "line"
    assert index.match(_case("x", feature_uri="file:///ci/build/features/cart.feature", line=11)).rule == "line"
    assert index.match(_case("x", feature_uri="classpath:features/cart.feature", line=11)).rule == "line"
    assert index.match(_case("x", feature_uri="file://features/cart.feature", line=26)).scenario.title == "Check out"  # type: ignore[union-attr]
    # pytest-bdd: the outline's own line and the row's values in the name.
    pytest_row = index.match(_case("test_add_several[2-3]", feature_uri="features/cart.feature", line=16))
    assert (pytest_row.rule, pytest_row.row) == ("line", "1.2")


def test_junit_file_and_line_count_only_for_feature_files() -> None:
    index = _index(("features/cart.feature", CART))
    on_feature = index.match(_case("whatever", classname="x", file="features/cart.feature", line=11))
    assert (on_feature.rule, on_feature.scenario.title if on_feature.scenario else None) == ("line", "Remove an item")
    # pytest (xunit1) writes the Python module and a 0-based line: never a scenario's position.
    on_module = index.match(_case("test_remove_an_item", classname="tests.test_cart", file="tests/test_cart.py", line=11))
    assert on_module.rule == "name"


def test_rule_3_behave_junit_names() -> None:
    index = _index(("features/cart.feature", CART), ("features/refunds.feature", RULES))
    plain = index.match(_case("Remove an item", classname="cart.Shopping cart"))
    assert (plain.rule, plain.scenario.title if plain.scenario else None) == ("name", "Remove an item")
    row = index.match(_case("Add several -- @1.2 small", classname="features.cart.Shopping cart"))
    assert (row.rule, row.row) == ("name", "1.2")
    # behave fills the outline name's placeholders from the row
    filled = index.match(_case("Partial refund of 2 -- @2.2 ", classname="refunds.Refunds"))
    assert (filled.rule, filled.row) == ("name", "2.2")


def test_rule_3_cucumber_junit_formatter_names() -> None:
    index = _index(("features/cart.feature", CART), ("features/refunds.feature", RULES))
    row = index.match(_case("Add several - small - #1.2", classname="Shopping cart"))
    assert (row.rule, row.row) == ("name", "1.2")
    ruled = index.match(_case("Late refunds - Full refund", classname="Refunds"))
    assert ruled.rule == "name" and ruled.scenario is not None and ruled.scenario.rule == "Late refunds"
    unnamed_examples = index.match(
        _case("Refunds within 30 days - Partial refund of <amount> - #2.1: Partial refund of 1", classname="Refunds"))
    assert (unnamed_examples.rule, unnamed_examples.row) == ("name", "2.1")


def test_rule_3_pytest_bdd_names() -> None:
    index = _index(("features/cart.feature", CART))
    assert pytest_bdd_name("Add several") == "test_add_several"
    match = index.match(_case("test_add_several[1-1]", classname="tests.test_cart"))
    assert (match.rule, match.scenario.title if match.scenario else None, match.row) == ("name", "Add several", "1.1")
    assert index.match(_case("test_check_out", classname="tests.test_cart")).rule == "name"


def test_ambiguous_names_are_never_guessed() -> None:
    index = _index(("features/refunds.feature", RULES))
    # Two scenarios called "Full refund" (in two rules): the bare name fits both.
    match = index.match(_case("Full refund", classname="Refunds"))
    assert (match.scenario, match.ambiguous) == (None, True)
    twice = _index(("features/a.feature", CART), ("features/b.feature", CART.replace(b"@SC-1", b"@SC-2").replace(b"@FEAT-1", b"@FEAT-2")))
    cucumber = twice.match(_case("x", scenario_name="Check out", feature_name="Shopping cart"))
    assert (cucumber.scenario, cucumber.ambiguous) == (None, True)
    assert twice.match(_case("test_check_out")).ambiguous


@pytest.mark.parametrize("name", ["test_something_else", "Unknown scenario", "Add several -- @9.9 small"])
def test_unmatched(name: str) -> None:
    index = _index(("features/cart.feature", CART))
    match = index.match(_case(name, classname="cart.Shopping cart" if "@" in name else None))
    assert (match.scenario, match.rule, match.ambiguous) == (None, None, False)


def _reference_junit_row(s: ScenarioRef, name: str) -> str | None | bool:
    """What ``mapping`` computed per (test, scenario) before the names of a scenario were made once
    (``_JunitNames``): the reference the cached form must agree with."""
    from tracertm.results.mapping import _BEHAVE_ROW, _CUCUMBER_ROW, _norm

    title = _norm(s.title)
    plain = {title} | ({f"{_norm(s.rule)} - {title}"} if s.rule else set())
    if name in plain:
        return None
    behave = _BEHAVE_ROW.match(name)
    if behave and _norm(behave.group("name")) in plain | {_norm(r.fill(s.title)) for r in s.rows}:
        row = behave.group("row")
        return row if any(r.ident == row for r in s.rows) else False
    cucumber = _CUCUMBER_ROW.match(name)
    if cucumber:
        row = cucumber.group("row")
        examples = next((r.examples_name for r in s.rows if r.ident == row), None)
        if examples is None:
            return False
        bases = set(plain)
        if examples:
            bases |= {f"{base} - {_norm(examples)}" for base in plain}
        return row if _norm(cucumber.group("base")) in bases else False
    return False


def test_junit_names_made_once_per_scenario_agree_with_the_per_test_reading() -> None:
    from tracertm.results.mapping import _JunitName, _JunitNames, _norm

    scenarios = _refs("features/refunds.feature", RULES) + _refs("features/cart.feature", CART)
    names = {"", "x", "Full refund", "Refunds within 30 days - Full refund", "Late refunds - Full refund"}
    for s in scenarios:
        titles = {s.title, *(r.fill(s.title) for r in s.rows), f"{s.rule} - {s.title}"}
        for title in titles:
            names |= {title, f"{title} -- @1.1", f"{title} -- @2.1 big", f"{title} -- @9.9", f"{title} - #1.1",
                      f"{title} - #2.1: x", f"{title} - #1.2", f"{title} - big - #1.1", f"{title} - big - #2.1",
                      f"{title} - Examples - #2.2", f"{title}  - #1.1", f"{title} - #3.1"}
            names |= {f"{title} - {r.examples_name} - #{r.ident}" for r in s.rows}
    outcomes = []
    for name in sorted(names):
        parsed = _JunitName(_norm(name))
        for s in scenarios:
            outcome = _JunitNames(s).row(parsed)
            assert outcome == _reference_junit_row(s, _norm(name)), (name, s.title)
            outcomes.append(outcome)
    assert len(outcomes) > 500  # and every kind of answer was compared:
    assert None in outcomes and False in outcomes and any(isinstance(o, str) for o in outcomes)


def test_match_all_decides_as_match_does_case_by_case() -> None:
    """``match_all`` (the import's batch form, with its own path for unit tests) gives what ``match`` gives for
    each case, whatever the order in which classnames are first met."""
    twice = CART.replace(b"@SC-1", b"@SC-2").replace(b"@FEAT-1", b"@FEAT-2").replace(b"Feature: Shopping cart",
                                                                                     b"Feature: Basket")
    files = (("features/cart.feature", CART), ("features/refunds.feature", RULES), ("features/b.feature", twice))
    cases = [
        _case("test_add_several[1-1]", classname="tests.test_cart"),
        _case("test_add_several_1[2-3]", classname="tests.test_cart"),  # pytest-bdd's repeated name
        _case("test_add_several_x", classname="tests.test_cart"),
        _case("test_check_out", classname="tests.test_cart"),  # two features have it: ambiguous
        _case("test_partial_refund_of_amount[2-98]", classname="tests.test_refunds"),
        _case("test_remove_an_item", classname="tests.test_cart"),
        _case(" test_remove_an_item ", classname="tests.test_cart"),  # normalized
        _case("test_remove_an_item_12", classname="tests.unit"),
        _case("test_case_1", classname="tests.unit"),
        _case("test_", classname="tests.unit"),
        _case("", classname="tests.unit"),
        _case("check", classname=None),
        _case("Remove an item", classname="cart.Shopping cart"),
        _case("Add several -- @1.2 small", classname="features.cart.Shopping cart"),
        _case("Full refund", classname="Refunds"),
        _case("test_remove_an_item", classname="Refunds"),  # a classname that names a feature
        _case("whatever", tags=("SC-20",)),
        _case("x", feature_uri="features/refunds.feature", line=29),
        _case("test_remove_an_item", classname="tests.unit", line=3),
        _case("x", scenario_name="Check out", feature_name="Shopping cart"),
    ]
    for order in (cases, cases[::-1], cases[7:] + cases[:7]):
        expected = [_index(*files).match(case) for case in order]
        assert _index(*files).match_all(order) == expected
        index = _index(*files)
        index.match_all(order)  # every classname known: the unit-test path decides
        assert index.match_all(order) == expected
    assert {m.rule for m in expected} == {"tag", "line", "name", None} and any(m.ambiguous for m in expected)
