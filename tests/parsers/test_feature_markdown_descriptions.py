"""The descriptions of a Markdown feature (``*.feature.md``): the prose between a heading and the next line
gherkin reads (a step, a tag line, a table row, the next heading) — what a ``.feature`` file has as its
description. gherkin's Markdown matcher reads every prose line as an empty one (cucumber's Markdown with Gherkin
ignores prose), so such a feature and its scenarios had no description, no user story (``as_a``...) and no ADR
mention lines."""

from __future__ import annotations

from tracertm.parsers import parse

MARKDOWN = """\
`@FEAT-7`
# Feature: Refunds

As a customer,
I want my money back
So that I trust the shop.

See ADR-0003 for the ledger.

`@SC-1`
## Scenario: Full refund

A refund of the whole order,
  within **14 days** (see ADR-0004).

* Given an order of 10 EUR
* When I ask for a refund
* Then I get 10 EUR back

Prose after the steps is the Markdown's, not the scenario's.

## Scenario: No prose
* Given nothing to say

## Scenario: Only prose

given that nothing is decided yet
"""

GHERKIN = """\
@FEAT-7
Feature: Refunds

  As a customer,
  I want my money back
  So that I trust the shop.

  See ADR-0003 for the ledger.

  @SC-1
  Scenario: Full refund

    A refund of the whole order,
      within **14 days** (see ADR-0004).

    Given an order of 10 EUR
    When I ask for a refund
    Then I get 10 EUR back

  Scenario: No prose
    Given nothing to say

  Scenario: Only prose

    given that nothing is decided yet
"""


def test_a_markdown_feature_has_the_descriptions_its_feature_file_twin_has() -> None:
    md = parse("feature", "features/refunds.feature.md", MARKDOWN.encode())
    (feature,) = md.records
    assert feature.fields["description"] == ("As a customer,\nI want my money back\nSo that I trust the shop.\n\n"
                                             "See ADR-0003 for the ledger.")
    assert (feature.fields["as_a"], feature.fields["i_want"], feature.fields["so_that"]) == (
        "customer", "my money back", "I trust the shop.")
    assert feature.ref_lines["ADR-0003"] == 8
    full, none, prose = feature.children
    assert full.fields["description"] == "A refund of the whole order,\n  within **14 days** (see ADR-0004)."
    assert full.ref_lines["ADR-0004"] == 14
    assert none.fields["description"] is None
    assert prose.fields["description"] == "given that nothing is decided yet"
    # behave, which warns of a lower-case step keyword in a description, reads no Markdown: no warning.
    assert md.warnings == ()

    (twin,) = parse("feature", "features/refunds.feature", GHERKIN.encode()).records
    for field in ("description", "as_a", "i_want", "so_that"):
        assert feature.fields[field] == twin.fields[field], field
    for mine, theirs in zip(feature.children, twin.children, strict=True):
        assert mine.fields["description"] == theirs.fields["description"]


def test_a_markdown_feature_without_a_feature_heading_describes_from_its_first_line() -> None:
    """The ``# Feature`` heading is optional: the first line names the feature, and the prose after it is the
    feature's description up to the first heading gherkin reads."""
    text = "Refunds, as the shop does them\n\nEvery refund is booked twice.\n\n## Scenario: One\n* Given x\n"
    (feature,) = parse("feature", "features/refunds.feature.md", text.encode()).records
    assert feature.fields["name"] == "Refunds, as the shop does them"
    assert feature.fields["description"] == "Every refund is booked twice."
    assert feature.children[0].fields["description"] is None
