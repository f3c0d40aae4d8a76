"""Reference-style Markdown links in ADRs: ``[ADR 1][1]`` with ``[1]: ./0001-x.md`` at the end of the file.

Hand-written ADRs link so (Azure/iot-operations-sdks' ``doc/dev/adr/0014-response-topic-prefix.md`` writes "as part
of [ADR 1][1]" and ends with ``[1]: ./0001-generalized-topic-tokens.md``; other public collections end theirs with
``[adr-0001]: ./0001-foundational-architecture.md``). Only inline links (``[..](0001-x.md)``) were read: an
adr-tools status ``Superseded by [Use Pulsar][pulsar]`` gave ``status=superseded`` and no successor, without a word,
``Amends [..][log]`` was no link, and ``[ADR 1][1]`` no related ADR — a reader of the rendered file follows each of
them to the ADR. The files below are our own, shaped like those.
"""

from __future__ import annotations

from typing import Any

import pytest

from conftest import GitRepo
from tracertm.cli import main
from tracertm.engine.sync import sync
from tracertm.parsers.adr import parse
from tracertm.parsers.records import ParserOptions, SpecRecord
from tracertm.sketches import sketch_result, sketch_text

NYGARD = """# 3. Use Kafka

Date: 2020-01-12

## Status

Superseded by [Use Pulsar][pulsar]

Amends [the logging decision][Logging  Decision]

## Context

We need a queue.

[pulsar]: 0007-use-pulsar.md
[logging decision]: <./0002-logging.md> "Logging"
"""

# The shape of iot-operations-sdks' ADR 14: "ADR 1" (a space: no ADR-n id) is only a link, and a definition's
# destination may stand on the next line.
TOPIC_PREFIX = """# ADR 14: Response Topic Prefix

## Status

APPROVED

## Context

Default prefixes were removed as part of [ADR 1][1], since the token could no longer be assumed.

## Decision

Use the prefix [recommended by the store][2].

[1]: ./0001-generalized-topic-tokens.md
[2]:
    https://example.org/state-store#system-topic
"""


def record(path: str, text: str) -> SpecRecord:
    result = parse(path, text.encode())
    assert result.warnings == ()
    (only,) = result.records
    return only


def test_an_adr_tools_status_names_its_successor_through_a_reference_link() -> None:
    adr = record("docs/adr/0003-use-kafka.md", NYGARD)
    fields = adr.fields
    assert (fields["status"], fields["superseded_by"]) == ("superseded", "ADR-0007")
    assert fields["adr_metadata"]["raw_status"] == "Superseded by [Use Pulsar][pulsar]"
    # The label matches as CommonMark matches labels: case and inner white space aside.
    assert fields["adr_metadata"]["links"] == [{"relation": "amends", "target": "ADR-0002"}]
    assert fields["related_adrs"] == ["ADR-0007", "ADR-0002"]
    assert fields["adr_metadata"]["sections"] == {}  # both Status lines were read, none left over
    assert adr.ref_lines == {"ADR-0007": 7, "ADR-0002": 9}  # where the links are, not their definitions


def test_a_reference_link_is_a_related_adr_and_its_definition_no_mention() -> None:
    adr = record("doc/dev/adr/0014-response-topic-prefix.md", TOPIC_PREFIX)
    fields = adr.fields
    assert (adr.number, fields["title"], fields["status"]) == ("ADR-0014", "Response Topic Prefix", "accepted")
    assert fields["related_adrs"] == ["ADR-0001"]
    assert adr.ref_lines == {"ADR-0001": 9}


@pytest.mark.parametrize(
    ("text", "related"),
    [
        ("See [kafka][] and [Kafka].\n\n[kafka]: 0005-use-kafka.md\n", ["ADR-0005"]),  # collapsed, shortcut
        ("See [the queue][q].\n\n[Q]: ../0011-queues/README.md#options\n", ["ADR-0011"]),
        # Undefined labels are no links: the text is read as written, an ADR id in it is a mention.
        ("See [ADR-0009][nowhere] and [0005-x.md].\n", ["ADR-0009"]),
        # A link to another site names no ADR of this repository, whatever its text says.
        ("See [their ADR-0009][gh].\n\n[gh]: https://github.com/o/r/blob/main/adr/0009-x.md\n", []),
        # A definition nobody uses is not seen by a reader; one in code is code; one right under a line of
        # text is that paragraph's text (CommonMark), so [q] there is no link.
        ("Text.\n\n[unused]: 0004-x.md\n\n```\n[q]: 0006-y.md\n```\n\nSee [q].\n", []),
        ("See [q].\n[q]: 0006-y.md\n", []),
        # Several definitions in a row, the first of one label wins.
        ("See [a] and [b].\n\n[a]: 0002-a.md\n[b]: 0003-b.md\n[a]: 0004-a.md\n", ["ADR-0002", "ADR-0003"]),
    ],
)
def test_reference_links_in_prose(text: str, related: list[str]) -> None:
    adr = record("docs/adr/0020-x.md", f"# 20. X\n\n## Status\n\nAccepted\n\n## Context\n\n{text}")
    assert adr.fields["related_adrs"] == related


@pytest.mark.parametrize(
    ("lines", "field", "target"),
    [
        ("* Status: superseded by [the new store][new]", "superseded_by", "ADR-0009"),  # MADR 2 key list
        ("**Status:** Accepted\n**Supersedes:** [the old store][old]", "supersedes", "ADR-0004"),  # in-house bold
    ],
)
def test_key_list_relations_through_reference_links(lines: str, field: str, target: str) -> None:
    text = f"# Store\n\n{lines}\n\n## Context\n\nc\n\n[new]: 0009-new-store.md\n[old]: 0004-old-store.md\n"
    fields: dict[str, Any] = dict(record("docs/adr/0006-store.md", text).fields)
    assert fields[field] == target


def test_log4brains_links_section_through_reference_links() -> None:
    text = ("# Use Y\n\n- Status: accepted\n- Date: 2020-10-16\n\n## Decision\n\nd\n\n## Links\n\n"
            "- Supersedes [Use X][x]\n- Refined by [Use Z][z]\n\n[x]: 20200926-use-x.md\n[z]: 20201101-use-z.md\n")
    fields = record("docs/adr/20201016-use-y.md", text).fields
    assert fields["supersedes"] == "use-x"
    assert fields["adr_metadata"]["links"] == [{"relation": "refined by", "target": "use-z"}]


@pytest.mark.parametrize(("path", "text"), [("docs/adr/0003-use-kafka.md", NYGARD),
                                            ("doc/adr/0014-response-topic-prefix.md", TOPIC_PREFIX)])
def test_the_hooks_rough_sketch_names_every_reference_link(path: str, text: str) -> None:
    """The hook sketches uncached files by regular expressions; their references must include the parse's, else
    deleting ADR 7 would not flag the unchanged file that is superseded by it."""
    exact = sketch_result(parse(path, text.encode()))
    rough = sketch_text(path, "adr", text.encode(), ParserOptions())
    assert {t for _, t in exact.records[0].refs} <= {t for _, t in rough.records[0].refs}


def test_sync_stores_the_successor_and_check_reports_a_dangling_one(
    git_repo: GitRepo, engine: Any, capsys: pytest.CaptureFixture[str]
) -> None:
    from sqlalchemy import select

    from tracertm import db
    from tracertm.models import ADR

    git_repo.write("docs/adr/0003-use-kafka.md", NYGARD)
    git_repo.write("docs/adr/0002-logging.md", "# 2. Logging\n\nDate: 2020-01-10\n\n## Status\n\nAccepted\n")
    git_repo.commit("Kafka, superseded by an ADR not written yet")
    assert main(["check", str(git_repo.path)]) == 1
    assert capsys.readouterr().out.splitlines() == [
        "docs/adr/0003-use-kafka.md:7:1: superseded_by refers to ADR-0007, which is not an ADR of this repository; "
        "fix the id or add the ADR"
    ]
    git_repo.write("docs/adr/0007-use-pulsar.md", "# 7. Use Pulsar\n\nDate: 2020-02-01\n\n## Status\n\nAccepted\n\n"
                   "Supersedes [Use Kafka][kafka]\n\n[kafka]: 0003-use-kafka.md\n")
    git_repo.commit("Pulsar")
    result = sync(git_repo.path, engine=engine, ref="HEAD")
    assert not result.errors, result.errors
    with db.session(engine) as session:
        rows = session.execute(select(ADR.adr_number, ADR.status, ADR.supersedes, ADR.superseded_by)
                               .order_by(ADR.adr_number))
        stored = [tuple(row) for row in rows]
    assert stored == [("ADR-0002", "accepted", None, None), ("ADR-0003", "superseded", None, "ADR-0007"),
                      ("ADR-0007", "accepted", "ADR-0003", None)]
