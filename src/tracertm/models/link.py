"""Trace links between records, derived by sync from the files (never typed by hand).

One row per (source record, link type, target reference). ``target_ref`` keeps the reference as written (an ADR id,
a requirement id) so a link to a record that does not exist yet — a *dangling* link — is still a row, and resolves
by itself when the target appears. ``target_version`` is the target's version as sync last saw it (content changes
only: database-side ``annotated`` edits never reach it); ``reviewed_version`` the version someone (or the sync that
created the link) last reviewed the source against. A link is *suspect* while the two differ.
"""

from __future__ import annotations

import datetime as dt
import enum
import uuid
from typing import Any

from sqlalchemy import (
    BigInteger, ForeignKey, Index, Integer, PrimaryKeyConstraint, String, Text, UniqueConstraint, literal, text,
)
from sqlalchemy.orm import Mapped, mapped_column

from tracertm.models.base import Base, TimestampMixin
from tracertm.models.types import GUID, UTCDateTime, code_points


class LinkType(enum.StrEnum):
    """What a link says. Stored as plain strings without a CHECK constraint on purpose: the step-definition and
    test-case issues add their types (``step``, ``test``) without rebuilding the table."""

    SUPERSEDES = "supersedes"  # ADR → the ADR it replaces
    SUPERSEDED_BY = "superseded_by"  # ADR → its successor
    RELATED = "related"  # ADR → another ADR it mentions
    IMPLEMENTS = "implements"  # feature / scenario / contract → the ADR it implements (@ADR-n, mentions)
    COVERS = "covers"  # anything → a requirement id (requirement_pattern)
    STEP = "step"  # scenario → step definition (reserved: step matching)
    TEST = "test"  # scenario → test case (reserved: test results)


# The kinds of target a link names a record of: such a link without a target (``target_id`` NULL) dangles. A
# requirement is an id, not a row: its links never have a target and never dangle.
TARGET_RECORD_KINDS = ("adr", "contract", "feature", "scenario")

# The conditions of the partial indexes of the suspect and the dangling links (migration 0032), as SQL. A query
# uses such an index only where it states the same condition (``suspect``, ``dangling``): SQLite matches the two
# expressions term by term, its kinds in the IN list as written literals (a bound value inside an IN list is no
# match).
DANGLING_LINKS = "target_id IS NULL AND target_kind IN ({})".format(", ".join(f"'{k}'" for k in TARGET_RECORD_KINDS))
SUSPECT_LINKS = "target_id IS NOT NULL AND reviewed_version IS NOT NULL AND target_version != reviewed_version"


class Link(TimestampMixin, Base):
    """One derived trace link of one project."""

    __tablename__ = "links"
    __table_args__ = (
        UniqueConstraint("source_id", "link_type", "target_kind", "target_ref"),
        Index("ix_links_project_id_target_kind_target_ref", "project_id", "target_kind", "target_ref"),
        Index("ix_links_target_id", "target_id"),
        # A project's links in number order: a page of ``trace.listing`` seeks past the previous page's last number
        # and reads on until the page is full (migration 0031).
        Index("ix_links_project_id_id", "project_id", "id"),
        # The few links a project's counts, summary and filtered list name (migration 0032), so they read these
        # and not every link: the dashboard's suspect and dangling counts read every link of the database.
        # ``target_id`` leads the dangling one although it is NULL in each of its rows: it makes the condition's
        # ``target_id IS NULL`` an equality seek there, or SQLite's planner, weighing by the number of columns a
        # condition names, takes ``ix_links_target_id`` (every requirement link) or the project's index.
        Index("ix_links_target_id_project_id_id_dangling", "target_id", "project_id", "id",
              sqlite_where=text(DANGLING_LINKS), postgresql_where=text(DANGLING_LINKS)),
        Index("ix_links_project_id_id_suspect", "project_id", "id",
              sqlite_where=text(SUSPECT_LINKS), postgresql_where=text(SUSPECT_LINKS)),
        # A number is never handed out again, as PostgreSQL's sequence never does (migration 0040): a plain INTEGER
        # PRIMARY KEY takes the highest number in use plus one, so a deleted link's number named the next link.
        {"sqlite_autoincrement": True},
    )

    # A short integer: what people type in ``tracertm review 42``, and no uuid4() per link on a cold sync.
    id: Mapped[int] = mapped_column(
        BigInteger().with_variant(Integer(), "sqlite"), primary_key=True, autoincrement=True
    )
    project_id: Mapped[uuid.UUID] = mapped_column(GUID, ForeignKey("projects.id", ondelete="CASCADE"), nullable=False)
    # Polymorphic ends (adr, contract, feature, scenario; later step_definition, test_case): no FK. Links of a
    # record are removed by sync when the record is deleted.
    source_kind: Mapped[str] = mapped_column(String(32), nullable=False)
    source_id: Mapped[uuid.UUID] = mapped_column(GUID, nullable=False)
    # The source's identity for display (``FEATURE/SCENARIO`` for scenarios), its file and line. ``Text``, as the
    # record's own id and path are (migration 0035): PostgreSQL refused a VARCHAR(1024) one longer, and the sync.
    source_ref: Mapped[str] = mapped_column(Text, nullable=False)
    source_path: Mapped[str | None] = mapped_column(Text)
    source_line: Mapped[int] = mapped_column(Integer, nullable=False, default=1)
    link_type: Mapped[str] = mapped_column(String(32), nullable=False)
    target_kind: Mapped[str] = mapped_column(String(32), nullable=False)  # adr, requirement, ...
    target_ref: Mapped[str] = mapped_column(String(500), nullable=False)
    # NULL: unresolved — dangling for record kinds, always NULL for requirements (they are ids, not rows).
    target_id: Mapped[uuid.UUID | None] = mapped_column(GUID)
    target_version: Mapped[int | None] = mapped_column(Integer)
    reviewed_version: Mapped[int | None] = mapped_column(Integer)
    reviewed_by: Mapped[str | None] = mapped_column(String(255))
    reviewed_at: Mapped[dt.datetime | None] = mapped_column(UTCDateTime())

    @property
    def suspect(self) -> bool:
        """The target changed since the last review."""
        return self.target_id is not None and self.reviewed_version is not None and (
            self.target_version != self.reviewed_version
        )

    def __repr__(self) -> str:
        return f"Link({self.source_ref} -{self.link_type}-> {self.target_ref})"


def suspect() -> Any:
    """SQL: the link is suspect (its target changed since the last review); ``SUSPECT_LINKS``, the condition of the
    suspect links' index."""
    return (Link.target_id.is_not(None) & Link.reviewed_version.is_not(None)
            & (Link.target_version != Link.reviewed_version))


def dangling() -> Any:
    """SQL: the link names a record kind and has no live target; ``DANGLING_LINKS``, the condition of the dangling
    links' index, the kinds written as literals (``literal_execute``: the IN list is part of the statement)."""
    kinds = [literal(k, literal_execute=True) for k in TARGET_RECORD_KINDS]
    return Link.target_id.is_(None) & Link.target_kind.in_(kinds)


class ParkedReview(Base):
    """The review state of a link whose source was deleted, kept until the source comes back.

    A deleted record's links go (every reader of ``links`` shows only live sources' links); its review state waits
    here instead, one row per link that had been reviewed against some version of its target. When the record is
    restored (a revert, a branch switched back), each link it has again takes its row's review (``reviewed_version``,
    ``reviewed_by``, ``reviewed_at``): suspect if its target changed since, as if the source had never gone, since
    only a review clears a suspect link. ``target_id``: the target the link had when parked (a backfill merge
    renumbers that record's versions, these included)."""

    __tablename__ = "parked_reviews"
    __table_args__ = (PrimaryKeyConstraint("project_id", "source_id", "link_type", "target_kind", "target_ref"),)

    project_id: Mapped[uuid.UUID] = mapped_column(GUID, ForeignKey("projects.id", ondelete="CASCADE"), nullable=False)
    source_id: Mapped[uuid.UUID] = mapped_column(GUID, nullable=False)
    link_type: Mapped[str] = mapped_column(String(32), nullable=False)
    target_kind: Mapped[str] = mapped_column(String(32), nullable=False)
    target_ref: Mapped[str] = mapped_column(String(500), nullable=False)
    target_id: Mapped[uuid.UUID | None] = mapped_column(GUID)
    reviewed_version: Mapped[int] = mapped_column(Integer, nullable=False)
    reviewed_by: Mapped[str | None] = mapped_column(String(255))
    reviewed_at: Mapped[dt.datetime | None] = mapped_column(UTCDateTime())


def shown_order(t: Any) -> tuple[Any, ...]:
    """The order a project's links are shown in by file (``status``' suspect and dangling links, a sync's
    dangling-link warnings), over the links' columns ``t`` (``Link.__table__.c``): by file, line, target, source,
    type and the target's kind, text by code point (``code_points``), then the link's number. Links of no file
    (``source_path`` NULL) come last on every database: SQLite sorts NULL first, PostgreSQL last. Total, and by
    content before the number: a feature's link and its scenario's share a path, line and target, and the
    numbers follow the order a sync inserted them in, which a plan gave."""
    return (code_points(t.source_path).nulls_last(), t.source_line, code_points(t.target_ref),
            code_points(t.source_ref), code_points(t.link_type), code_points(t.target_kind), t.id)


__all__ = [
    "DANGLING_LINKS", "SUSPECT_LINKS", "TARGET_RECORD_KINDS", "Link", "LinkType", "ParkedReview", "dangling",
    "shown_order", "suspect",
]
