"""The test cases a scenario names by hand (its database-owned ``test_case_ids``, set by a ``PATCH``) as ``test``
links, beside those the results import ties to it (``scenario_test_case_association``): ``links._pairs`` takes both,
so ``show``, ``trace``, ``GET …/links?type=test`` and the matrix answer the same whichever way a test was tied.

``named_pairs`` reads the list as stored; an id of no test case of the scenario's project (a value stored before
``PATCH`` checked them) links nothing. A named test case deleted later keeps its link, as an associated one does
(a test case's deletion touches no link). ``relink`` brings one scenario's test links in line after a ``PATCH``.
``named_in_project`` is what ``results unmatched`` takes beside the association: a named test case is not unmatched.
"""

from __future__ import annotations

import json
import uuid
from collections.abc import Iterator, Sequence
from typing import Any

from sqlalchemy import select
from sqlalchemy.engine import Connection

from tracertm.engine.apply import iter_chunks
from tracertm.models import Feature, LinkType, Scenario, TestCase

__all__ = ["named_in_project", "named_pairs", "relink"]


def named_pairs(conn: Connection, scenario_ids: Sequence[uuid.UUID]) -> Iterator[tuple[uuid.UUID, uuid.UUID]]:
    """(scenario, test case) for every test case of its project a scenario of ``scenario_ids`` names in
    ``test_case_ids``."""
    s, f, c = Scenario.__table__.c, Feature.__table__.c, TestCase.__table__.c
    named: list[tuple[uuid.UUID, uuid.UUID, uuid.UUID]] = []  # (scenario, its project, a test case it names)
    for chunk in iter_chunks(list(scenario_ids)):
        for scenario_id, project_id, ids in conn.execute(
                select(s.id, f.project_id, s.test_case_ids).select_from(Scenario.__table__.join(
                    Feature.__table__, s.feature_id == f.id)).where(s.id.in_(chunk))):
            named += [(scenario_id, project_id, case) for case in _ids(ids)]
    projects: dict[uuid.UUID, uuid.UUID] = {}
    for chunk in iter_chunks(sorted({case for _, _, case in named}, key=str)):
        projects.update((r.id, r.project_id) for r in conn.execute(select(c.id, c.project_id).where(c.id.in_(chunk))))
    for scenario_id, project_id, case in named:
        if projects.get(case) == project_id:
            yield scenario_id, case


def named_in_project(conn: Connection, project_id: uuid.UUID) -> set[uuid.UUID]:
    """The ids a scenario of the project ``project_id`` names in ``test_case_ids``, a deleted scenario's (or one of a
    deleted feature) too: its association rows stay while it is deleted, and tie their test cases still, so its
    names do as well (both are its test links again when it comes back). Ids of no test case of the project are in
    too: the caller asks about the project's test cases."""
    s, f = Scenario.__table__.c, Feature.__table__.c
    named: set[uuid.UUID] = set()
    for (ids,) in conn.execute(select(s.test_case_ids).select_from(Scenario.__table__.join(
            Feature.__table__, s.feature_id == f.id)).where(f.project_id == project_id)):
        named.update(_ids(ids))
    return named


def _ids(value: Any) -> Iterator[uuid.UUID]:
    """The UUIDs of a stored ``test_case_ids`` (decoded, or the JSON text a driver may return); other values
    are skipped."""
    for item in (json.loads(value) if isinstance(value, str) else value) or ():
        try:
            yield uuid.UUID(item)
        except (TypeError, ValueError, AttributeError):
            continue


def relink(conn: Connection, project_id: uuid.UUID, scenario_id: uuid.UUID) -> None:
    """Bring a scenario's ``test`` links in line with its ``test_case_ids`` and the results' mapping, in the
    caller's transaction (a ``PATCH`` of the list, after its flush): a name removed takes its link, unless the
    mapping ties the same test case; a link that stays keeps its review; a new one is born reviewed."""
    from tracertm.engine.links import write_scenario_links

    write_scenario_links(conn, project_id, str(LinkType.TEST), [scenario_id])
