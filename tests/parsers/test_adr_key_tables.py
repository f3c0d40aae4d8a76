"""An ADR's metadata written as a two-column table (under the H1 or in the Status section) is read as its key list.

Many public ADRs put status, date and deciders in a table, often under a ``| Field | Value |`` header (``# ADR-005:
An audit trail …`` then ``| Status | Accepted |``, ``| Date | 2026-09-11 |``; an outbox ADR's ``## 1. Status``
holding such a table; RFC-style files whose header row is ``| Status | Accepted |`` itself). Such a file was "no
status found; treating the ADR as 'proposed'" with no date and no deciders, or, with the table in the Status
section, the status "| Field | Value |" (an unknown status). The files below are our own, shaped like those.
"""

from __future__ import annotations

import datetime as dt

import pytest

from tracertm.parsers.adr import parse
from tracertm.parsers.records import SpecRecord

UNDER_THE_TITLE = """# ADR-0005: An audit trail that cannot be edited

| Field | Value |
|---|---|
| Status | Accepted |
| Date | 2026-09-11 |
| **Deciders** | Ann, Bob |
| Milestone | M5 \\| M6 |
| Builds on | ADR-002 (forward-only migrations) |

## Context

The trail is what the project exists to produce.
"""

IN_THE_STATUS_SECTION = """# ADR-0038 — Transactional outbox

## 1. Status

| Field | Value |
|---|---|
| Status | Superseded by [the event log](0041-event-log.md) |
| Date | 2025-06-10 |
| ARB decision | ARB-2025-022 |

## 2. Context

Events were lost between commit and publish.
"""

HEADER_ROW_IS_THE_STATUS = """# RFC 7: Functions handler

| Status | Accepted |
|--------|----------|
| **RFC #** | 007 |
| **Created** | 2026-02-17 |

## Context

c
"""


def only(path: str, text: str) -> SpecRecord:
    result = parse(path, text.encode())
    assert result.warnings == ()
    (record,) = result.records
    return record


def test_a_key_table_under_the_title() -> None:
    fields = only("docs/adr/0005-audit-trail.md", UNDER_THE_TITLE).fields
    assert (fields["status"], fields["date"]) == ("accepted", dt.date(2026, 9, 11))
    assert fields["stakeholders"] == ["Ann", "Bob"]
    metadata = fields["adr_metadata"]
    assert metadata["attributes"] == {"Milestone": "M5 | M6"}
    assert metadata["links"] == [{"relation": "builds on", "target": "ADR-0002"}]
    assert "preamble" not in metadata  # every row was read: nothing of the table is left over


def test_a_key_table_in_the_status_section() -> None:
    record = only("docs/adr/0038-outbox.md", IN_THE_STATUS_SECTION)
    fields = record.fields
    assert (fields["status"], fields["superseded_by"], fields["date"]) == ("superseded", "ADR-0041",
                                                                          dt.date(2025, 6, 10))
    assert fields["adr_metadata"]["raw_status"] == "Superseded by [the event log](0041-event-log.md)"
    # The rows the section reads nowhere else stay in its text, as written.
    assert "| ARB decision | ARB-2025-022 |" in fields["adr_metadata"]["sections"]["1. Status"]
    assert record.ref_lines == {"ADR-0041": 7}


def test_a_header_row_that_is_a_pair_and_a_row_that_is_no_label() -> None:
    fields = only("docs/adr/0007-functions-handler.md", HEADER_ROW_IS_THE_STATUS).fields
    assert fields["status"] == "accepted"
    metadata = fields["adr_metadata"]
    assert metadata["attributes"] == {"Created": "2026-02-17"}
    # "**RFC #**" is no label: the table, read in part, stays whole in the preamble.
    assert metadata["preamble"] == HEADER_ROW_IS_THE_STATUS.split("\n\n")[1]


@pytest.mark.parametrize(
    "table",
    [
        "| Option | Score |\n| Kafka | 5 |",  # no delimiter row: not a table
        "| A | B | C |\n|---|---|---|\n| Status | Accepted | x |",  # three columns: not a key table
        "```\n| Status | Accepted |\n|---|---|\n```",  # code
    ],
)
def test_what_is_no_key_table(table: str) -> None:
    result = parse("docs/adr/0008-x.md", f"# 8. X\n\n{table}\n\n## Context\n\nc\n".encode())
    assert result.records[0].fields["status"] == "proposed"
    assert [w.message for w in result.warnings] == ["no status found; treating the ADR as 'proposed' (add a Status)"]
