"""ADR ids with a slug (``ADR-0008-use-x``) written in features and contracts: a feature or scenario tag, a mention
in a description, a mention anywhere in a contract.

README "References": a reference names the ADR with exactly its id, so ``ADR-0008-use-x`` names the ADR whose id is
``ADR-0008-use-x`` — not ADR-0008, which is ambiguous once ``ADR-0008-use-y`` is there too. The feature parser's
tag pattern did not read such a tag at all (it wanted ``ADR-<digits>`` and nothing after), and the mention pattern
cut every mention to its number. Both now keep an id with a slug as written, the slug being what the ADR parser
takes for one (``parsers.adr.identity.ID_SLUG``: it ends where letters, digits, ``-`` and ``_`` end, and a trailing
``-`` or ``.`` is no part of it); a plain id is still read in its normal form (``@ADR-8``, ``@ADR8``,
``@adr-0008``, ``ADR-7`` → ``ADR-0007``).
"""

from __future__ import annotations

import pytest

from tracertm.parsers import contract, feature
from tracertm.parsers.adr.identity import ID_SLUG
from tracertm.parsers.common import ADR_ID_SLUG, mention_ids, mention_lines, tag_adr_id
from tracertm.parsers.records import DEFAULT_OPTIONS
from tracertm.sketches import sketch_result, sketch_text


def test_the_slug_is_the_adr_parsers() -> None:
    assert ADR_ID_SLUG == ID_SLUG


@pytest.mark.parametrize(("text", "ids"), [
    ("Built per ADR-0008-use-x.", ["ADR-0008-use-x"]),
    ("see `ADR-0008-use-x` first", ["ADR-0008-use-x"]),
    ("see [ADR-0008-use-x](../docs/adr/0008-use-x.md)", ["ADR-0008-use-x"]),
    ("(ADR-0008-use-x), ADR-0008-use-y; ADR-0008-use-z's", ["ADR-0008-use-x", "ADR-0008-use-y", "ADR-0008-use-z"]),
    ("ADR-0008-use-x- and ADR-0008-use-x-.", ["ADR-0008-use-x", "ADR-0008-use-x"]),
    ("ADR-0008-use_x2 and ADR-0008_v2", ["ADR-0008-use_x2", "ADR-0008_v2"]),
    ("\"ADR-0008-use-x\"\nADR-0009-use-y", ["ADR-0008-use-x", "ADR-0009-use-y"]),
    # Plain ids: their normal form, as before.
    ("ADR-7, adr-0007, ADR7 and ADR-00007.", ["ADR-0007", "ADR-0007", "ADR-0007", "ADR-0007"]),
    ("ADR-0008.", ["ADR-0008"]),
    ("ADR-0008-", ["ADR-0008"]),
    # No slug: a range, another id, a slug starting with a digit.
    ("ADR-0001-0003", ["ADR-0001"]),
    ("ADR-0001-ADR-0002", ["ADR-0001", "ADR-0002"]),
    ("ADR-0001-9x", ["ADR-0001"]),
    # No mention at all, as before.
    ("ADR-7x, xADR-7, ADR-, ADR", []),
])
def test_mentions(text: str, ids: list[str]) -> None:
    assert mention_ids(text) == ids


def test_mention_lines_key_an_id_with_a_slug_as_written() -> None:
    lines = ["title: T", "note: see ADR-0008-use-x.", "other: ADR-8 and ADR-0008-use-y"]
    assert mention_lines(lines, 1, 3) == {"ADR-0008-use-x": 2, "ADR-0008": 3, "ADR-0008-use-y": 3}


@pytest.mark.parametrize(("tag", "adr"), [
    ("ADR-0008-use-x", "ADR-0008-use-x"),
    ("ADR-0008-use_x", "ADR-0008-use_x"),
    ("ADR-8", "ADR-0008"),
    ("ADR8", "ADR-0008"),
    ("adr-0008", "ADR-0008"),
    ("ADR-0008", "ADR-0008"),
    ("ADR-0008-use-x.", None),
    ("ADR-0008-", None),
    ("ADR-0001-0003", None),
    ("ADR-x", None),
    ("ADRs", None),
])
def test_tags(tag: str, adr: str | None) -> None:
    assert tag_adr_id(tag) == adr


FEATURE = """\
@FEAT-1 @ADR-0008-use-x @ADR-7
Feature: F
  Built per ADR-0009-use-z.

  @SC-1 @ADR-0008-use-y
  Scenario: s
    See `ADR-0010-use-w` and [ADR-0011-use-v](../docs/adr/0011-use-v.md).
    Given a
"""


def test_feature_and_scenario_tags_and_descriptions() -> None:
    (record,) = feature.parse("features/f.feature", FEATURE.encode()).records
    assert record.fields["related_adrs"] == ["ADR-0008-use-x", "ADR-0007"]
    assert record.ref_lines == {"ADR-0008-use-x": 1, "ADR-0007": 1, "ADR-0009-use-z": 3}
    (scenario,) = record.children
    assert scenario.ref_lines == {
        "ADR-0008-use-x": 1, "ADR-0007": 1, "ADR-0008-use-y": 5, "ADR-0010-use-w": 7, "ADR-0011-use-v": 7,
    }


def test_check_sketches_read_tags_with_a_slug() -> None:
    """The exact sketch (a parse) and the rough one (regular expressions, for a cold hook cache) alike."""
    result = feature.parse("features/f.feature", FEATURE.encode())
    (exact,) = sketch_result(result).records
    assert list(zip(exact.refs, exact.ref_lines)) == [
        (("tag", "ADR-0008-use-x"), 1), (("tag", "ADR-0007"), 1), (("scenario SC-1 tag", "ADR-0008-use-y"), 5),
    ]
    (rough,) = sketch_text("features/f.feature", "feature", FEATURE.encode(), DEFAULT_OPTIONS).records
    assert list(zip(rough.refs, rough.ref_lines)) == [
        (("tag", "ADR-0008-use-x"), 1), (("tag", "ADR-0007"), 1), (("tag", "ADR-0008-use-y"), 5),
    ]


def test_contract_mentions() -> None:
    text = "id: CTR-1\ntitle: C\nmetadata:\n  note: see ADR-0008-use-x.\n  also: '`ADR-0008-use-y`, ADR-8'\n"
    (record,) = contract.parse("contracts/c.yaml", text.encode()).records
    assert record.ref_lines == {"ADR-0008-use-x": 4, "ADR-0008-use-y": 5, "ADR-0008": 5}
