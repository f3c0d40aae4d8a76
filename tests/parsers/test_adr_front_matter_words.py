"""Words in ADR front matter stay the words written.

PyYAML reads YAML 1.1, where ``yes``, ``no``, ``on`` and ``off`` (any case) are booleans: ``tags: [NO, on-call]``
was stored as the tags "False" and "on-call", ``consulted: no`` as the stakeholder "False", a custom ``draft: on``
as true. YAML 1.2 — and Docusaurus and Log4brains, which read these files with js-yaml — keep them as words; only
``true`` and ``false`` are booleans.
"""

from __future__ import annotations

from typing import Any

from tracertm.parsers.adr import parse


def fields(front: str) -> dict[str, Any]:
    text = f"---\nstatus: accepted\n{front}\n---\n# Use X\n\n## Context\n\nc\n"
    result = parse("docs/adr/0003-use-x.md", text.encode())
    assert result.warnings == ()
    return dict(result.records[0].fields)


def test_yaml_1_1_booleans_are_words() -> None:
    read = fields("tags: [NO, on-call, Yes]\ndeciders: [Ann, On]\nreview: off\nlegacy: true")
    assert read["tags"] == ["NO", "on-call", "Yes"]
    assert read["adr_metadata"]["stakeholder_roles"] == {"deciders": ["Ann", "On"]}
    assert (read["adr_metadata"]["review"], read["adr_metadata"]["legacy"]) == ("off", True)


def test_a_role_that_names_no_one_adds_no_stakeholder() -> None:
    """MADR 4's front matter keeps its role keys; teams fill them in with ``none``, ``n/a``, ``-`` (a public MADR 4
    ADR, "Embedding model and vector dimension", has ``consulted: none`` and ``informed: none``). Those were
    stakeholders called "none"."""
    read = fields("decision-makers: Ann, none\nconsulted: none\ninformed: [n/a, '-', Ops team]\ndeciders: false")
    assert read["stakeholders"] == ["Ann", "Ops team"]
    assert read["adr_metadata"]["stakeholder_roles"] == {"decision-makers": ["Ann"], "informed": ["Ops team"]}


def test_the_key_list_too() -> None:
    text = "# 4. Use Y\n\n* Status: accepted\n* Deciders: Ann, Bob\n* Consulted: N/A\n\n## Context\n\nc\n"
    result = parse("docs/adr/0004-use-y.md", text.encode())
    assert result.records[0].fields["stakeholders"] == ["Ann", "Bob"]
