"""A trace page's cursor carries the last edge's values, or — ids of a few thousand bytes (a source reference may
hold 1,024 characters, 3 bytes each) — its round and digest, within the 4,096 characters a cursor may have; the
next page then follows after that edge while the graph still has it, else one line."""

from __future__ import annotations

import uuid

import pytest

from tracertm.errors import UsageError
from tracertm.trace.graph import Edge, _edge_key, _following
from tracertm.trace.graph_pages import GraphCursor

PROJECT = uuid.uuid4()
WIDE = "\u754c" * 1024


def _ordered() -> list[tuple[tuple[int, str, str, str, str, str], Edge]]:
    edges = [Edge(("scenario", f"FEAT-1/SC-{n}"), ("step_definition", f"{WIDE}{n}"), "step") for n in range(3)]
    return [(_edge_key(1, edge), edge) for edge in edges]


def test_a_long_last_edge_travels_as_its_digest() -> None:
    ordered = _ordered()
    text = GraphCursor(PROJECT, "adr:ADR-1", 2, 1, ordered[0][0]).encode()
    assert len(text) <= 4096
    taken = GraphCursor.decode(text, PROJECT, "adr:ADR-1")
    assert taken.digest is not None and taken.key == (1,) and (taken.depth, taken.limit) == (2, 1)
    assert [edge for _, edge in _following(ordered, taken)] == [edge for _, edge in ordered[1:]]
    with pytest.raises(UsageError, match="the last record of its page has changed or is gone since"):
        _following(ordered[1:], taken)
    with pytest.raises(UsageError, match="it belongs to another list"):
        GraphCursor.decode(text, PROJECT, "adr:ADR-2")
