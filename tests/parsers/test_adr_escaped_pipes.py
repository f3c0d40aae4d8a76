"""An escaped pipe ``\\|`` in an ADR's ``Label: value`` line is a ``|`` of the value, as Markdown (and a GFM table
cell) shows it: the stored value has no backslash. Only ``\\|`` is unescaped (``\\\\`` and ``\\*`` stay as written),
and a line is split into pairs only at an unescaped ``|``: one after an even number of backslashes (``\\\\|`` is a
backslash and then a separator), as GFM splits a table row."""

from __future__ import annotations

import datetime as dt

import pytest

from tracertm.parsers.adr import parse
from tracertm.parsers.adr.values import key_values
from tracertm.parsers.records import SpecRecord


def only(text: str) -> SpecRecord:
    result = parse("docs/adr/0007-pipes.md", text.encode())
    assert result.warnings == (), result.warnings
    (record,) = result.records
    return record


def header(line: str, status: str = "") -> SpecRecord:
    return only(f"# ADR-0007: Pipes\n\n{status}{line}\n\n## Context\n\nc\n")


def test_an_escaped_pipe_in_a_later_label_is_stored_without_its_backslash() -> None:
    record = header("**Status:** Accepted | **Date:** 2026-09-11 | **Owner:** team a \\| b")
    fields = record.fields
    assert (fields["status"], fields["date"]) == ("accepted", dt.date(2026, 9, 11))
    assert fields["adr_metadata"]["attributes"] == {"Owner": "team a | b"}


def test_an_escaped_pipe_in_the_first_label_is_stored_without_its_backslash() -> None:
    record = header("**Status:** Accepted \\| pending review | **Date:** 2026-09-11")
    assert record.fields["adr_metadata"]["raw_status"] == "Accepted | pending review"
    assert record.fields["date"] == dt.date(2026, 9, 11)


def test_an_escaped_pipe_keeps_a_label_after_it_in_the_value() -> None:
    """``\\|`` is written so that what follows is not read as a label: it stays in the value, unescaped."""
    record = header("**Owner:** a \\| **Date:** 2026-09-11", "**Status:** Accepted\n")
    assert record.fields["adr_metadata"]["attributes"] == {"Owner": "a | **Date:** 2026-09-11"}
    assert record.fields["date"] is None


def test_a_line_of_one_label_is_unescaped_too() -> None:
    record = header("**Deciders:** Ada \\| Grace, Alan", "**Status:** Accepted\n")
    assert record.fields["stakeholders"] == ["Ada | Grace", "Alan"]


@pytest.mark.parametrize(
    ("line", "pairs"),
    [
        pytest.param("**Status:** Accepted | **Date:** 2026-09-11",
                     [("status", "Accepted"), ("date", "2026-09-11")], id="plain-separator"),
        pytest.param("**Owner:** a \\| b | **Date:** 2026-09-11",
                     [("owner", "a | b"), ("date", "2026-09-11")], id="escaped-then-separator"),
        pytest.param("**Owner:** a\\\\| **Date:** 2026-09-11",
                     [("owner", "a\\\\"), ("date", "2026-09-11")], id="escaped-backslash-then-separator"),
        pytest.param("**Owner:** a\\\\\\| **Date:** 2026-09-11",
                     [("owner", "a\\\\| **Date:** 2026-09-11")], id="escaped-backslash-then-escaped-pipe"),
        pytest.param("**Owner:** C:\\dir \\* x \\| y", [("owner", "C:\\dir \\* x | y")], id="other-escapes-stay"),
        pytest.param("Status: Accepted | Date: 2026-09-11 \\| later",
                     [("status", "Accepted"), ("date", "2026-09-11 | later")], id="plain-labels"),
        pytest.param("**Deciders:** a | b", [("deciders", "a | b")], id="pipe-without-a-label-stays"),
    ],
)
def test_pairs_split_at_unescaped_pipes_only(line: str, pairs: list[tuple[str, str]]) -> None:
    assert [(kv.key, kv.value) for kv in key_values(line)] == pairs
