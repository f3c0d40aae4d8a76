"""The step and test links of scenarios that moved (``follow``): a scenario's file renamed, or its feature
renumbered, takes the ``source_path`` and ``source_ref`` of its database-derived links with it
(``links.DB_LINK_TYPES``: ``step`` links from the step matching, ``test`` links from the results mapping, which
``links._write_sources`` does not rewrite).

Only the scenarios whose links name another path or id are updated. A link rebuild (the end of every backfill,
``sync --full``) passes every live scenario of the project, and an ``UPDATE`` per scenario — guarded, so that it
changed nothing for a scenario that had not moved — was one statement per scenario for the database to run: the
cost of a one-commit backfill followed the project's size. The links are read first, a chunk of scenarios per
statement, and the guarded ``UPDATE`` is sent for those that differ only.
"""

from __future__ import annotations

import uuid
from collections.abc import Sequence

from sqlalchemy import Table, bindparam, or_, select, update
from sqlalchemy.engine import Connection

from tracertm.engine.apply import iter_chunks
from tracertm.models import Base, LinkType
from tracertm.models.types import utcnow

__all__ = ["follow"]

_LINKS: Table = Base.metadata.tables["links"]
_DB_LINK_TYPES = (str(LinkType.STEP), str(LinkType.TEST))  # (``links.DB_LINK_TYPES``, which imports this module)


def follow(conn: Connection, scenarios: Sequence[tuple[uuid.UUID, str | None, str]]) -> None:
    """Give the step and test links of ``scenarios`` (id, path, ref: where each scenario is now) that path and
    ref where they name others."""
    t = _LINKS.c
    where = {ident: (path, ref) for ident, path, ref in scenarios}
    moved: set[uuid.UUID] = set()
    for chunk in iter_chunks(list(where)):
        rows = conn.execute(
            select(t.source_id, t.source_path, t.source_ref).distinct()
            .where(t.source_id.in_(chunk), t.link_type.in_(_DB_LINK_TYPES)))
        # Python's ``!=`` (None differs from a path) picks at least the scenarios the SQL guard below updates.
        moved.update(r.source_id for r in rows if (r.source_path, r.source_ref) != where[r.source_id])
    if not moved:
        return
    conn.execute(
        update(_LINKS)
        .where(t.source_id == bindparam("_sid"), or_(*(t.link_type == x for x in _DB_LINK_TYPES)),
               (t.source_path != bindparam("_path")) | (t.source_ref != bindparam("_ref")))
        .values(source_path=bindparam("_path"), source_ref=bindparam("_ref"), updated_at=utcnow()),
        [{"_sid": ident, "_path": path, "_ref": ref} for ident, (path, ref) in where.items() if ident in moved],
    )
