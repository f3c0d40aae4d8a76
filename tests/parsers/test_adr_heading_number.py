"""An H1 whose number is not the ADR's own.

``# 7. Seven`` in ``0005-x.md`` or ``# ADR-0009: Nine`` in ``0006-y.md``: the ADR is the file's (or the front
matter's) number, which of the two the author meant cannot be told, so the heading keeps its number in the title
and a warning at the H1 says the numbers differ (formats.md: never guess silently; README "Title": a leading number
that is not the ADR's own stays in the title). The heading's number prefix numbers this ADR: it is no reference to
another one (no ``related_adrs`` entry, no link, no "not an ADR of this repository" error from ``check``).
"""

from __future__ import annotations

import pytest

from tracertm.crossfile import cross_check
from tracertm.parsers.adr import parse
from tracertm.parsers.records import ParseResult, SpecRecord


def only(result: ParseResult) -> SpecRecord:
    (record,) = result.records
    return record


def warnings(result: ParseResult) -> list[tuple[int, str]]:
    return [(w.line, w.message) for w in result.warnings]


def adr(path: str, text: str) -> ParseResult:
    return parse(path, text.encode())


STATUS = "\n\n## Status\n\nAccepted\n"


@pytest.mark.parametrize(
    ("path", "h1", "own", "written"),
    [
        ("docs/adr/0006-y.md", "# ADR-0009: Nine", "ADR-0006", "ADR-0009"),
        ("docs/adr/0005-x.md", "# 7. Seven", "ADR-0005", "ADR-0007"),
        ("docs/adr/0005-x.md", "# 7) Seven", "ADR-0005", "ADR-0007"),
        ("docs/adr/0005-x.md", "# ADR 7: Seven", "ADR-0005", "ADR-0007"),
        ("docs/adr/0005-x.md", "# ADR-007 - Seven", "ADR-0005", "ADR-0007"),
        ("docs/adr/0005-x.md", "# ADR-0007 Seven", "ADR-0005", "ADR-0007"),
    ],
)
def test_a_heading_number_that_is_not_the_adrs_stays_in_the_title_with_a_warning(
    path: str, h1: str, own: str, written: str
) -> None:
    result = adr(path, h1 + STATUS)
    record = only(result)
    assert record.number == own
    assert record.fields["title"] == h1[2:]
    assert record.fields["related_adrs"] == []  # the heading's number names no other ADR
    assert record.fields["adr_metadata"]["links"] == []
    [(line, message)] = warnings(result)
    assert line == 1
    assert f"heading's number {written} differs from this ADR's id {own} (from its file name)" in message


def test_the_example_of_the_audit() -> None:
    nine = adr("docs/adr/0006-y.md", "# ADR-0009: Nine" + STATUS)
    real = adr("docs/adr/0009-z.md", "# 9. Real nine" + STATUS)
    seven = adr("docs/adr/0005-x.md", "# 7. Seven" + STATUS)
    assert [(only(r).number, only(r).fields["title"]) for r in (nine, real, seven)] == [
        ("ADR-0006", "ADR-0009: Nine"),
        ("ADR-0009", "Real nine"),
        ("ADR-0005", "7. Seven"),
    ]
    assert only(nine).fields["related_adrs"] == []
    assert warnings(real) == []
    assert [line for line, _ in warnings(nine)] == [1]
    assert [line for line, _ in warnings(seven)] == [1]


def test_check_sees_no_reference_in_the_heading_number() -> None:
    # Alone, ADR-0006 headed "ADR-0009: Nine" refers to nothing: no "ADR-0009 is not an ADR of this repository".
    found = cross_check([adr("docs/adr/0006-y.md", "# ADR-0009: Nine" + STATUS)])
    assert [d for d in found if d.severity == "error"] == []


@pytest.mark.parametrize(
    ("path", "h1", "title"),
    [
        ("docs/adr/0009-z.md", "# 9. Real nine", "Real nine"),
        ("docs/adr/0009-z.md", "# ADR-0009: Real nine", "Real nine"),
        ("docs/adr/0009-z.md", "# ADR 9 - Real nine", "Real nine"),
        ("docs/adr/0005-pizza.md", "# 2 Pizza teams", "2 Pizza teams"),  # a bare number reads as title words
        ("docs/adr/0005-x.md", "# 1.5x faster", "1.5x faster"),  # no number prefix at all
        ("docs/adr/nine.md", "# ADR-0009: Nine", "Nine"),  # the H1 numbers an ADR whose file name does not
    ],
)
def test_the_adrs_own_number_or_no_number_prefix_is_no_warning(path: str, h1: str, title: str) -> None:
    result = adr(path, h1 + STATUS)
    assert only(result).fields["title"] == title
    assert only(result).fields["related_adrs"] == []
    assert warnings(result) == []


def test_the_front_matter_id_is_the_adrs_own_number() -> None:
    own = adr("docs/adr/x.md", "---\nid: 42\n---\n# 42. Forty two" + STATUS)
    assert (only(own).number, only(own).fields["title"], warnings(own)) == ("ADR-0042", "Forty two", [])
    other = adr("docs/adr/0009-x.md", "---\nid: 42\n---\n# 9. Nine" + STATUS)
    assert (only(other).number, only(other).fields["title"]) == ("ADR-0042", "9. Nine")
    [(line, message)] = warnings(other)
    assert line == 4  # the H1's line, after the front matter
    assert "heading's number ADR-0009 differs from this ADR's id ADR-0042 (from its front matter id)" in message
    # A front matter title is the title; the heading's number is still said to differ.
    titled = adr("docs/adr/0009-x.md", "---\nid: 42\ntitle: Answer\n---\n# 9. Nine" + STATUS)
    assert only(titled).fields["title"] == "Answer"
    assert [line for line, _ in warnings(titled)] == [5]


def test_a_folder_per_adr_says_the_folder() -> None:
    result = adr("docs/decisions/0007-use-kafka/README.md", "# 8. Use Kafka" + STATUS)
    assert (only(result).number, only(result).fields["title"]) == ("ADR-0007", "8. Use Kafka")
    [(line, message)] = warnings(result)
    assert line == 1 and "(from its folder's name)" in message


def test_a_dated_log4brains_file_keeps_the_headings_number() -> None:
    result = adr("docs/adr/20200924-use-x.md", "# 7. Use X" + STATUS)
    assert (only(result).number, only(result).fields["title"]) == ("use-x", "7. Use X")
    assert [line for line, _ in warnings(result)] == [1]


def test_other_ids_in_the_heading_and_below_it_are_still_references() -> None:
    text = "# ADR-0009: Replace ADR-0003\n\n## Status\n\nAccepted\n\n## Context\n\nSee ADR-0009 and ADR-0004.\n"
    record = only(adr("docs/adr/0006-y.md", text))
    # Only the heading's number prefix is not a reference: ADR-0003 in its words and ADR-0009 in the prose are.
    assert record.fields["related_adrs"] == ["ADR-0003", "ADR-0009", "ADR-0004"]
    assert dict(record.ref_lines) == {"ADR-0003": 1, "ADR-0009": 9, "ADR-0004": 9}


def test_a_setext_heading_number_is_no_reference_either() -> None:
    result = adr("docs/adr/0006-y.md", "ADR-0009: Nine\n==============" + STATUS)
    record = only(result)
    assert (record.fields["title"], record.fields["related_adrs"]) == ("ADR-0009: Nine", [])
    assert [line for line, _ in warnings(result)] == [1]
