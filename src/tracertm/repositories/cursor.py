"""Opaque keyset cursors. A cursor carries the whole query (filters, sort, limit) and the last row's id, so the
next page is the same query resumed after that row — stable under concurrent inserts, no OFFSET scan."""

from __future__ import annotations

import base64
import binascii
import json
import uuid
from dataclasses import dataclass
from typing import Any

from pydantic import ValidationError

from tracertm.errors import UsageError
from tracertm.schemas.filters import ListFilter

_VERSION = 1


@dataclass(frozen=True)
class Cursor:
    kind: str
    project_id: uuid.UUID
    filter: ListFilter
    after: uuid.UUID

    def encode(self) -> str:
        payload = {
            "v": _VERSION, "k": self.kind, "p": str(self.project_id), "a": str(self.after),
            "q": self.filter.model_dump(mode="json", exclude_defaults=True),
        }
        raw = json.dumps(payload, separators=(",", ":"), sort_keys=True).encode()
        return base64.urlsafe_b64encode(raw).rstrip(b"=").decode()

    @classmethod
    def decode(cls, text: str, option: str = "cursor") -> Cursor:
        problem = f"{option}: not a cursor of this list; start again without it"
        try:
            raw = base64.urlsafe_b64decode(text + "=" * (-len(text) % 4))
            payload: Any = json.loads(raw)
            if not isinstance(payload, dict) or payload.get("v") != _VERSION:
                raise UsageError(problem)
            return cls(
                kind=str(payload["k"]),
                project_id=uuid.UUID(payload["p"]),
                filter=ListFilter.model_validate(payload.get("q") or {}),
                after=uuid.UUID(payload["a"]),
            )
        except (binascii.Error, ValueError, KeyError, TypeError, AttributeError, ValidationError, UnicodeDecodeError):
            raise UsageError(problem) from None  # AttributeError: uuid.UUID(12) and the like (a forged cursor)
