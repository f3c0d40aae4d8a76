"""Lists of links with filters, in keyset pages: the API's ``GET .../links`` (and anything else that pages links).

Links are ordered by their number (``links.id``, the primary key), so a page is an index range seek after the last
number of the previous page — no OFFSET scan, and stable while syncs insert links. The cursor is opaque and
carries the whole query, like the record lists' cursors (``tracertm.repositories.cursor``). The seek is in the
project's links by number (``ix_links_project_id_id``, migration 0031: before it SQLite read and sorted every link
of the project for each page); a filter reads on from there until the page is full. ``source`` reads the record's
own links instead (the ``source_id`` index) and sorts those. On PostgreSQL the order is written so that only the
project's indexes give it (``_order``): the primary key's order walked every other project's links.
"""

from __future__ import annotations

import base64
import binascii
import json
import uuid
from collections import Counter
from dataclasses import dataclass, field
from typing import Any

from sqlalchemy import func, or_, select
from sqlalchemy.orm import Session

from tracertm.errors import UsageError
from tracertm.schemas.filters import MAX_LIMIT
from tracertm.models import Link, LinkType, Project
from tracertm.models.link import dangling, suspect
from tracertm.models.types import unfolded, unindexed
from tracertm.text import is_text
from tracertm.trace.review import as_dict, dangling_reasons, record_id, with_reasons

_VERSION = 1
LINK_TYPES = tuple(str(t) for t in LinkType)


@dataclass(frozen=True)
class LinkFilter:
    """Which links: ``suspect``/``dangling`` (True: only those; False: none of those; None: either), link
    ``types`` (any of), links from the record ``source`` or to the target ``target`` (a human id)."""

    suspect: bool | None = None
    dangling: bool | None = None
    types: tuple[str, ...] = ()
    source: str | None = None
    target: str | None = None
    limit: int = 50

    def as_json(self) -> dict[str, Any]:
        return {k: v for k, v in {"s": self.suspect, "d": self.dangling, "t": list(self.types), "src": self.source,
                                  "tgt": self.target, "l": self.limit}.items() if v not in (None, [])}


@dataclass
class LinkPage:
    """The links of one page (``as_dict`` shapes) and the cursor of the next one (None on the last page)."""

    items: list[dict[str, Any]] = field(default_factory=list)
    next_cursor: str | None = None
    limit: int = 50


# SQL: the link is suspect (its target changed since the last review); it names a record kind and has no live
# target. The conditions of their partial indexes (``models.link``), under the names this module's callers use.
suspect_clause = suspect
dangling_clause = dangling


def list_links(session: Session, project: Project, flt: LinkFilter | None = None,
               cursor: str | None = None) -> LinkPage:
    """One page of ``project``'s links matching ``flt`` (with ``cursor``: the query it carries, resumed, and its
    page size unless ``flt`` is given: then ``flt``'s)."""
    after = 0
    if cursor:
        project_id, query, after = _decode(cursor)
        if project_id != project.id:
            raise UsageError("cursor: it belongs to another project's links; start again without it")
        flt = _filter_of(query, flt.limit if flt is not None else None)
    flt = flt or LinkFilter()
    wrong = [t for t in flt.types if t not in LINK_TYPES]
    if wrong:
        raise UsageError(f"type {wrong[0]!r}: not a link type; use one of {', '.join(LINK_TYPES)}")
    stmt = select(Link).where(_project_term(project, flt), Link.id > after)
    if flt.suspect is not None:
        stmt = stmt.where(suspect_clause() if flt.suspect else ~suspect_clause())
    if flt.dangling is not None:
        stmt = stmt.where(dangling_clause() if flt.dangling else ~dangling_clause())
    if flt.types:
        stmt = stmt.where(Link.link_type.in_(flt.types))
    if flt.source:
        stmt = stmt.where(Link.source_id == record_id(session, project, flt.source))
    if flt.target:
        from tracertm.repositories.records import normalize_adr

        stmt = stmt.where(Link.target_ref.in_({flt.target, normalize_adr(flt.target)}))
    rows = session.execute(stmt.order_by(*_order(flt)).limit(flt.limit + 1)).scalars().all()
    more = len(rows) > flt.limit
    rows = rows[: flt.limit]
    page = LinkPage(with_reasons(session, project, [as_dict(r) for r in rows]), None, flt.limit)
    if more:
        page.next_cursor = _encode(project.id, flt, rows[-1].id)
    return page


def _project_term(project: Project, flt: LinkFilter) -> Any:
    """SQL: the link is ``project``'s, written for the index that should serve the page (``_order``). With a
    ``source`` filter the planner must not take the project's index for it (``unindexed``): the source's own links
    are a handful, the project's tens of thousands, and SQLite without statistics weighs the two indexes alike.
    Otherwise an equality PostgreSQL keeps as a sort key (``unfolded``) — but for the dangling links, whose
    index has ``project_id`` second: there the plain equality, which lets that index's order serve."""
    if flt.source:
        return unindexed(Link.project_id) == project.id
    if flt.dangling:
        return Link.project_id == project.id
    return Link.project_id == unfolded(project.id, Link.project_id.type)


def _order(flt: LinkFilter) -> tuple[Any, ...]:
    """The links' number order, as the index that serves a page names its columns. PostgreSQL drops from an ORDER
    BY a column its WHERE clause sets equal to a constant, so ``ORDER BY id`` beside ``project_id = $1`` is
    served by the primary key too, and with a LIMIT it priced that scan as if a project's links were spread evenly
    among the other projects' — they are not (a sync inserts them together): it read every link numbered before
    the project's, and for a filter matching none every link of the database (ten projects: 2-8 × the project
    alone). ``project_id`` first, with ``_project_term``'s unfolded equality, is an order only the project's
    indexes give. The dangling links (``target_id`` NULL in each) add ``target_id`` first: the order of their own
    index (``target_id``, ``project_id``, ``id``), which PostgreSQL, not counting ``target_id IS NULL`` as an
    equality, did not take for the order (it walked the primary key). SQLite reads the same indexes
    either way."""
    if flt.source:
        return (Link.id,)
    if flt.dangling:
        return (Link.target_id, Link.project_id, Link.id)
    return (Link.project_id, Link.id)


def counts(session: Session, project: Project) -> dict[str, Any]:
    """Links of the project in total, suspect, dangling (and why: ``dangling_by_reason``, ``review.why_dangling``)
    and per type — counted by the database."""
    total = dict(session.execute(
        select(Link.link_type, func.count()).where(Link.project_id == project.id).group_by(Link.link_type)
    ).all())

    def count(clause: Any) -> int:
        return int(session.execute(
            select(func.count()).select_from(Link).where(Link.project_id == project.id, clause)
        ).scalar() or 0)

    dangling = count(dangling_clause())
    to_adrs: dict[str, int] = {}
    if dangling:
        # The dangling links read and the ADRs' counted here: ``target_kind = 'adr'`` or a GROUP BY in the statement
        # makes SQLite read the project's ADR links in the (project, kind, ref) index, not the dangling links' own.
        to_adrs = dict(Counter(str(ref) for kind, ref in session.execute(
            select(Link.target_kind, Link.target_ref).where(Link.project_id == project.id, dangling_clause())
        ) if kind == "adr"))
    reasons = dangling_reasons(session, project, to_adrs) if to_adrs else {}
    ambiguous = sum(n for ref, n in to_adrs.items() if reasons[ref]["reason"] == "ambiguous")
    return {"total": sum(total.values()), "suspect": count(suspect_clause()), "dangling": dangling,
            "dangling_by_reason": {"missing": dangling - ambiguous, "ambiguous": ambiguous},
            "by_type": {str(k): int(v) for k, v in sorted(total.items())}}


def cursor_filter(cursor: str) -> tuple[uuid.UUID, LinkFilter]:
    """The project and the filter a links ``cursor`` carries; :class:`UsageError` for text that is no such cursor."""
    project_id, query, _ = _decode(cursor)
    return project_id, _filter_of(query, None)


def _filter_of(query: dict[str, Any], limit: int | None) -> LinkFilter:
    """The filter a decoded cursor carries, each value checked (a cursor is user input); ``limit`` None: the
    cursor's page size."""
    suspect, dangling, types = query.get("s"), query.get("d"), query.get("t") or []
    source, target, size = query.get("src"), query.get("tgt"), query.get("l", 50)
    if not (all(v is None or isinstance(v, bool) for v in (suspect, dangling))
            and isinstance(types, list) and all(_bindable(t) for t in types)
            and all(v is None or _bindable(v) for v in (source, target))
            and type(size) is int and 1 <= size <= MAX_LIMIT):
        raise UsageError("cursor: not a cursor of this list; start again without it")
    return LinkFilter(suspect, dangling, tuple(types), source, target, size if limit is None else limit)


def _bindable(value: Any) -> bool:
    """Whether a cursor's ``value`` is text the database takes: no lone surrogate (JSON's ``"\\ud800"``), which
    neither database encodes, and no NUL, which PostgreSQL refuses in text (a 500 either way, not the 400)."""
    return isinstance(value, str) and is_text(value) and "\x00" not in value


def _encode(project_id: uuid.UUID, flt: LinkFilter, after: int) -> str:
    payload = {"v": _VERSION, "p": str(project_id), "q": flt.as_json(), "a": after}
    raw = json.dumps(payload, separators=(",", ":"), sort_keys=True).encode()
    return base64.urlsafe_b64encode(raw).rstrip(b"=").decode()


def _decode(text: str) -> tuple[uuid.UUID, dict[str, Any], int]:
    problem = "cursor: not a cursor of this list; start again without it"
    try:
        payload: Any = json.loads(base64.urlsafe_b64decode(text + "=" * (-len(text) % 4)))
        if not isinstance(payload, dict) or payload.get("v") != _VERSION:
            raise UsageError(problem)
        query, after = payload.get("q") or {}, payload["a"]
        if (not isinstance(query, dict) or not isinstance(after, int) or isinstance(after, bool)
                or not 0 <= after < 2**63):  # a link number: what a BIGINT holds
            raise UsageError(problem)
        return uuid.UUID(payload["p"]), query, after
    except (binascii.Error, ValueError, KeyError, TypeError, UnicodeDecodeError, AttributeError):
        raise UsageError(problem) from None


__all__ = ["LINK_TYPES", "LinkFilter", "LinkPage", "counts", "dangling_clause", "list_links", "suspect_clause"]
