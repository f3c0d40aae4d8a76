"""Tests for the ADR Markdown parser (``tracertm.parsers.adr``).

Each dialect and edge case has one realistic fixture (``fixtures/adr/``) or an inline document, and every case
compares the *whole* parsed record, so any field that drifts is caught. Property tests then throw arbitrary bytes
and mangled documents at the parser: it must return a result or raise ``ParseError``, nothing else.
"""

from __future__ import annotations

import datetime as dt
import json
import time
from pathlib import Path
from typing import Any

import pytest
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from tracertm.errors import ParseError
from tracertm.parsers.adr import ADR_STATUSES, DIALECTS, parse
from tracertm.parsers.common import json_safe
from tracertm.parsers.records import ParseResult, ParserOptions

FIXTURES = Path(__file__).parent / "fixtures" / "adr"
FIELD_NAMES = {
    "adr_number",
    "title",
    "status",
    "context",
    "decision",
    "consequences",
    "decision_drivers",
    "considered_options",
    "related_requirements",
    "related_adrs",
    "supersedes",
    "superseded_by",
    "stakeholders",
    "tags",
    "date",
    "adr_metadata",
}


def fixture(name: str) -> bytes:
    return (FIXTURES / name).read_bytes()


def record(adr_number: str, title: str, slug: str, **overrides: Any) -> dict[str, Any]:
    """An expected record: every field at its empty value unless given; ``meta`` merges into adr_metadata."""
    meta = {
        "dialect": "unknown",
        "raw_status": None,
        "sections": {},
        "stakeholder_roles": {},
        "links": [],
        "slug": slug,
        **overrides.pop("meta", {}),
    }
    fields: dict[str, Any] = {
        "adr_number": adr_number,
        "title": title,
        "status": "proposed",
        "context": None,
        "decision": None,
        "consequences": None,
        "decision_drivers": [],
        "considered_options": [],
        "related_requirements": [],
        "related_adrs": [],
        "supersedes": None,
        "superseded_by": None,
        "stakeholders": [],
        "tags": [],
        "date": None,
        "adr_metadata": meta,
    }
    unknown = set(overrides) - set(fields)
    assert not unknown, f"typo in expected fields: {unknown}"
    fields.update(overrides)
    return fields


def parse_fields(path: str, data: bytes) -> tuple[dict[str, Any], list[tuple[int, str]], ParseResult]:
    result = parse(path, data)
    assert result.path == path and result.kind == "adr" and len(result.records) == 1
    rec = result.records[0]
    assert rec.kind == "adr" and rec.number == rec.fields["adr_number"]
    assert set(rec.fields) == FIELD_NAMES
    assert all(w.severity == "warning" and w.path == path for w in result.warnings)
    return dict(rec.fields), [(w.line, w.message) for w in result.warnings], result


NO_STATUS = (1, "no status found")

# ------------------------------------------------------------------------------------------------ table of cases
# (path, bytes, expected fields, expected record line, expected warnings as (line, message fragment))
CASES: list[Any] = [
    pytest.param(
        "doc/adr/0001-record-architecture-decisions.md",
        fixture("0001-record-architecture-decisions.md"),
        record(
            "ADR-0001",
            "Record architecture decisions",
            "record-architecture-decisions",
            status="superseded",
            context="We need to record the architectural decisions made on this project\n"
            "so that newcomers understand why the system looks the way it does.",
            decision="We will use Architecture Decision Records, as described by Michael Nygard.",
            consequences="See Michael Nygard's article, linked above. For a lightweight ADR toolset, see adr-tools.",
            related_adrs=["ADR-0002"],
            superseded_by="ADR-0002",
            date=None,  # adr-tools' old 12/02/2016 could be either order: warned, not guessed (see date_format)
            meta={
                "dialect": "nygard",
                "raw_status": "Superceded by [2. Keep decisions in Markdown](0002-keep-decisions-in-markdown.md)",
            },
        ),
        1,
        [(3, "ambiguous date '12/02/2016' in key list: day/month or month/day?")],
        id="adr-tools-chain-1-superseded",
    ),
    pytest.param(
        "doc/adr/0002-keep-decisions-in-markdown.md",
        fixture("0002-keep-decisions-in-markdown.md"),
        record(
            "ADR-0002",
            "Keep decisions in Markdown",
            "keep-decisions-in-markdown",
            status="superseded",
            context="Plain text files diff well and review well in pull requests (REQ-12).",
            decision="Decisions are Markdown files under `doc/adr`, numbered sequentially.",
            consequences="Tooling must understand Markdown.",
            related_requirements=["REQ-12"],
            related_adrs=["ADR-0001", "ADR-0003"],
            supersedes="ADR-0001",
            superseded_by="ADR-0003",
            date=None,
            meta={"dialect": "nygard", "raw_status": "Superceded by [3. Use MADR](0003-use-madr.md)"},
        ),
        1,
        [(3, "ambiguous date '03/04/2016'")],
        id="adr-tools-chain-2-supercedes-and-superseded",
    ),
    pytest.param(
        "doc/adr/0003-use-madr.md",
        fixture("0003-use-madr.md"),
        record(
            "ADR-0003",
            "Use MADR",
            "use-madr",
            status="accepted",
            context="The Nygard template has no place for the options we rejected.",
            decision="We switch to MADR for new records.",
            consequences="Old records stay as they are.",
            related_adrs=["ADR-0002"],
            supersedes="ADR-0002",
            date=None,
            meta={"dialect": "nygard", "raw_status": "Accepted"},
        ),
        1,
        [(3, "ambiguous date '01/05/2017'")],
        id="adr-tools-chain-3-supercedes",
    ),
    pytest.param(
        "doc/adr/0004-use-postgresql.md",
        fixture("0004-use-postgresql.md"),
        record(
            "ADR-0004",
            "Use PostgreSQL for the trace store",
            "use-postgresql",
            status="accepted",
            context="The trace store needs transactions, JSON columns and a mature\n"
            "operational story. REQ-101 and REQ-7 ask for point-in-time recovery.",
            decision="We will use PostgreSQL 15 for the trace store. Related: ADR-0002.",
            consequences="Operations must run and back up a PostgreSQL cluster.",
            related_requirements=["REQ-101", "REQ-7"],
            related_adrs=["ADR-0007", "ADR-0002"],
            date=dt.date(2018, 9, 10),
            meta={
                "dialect": "nygard",
                "raw_status": "Accepted",
                "links": [{"relation": "amended by", "target": "ADR-0007"}],
            },
        ),
        1,
        [],
        id="nygard-amended-by",
    ),
    pytest.param(
        "docs/decisions/0005-message-broker.md",
        fixture("0005-message-broker.md"),
        record(
            "ADR-0005",
            "Use RabbitMQ as the message broker",
            "message-broker",
            status="accepted",
            context="Services exchange events synchronously over HTTP today, and an outage of one\n"
            "service cascades into the others. Which broker should carry our events?",
            decision='Chosen option: "RabbitMQ", because the team already runs it and it satisfies\n'
            "the at-least-once requirement (REQ-210).",
            consequences="### Positive Consequences\n\n* Existing runbooks apply.\n\n"
            "### Negative Consequences\n\n* Replay of old events needs an extra store.",
            decision_drivers=[
                "Operational maturity in our team",
                "Delivery guarantees (at-least-once)",
                "Cost of a managed offering",
            ],
            considered_options=[
                {
                    "option": "RabbitMQ",
                    "pros": ["the team operates it already", "it supports per-message acknowledgements"],
                    "cons": ["it does not keep a replayable log"],
                },
                {
                    "option": "Apache Kafka",
                    "pros": ["it keeps a replayable log"],
                    "cons": ["it is a new system to operate"],
                },
                {"option": "Amazon SQS", "pros": ["it is fully managed"], "cons": ["it ties us to one cloud"]},
            ],
            related_requirements=["REQ-210"],
            related_adrs=["ADR-0009"],
            stakeholders=["Alice Smith", "Bob Jones"],
            date=dt.date(2020, 3, 15),
            meta={
                "dialect": "madr2",
                "raw_status": "accepted",
                "sections": {"Links": "* Refined by [ADR-0009](0009-dead-letter-queues.md)"},
                "stakeholder_roles": {"deciders": ["Alice Smith", "Bob Jones"]},
                "links": [{"relation": "refined by", "target": "ADR-0009"}],
                "attributes": {"Technical Story": "https://tracker.example.com/browse/OPS-42"},
                "options": {
                    "RabbitMQ": {"description": "Classic AMQP broker."},
                    "Amazon SQS": {"neutral": ["pricing is per request"]},
                },
            },
        ),
        1,
        [],
        id="madr2-bullets-pros-cons",
    ),
    pytest.param(
        "docs/decisions/0006-api-versioning.md",
        fixture("0006-api-versioning.md"),
        record(
            "ADR-0006",
            "Version the public API in the URL path",
            "api-versioning",
            status="accepted",
            context="Clients pin integrations for years; we need to evolve the API without\nbreaking them.",
            decision='Chosen option: "URL path versioning", because it is visible in logs and caches.',
            consequences="* Good, because routing is trivial\n* Bad, because a new version duplicates route tables",
            decision_drivers=["Cache friendliness", "Discoverability for client developers"],
            considered_options=[
                {
                    "option": "URL path versioning (`/v2/...`)",
                    "pros": ["it is explicit"],
                    "cons": ["URLs change between versions"],
                },
                {
                    "option": "Media type versioning",
                    "pros": ["URLs stay stable"],
                    "cons": ["many clients cannot set Accept headers"],
                },
            ],
            stakeholders=["Carol White", "Dan Brown", "Erin Black", "Platform team", "Support"],
            date=dt.date(2022, 11, 2),
            meta={
                "dialect": "madr3",
                "raw_status": "accepted",
                "sections": {
                    "Validation": "Contract tests run against every supported version.",
                    "More Information": "Revisit when v1 traffic falls below 5%.",
                },
                "stakeholder_roles": {
                    "deciders": ["Carol White", "Dan Brown"],
                    "consulted": ["Erin Black"],
                    "informed": ["Platform team", "Support"],
                },
            },
        ),
        10,
        [],
        id="madr3-front-matter",
    ),
    pytest.param(
        "docs/decisions/0008-adopt-opentelemetry.md",
        fixture("0008-adopt-opentelemetry.md"),
        record(
            "ADR-0008",
            "Adopt OpenTelemetry for tracing",
            "adopt-opentelemetry",
            status="superseded",
            context="Three tracing libraries are in use and their traces cannot be joined.",
            decision='Chosen option: "OpenTelemetry", because it is vendor neutral.',
            consequences="* Good, because traces join across services",
            considered_options=[
                {"option": "OpenTelemetry", "pros": ["vendor neutral"], "cons": ["the logs API is still young"]},
                {"option": "Vendor agent", "pros": ["zero code changes"], "cons": ["lock-in"]},
            ],
            related_adrs=["ADR-0123"],
            superseded_by="ADR-0123",
            stakeholders=["Frank Green", "SRE guild", "Everyone"],
            date=dt.date(2023, 6, 1),
            meta={
                "owner": "platform",  # an unmapped front matter key is kept
                "dialect": "madr4",
                "raw_status": "superseded by ADR-0123",
                "sections": {
                    "Confirmation": "A CI check rejects new imports of the legacy tracing libraries.",
                    "More Information": "Superseded after the move to eBPF based tracing.",
                },
                "stakeholder_roles": {
                    "decision-makers": ["Frank Green"],
                    "consulted": ["SRE guild"],
                    "informed": ["Everyone"],
                },
            },
        ),
        12,
        [],
        id="madr4-decision-makers-superseded",
    ),
    pytest.param(
        "docs/adr/20200924-use-markdown-architectural-decision-records.md",
        fixture("20200924-use-markdown-architectural-decision-records.md"),
        record(
            "use-markdown-architectural-decision-records",
            "Use Markdown Architectural Decision Records",
            "use-markdown-architectural-decision-records",
            status="accepted",
            context="We want to record architectural decisions made in this project.\n"
            "Which format and structure should these records follow?",
            decision='Chosen option: "MADR 2.1.2 with Log4brains patch", because it keeps the good parts of MADR\n'
            "and adds a Tags field.",
            considered_options=[
                {"option": "MADR 2.1.2 with Log4brains patch", "pros": [], "cons": []},
                {"option": "Michael Nygard's template", "pros": [], "cons": []},
            ],
            related_adrs=["use-plain-text-notes", "write-adrs-in-english"],
            supersedes="use-plain-text-notes",
            stakeholders=["Thomas Vaillant"],
            tags=["doc", "process"],
            date=dt.date(2020, 9, 24),  # from the file name: no Date line
            meta={
                "dialect": "log4brains",
                "raw_status": "accepted",
                "sections": {
                    "Links": "- Supersedes [Use plain text notes](20200101-use-plain-text-notes.md)\n"
                    "- Refined by [Write ADRs in English](20201002-write-adrs-in-english.md)"
                },
                "stakeholder_roles": {"deciders": ["Thomas Vaillant"]},
                "links": [{"relation": "refined by", "target": "write-adrs-in-english"}],
                "attributes": {"Technical Story": "keep decisions next to the code"},
            },
        ),
        1,
        [],
        id="log4brains",
    ),
    pytest.param(
        "docs/adr/ADR-0003-use-postgres.md",
        fixture("ADR-0003-use-postgres.md"),
        record(
            "ADR-0003",
            "Use PostgreSQL",
            "use-postgres",
            status="accepted",
            context="We need a relational database that supports REQ-5.",
            decision="Use PostgreSQL 16 with logical replication.",
            consequences="A DBA rota is required.",
            related_requirements=["REQ-5"],
            stakeholders=["Grace Hopper", "Alan Turing"],
            date=dt.date(2023, 4, 1),
            meta={
                "dialect": "bold",
                "raw_status": "Accepted",
                "sections": {"Notes": "Benchmarks live in the wiki."},
                "stakeholder_roles": {"deciders": ["Grace Hopper", "Alan Turing"]},
            },
        ),
        1,
        [],
        id="in-house-bold-and-ADR-prefixed-file-name",
    ),
    pytest.param(
        "website/docs/adr/use-feature-flags.md",
        fixture("use-feature-flags.md"),
        record(
            "ADR-0011",  # front matter id wins over the file name
            "Use feature flags for gradual rollout",
            "use-feature-flags",
            context="Big-bang releases caused two outages last quarter.",
            decision="Every user-facing change ships behind a feature flag.",
            consequences="Flags need an owner and an expiry date.",
            tags=["delivery", "risk"],
            meta={"dialect": "docusaurus", "sidebar_position": 11},
        ),
        1,
        [NO_STATUS],
        id="docusaurus-front-matter-no-h1",
    ),
    pytest.param(
        "docs/adr/0012-cache-invalidation.md",
        fixture("0012-cache-invalidation.md"),
        record(
            "ADR-0012",
            "Invalidate caches through events",
            "cache-invalidation",
            status="accepted",
            context="Stale prices were shown for up to ten minutes (see REQ-33).",
            decision="Publish a `price-changed` event; every cache subscribes to it.",
            consequences="Caches depend on the event bus being available.",
            related_requirements=["REQ-33"],
            date=dt.date(2021, 7, 19),
            meta={"dialect": "nygard", "raw_status": "✅ Accepted"},
        ),
        1,
        [],
        id="emoji-status",
    ),
    pytest.param(
        "docs/adr/0013-drop-soap.md",
        fixture("0013-drop-soap.md"),
        record(
            "ADR-0013",
            "Drop the SOAP endpoints",
            "drop-soap",
            status="accepted",  # the key list comes first
            context="Two partners still call the SOAP endpoints.",
            decision="Keep them until both partners have migrated.",
            meta={"dialect": "madr2", "raw_status": "accepted"},
        ),
        1,
        [(7, "status 'Rejected' in ## Status section disagrees with 'accepted' in key list (line 3)")],
        id="two-disagreeing-statuses",
    ),
    pytest.param(
        "docs/adr/0014-graphql-gateway.md",
        fixture("0014-graphql-gateway.md"),
        record(
            "ADR-0014",
            "Introduce a GraphQL gateway",
            "graphql-gateway",
            context="Mobile clients make many round trips per screen.",
            decision="Pending a spike on schema stitching.",
            meta={"dialect": "nygard", "raw_status": "On hold"},
        ),
        1,
        [(5, "unknown status 'On hold' in ## Status section; treating it as 'proposed'")],
        id="unknown-status-on-hold",
    ),
    pytest.param(
        "docs/adr/0015-logging-format.md",
        fixture("0015-logging-format.md"),
        record(
            "ADR-0015",
            "Log in JSON",
            "logging-format",
            context="Log lines are parsed with regular expressions in three places.",
            decision="All services log one JSON object per line. This implements REQ-2, REQ-10 and\n"
            "REQ-2 again; see also ADR-0004 and ADR-0015.",
            consequences="Humans need `jq` to read local logs.",
            related_requirements=["REQ-10", "REQ-2"],  # sorted, unique
            related_adrs=["ADR-0004"],  # never itself
        ),
        1,
        [NO_STATUS],
        id="no-status-and-requirement-references",
    ),
    # ---- identity from the file name, each spelling
    pytest.param(
        "docs/adr/ADR-0001-x.md",
        b"# Use x\n\n## Status\n\nProposed\n",
        record("ADR-0001", "Use x", "x", meta={"dialect": "nygard", "raw_status": "Proposed"}),
        1,
        [],
        id="file-name-ADR-0001",
    ),
    pytest.param(
        "docs/adr/adr013-split-the-monolith.md",
        b"# adr013 - Split the monolith\n\n## Status\n\nDeclined\n",
        record(
            "ADR-0013",
            "Split the monolith",
            "split-the-monolith",
            status="rejected",
            meta={"dialect": "nygard", "raw_status": "Declined"},
        ),
        1,
        [],
        id="file-name-adr013",
    ),
    pytest.param(
        "docs/adr/021-retire-ftp.md",
        b"# 0021 - Retire FTP\n\n## Status\n\nObsolete\n",
        record(
            "ADR-0021",
            "Retire FTP",
            "retire-ftp",
            status="deprecated",
            meta={"dialect": "nygard", "raw_status": "Obsolete"},
        ),
        1,
        [],
        id="file-name-021",
    ),
    pytest.param(
        "docs/adr/12345-big-number.md",
        b"# Big\n\n**Status:** Approved\n",
        record(
            "ADR-12345", "Big", "big-number", status="accepted", meta={"dialect": "bold", "raw_status": "Approved"}
        ),
        1,
        [],
        id="file-name-five-digits",
    ),
    pytest.param(
        "docs/adr/choose-a-license.md",
        b"Some text without any heading.\n",
        record(
            "choose-a-license",
            "Choose a license",
            "choose-a-license",
            meta={"preamble": "Some text without any heading."},
        ),
        1,
        [NO_STATUS],
        id="no-number-no-title-humanised-slug",
    ),
    # ---- identity from front matter
    pytest.param(
        "docs/adr/0099-x.md",
        b"---\nnumber: 42\nstatus: proposed\n---\n# Title\n",
        record("ADR-0042", "Title", "x", meta={"dialect": "madr3", "raw_status": "proposed"}),
        5,
        [],
        id="front-matter-number",
    ),
    pytest.param(
        "docs/adr/0099-x.md",
        b"---\nid: ADR-7\nstatus: accepted\n---\n# Title\n",
        record("ADR-0007", "Title", "x", status="accepted", meta={"dialect": "madr3", "raw_status": "accepted"}),
        5,
        [],
        id="front-matter-id-ADR-7",
    ),
    pytest.param(
        "docs/adr/0099-x.md",
        b"---\nid: payments-42\ntitle: Pay\nstatus: accepted\n---\n",
        record(
            "payments-42", "Pay", "x", status="accepted", meta={"dialect": "docusaurus", "raw_status": "accepted"}
        ),
        1,
        [],
        id="front-matter-id-string",
    ),
    pytest.param(
        "docs/adr/0099-x.md",
        b"---\nid: true\n---\n# 99. T\n",
        record("ADR-0099", "T", "x", meta={"dialect": "unknown"}),
        4,
        [(2, "front matter id True is not a usable ADR id"), NO_STATUS],
        id="front-matter-id-unusable",
    ),
    # ---- encodings and line ends
    pytest.param(
        "docs/adr/0031-crlf.md",
        b"\xef\xbb\xbf# 31. Windows line ends\r\n\r\nDate: 2024-01-31\r\n\r\n## Status\r\n\r\nAccepted\r\n\r\n"
        b"## Decision\r\n\r\nKeep CRLF\r\nout of the hash.\r\n",
        record(
            "ADR-0031",
            "Windows line ends",
            "crlf",
            status="accepted",
            decision="Keep CRLF\nout of the hash.",
            date=dt.date(2024, 1, 31),
            meta={"dialect": "nygard", "raw_status": "Accepted"},
        ),
        1,
        [],
        id="crlf-and-bom",
    ),
    # ---- more status and date spellings
    pytest.param(
        "docs/adr/0032-x.md",
        b"# 32. X\n\n## Status\n\nAccepted\n\n## Context\n\n**Date:** 2024-13-45\n",
        record(
            "ADR-0032",
            "X",
            "x",
            status="accepted",
            context="**Date:** 2024-13-45",
            meta={"dialect": "bold", "raw_status": "Accepted"},
        ),
        1,
        [(9, "cannot read date '2024-13-45' in bold line")],
        id="unparseable-date",
    ),
    pytest.param(
        "docs/adr/0033-x.md",
        b"# 33. X\n\n## Status\n\nAccepted\n\nSuperseded by [34. Y](0034-y.md), ADR-0035\n",
        record(
            "ADR-0033",
            "X",
            "x",
            status="superseded",
            related_adrs=["ADR-0034", "ADR-0035"],
            superseded_by="ADR-0034",  # the first; the metadata names both (each has its link)
            meta={"dialect": "nygard", "raw_status": "Accepted", "superseded_by": ["ADR-0034", "ADR-0035"]},
        ),
        1,
        [(5, "status 'Accepted' but the ADR names a successor; using 'superseded'")],
        id="several-successors",
    ),
    pytest.param(
        "docs/adr/0036-x.md",
        b"# 36. X\n\n```markdown\n## Status\n\nRejected\n```\n\n## Status\n\nDraft\n",
        record(
            "ADR-0036",
            "X",
            "x",
            meta={
                "dialect": "nygard",
                "raw_status": "Draft",
                "preamble": "```markdown\n## Status\n\nRejected\n```",  # kept verbatim, not read as a heading
            },
        ),
        1,
        [(11, "unknown status 'Draft'")],
        id="headings-in-code-fences-ignored-draft-status",
    ),
    pytest.param(
        "docs/adr/0037-x.md",
        b"# 37. X\n\n## Status\n\nAccepted\n\nConfirmed by the architecture board in March.\n\n"
        b"Supersedes ADR-0030\n",
        record(
            "ADR-0037",
            "X",
            "x",
            status="accepted",
            supersedes="ADR-0030",
            related_adrs=["ADR-0030"],
            meta={
                "dialect": "nygard",
                "raw_status": "Accepted",
                "sections": {"Status": "Confirmed by the architecture board in March."},  # prose is not lost
            },
        ),
        1,
        [],
        id="status-section-prose-kept",
    ),
]


@pytest.mark.parametrize(("path", "data", "expected", "line", "warnings"), CASES)
def test_parse_cases(path: str, data: bytes, expected: dict[str, Any], line: int, warnings: list[Any]) -> None:
    fields, got_warnings, result = parse_fields(path, data)
    assert fields == expected
    assert result.records[0].line == line
    assert len(got_warnings) == len(warnings), got_warnings
    for (got_line, got_message), (want_line, want_fragment) in zip(got_warnings, warnings):
        assert got_line == want_line and want_fragment in got_message, (got_line, got_message)


def test_supersede_chain_is_consistent() -> None:
    """Across the adr-tools chain, every ``superseded_by`` is answered by the successor's ``supersedes``."""
    names = [
        "0001-record-architecture-decisions.md",
        "0002-keep-decisions-in-markdown.md",
        "0003-use-madr.md",
    ]
    records = {r.number: r.fields for r in (parse(f"doc/adr/{n}", fixture(n)).records[0] for n in names)}
    for number, fields in records.items():
        if fields["superseded_by"]:
            assert records[fields["superseded_by"]]["supersedes"] == number


def test_requirement_pattern_is_configurable() -> None:
    options = ParserOptions(requirement_pattern=r"\bUS-\d+\b")
    result = parse("docs/adr/0001-x.md", b"# X\n\nCovers US-9, US-10 and REQ-1.\n", options)
    assert result.records[0].fields["related_requirements"] == ["US-10", "US-9"]


def test_digits_of_other_scripts_are_no_adr_number() -> None:
    """An ADR number is ASCII digits, as every reference to one is (``@ADR-2``, ``ADR-0002`` in text): a fullwidth
    or Arabic-Indic digit in a file name or heading is part of a name. Before, ``０００２-x.md`` was ``ADR-０００２``
    and ``# ADR ٤: Logging`` ``ADR-000٤`` (ASCII zeros padded onto the digit): ids no reference could name, and a
    heading ``# ٣. Three`` of ``0003-x.md`` warned that its number differs."""
    adr = b"\n\nDate: 2024-01-01\n\n## Status\n\nAccepted\n"
    cases = [("docs/adr/\uff10\uff10\uff10\uff12-fullwidth.md", "# Fullwidth"),
             ("docs/adr/logging.md", "# ADR \u0664: Logging"), ("docs/adr/0003-ascii.md", "# \u0663. Three")]
    found = [parse(path, heading.encode() + adr) for path, heading in cases]
    ids = [r.records[0].number for r in found]
    assert ids == ["\uff10\uff10\uff10\uff12-fullwidth", "logging", "ADR-0003"]
    assert [r.records[0].fields["title"] for r in found] == ["Fullwidth", "ADR \u0664: Logging", "\u0663. Three"]
    assert [w.message for r in found for w in r.warnings] == []


# ------------------------------------------------------------------------------------------------ errors
ERRORS = [
    pytest.param("docs/adr/0001-x.md", b"", 1, "empty ADR file", id="empty"),
    pytest.param("docs/adr/0001-x.md", b" \n\t\n  \n", 1, "empty ADR file", id="whitespace-only"),
    pytest.param("docs/adr/0001-x.md", b"\xef\xbb\xbf\r\n", 1, "empty ADR file", id="bom-only"),
    pytest.param("docs/adr/0001-x.md", b"# 1. X\n\n## Context\n\nna\xefve\n", 5, "invalid UTF-8", id="invalid-utf8"),
    pytest.param("docs/adr/0001-x.md", b"# X\n\x00\n", 2, "binary content", id="binary"),
    pytest.param(
        "docs/adr/0001-x.md",
        b"---\ntitle: Fine\nstatus: [accepted\ndate: 2020-01-01\n---\n# X\n",
        4,
        "malformed YAML front matter",
        id="malformed-front-matter",
    ),
    pytest.param(
        "docs/adr/0001-x.md",
        b"---\ntitle: Fine\n  bad: indent\n---\n# X\n",
        3,
        "malformed YAML front matter",
        id="malformed-front-matter-indent",
    ),
    pytest.param("docs/adr/0001-x.md", b"---\n- a\n- b\n---\n# X\n", 2, "must be a mapping", id="front-matter-list"),
    pytest.param(
        "docs/adr/0001-x.md", b"---\njust text\n---\n# X\n", 2, "must be a mapping", id="front-matter-scalar"
    ),
    pytest.param("docs/adr/0001-x.md", b"---\ntitle: X\n\n# X\n", 1, "never closed", id="front-matter-unclosed"),
    pytest.param(
        "docs/adr/0001-x.md",
        b"---\nx: !!python/object/apply:os.system ['true']\n---\n# X\n",
        2,
        "malformed YAML front matter",
        id="unsafe-yaml-tag",
    ),
    pytest.param(
        "docs/adr/0001-x.md",
        b"---\n!!python/object:os.X\nstatus: draft\n---\n# X\n",
        2,
        "malformed YAML front matter: could not determine a constructor for the tag "
        "'tag:yaml.org,2002:python/object:os.X'",
        id="unsafe-yaml-tag-on-the-block",
    ),
    pytest.param(
        "docs/adr/0001-x.md",
        b"---\na: &a [*a]\n---\n# X\n",
        2,
        "recursive YAML front matter alias",
        id="recursive-alias",
    ),
    pytest.param(
        "docs/adr/0001-x.md",
        b"---\na: " + b"[" * 80 + b"]" * 80 + b"\n---\n# X\n",
        2,
        "nested deeper than 64 levels",
        id="too-deep",
    ),
]


@pytest.mark.parametrize(("path", "data", "line", "fragment"), ERRORS)
def test_parse_errors(path: str, data: bytes, line: int, fragment: str) -> None:
    with pytest.raises(ParseError) as info:
        parse(path, data)
    error = info.value
    assert error.path == path and error.line == line and fragment in error.message, str(error)
    assert str(error).startswith(f"{path}:{line}:")


def _billion_laughs(levels: int, width: int) -> bytes:
    lines = ["---", 'a0: &a0 ["lol"]']
    for level in range(1, levels):
        refs = ", ".join([f"*a{level - 1}"] * width)
        lines.append(f"a{level}: &a{level} [{refs}]")
    return ("\n".join(lines) + "\n---\n# Bomb\n").encode()


@pytest.mark.parametrize(
    ("data", "fragment"),
    [
        pytest.param(_billion_laughs(10, 9), "aliases expand to more than", id="few-aliases-huge-expansion"),
        pytest.param(_billion_laughs(30, 9), "more than 100 aliases", id="many-aliases"),
    ],
)
def test_yaml_alias_bomb_is_rejected_fast(data: bytes, fragment: str) -> None:
    started = time.perf_counter()
    with pytest.raises(ParseError) as info:
        parse("docs/adr/0001-bomb.md", data)
    assert time.perf_counter() - started < 1.0
    assert fragment in info.value.message and info.value.line >= 2


def test_alias_limit_is_configurable() -> None:
    data = b"---\nbase: &b {x: 1}\ncopy: *b\nstatus: accepted\n---\n# X\n"
    assert parse("docs/adr/0001-x.md", data).records[0].fields["adr_metadata"]["copy"] == {"x": 1}
    with pytest.raises(ParseError, match="more than 0 aliases"):
        parse("docs/adr/0001-x.md", data, ParserOptions(yaml_max_aliases=0))


def test_oversized_file_is_rejected() -> None:
    with pytest.raises(ParseError, match="over the 10-byte limit"):
        parse("docs/adr/0001-x.md", b"# A long title\n", ParserOptions(max_file_size=10))


# ------------------------------------------------------------------------------------------------ hash stability
BASE = """---
status: accepted
date: 2024-02-01
deciders: [Ann, Bob]
tags: [storage]
---
# Store blobs in S3

## Context and Problem Statement

Uploads are kept on the application servers' local disks, which fills them up and makes
horizontal scaling impossible.

## Considered Options

* Amazon S3
* A shared NFS volume

## Decision Outcome

Chosen option: "Amazon S3", because it scales without operations work.
"""


@pytest.mark.parametrize(
    "variant",
    [
        pytest.param(
            BASE.replace(
                "local disks, which fills them up and makes\nhorizontal",
                "local\ndisks, which fills them up and makes horizontal",
            ),
            id="rewrapped-paragraph",
        ),
        pytest.param(BASE.replace("\n\n", "\n\n\n").replace("* Amazon S3\n", "* Amazon S3\n\n"), id="blank-lines"),
        pytest.param(BASE.replace("\n", "   \n"), id="trailing-spaces"),
        pytest.param(
            BASE.replace("status: accepted\ndate: 2024-02-01\n", "date: 2024-02-01\nstatus: accepted\n"),
            id="reordered-front-matter",
        ),
        pytest.param(BASE.replace("\n", "\r\n"), id="crlf"),
    ],
)
def test_hash_ignores_layout(variant: str) -> None:
    base = parse("docs/adr/0040-blobs.md", BASE.encode()).records[0]
    other = parse("docs/adr/0040-blobs.md", variant.encode()).records[0]
    assert variant != BASE
    assert other.content_hash == base.content_hash


@pytest.mark.parametrize(
    "variant",
    [
        pytest.param(BASE.replace("without operations work", "with little operations work"), id="decision-text"),
        pytest.param(BASE.replace("status: accepted", "status: deprecated"), id="status"),
        pytest.param(BASE.replace("* A shared NFS volume", "* A shared CephFS volume"), id="option"),
        pytest.param(BASE.replace("[Ann, Bob]", "[Ann, Bob, Cy]"), id="stakeholder"),
    ],
)
def test_hash_tracks_meaning(variant: str) -> None:
    base = parse("docs/adr/0040-blobs.md", BASE.encode()).records[0]
    other = parse("docs/adr/0040-blobs.md", variant.encode()).records[0]
    assert other.content_hash != base.content_hash


# ------------------------------------------------------------------------------------------------ properties
def _check_total(path: str, data: bytes) -> None:
    """The contract: a well-formed ParseResult or a ParseError with a position; never another exception."""
    try:
        result = parse(path, data)
    except ParseError as error:
        assert error.line >= 0 and error.column >= 0 and error.message
        return
    assert len(result.records) == 1
    rec = result.records[0]
    fields = rec.fields
    assert set(fields) == FIELD_NAMES
    assert fields["status"] in ADR_STATUSES
    assert fields["adr_metadata"]["dialect"] in DIALECTS
    assert isinstance(fields["title"], str) and fields["title"]
    assert isinstance(fields["adr_number"], str) and fields["adr_number"]
    assert fields["adr_number"] not in fields["related_adrs"]
    assert fields["date"] is None or isinstance(fields["date"], dt.date)
    assert all(isinstance(o["option"], str) for o in fields["considered_options"])
    assert rec.line >= 1
    json.dumps(json_safe(fields))  # storable in a JSON column
    assert len(rec.content_hash) == 64
    assert all(w.severity == "warning" for w in result.warnings)


PROPERTY_SETTINGS = settings(
    deadline=2000, max_examples=300, suppress_health_check=[HealthCheck.too_slow, HealthCheck.data_too_large]
)
FILE_NAMES = st.sampled_from(
    [
        "docs/adr/0001-x.md",
        "docs/adr/20200924-slug.md",
        "docs/adr/ADR-0042-y.md",
        "docs/adr/notes.md",
        "x.md",
        "decisions/0007-k/README.md",  # folder per ADR
        "README.md",
        "examples/basic/index.md",
    ]
)


@PROPERTY_SETTINGS
@given(path=FILE_NAMES, data=st.binary(max_size=3000))
def test_arbitrary_bytes(path: str, data: bytes) -> None:
    _check_total(path, data)


# fmt: off
TOKENS = [
    "#", "##", "###", "# ", "## ", "### ", "-", "- ", "* ", "*", "**", ":", ": ", "---", "---\n", "\n", "\n\n",
    " ", "  ", "\t", "Status", "status", "Date", "date", "accepted", "Superseded by", "Supercedes", "Amended by",
    "Deciders", "decision-makers", "Tags", "Context", "Decision", "Decision Outcome", "Consequences",
    "Considered Options", "Pros and Cons of the Options", "Good, because", "Bad, because", "Links", "ADR-0001",
    "ADR-12", "REQ-7", "[x](0002-y.md)", "[", "]", "(", ")", "2020-01-01", "12/02/2016", "`", "```", "~~~",
    "<!--", "-->", "✅", "🚧", "é", "&a", "*a", "{", "}", "id: 3", "title: T", "===", "|", ">", "1.", "\r\n",
    # real-world shapes (issue 13): loose labels, dates, status headings, URLs, folder links, title numbers
    "Status Accepted", "Date 09/04/2018", "9 April 2018", "## Status: ", "Status quo", "Decisions", "Implications",
    "<https://x.org/adr-6.md>", "https://x.org/ADR-7", "[y](https://x.org/0008-z.md)", "[r](../0009-w/README.md)",
    "README.md", ":white_check_mark:", "# 23 ", "ADR 23: ", "ADR-023 - ",
]
# fmt: on


@PROPERTY_SETTINGS
@given(path=FILE_NAMES, parts=st.lists(st.sampled_from(TOKENS), max_size=120))
def test_markdownish_text(path: str, parts: list[str]) -> None:
    _check_total(path, "".join(parts).encode())


FIXTURE_TEXTS = sorted(p.read_bytes() for p in FIXTURES.glob("*.md"))


@st.composite
def mutated_fixture(draw: st.DrawFn) -> bytes:
    """A fixture, then a few random edits: delete, duplicate, insert a token, or splice in another fixture."""
    data = bytearray(draw(st.sampled_from(FIXTURE_TEXTS)))
    for _ in range(draw(st.integers(1, 6))):
        op = draw(st.sampled_from(["delete", "duplicate", "insert", "splice", "byte"]))
        i = draw(st.integers(0, len(data)))
        j = draw(st.integers(i, min(len(data), i + 200)))
        if op == "delete":
            del data[i:j]
        elif op == "duplicate":
            data[i:i] = data[i:j]
        elif op == "insert":
            data[i:i] = draw(st.sampled_from(TOKENS)).encode()
        elif op == "splice":
            other = draw(st.sampled_from(FIXTURE_TEXTS))
            k = draw(st.integers(0, len(other)))
            data[i:] = other[k:]
        else:
            data[i:i] = bytes([draw(st.integers(0, 255))])
    return bytes(data)


@PROPERTY_SETTINGS
@given(path=FILE_NAMES, data=mutated_fixture())
def test_mutated_fixtures(path: str, data: bytes) -> None:
    _check_total(path, data)


# fmt: off
YAML_LINES = [
    "status: accepted", "status:", "date: 2020-02-30", "date: [1, 2]", "id: 7", "id: {a: 1}",
    "deciders: [a, b]", "deciders: {a: 1}", "tags: a b", "tags: [1, 2.5, null]", "x: &a [1, 2]",
    "y: *a", "<<: {z: 1}", "? [k]\n: v", "n: .nan", "b: !!binary aGVsbG8=", "s: !!set {a, b}",
    "t: 2001-12-14t21:59:43.10-05:00", "  indented: 1", "- item", "'quoted': \"x\"", "k: |\n  block",
    "supersedes: 3", "superseded-by: [ADR-0009, 0010-x.md]", "title: ", "number: -1", "sections: 1",
    
]
# fmt: on


@PROPERTY_SETTINGS
@given(
    yaml_lines=st.lists(
        st.sampled_from(YAML_LINES),
        max_size=12,
    ),
    rest=st.sampled_from(FIXTURE_TEXTS),
)
def test_random_front_matter(yaml_lines: list[str], rest: bytes) -> None:
    _check_total("docs/adr/0007-x.md", ("---\n" + "\n".join(yaml_lines) + "\n---\n").encode() + rest)


def test_front_matter_relations_that_name_no_adr_are_warned_about_not_dropped() -> None:
    """``supersedes: [1, {x: 2}]`` and ``superseded_by: true`` used to keep ADR-0001 and say nothing of the rest;
    "none", a link to another repository's ADR and an empty value say there is nothing to name."""
    data = (b"---\nsupersedes: [1, {x: 2}, none, 'https://example.com/adr/0003.md']\nsuperseded_by: true\n---\n"
            b"# 4. Four\n\n## Status\n\nAccepted\n\n## Context\n\nx\n")
    fields, warnings, _ = parse_fields("docs/adr/0004-four.md", data)
    assert fields["supersedes"] == "ADR-0001" and fields["superseded_by"] is None
    assert [(line, message.split(" names ")[0]) for line, message in warnings] == [
        (2, "supersedes: {'x': 2}"), (3, "superseded by: True")]
