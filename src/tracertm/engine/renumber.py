"""Scenario rows renumbered in place: ids an earlier tracertm made of a name as written (``add  an item``), which
the first sync after the upgrade makes today's (``add an item``, ``engine.plan``), with no version and no revision.

Two such rows may trade ids (a row taking the id a deleted scenario holds gives it the id it leaves, and of two
scenarios named alike but spaced differently each may take the other's). Both databases check a unique index after
each statement, so the rows first take an id no file gives (a leading space: ids are stripped) and then their own.
"""

from __future__ import annotations

import uuid
from collections.abc import Sequence
from typing import Any

from sqlalchemy import bindparam, update

from tracertm import kinds
from tracertm.engine.ids import as_id


def renumber(conn: Any, renumbered: Sequence[tuple[uuid.UUID, str]]) -> None:
    """Give each scenario row its new id (``Plan.renumbered``), in the caller's transaction, before the plan's
    operations write the rows (which set the same ids)."""
    if not renumbered:
        return
    table = kinds.table("scenario")
    statement = update(table).where(table.c.id == bindparam("_id")).values(scenario_number=bindparam("_number"))
    conn.execute(statement, [{"_id": as_id(row_id) or row_id, "_number": f" {row_id}"} for row_id, _ in renumbered])
    conn.execute(statement, [{"_id": as_id(row_id) or row_id, "_number": number} for row_id, number in renumbered])
