"""Pages of a trace graph's edges: the cursor that resumes a graph after the last edge a page showed.

A graph's edges are in a total order — the breadth-first round that reached them, then source, type and target —
so a page resumes after the last edge's values (not its place in a list: a link added or removed before it moves
no boundary). The cursor carries the whole query (the root, the depth, the page size) and, when they fit, those
values; a last edge of ids too long for a cursor of 4,096 characters travels as its round and a digest, and its
page follows while that edge is still in the graph.
"""

from __future__ import annotations

import base64
import binascii
import json
import uuid
from dataclasses import dataclass
from typing import Any

from tracertm.errors import UsageError
from tracertm.repositories.cursor import MAX_CHARS, values_digest
from tracertm.trace.graph_limits import DEFAULT_EDGES, MAX_EDGES

__all__ = ["DEFAULT_EDGES", "MAX_EDGES", "EdgeKey", "GraphCursor"]

_KIND = "trace"
# 2, as the lists' cursors (``repositories.cursor``): a trace cursor handed to a list is not one of that list.
_VERSION = 2
EdgeKey = tuple[int, str, str, str, str, str]  # round, source kind and ref, type, target kind and ref
_NOT_A_CURSOR = "cursor: not a cursor of this list; start again without it"


@dataclass(frozen=True)
class GraphCursor:
    """Where a graph's next page starts: after edge ``key`` (or, when that was too long to carry, the edge of
    round ``key[0]`` whose key has ``digest``), of the graph around ``root`` (``kind:ref``) to ``depth``."""

    project_id: uuid.UUID
    root: str
    depth: int
    limit: int
    key: EdgeKey | tuple[int]
    digest: str | None = None

    def encode(self) -> str:
        """The cursor as text: with the last edge's values when they fit in :data:`MAX_CHARS`, else its digest."""
        payload: dict[str, Any] = {"v": _VERSION, "k": _KIND, "p": str(self.project_id), "r": self.root,
                                   "d": self.depth, "l": self.limit}
        text = _text({**payload, "s": list(self.key)})
        return text if len(text) <= MAX_CHARS else _text({**payload, "s": [self.key[0]], "h": digest(self.key)})

    @classmethod
    def decode(cls, text: str, project_id: uuid.UUID, root: str) -> GraphCursor:
        """The cursor ``text`` of the graph around ``root`` in project ``project_id``; :class:`UsageError` in one
        line when it is no trace cursor, or one of another graph."""
        try:
            payload = json.loads(base64.urlsafe_b64decode(text + "=" * (-len(text) % 4)))
        except (binascii.Error, ValueError):  # (UnicodeDecodeError and JSONDecodeError are ValueErrors)
            raise UsageError(_NOT_A_CURSOR) from None
        # Another list's cursor of any version (a record list's is at 3) is said to be one: its kind is not ours.
        if not isinstance(payload, dict) or payload.get("v") != _VERSION and payload.get("k") in (_KIND, None):
            raise UsageError(_NOT_A_CURSOR)
        if payload.get("k") != _KIND or payload.get("p") != str(project_id) or payload.get("r") != root:
            raise UsageError("cursor: it belongs to another list; start again without it")
        depth: Any = payload.get("d")  # (each checked below: a cursor is user input)
        limit: Any = payload.get("l")
        key, hashed = payload.get("s"), payload.get("h")
        if not (_count(depth, 0, 10) and _count(limit, 1, MAX_EDGES) and isinstance(key, list) and key
                and _count(key[0], 1, 10)):
            raise UsageError(_NOT_A_CURSOR)
        if hashed is None and not (len(key) == 6 and all(isinstance(part, str) for part in key[1:])):
            raise UsageError(_NOT_A_CURSOR)
        if hashed is not None and not (len(key) == 1 and isinstance(hashed, str)):
            raise UsageError(_NOT_A_CURSOR)
        return cls(project_id, root, depth, limit, tuple(key), hashed)


def digest(key: EdgeKey | tuple[int]) -> str:
    """The digest of an edge's key that a cursor carries when the key is too long to carry."""
    return values_digest(list(key))


def _count(value: Any, low: int, high: int) -> bool:
    return type(value) is int and low <= value <= high


def _text(payload: dict[str, Any]) -> str:
    raw = json.dumps(payload, separators=(",", ":"), sort_keys=True, ensure_ascii=False)
    return base64.urlsafe_b64encode(raw.encode("utf-8", "surrogatepass")).rstrip(b"=").decode()
