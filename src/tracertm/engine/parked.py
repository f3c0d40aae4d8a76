"""The review state of a deleted record's links, parked until the record comes back (``parked_reviews``).

A deleted record's links go with it (``links.maintain``, ``links.rebuild``), so that no reader of ``links`` has to
tell a live source's links from a deleted one's. But only a review clears a suspect link: a record restored (a
revert of its deletion, a branch switched back) must not get its links back as new ones, born reviewed. So their
review state waits here — the links' ``reviewed_version``, ``reviewed_by`` and ``reviewed_at``, keyed by source,
link type and target as ``links`` names them — and a restored record's links that it had before take it back
(``links._write_sources``); a link it did not have before is born reviewed, as any new link. Only file-derived
links are parked: ``step`` links come back with the step matching, ``test`` links from the test mapping (see
``links.DB_LINK_TYPES``); a link never reviewed against any version (born dangling, never resolved) has nothing to
park.
"""

from __future__ import annotations

import datetime as dt
import uuid
from collections.abc import Collection, Mapping, Sequence
from typing import Any, NamedTuple

from sqlalchemy import Table, delete, insert, select
from sqlalchemy.engine import Connection

from tracertm.engine.apply import iter_chunks
from tracertm.engine.derive import LinkSpec
from tracertm.models import Base, LinkType

__all__ = ["Parked", "any_parked", "park", "park_births", "parked_of", "revive", "take"]

PARKED: Table = Base.metadata.tables["parked_reviews"]
_LINKS: Table = Base.metadata.tables["links"]
_DB_LINK_TYPES = (str(LinkType.STEP), str(LinkType.TEST))  # (``links.DB_LINK_TYPES``, which imports this module)
_COLUMNS = ("project_id", "source_id", "link_type", "target_kind", "target_ref", "target_id", "reviewed_version",
            "reviewed_by", "reviewed_at")


class Parked(NamedTuple):
    """A parked link's review: the target version it was last reviewed against, by whom and when (None: born
    reviewed, or reviewed before reviews recorded people)."""

    version: int
    by: str | None
    at: dt.datetime | None


def park(conn: Connection, project_id: uuid.UUID, source_ids: Collection[uuid.UUID]) -> None:
    """Delete the links of ``source_ids`` (records deleted), their review state kept for when they come back (a
    park of a record parked before replaces what it had parked)."""
    t, p = _LINKS.c, PARKED.c
    for chunk in iter_chunks(list(source_ids)):
        conn.execute(delete(PARKED).where(p.project_id == project_id, p.source_id.in_(chunk)))
        conn.execute(insert(PARKED).from_select(
            list(_COLUMNS),
            select(*(t[c] for c in _COLUMNS)).where(t.source_id.in_(chunk), t.reviewed_version.is_not(None),
                                                    t.link_type.not_in(_DB_LINK_TYPES))))
        conn.execute(delete(_LINKS).where(t.source_id.in_(chunk)))


def take(conn: Connection, project_id: uuid.UUID,
         source_ids: Collection[uuid.UUID]) -> dict[tuple[uuid.UUID, LinkSpec], Parked]:
    """The parked reviews of ``source_ids`` (records restored, or live again), removed from the table: the links
    their sources derive now take them (a parked link the source no longer has is forgotten with them)."""
    p = PARKED.c
    out: dict[tuple[uuid.UUID, LinkSpec], Parked] = {}
    for chunk in iter_chunks(list(source_ids)):
        rows = conn.execute(select(p.source_id, p.link_type, p.target_kind, p.target_ref, p.reviewed_version,
                                   p.reviewed_by, p.reviewed_at)
                            .where(p.project_id == project_id, p.source_id.in_(chunk))).all()
        if rows:
            conn.execute(delete(PARKED).where(p.project_id == project_id, p.source_id.in_(chunk)))
        for r in rows:
            out[(r.source_id, LinkSpec(r.link_type, r.target_kind, r.target_ref))] = Parked(
                r.reviewed_version, r.reviewed_by, r.reviewed_at)
    return out


def parked_of(
    new: Sequence[tuple[Any, LinkSpec]], written: Mapping[tuple[uuid.UUID, LinkSpec], LinkSpec],
    parked: Mapping[tuple[uuid.UUID, LinkSpec], Parked] | None,
) -> dict[tuple[uuid.UUID, LinkSpec], Parked]:
    """The parked review of each new link (its ``links.Source`` and the link) that has one: parked as it was stored
    (its ADR reference resolved then) or as its source writes it (a backfill's parked links, or an ADR that another
    one of its number now names; ``written``: each link resolved → as written)."""
    if not parked:
        return {}
    return {(s.id, spec): was for s, spec in new
            if (was := parked.get((s.id, spec)) or parked.get((s.id, written.get((s.id, spec), spec)))) is not None}


def park_births(conn: Connection, project_id: uuid.UUID, births: Mapping[tuple[uuid.UUID, LinkSpec], int],
                targets: Mapping[tuple[str, str], tuple[uuid.UUID, int]]) -> None:
    """Park what a backfill's history says of the links of records deleted at its end (``history.births``: the
    version each was reviewed against when its record was deleted), where nothing is parked for that link yet (a
    row parked by a sync or an earlier run holds its real review). ``targets``: the live records links name, as
    ``links.resolve`` gives them."""
    p = PARKED.c
    keys = sorted(births, key=lambda k: (str(k[0]), k[1]))
    known: set[tuple[uuid.UUID, str, str, str]] = set()
    for chunk in iter_chunks(sorted({source for source, _ in keys}, key=str)):
        known.update((r.source_id, r.link_type, r.target_kind, r.target_ref) for r in conn.execute(
            select(p.source_id, p.link_type, p.target_kind, p.target_ref)
            .where(p.project_id == project_id, p.source_id.in_(chunk))))
    rows = [{"project_id": project_id, "source_id": source, "link_type": str(spec.link_type),
             "target_kind": spec.target_kind, "target_ref": spec.target_ref,
             "target_id": target[0] if (target := targets.get((spec.target_kind, spec.target_ref))) else None,
             "reviewed_version": births[(source, spec)], "reviewed_by": None, "reviewed_at": None}
            for source, spec in keys if (source, str(spec.link_type), spec.target_kind, spec.target_ref) not in known]
    for chunk in iter_chunks(rows):
        conn.execute(insert(PARKED), chunk)


def revive(row: dict[str, Any], parked: Parked, content: int | None) -> None:
    """A restored record's link (a ``links.link_row`` row) as it was when its record was deleted: reviewed against
    the version it had been, by whom and when it had been. ``content``: its live target's *content* version
    (``link_versions.content_versions``): the link records that, as ``maintain`` does a content change of its
    target, unless it was reviewed at or after it (only ``annotated`` edits since, which make no link suspect)."""
    version = row["target_version"]
    reviewed = parked.version if version is None else min(parked.version, version)
    row.update(reviewed_version=reviewed, reviewed_by=parked.by, reviewed_at=parked.at)
    if version is not None and content is not None:
        row["target_version"] = reviewed if content <= reviewed <= version else content


def any_parked(conn: Connection, project_id: uuid.UUID) -> bool:
    """Whether the project has a parked review (a rebuild of every live record looks for theirs only then)."""
    p = PARKED.c
    return conn.execute(select(p.source_id).where(p.project_id == project_id).limit(1)).first() is not None
