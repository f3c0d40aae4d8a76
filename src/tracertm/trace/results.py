"""Scenario → test case trace links, written by the results import in its transaction.

The import maps each test result to a scenario (``tracertm.results.mapping``); every (scenario, test case) pair it
maps becomes a ``test`` link, once. A later run never withdraws a mapping, so links are only added here. Like every
link, a new one is born reviewed against its target's current version.
"""

from __future__ import annotations

import uuid
from collections.abc import Iterable

from sqlalchemy.orm import Session

from tracertm.models import LinkType


def link_scenarios_to_test_cases(
    session: Session, project_id: uuid.UUID, pairs: Iterable[tuple[uuid.UUID, uuid.UUID]]
) -> int:
    """Add the ``test`` links of (scenario id, test case id) ``pairs`` that do not exist yet, set-based (a handful
    of statements per 500 scenarios, whatever the number of pairs). Returns how many links were added. The caller
    holds the project's write lock and commits."""
    from tracertm.engine.links import write_scenario_links

    wanted = set(pairs)
    if not wanted:
        return 0
    return write_scenario_links(session.connection(), project_id, str(LinkType.TEST), (), pairs=wanted)


__all__ = ["link_scenarios_to_test_cases"]
