"""Opaque keyset cursors. A cursor carries the whole query (filters, sort, limit), the last row's id and the values
of its sort keys as its page read them, so the next page is the same query resumed after those values — stable
under concurrent inserts and under edits of that very row, no OFFSET scan."""

from __future__ import annotations

import base64
import binascii
import hashlib
import json
import re
import uuid
from collections.abc import Iterator, Sequence
from contextlib import contextmanager
from dataclasses import dataclass
from typing import Any

from pydantic import ValidationError

from tracertm.errors import UsageError
from tracertm.schemas.filters import ListFilter

# 2: the sort-key values (or their digest) too. A cursor of version 1 named the last row only, and the next page
# resumed after that row's values as they were then: a row edited in between lost the records it moved past.
# 3: the values of the kind's tie-break fields too (``Kind.tie_break``), which version 2 did not sort by.
_VERSION = 3
# The longest cursor taken back: the API's ``cursor`` parameter and the web view (``web.pages.MAX_CURSOR``).
MAX_CHARS = 4096
NOT_A_CURSOR = "cursor: not a cursor of this list; start again without it"
# A commit as a next page's cursor carries ``changed_since``'s (``Records._pinned``): by its full id, not a name.
PINNED_COMMIT = re.compile(r"^(?:[0-9a-f]{40}|[0-9a-f]{64})$")


def values_digest(values: Sequence[Any]) -> str:
    """A digest of sort-key values (JSON), which a cursor carries when the values are too long to carry."""
    text = json.dumps(list(values), separators=(",", ":"), ensure_ascii=False)
    return base64.urlsafe_b64encode(hashlib.sha256(text.encode("utf-8", "surrogatepass")).digest()[:18]).decode()


@dataclass(frozen=True)
class Cursor:
    """``values``: the last row's sort-key values but its id (JSON, as ``keyset.value_json`` gives them); a cursor
    decoded from text has either them or, when they did not fit in :data:`MAX_CHARS`, their ``digest`` only."""

    kind: str
    project_id: uuid.UUID
    filter: ListFilter
    after: uuid.UUID
    values: tuple[Any, ...] | None = None
    digest: str | None = None

    def encode(self) -> str:
        """The cursor as text: with the sort-key values when the text stays within :data:`MAX_CHARS` (the query
        takes at most ``MAX_QUERY_CHARS`` of it), else with their digest (long titles or numbers)."""
        payload = {
            "v": _VERSION, "k": self.kind, "p": str(self.project_id), "a": str(self.after),
            "q": self.filter.model_dump(mode="json", exclude_defaults=True),
        }
        values = list(self.values or ())
        text = _text({**payload, "s": values})
        return text if len(text) <= MAX_CHARS else _text({**payload, "h": values_digest(values)})

    @classmethod
    def decode(cls, text: str, option: str = "cursor") -> Cursor:
        """A cursor from its text; :class:`UsageError` in one line when it is no cursor (of this version)."""
        problem = f"{option}: not a cursor of this list; start again without it"
        try:
            raw = base64.urlsafe_b64decode(text + "=" * (-len(text) % 4))
            payload: Any = json.loads(raw)
            # Version 2 by its shape too (a last record and its kind): a trace graph's cursor is at its own 2.
            earlier = payload.get("v") == 1 or payload.get("v") == 2 and {"a", "k"} <= set(payload)
            if earlier:  # (a payload of no dict: AttributeError above, no cursor)
                raise UsageError(f"{option}: made by an earlier version of tracertm; start again without it")
            if not isinstance(payload, dict) or payload.get("v") != _VERSION:
                raise UsageError(problem)
            values, digest = payload.get("s"), payload.get("h")
            if (values is None) == (digest is None) or not isinstance(values or [], list) \
                    or not isinstance(digest or "", str):
                raise UsageError(problem)
            return cls(
                kind=str(payload["k"]),
                project_id=uuid.UUID(payload["p"]),
                filter=ListFilter.model_validate(payload.get("q") or {}),
                after=uuid.UUID(payload["a"]),
                values=None if values is None else tuple(values),
                digest=digest,
            )
        except (binascii.Error, ValueError, KeyError, TypeError, AttributeError, ValidationError, UnicodeDecodeError):
            raise UsageError(problem) from None  # AttributeError: uuid.UUID(12) and the like (a forged cursor)


def _text(payload: dict[str, Any]) -> str:
    # Not ASCII-escaped: a title's "é" is two bytes, not six ("\u00e9"), so more values fit.
    raw = json.dumps(payload, separators=(",", ":"), sort_keys=True, ensure_ascii=False)
    return base64.urlsafe_b64encode(raw.encode("utf-8", "surrogatepass")).rstrip(b"=").decode()


@contextmanager
def refusals_of(cursor: Cursor | None) -> Iterator[None]:
    """A usage error about the query of ``cursor`` (unless None) as the cursor's own error: a filter the list refuses
    (a sort field, a status, a commit it does not know) is in no cursor its pages made, since their first page
    refused it — the cursor was forged or edited, whatever its filter says (README: Pages)."""
    try:
        yield
    except UsageError:
        if cursor is None:
            raise
        raise UsageError(NOT_A_CURSOR) from None
