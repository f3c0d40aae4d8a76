"""ADR front matter closed by YAML's document end ``...`` (Jekyll, which renders MADR's own site, and Pandoc accept
it; tracertm's field locator already did) was refused: "front matter opened by '---' on line 1 is never closed"."""

from __future__ import annotations

import datetime as dt

from tracertm.parsers.adr import parse
from tracertm.parsers.records import ParserOptions
from tracertm.sketches import sketch_result, sketch_text

TEXT = "---\nid: 0012\nstatus: accepted\ndate: 2024-01-01\n...\n\n# Use X\n\n## Context\n\nSee ADR-0003.\n"


def test_the_document_end_marker_closes_the_front_matter() -> None:
    result = parse("docs/adr/use-x.md", TEXT.encode())
    assert result.warnings == ()
    (record,) = result.records
    fields = record.fields
    assert (record.number, fields["title"], fields["status"]) == ("ADR-0012", "Use X", "accepted")
    assert (fields["date"], fields["context"]) == (dt.date(2024, 1, 1), "See ADR-0003.")
    assert record.line == 7


def test_the_hooks_rough_sketch_reads_it_alike() -> None:
    exact = sketch_result(parse("docs/adr/use-x.md", TEXT.encode()))
    rough = sketch_text("docs/adr/use-x.md", "adr", TEXT.encode(), ParserOptions())
    assert [r.number for r in rough.records] == [r.number for r in exact.records] == ["ADR-0012"]
