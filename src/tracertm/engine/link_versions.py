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

from sqlalchemy import bindparam, select, update
from sqlalchemy.engine import Connection

from tracertm.engine.apply import iter_chunks
from tracertm.models import Base
from tracertm.models.types import utcnow

__all__ = ["content_versions", "follow_step_links", "followed_version", "rebirth_step_links"]


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


def _stale_step_links(conn: Connection, project_id: uuid.UUID) -> list[Any]:
    """The project's step links whose ``target_version`` is not their live definition's ``version``, each with
    that version."""
    links, defs = Base.metadata.tables["links"], Base.metadata.tables["step_definitions"]
    return list(conn.execute(
        select(links.c.id, links.c.target_id, links.c.target_version, links.c.reviewed_version,
               links.c.reviewed_by, defs.c.version)
        .select_from(links.join(defs, defs.c.id == links.c.target_id))
        .where(links.c.project_id == project_id, links.c.link_type == "step", defs.c.deleted_at.is_(None),
               links.c.target_version.is_distinct_from(defs.c.version))))


def follow_step_links(conn: Connection, project_id: uuid.UUID) -> None:
    """Step links record their definition's content version as ``maintain`` would have (``followed_version``), their
    review kept: a definition a backfill's batches changed (they write rows, not links) leaves the step links a sync
    made before with the version they saw, where a sync of each commit moves it and makes them suspect."""
    links = Base.metadata.tables["links"]
    stale = _stale_step_links(conn, project_id)
    contents = content_versions(conn, {r.target_id: r.version for r in stale})
    fixes = [{"_id": r.id, "_v": v} for r in stale
             if (v := followed_version(r, r.target_id, r.version, contents[r.target_id])) != r.target_version]
    if fixes:
        conn.execute(update(links).where(links.c.id == bindparam("_id")).values(
            target_version=bindparam("_v"), updated_at=utcnow()), fixes)


def rebirth_step_links(conn: Connection, project_id: uuid.UUID) -> None:
    """A backfill adding commits to a finished one (no sync between): its step links are born reviewed at the
    head's definitions, as an uninterrupted backfill's are (it matches the steps once, at its end). Those the
    earlier run made, reviewed by nobody since and not suspect, are born again at their definition's version now;
    a suspect one or one someone reviewed keeps its review (``follow_step_links`` moves its version)."""
    links = Base.metadata.tables["links"]
    reborn = [{"_id": r.id, "_v": r.version} for r in _stale_step_links(conn, project_id)
              if r.reviewed_by is None and r.reviewed_version == r.target_version]
    if reborn:
        conn.execute(update(links).where(links.c.id == bindparam("_id")).values(
            target_version=bindparam("_v"), reviewed_version=bindparam("_v"), updated_at=utcnow()), reborn)
