"""Several labels on one line: ``**Status:** Accepted | **Date:** 2026-09-11`` (real ADR templates write it so).

Every label of such a line is read (the date used to be dropped in silence: the first label's value ran to the end
of the line), in the bold and in the plain (``Status: Accepted | Date: ...``) label forms, in the key list under the
H1, in the Status section and on a bold line of a section. A ``|`` that no label follows is part of the value, and
a file without the one-line form reads exactly as before: its content hash is the same.
"""

from __future__ import annotations

import datetime as dt
from pathlib import Path

import pytest

from tracertm.parsers.adr import parse
from tracertm.parsers.records import SpecRecord

FIXTURES = Path(__file__).parent / "fixtures" / "adr"


def only(text: str, path: str = "docs/adr/0007-pipes.md") -> SpecRecord:
    result = parse(path, text.encode())
    assert result.warnings == ()
    (record,) = result.records
    return record


ACCEPTED_2026 = ("accepted", dt.date(2026, 9, 11), "Accepted")


@pytest.mark.parametrize(
    "text",
    [
        pytest.param("# ADR-0007: Pipes\n\n**Status:** Accepted | **Date:** 2026-09-11\n\n## Context\n\nc\n",
                     id="bold-key-list"),
        pytest.param("# ADR-0007: Pipes\n\n**Status**: Accepted|__Date__: 2026-09-11\n\n## Context\n\nc\n",
                     id="bold-colon-outside-no-blanks"),
        pytest.param("# 7. Pipes\n\n## Status\n\n**Status:** Accepted | **Date:** 2026-09-11\n\n## Context\n\nc\n",
                     id="bold-status-section"),
        pytest.param("# 7. Pipes\n\n## Context\n\nc\n\n**Status:** Accepted | **Date:** 2026-09-11\n",
                     id="bold-line-in-a-section"),
        pytest.param("# 7. Pipes\n\nStatus: Accepted | Date: 2026-09-11\n\n## Context\n\nc\n", id="plain-key-list"),
        pytest.param("# 7. Pipes\n\n* Status: Accepted | Date: 2026-09-11\n\n## Context\n\nc\n", id="plain-list"),
        pytest.param("# 7. Pipes\n\n## Status\n\nStatus: Accepted | Date: 2026-09-11\n\n## Context\n\nc\n",
                     id="plain-status-section"),
    ],
)
def test_every_label_of_the_line_is_read(text: str) -> None:
    record = only(text)
    fields = record.fields
    assert (fields["status"], fields["date"], fields["adr_metadata"]["raw_status"]) == ACCEPTED_2026


def test_three_labels_and_an_escaped_pipe() -> None:
    record = only(
        "# ADR-0007: Pipes\n\n**Status:** Accepted | **Date:** 2026-09-11 | **Deciders:** Ada, Grace"
        " | **Owner:** team a \\| b\n\n## Context\n\nc\n"
    )
    fields = record.fields
    assert (fields["status"], fields["date"], fields["stakeholders"]) == ("accepted", dt.date(2026, 9, 11),
                                                                          ["Ada", "Grace"])
    assert fields["adr_metadata"]["attributes"] == {"Owner": "team a | b"}  # unescaped: test_adr_escaped_pipes
    assert fields["adr_metadata"]["dialect"] == "bold"


def test_a_later_label_disagreeing_is_said_at_the_line() -> None:
    result = parse("docs/adr/0007-pipes.md",
                   b"# 7. Pipes\n\n**Status:** Accepted | **Status:** Rejected\n\n## Context\n\nc\n")
    assert [(w.line, w.message) for w in result.warnings] == [
        (3, "status 'Rejected' in key list disagrees with 'Accepted' in key list (line 3); using 'accepted'")
    ]


# Content hashes taken before the one-line form was read: a file that does not use it must keep its hash (a
# changed hash is a new revision of every such ADR in every synced database).
FIXTURE_HASHES = {
    "0001-record-architecture-decisions.md": "1f0ce9009b7830c25d1b29490f13bdc283ac0f9b4ef39264d99b8a187983fdcd",
    "0002-keep-decisions-in-markdown.md": "47d55dc3426090e034e06e1a6f82eb426f153de1a22cda4ee39c7da96d3fd342",
    "0003-use-madr.md": "1467f1a442ba622363e353d73289f451b1e697240fafe596e648113b4b331423",
    "0004-use-postgresql.md": "4c96798a105df9f6de223519cbbf317836ec2816ce9f5814eca33c3b4097444b",
    "0005-message-broker.md": "a13b2596c913777da76ef95b9a7262981889cad27f5eddacd5a687a0246b5911",
    "0006-api-versioning.md": "832269c4b77aba48bd423b11288859450b8a3f04b3679ec2f9249bc3c24c742d",
    "0008-adopt-opentelemetry.md": "55bbbe0585db57f482b7d93f6d518bf36bcd166bd034bad8fdd27f4b8cca8285",
    "0012-cache-invalidation.md": "bde1cfb8d089e42c2472f8d84aa8b4ab6876ba615207be44b4850e0e9998f496",
    "0013-drop-soap.md": "f1fd19c36214d4fdb9666829ae3f865079dc61fc4e88116f3be0629696669972",
    "0014-graphql-gateway.md": "65eca3f0b956d206cd947cd86827a912b8eadd35e5c03e48916d9d8ada5b6141",
    "0015-logging-format.md": "d307414469386898682121e9ccf2a41f19579738080627f0cf3babd866190863",
    "20200924-use-markdown-architectural-decision-records.md":
        "fdaa14b15355f066e9531a54a1dc10c4acb2bed60b12bebb6bca8f710d9df66f",
    "ADR-0003-use-postgres.md": "5795fa055e66f0f1e03c7f2058dc2a6725923e1fb208d49105e9e61f93878f2d",
    "use-feature-flags.md": "d8488097890050edac5f77091897293426c73b3b0820fb684a8954a1badab86b",
}


@pytest.mark.parametrize("name", sorted(FIXTURE_HASHES))
def test_existing_fixtures_keep_their_content_hash(name: str) -> None:
    (record,) = parse(f"docs/adr/{name}", (FIXTURES / name).read_bytes()).records
    assert record.content_hash == FIXTURE_HASHES[name]


@pytest.mark.parametrize(
    ("text", "content_hash", "raw_status", "stakeholders"),
    [
        pytest.param(  # no label after the "|": the value keeps it, as before
            "# ADR-0007: Pipes\n\n**Status:** Accepted | pending review\n**Date:** 2024-01-02\n**Deciders:** a | b"
            "\n\n## Context\n\nx | y\n",
            "b2a0f57504ba0f8112f601dc65867303218082f9b9be98e311663ff00458cbee",
            "Accepted | pending review",
            ["a | b"],
            id="bold",
        ),
        pytest.param(  # a plain word with a colon after the "|" is no label the ADR reads
            "# 7. Pipes\n\nStatus: Accepted | Notes: later\nDate: 2024-01-02\n\n## Context\n\nc\n",
            "03122f47a80bc2fe3d883831180a55828eab4af2026026c81f597b5c30ead5c5",
            "Accepted | Notes: later",
            [],
            id="plain",
        ),
    ],
)
def test_a_pipe_no_label_follows_stays_in_the_value(
    text: str, content_hash: str, raw_status: str, stakeholders: list[str]
) -> None:
    record = only(text)
    assert record.fields["adr_metadata"]["raw_status"] == raw_status
    assert record.fields["stakeholders"] == stakeholders
    assert record.content_hash == content_hash
