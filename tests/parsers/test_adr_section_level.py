"""The level an ADR's sections split at is that of its known section headings (``## Status``, ``## Context`` …),
not the shallowest level in the file: a ``# Notes`` further down (an H1 after the consequences) used to become the
split level, leaving the known sections children of ``## Status`` — context, decision and consequences all empty,
and a ``See [...]`` line of the context taken for a relation of the status. A deeper heading before the sections
(``### Metadata``) does not set the level either. A shallower heading is a section of its own, as a reader sees it
(it was the text of the section before it: "# Notes" and its table ended the consequences)."""

from __future__ import annotations

from tracertm.parsers import parse
from tracertm.parsers.records import ParserOptions

NYGARD = """# 9. Use a ledger

Date: 2024-05-01

## Status

Proposed

## Context

See [the old ledger](0006-old-ledger.md) for why.

## Decision

Nothing.

## Consequences

Some.

# Notes

| kind | figure |
|---|---|
| a | 1 |
"""


def _fields(text: str) -> dict[str, object]:
    result = parse("adr", "docs/adr/0009-use-a-ledger.md", text.encode(), ParserOptions())
    return result.records[0].fields


def test_a_shallower_heading_further_down_is_a_section_of_its_own() -> None:
    fields = _fields(NYGARD)
    assert fields["status"] == "proposed"
    assert fields["context"] == "See [the old ledger](0006-old-ledger.md) for why."
    assert fields["decision"] == "Nothing."
    assert fields["consequences"] == "Some."
    metadata = fields["adr_metadata"]
    assert isinstance(metadata, dict) and metadata["sections"] == {"Notes": "| kind | figure |\n|---|---|\n| a | 1 |"}
    assert fields["related_adrs"] == ["ADR-0006"]


def test_a_deeper_heading_before_the_sections_does_not_set_their_level() -> None:
    text = NYGARD.replace("## Status\n", "### Metadata\n\nOwner: the platform team\n\n## Status\n", 1)
    fields = _fields(text)
    assert (fields["status"], fields["decision"]) == ("proposed", "Nothing.")


def test_without_known_headings_the_shallowest_level_splits_as_before() -> None:
    fields = _fields("# 3. Free form\n\n## Background\n\nText.\n\n# Appendix\n\nMore.\n")
    metadata = fields.get("adr_metadata") or fields.get("metadata")
    assert isinstance(metadata, dict) and metadata["sections"] == {"Background": "Text.", "Appendix": "More."}


# The Tyree and Akerman template (joelparkerhenderson/architecture-decision-record's "decision record template by
# Jeff Tyree and Art Akerman" and its examples, css-framework, metrics-monitors-alerts …): the fields are ``###``
# sections grouped under ``## Summary``, ``## Details``, ``## Related`` and ``## Notes``. Each group heading was
# part of the section before it: the Status section kept "## Details" as its text, the consequences (Implications)
# ended in "## Related", and the notes' opening text was kept as the last related principle's.
TYREE = """# Metrics and alerts

## Summary

### Issue

We want to know when something breaks.

### Decision

Prometheus.

### Status

Accepted

## Details

### Assumptions

We buy rather than build.

### Implications

Someone runs Prometheus.

## Related

### Related principles

Easily reversible.

## Notes

A good open source stack:

* Prometheus for metrics

### Graylog is easier

From experience.
"""


def test_a_shallower_heading_over_sections_of_the_split_level_heads_a_group() -> None:
    fields = _fields(TYREE)
    assert (fields["status"], fields["decision"]) == ("accepted", "Prometheus.")
    assert fields["consequences"] == "Someone runs Prometheus."
    metadata = fields["adr_metadata"]
    assert isinstance(metadata, dict)
    assert metadata["sections"] == {
        "Issue": "We want to know when something breaks.",
        "Assumptions": "We buy rather than build.",
        "Related principles": "Easily reversible.",
        "Notes": "A good open source stack:\n\n* Prometheus for metrics",
        "Graylog is easier": "From experience.",
    }


# The GIG Cymru NHS Wales template (in joelparkerhenderson/architecture-decision-record): its only known heading is
# a ``### Consequences`` under ``## Recommendation``, so its sections split at level 3 — and each ``##`` section
# that holds no ``###`` one was text of the section before it (Drivers of the Summary, More Information of the
# Confirmation).
NHS_WALES = """# Share appointment data

## Summary

Clinics need each other's appointments.

## Drivers

* Patients are booked twice.

## Options

### A shared database

One schema.

### Events

A topic per clinic.

## Recommendation

Events.

### Consequences

Each clinic keeps its copy.

### Confirmation

A review in a year.

## More Information

Ask the platform team.

## Status

Accepted
"""


def test_every_shallower_heading_is_a_section_when_the_known_ones_are_nested() -> None:
    fields = _fields(NHS_WALES)
    assert (fields["status"], fields["consequences"]) == ("accepted", "Each clinic keeps its copy.")
    metadata = fields["adr_metadata"]
    assert isinstance(metadata, dict)
    assert metadata["sections"] == {
        "Summary": "Clinics need each other's appointments.",
        "Drivers": "* Patients are booked twice.",
        "A shared database": "One schema.",
        "Events": "A topic per clinic.",
        "Recommendation": "Events.",
        "Confirmation": "A review in a year.",
        "More Information": "Ask the platform team.",
    }


def test_without_an_h1_the_one_heading_over_the_sections_is_the_title() -> None:
    """An H2 over ``###`` sections (an example of joelparkerhenderson/architecture-decision-record writes "##
    Architecture decision record: …" so) was a section with no text: its words were in no field, the title the
    file's slug."""
    text = ("## Architecture decision record: Adopt QUOKKA for testing\n\n### Status\n\nAccepted\n\n### Context\n\n"
            "We test.\n\n### Decision\n\nQuokka.\n")
    result = parse("adr", "docs/adr/0001-testing.md", text.encode(), ParserOptions())
    fields = result.records[0].fields
    assert (fields["title"], fields["status"], fields["context"], fields["decision"]) == (
        "Architecture decision record: Adopt QUOKKA for testing", "accepted", "We test.", "Quokka.")
    assert (result.records[0].line, result.warnings) == (1, ())
    # A heading beside the known sections, or beside another of its level (a group), is no title.
    for no_title, section in (("## Notes\n\nN.\n\n## Status\n\nAccepted\n", "Notes"),
                              (TYREE.split("\n", 2)[2], "Related principles")):
        fields = parse("adr", "docs/adr/0001-testing.md", no_title.encode(), ParserOptions()).records[0].fields
        metadata = fields["adr_metadata"]
        assert fields["title"] == "Testing" and isinstance(metadata, dict) and section in metadata["sections"]
