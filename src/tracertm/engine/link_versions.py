"""The version a link records of its target when a rebuild follows it (``engine.links.rebuild``: ``sync --full``,
a links format change, the backfill's link step): its *content* version, as the syncs before it recorded.

A row's ``version`` counts every write, database-side ``annotated`` edits included (one revision per increment);
a link turns suspect only on a content change (see ``engine.links``), so a rebuild that recorded ``version`` made
every link of an annotated target suspect.
"""

from __future__ import annotations

import uuid
from collections import defaultdict
from collections.abc import Mapping
from typing import Any

from sqlalchemy import select
from sqlalchemy.engine import Connection

from tracertm.engine.apply import iter_chunks
from tracertm.models import Base

__all__ = ["content_versions", "followed_version"]


def content_versions(conn: Connection, targets: Mapping[uuid.UUID, int]) -> dict[uuid.UUID, int]:
    """Each target's *content* version (``targets``: row id → its ``version``): the version its last git change
    (created, updated, restored, a move with new content) gave it, which is what ``maintain`` records as a link's
    ``target_version`` (see ``_follow_targets``). ``version`` also counts database-side edits, one ``annotated``
    revision per increment (``models.audit``): the content version is ``version`` less the annotated increments on
    top of it. Only annotated revisions are read: none for a project never edited in the database."""
    revisions = Base.metadata.tables["spec_revisions"].c
    annotated: dict[uuid.UUID, set[int]] = defaultdict(set)
    for chunk in iter_chunks(sorted(targets, key=str)):
        for entity_id, version in conn.execute(
            select(revisions.entity_id, revisions.version).where(
                revisions.entity_id.in_(chunk), revisions.change == "annotated")
        ):
            annotated[entity_id].add(version)
    out: dict[uuid.UUID, int] = {}
    for target_id, version in targets.items():
        edits = annotated.get(target_id, set())
        while version > 1 and version in edits:
            version -= 1
        out[target_id] = version
    return out


def followed_version(link: Any, target_id: uuid.UUID, version: int, content: int) -> int:
    """The ``target_version`` of a link (a ``links`` row: ``target_id``, ``target_version``, ``reviewed_version``)
    that follows its live target (``target_id``, its current ``version``, its ``content`` version: see
    ``content_versions``) as ``maintain`` would have made it, so that a rebuild agrees with the syncs before it.

    A link that has seen the target's latest content (its ``target_version`` is between ``content`` and ``version``:
    at most ``annotated`` edits since, and those never make a link suspect) keeps its version: a link born after
    such edits recorded the version it was born against. Otherwise (the content changed since, or the target is new
    to the link) it records ``content``, as ``maintain`` does for a content change or a target that appears.

    A link that records a version after the last content change but was reviewed at another version after it is
    one an earlier rebuild made suspect by recording ``version``, annotated edits included (no sync, birth or
    review leaves a link so): it records its reviewed version again, which nothing changed since."""
    recorded, reviewed = link.target_version, link.reviewed_version
    if link.target_id != target_id or recorded is None or not content <= recorded <= version:
        return content
    if recorded > content and reviewed is not None and content <= reviewed <= version:
        return int(reviewed)
    return int(recorded)
