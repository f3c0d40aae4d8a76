"""Which test cases a scenario may name in its database-owned ``test_case_ids`` (a ``PATCH``'s): its project's."""

from __future__ import annotations

import uuid
from collections.abc import Iterable

from sqlalchemy import select
from sqlalchemy.orm import Session

from tracertm.models import TestCase

__all__ = ["test_cases_of"]

_CHUNK = 900  # ids per query: SQLite's bound parameters are limited


def test_cases_of(session: Session, project_id: uuid.UUID, ids: Iterable[object]) -> set[str]:
    """Those of ``ids`` (as sent) that are test cases of the project ``project_id``, in the column's form (the
    canonical hyphenated UUID). A value that is no UUID text is left out: the validation refuses it."""
    wanted: set[uuid.UUID] = set()
    for item in ids:
        if isinstance(item, str):
            try:
                wanted.add(uuid.UUID(item))
            except ValueError:
                continue
    ordered = sorted(wanted, key=str)
    found: set[str] = set()
    for start in range(0, len(ordered), _CHUNK):
        chunk = ordered[start:start + _CHUNK]
        found.update(str(i) for i in session.execute(
            select(TestCase.id).where(TestCase.project_id == project_id, TestCase.id.in_(chunk))).scalars())
    return found
