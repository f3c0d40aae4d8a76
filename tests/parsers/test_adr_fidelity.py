"""Real-world ADR shapes (issue 13): each class of misreading found on public ADR collections, rebuilt as a small
file of our own with the same shape (``fixtures/adr-fidelity/``) or an inline document."""

from __future__ import annotations

import datetime as dt
from pathlib import Path

import pytest

from tracertm.parsers.adr import parse
from tracertm.parsers.records import ParseResult, ParserOptions, SpecRecord

FIXTURES = Path(__file__).parent / "fixtures" / "adr-fidelity"


def fixture(name: str) -> bytes:
    return (FIXTURES / name).read_bytes()


def only(result: ParseResult) -> SpecRecord:
    assert len(result.records) == 1
    return result.records[0]


def warnings(result: ParseResult) -> list[tuple[int, str]]:
    return [(w.line, w.message) for w in result.warnings]


# ------------------------------------------------------------------------------------------------ 1. headings, labels
def test_plural_headings_and_labels_without_colon() -> None:
    result = parse("docs/adr/0009-plural-headings.md", fixture("0009-plural-headings.md"))
    fields = only(result).fields
    assert (fields["adr_number"], fields["title"]) == ("ADR-0009", "Write headings as people do")
    assert fields["status"] == "accepted" and fields["adr_metadata"]["raw_status"] == "Accepted"
    assert fields["date"] == dt.date(2018, 4, 13)  # 13 cannot be a month: unambiguous
    assert fields["context"] == "Teams copy templates and then rename the headings."
    assert fields["decision"] == "We accept the plural and the synonyms."
    assert fields["consequences"] == "The parser keeps a table of headings."
    assert fields["adr_metadata"]["sections"] == {} and "preamble" not in fields["adr_metadata"]
    assert warnings(result) == []


def test_status_heading_with_emoji_and_note_and_emoji_value() -> None:
    result = parse("docs/adr/0010-emoji-status.md", fixture("0010-emoji-status.md"))
    fields = only(result).fields
    assert fields["status"] == "accepted"
    raw = fields["adr_metadata"]["raw_status"]
    assert raw == ":white_check_mark: Accepted — confirmed by the architecture board"
    assert fields["title"] == "Status with decorations"  # "# 10 Status ..." is number 10, not a Status heading
    assert fields["decision"] == 'Chosen option: "decorate", because people like it.'
    assert fields["consequences"] == "None."
    assert "✅ Status (as of March 2021)" not in fields["adr_metadata"]["sections"]
    assert warnings(result) == []


@pytest.mark.parametrize(
    ("heading", "status"),
    [
        ("## Status: Accepted", "accepted"),
        ("## **Status** - Rejected", "rejected"),
        ("## 🚫 Status | Deprecated", "deprecated"),
    ],
)
def test_status_written_in_the_heading(heading: str, status: str) -> None:
    result = parse("docs/adr/0001-x.md", f"# 1. X\n\n{heading}\n\nApproved by the board in May.\n".encode())
    fields = only(result).fields
    assert fields["status"] == status and fields["adr_metadata"]["dialect"] == "nygard"
    assert fields["adr_metadata"]["sections"] == {heading[3:]: "Approved by the board in May."}  # prose kept
    assert warnings(result) == []


def test_status_quo_is_not_a_status_heading() -> None:
    result = parse("docs/adr/0001-x.md", b"# 1. X\n\n## Status quo\n\nWe ship by hand.\n\n## Status\n\nProposed\n")
    fields = only(result).fields
    assert fields["status"] == "proposed" and fields["adr_metadata"]["sections"] == {"Status quo": "We ship by hand."}
    assert warnings(result) == []


def test_prose_after_a_label_word_is_not_a_label() -> None:
    data = b"# 1. X\n\nStatus Accepted\nDate of the meeting was unclear\n\n## Context\n\nc\n"
    result = parse("docs/adr/0001-x.md", data)
    fields = only(result).fields
    assert fields["status"] == "accepted" and fields["date"] is None
    assert fields["adr_metadata"]["preamble"] == "Date of the meeting was unclear"
    assert warnings(result) == []


# ------------------------------------------------------------------------------------------------ 1. dates
@pytest.mark.parametrize(
    ("written", "expected"),
    [
        ("2018-04-09", dt.date(2018, 4, 9)),
        ("2018/04/09", dt.date(2018, 4, 9)),
        ("13/04/2018", dt.date(2018, 4, 13)),
        ("13.04.2018", dt.date(2018, 4, 13)),
        ("04/13/2018", dt.date(2018, 4, 13)),  # month first, and unambiguous
        ("04/04/2018", dt.date(2018, 4, 4)),
        ("9 April 2018", dt.date(2018, 4, 9)),
        ("9th Apr. 2018", dt.date(2018, 4, 9)),
        ("April 9, 2018", dt.date(2018, 4, 9)),
        ("2018-04-09 (updated 2019-01-01)", dt.date(2018, 4, 9)),
    ],
)
def test_date_forms(written: str, expected: dt.date) -> None:
    result = parse("docs/adr/0001-x.md", f"# 1. X\n\nDate: {written}\n\n## Status\n\nAccepted\n".encode())
    assert only(result).fields["date"] == expected
    assert warnings(result) == []


def test_ambiguous_date_is_a_warning_naming_the_line_never_a_guess() -> None:
    data = b"# 1. X\n\n* Status: accepted\n* Date: 09/04/2018\n"
    result = parse("docs/adr/0001-x.md", data)
    assert only(result).fields["date"] is None
    [(line, message)] = warnings(result)
    assert line == 4 and message.startswith("ambiguous date '09/04/2018' in key list: day/month or month/day?")
    assert 'date_format = "DD/MM/YYYY"' in message  # says how to settle it


@pytest.mark.parametrize(
    ("date_format", "expected"),
    [("DD/MM/YYYY", dt.date(2018, 4, 9)), ("dd/mm/yyyy", dt.date(2018, 4, 9)), ("MM/DD/YYYY", dt.date(2018, 9, 4))],
)
def test_date_format_settles_numeric_dates(date_format: str, expected: dt.date) -> None:
    data = b"# 1. X\n\n* Status: accepted\n* Date: 09/04/2018\n"
    result = parse("docs/adr/0001-x.md", data, ParserOptions(date_format=date_format))
    assert only(result).fields["date"] == expected and warnings(result) == []


def test_configured_order_that_cannot_fit_is_a_warning() -> None:
    data = b"# 1. X\n\n* Status: accepted\n* Date: 04/13/2018\n"
    result = parse("docs/adr/0001-x.md", data, ParserOptions(date_format="DD/MM/YYYY"))
    assert only(result).fields["date"] is None
    assert warnings(result) == [(4, "cannot read date '04/13/2018' in key list; use YYYY-MM-DD")]


def test_unreadable_date_falls_back_to_the_log4brains_file_date_with_a_warning() -> None:
    data = b"# X\n\n- Status: accepted\n- Date: 05/06/2020\n"
    result = parse("docs/adr/20200924-x.md", data)
    assert only(result).fields["date"] == dt.date(2020, 9, 24)
    assert [line for line, _ in warnings(result)] == [4]


# ------------------------------------------------------------------------------------------------ 2. titles
@pytest.mark.parametrize(
    "h1",
    [
        "# 23 Logging",
        "# 23. Logging",
        "# 23) Logging",
        "# ADR 23: Logging",
        "# ADR-023 - Logging",
        "# ADR-0023: Logging",
    ],
)
@pytest.mark.parametrize("path", ["docs/adr/0023-logging.md", "docs/adr/logging.md"])
def test_title_forms(h1: str, path: str) -> None:
    result = parse(path, f"{h1}\n\n## Status\n\nAccepted\n".encode())
    record = only(result)
    assert (record.number, record.fields["title"]) == ("ADR-0023", "Logging")
    assert warnings(result) == []


def test_a_bare_number_that_is_not_the_adr_number_stays_in_the_title() -> None:
    record = only(parse("docs/adr/0005-pizza.md", b"# 2 Pizza teams\n\n## Status\n\nAccepted\n"))
    assert (record.number, record.fields["title"]) == ("ADR-0005", "2 Pizza teams")


# ------------------------------------------------------------------------------------------------ 3. sub-sections
def test_status_lines_in_sub_sections_are_not_the_adr_status() -> None:
    result = parse("docs/adr/0012-migration-plan.md", fixture("0012-migration-plan.md"))
    fields = only(result).fields
    assert (fields["adr_number"], fields["title"], fields["status"]) == ("ADR-0012", "Migration plan", "accepted")
    assert warnings(result) == []  # no "disagrees with the Status section"
    assert "**Status**: In progress" in fields["adr_metadata"]["sections"]["Plan"]  # the text is kept


def test_a_top_level_bold_status_still_counts_and_disagreement_is_still_warned() -> None:
    data = b"# 1. X\n\n## Status\n\nAccepted\n\n## Notes\n\n**Status:** Rejected\n"
    result = parse("docs/adr/0001-x.md", data)
    assert only(result).fields["status"] == "accepted"
    assert [line for line, message in warnings(result) if "disagrees" in message] == [9]


# ------------------------------------------------------------------------------------------------ 4. references
def test_references_skip_urls_other_repositories_and_code() -> None:
    result = parse("docs/adr/0014-references.md", fixture("0014-references.md"))
    record = only(result)
    assert (record.number, record.fields["title"]) == ("ADR-0014", "References")
    # Not: adr006 in an autolink, 0007 in a bare URL, ADR-0008 in a code span, ADR-0009 linking elsewhere,
    # ADR-0010 in a code block, ../README.md (not an ADR file).
    assert record.fields["related_adrs"] == ["ADR-0005", "ADR-0011", "ADR-0003"]
    assert dict(record.ref_lines) == {"ADR-0005": 18, "ADR-0011": 18, "ADR-0003": 18}
    assert warnings(result) == []


def test_reference_lines_point_at_each_reference() -> None:
    data = (
        b"---\nsupersedes: ADR-0002\nstatus: accepted\n---\n# 7. X\n\n## Context\n\nBuilds on ADR-0004.\n\n"
        b"## Links\n\n* Refined by [ADR-0006](0006-y.md)\n"
    )
    record = only(parse("docs/adr/0007-x.md", data))
    assert record.fields["related_adrs"] == ["ADR-0002", "ADR-0006", "ADR-0004"]
    assert dict(record.ref_lines) == {"ADR-0002": 2, "ADR-0006": 13, "ADR-0004": 9}


_SUPERSEDES_TWO = {  # an ADR replacing two, as each dialect writes it
    "adr-tools": (b"# 4. Use Cockroach\n\nDate: 2024-01-01\n\n## Status\n\nAccepted\n\n"
                  b"Supercedes [2. Use Kafka](0002-use-kafka.md)\n\n"
                  b"Supercedes [3. Use Postgres](0003-use-postgres.md)\n\n## Context\n\nC.\n",
                  {"ADR-0002": 9, "ADR-0003": 11}),
    "front matter": (b"---\nstatus: accepted\nsupersedes: [2, 3]\n---\n# 4. Use Cockroach\n",
                     {"ADR-0002": 3, "ADR-0003": 3}),
    "log4brains": (b"# Use Cockroach\n\n- Status: accepted\n\n## Context\n\nC.\n\n## Links\n\n"
                   b"- Supersedes [Use Kafka](0002-use-kafka.md)\n"
                   b"- Supersedes [Use Postgres](0003-use-postgres.md)\n",
                   {"ADR-0002": 11, "ADR-0003": 12}),
}


@pytest.mark.parametrize("data, lines", _SUPERSEDES_TWO.values(), ids=list(_SUPERSEDES_TWO))
def test_every_superseded_adr_is_named(data: bytes, lines: dict[str, int]) -> None:
    """``adr new -s 2 -s 3`` writes two ``Supercedes`` lines: the second was a mere related ADR (no supersedes link,
    while ADR-0003 names ADR-0004 its successor). The column keeps the first, the metadata names both."""
    result = parse("docs/adr/0004-use-cockroach.md", data)
    record = only(result)
    assert (record.fields["supersedes"], record.fields["adr_metadata"]["supersedes"]) == \
        ("ADR-0002", ["ADR-0002", "ADR-0003"])
    assert record.fields["related_adrs"] == ["ADR-0002", "ADR-0003"]
    assert dict(record.ref_lines) == lines
    assert warnings(result) == []


def test_an_adr_superseded_by_two_names_both() -> None:
    """adr-tools adds a ``Superceded by`` line to ADR 2 at each ``adr new -s 2``: two successors (a decision split
    in two) are no mistake, and no warning; one successor keeps the metadata as it was."""
    data = (b"# 2. Use Kafka\n\nDate: 2024-01-01\n\n## Status\n\nSuperceded by [4. Use X](0004-use-x.md)\n\n"
            b"Superceded by [5. Use Y](0005-use-y.md)\n\n## Context\n\nC.\n")
    result = parse("docs/adr/0002-use-kafka.md", data)
    record = only(result)
    assert (record.fields["status"], record.fields["superseded_by"]) == ("superseded", "ADR-0004")
    assert record.fields["adr_metadata"]["superseded_by"] == ["ADR-0004", "ADR-0005"]
    assert dict(record.ref_lines) == {"ADR-0004": 7, "ADR-0005": 9}
    assert warnings(result) == []
    one = only(parse("docs/adr/0002-use-kafka.md", data.replace(b"Superceded by [5. Use Y](0005-use-y.md)", b"")))
    assert "superseded_by" not in one.fields["adr_metadata"]


@pytest.mark.parametrize(
    "data",
    [
        b"# 3. X\n\n## Status\n\nSuperseded by [ADR-0004](https://example.org/other/adr/0004-y.md)\n",
        b"---\nstatus: superseded\nsuperseded-by: https://example.org/other/adr/0004-y.md\n---\n# 3. X\n",
    ],
    ids=["link line", "front matter"],
)
def test_relation_to_an_external_adr_is_not_a_reference(data: bytes) -> None:
    record = only(parse("docs/adr/0003-x.md", data))
    assert record.fields["superseded_by"] is None and record.fields["related_adrs"] == []


# ------------------------------------------------------------------------------------------------ 5. folder per ADR
def test_folder_per_adr_takes_number_and_slug_from_the_folder() -> None:
    path = "decisions/0007-use-kafka/README.md"
    result = parse(path, fixture(path))
    record = only(result)
    assert (record.number, record.fields["title"], record.fields["status"]) == (
        "ADR-0007",
        "Use Kafka for events",
        "accepted",
    )
    assert record.fields["adr_metadata"]["slug"] == "use-kafka"
    assert record.fields["date"] == dt.date(2021, 6, 1) and warnings(result) == []


def test_index_md_in_a_slug_folder_is_identified_by_the_folder() -> None:
    record = only(parse("locales/en/examples/basic/index.md", b"# Basic example\n\n- Status: accepted\n"))
    assert (record.number, record.fields["title"]) == ("basic", "Basic example")


def test_h1_number_identifies_an_unnumbered_file_after_front_matter_comments() -> None:
    record = only(parse("docs/adr/logging.md", fixture("logging.md")))
    assert (record.number, record.fields["title"], record.line) == ("ADR-0023", "Logging", 6)


@pytest.mark.parametrize(
    ("heading", "field"),
    [
        ("Context", "context"),
        ("Context and Problem Statement", "context"),
        ("Problem Statement", "context"),
        ("2. Context", "context"),
        ("**Context**", "context"),
        ("Decision", "decision"),
        ("Decisions", "decision"),
        ("Decision Outcome", "decision"),
        ("Decision Made", "decision"),
        ("🎯 Decision", "decision"),
        ("Consequences", "consequences"),
        ("Implications", "consequences"),
    ],
)
def test_heading_synonyms(heading: str, field: str) -> None:
    result = parse("docs/adr/0001-x.md", f"# 1. X\n\n## Status\n\nAccepted\n\n## {heading}\n\nThe text.\n".encode())
    fields = only(result).fields
    assert fields[field] == "The text." and fields["adr_metadata"]["sections"] == {}
    assert warnings(result) == []


@pytest.mark.parametrize(
    "line",
    [
        "Status: accepted",
        "* Status: accepted",
        "- Status: accepted",
        "**Status:** Accepted",
        "**Status**: Accepted",
        "Status Accepted",
        "- Status Accepted",
        "**Status** Accepted",
    ],
)
def test_status_label_forms(line: str) -> None:
    result = parse("docs/adr/0001-x.md", f"# 1. X\n\n{line}\nDate 2018-04-09\n\n## Context\n\nc\n".encode())
    fields = only(result).fields
    assert (fields["status"], fields["date"]) == ("accepted", dt.date(2018, 4, 9))
    assert "preamble" not in fields["adr_metadata"] and warnings(result) == []


@pytest.mark.parametrize("written", ["Decided", "decided", "Decided — Sealed Secrets deployed via ArgoCD.",
                                     "DECIDED — blockers resolved"])
def test_decided_is_accepted(written: str) -> None:
    """"Decided" as the Status of public ADR collections (their shapes, our text): accepted, as "Approved" is, with
    the text as written kept — it was an unknown status, stored as proposed with a warning."""
    result = parse("docs/adr/0001-x.md", f"# 1. X\n\n## Status\n\n{written}\n\n## Decision\n\nWe do it.\n".encode())
    fields = only(result).fields
    assert (fields["status"], fields["adr_metadata"]["raw_status"]) == ("accepted", written)
    assert warnings(result) == []


# ------------------------------------------------------------------- a sentence that starts with a link is prose
def test_a_sentence_starting_with_a_link_keeps_its_text() -> None:
    """log4brains' own ``20201002-use-explicit-architecture-and-ddd-for-the-core-api.md`` opens its text with ``As
    mentioned in [20200101-use-x](…), we want the core API to be well-tested …``: read as a relation line (a few
    words, then a link), the whole sentence was dropped — no context, not searchable. A relation line that says
    more than its relation keeps its text; one that does not is read as before."""
    log4brains = parse("docs/adr/20200201-use-y.md", (
        b"# Use Y\n\n- Status: accepted\n- Date: 2020-02-01\n\n"
        b"As mentioned in [20200101-use-x](20200101-use-x.md), we want the core API to be well-tested because all"
        b" the business logic will happen here.\n\nWe will use Y for our core package.\n"))
    fields = only(log4brains).fields
    assert "we want the core API to be well-tested" in fields["adr_metadata"]["preamble"]
    assert "We will use Y" in fields["adr_metadata"]["preamble"]
    nygard = parse("docs/adr/0002-use-y.md", (
        b"# 2. Use Y\n\n## Status\n\nAccepted\n\n"
        b"As decided in [ADR 1](0001-use-x.md), the core API must be well-tested before release.\n\n"
        b"Amended by [ADR 3](0003-use-z.md) on 2021-03-04\n\n## Context\n\nWe need Y.\n"))
    fields = only(nygard).fields
    assert fields["status"] == "accepted"
    assert "the core API must be well-tested before release" in str(fields["adr_metadata"])
    assert "Amended by" not in str(fields["adr_metadata"].get("sections", {}))  # a bare relation line is read
    assert {"relation": "amended by", "target": "ADR-0003"} in fields["adr_metadata"]["links"]


def test_prose_around_drivers_and_options_is_kept_under_its_heading() -> None:
    """``decision_drivers`` and ``considered_options`` hold the list items: the text before, between and after them
    (an introduction, a nested list, a note) was stored nowhere. It is kept in ``adr_metadata.sections`` under the
    heading, the blank lines where the items were one paragraph break."""
    data = (b"# Use X\n\n* Status: accepted\n\n## Decision Drivers\n\nThe drivers, as the board ranked them:\n\n"
            b"* Speed\n* Cost,\n  above all\n\nSecurity was left out on purpose.\n\n## Considered Options\n\n"
            b"We looked at two.\n\n* A\n  * a sub-point\n* B\n\n## Decision Outcome\n\nChosen option: A.\n")
    result = parse("docs/adr/0001-use-x.md", data)
    record = only(result)
    assert record.fields["decision_drivers"] == ["Speed", "Cost, above all"]
    assert [o["option"] for o in record.fields["considered_options"]] == ["A", "B"]
    assert record.fields["adr_metadata"]["sections"] == {
        "Decision Drivers": "The drivers, as the board ranked them:\n\nSecurity was left out on purpose.",
        "Considered Options": "We looked at two.\n\n  * a sub-point",
    }
    assert warnings(result) == []
    listless = only(parse("docs/adr/0001-use-x.md", b"# Use X\n\n* Status: accepted\n\n## Considered Options\n\n"
                          b"Only the status quo, really.\n"))
    assert listless.fields["adr_metadata"]["sections"] == {"Considered Options": "Only the status quo, really."}
    plain = only(parse("docs/adr/0001-use-x.md",
                       b"# Use X\n\n* Status: accepted\n\n## Decision Drivers\n\n* Speed\n"))
    assert plain.fields["adr_metadata"]["sections"] == {}  # nothing around the items: nothing kept twice
