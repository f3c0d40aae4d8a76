"""Which test cases a scenario may name in its database-owned ``test_case_ids`` (a ``PATCH``'s): its project's live
ones (and one it names already, deleted since); what it names are test links (``engine.named_tests``)."""

from __future__ import annotations

import uuid
from collections.abc import Iterable
from typing import Any, NamedTuple

from sqlalchemy import select
from sqlalchemy.orm import Session

from tracertm.models import TestCase

__all__ = ["Nameable", "named_context", "relink", "test_cases_of"]

_CHUNK = 900  # ids per query: SQLite's bound parameters are limited


class Nameable(NamedTuple):
    """Of the ids a ``PATCH`` names: those the scenario may name, and the deleted test cases of its project it may
    not (a 422 that says how to restore one, not that it is of no project)."""

    known: set[str]
    deleted: set[str]


def named_context(session: Session, kind: str, row: Any, named: object) -> dict[str, set[str]] | None:
    """The validation context of a ``PATCH`` of a ``kind`` record ``row`` whose ``test_case_ids`` is ``named``
    (``schemas.updates.KNOWN_TEST_CASES``: the ids it may name; ``DELETED_TEST_CASES``: those deleted); None when it
    names none."""
    from tracertm.schemas.updates import DELETED_TEST_CASES, KNOWN_TEST_CASES

    if kind != "scenario" or not isinstance(named, list):
        return None
    found = test_cases_of(session, row.feature.project_id, named, row.test_case_ids)
    return {KNOWN_TEST_CASES: found.known, DELETED_TEST_CASES: found.deleted}


def relink(session: Session, row: Any) -> None:
    """Bring the ``test`` links of the scenario ``row`` in line with the ``test_case_ids`` just flushed."""
    from tracertm.engine.named_tests import relink as relink_scenario

    relink_scenario(session.connection(), row.feature.project_id, row.id)


def test_cases_of(session: Session, project_id: uuid.UUID, ids: Iterable[object],
                  kept: Iterable[object] = ()) -> Nameable:
    """Those of ``ids`` (as sent) that are live test cases of the project ``project_id``, or deleted ones ``kept``
    names (the scenario's list before the ``PATCH``: a test case deleted after it was named stays, its link too),
    and apart the project's other deleted ones, in the column's form (the canonical hyphenated UUID). A value that
    is no UUID text is left out: the validation refuses it."""
    wanted: set[uuid.UUID] = set()
    for item in ids:
        if isinstance(item, str):
            try:
                wanted.add(uuid.UUID(item))
            except ValueError:
                continue
    ordered = sorted(wanted, key=str)
    before = {str(item) for item in kept}
    found: set[str] = set()
    deleted: set[str] = set()
    for start in range(0, len(ordered), _CHUNK):
        chunk = ordered[start:start + _CHUNK]
        rows = session.execute(select(TestCase.id, TestCase.deleted_at).where(
            TestCase.project_id == project_id, TestCase.id.in_(chunk)).execution_options(include_deleted=True))
        for r in rows:
            (found if r.deleted_at is None or str(r.id) in before else deleted).add(str(r.id))
    return Nameable(found, deleted)
