"""Sync bookkeeping: the engine's file index, one row per run, and the append-only revision history."""

from __future__ import annotations

import datetime as dt
import uuid
from collections.abc import Mapping
from typing import TYPE_CHECKING, Any

from sqlalchemy import BigInteger, ForeignKey, Index, Integer, String, Text, UniqueConstraint, select, text
from sqlalchemy.ext.compiler import compiles
from sqlalchemy.sql.functions import FunctionElement
from sqlalchemy.orm import Mapped, mapped_column

from tracertm.kinds import FILE_KINDS, RECORD_KINDS
from tracertm.models.base import Base, TimestampMixin, UUIDPrimaryKeyMixin
from tracertm.models.types import (
    GIT_ID_LENGTH,
    GUID,
    JSONDict,
    JSONList,
    NullableJSONList,
    UTCDateTime,
    one_of_check,
    string_check,
    utcnow,
)

if TYPE_CHECKING:
    from sqlalchemy.engine import Connection
    from sqlalchemy.orm import Session
    from sqlalchemy.sql.compiler import SQLCompiler

FILE_KIND_VALUES = FILE_KINDS
TRIGGER_VALUES = ("cli", "hook", "ci", "watch", "backfill")
RUN_STATUS_VALUES = ("running", "ok", "errors", "failed")
# Spec records, and the other versioned models (whose database-side edits are audited too).
ENTITY_TYPE_VALUES = tuple(dict.fromkeys((*RECORD_KINDS, "test_case", "step_definition")))
# Git changes (written by sync and backfill), and "annotated": a database-side edit through the ORM.
GIT_CHANGE_VALUES = ("created", "updated", "deleted", "restored", "moved")
CHANGE_VALUES = (*GIT_CHANGE_VALUES, "annotated")


class SourceFile(UUIDPrimaryKeyMixin, TimestampMixin, Base):
    """One scanned spec file: its blob id gates re-reading.

    ``parse_error`` is NULL when the file is fine, else the list of every diagnostic the file gets — parse errors,
    and an identity it lost to another file — each ``{"line", "column", "message"}`` (``"severity": "warning"``
    for warnings of a file that also has errors). A no-op sync reports them again from here until the file is fixed.

    ``last_commit`` is the commit that last changed the file (its bytes, or whether it is there: added, removed,
    back), as the sync or backfill that saw the change read it (None: uncommitted files). A row rewritten for
    anything else — other findings, an mtime, another kind — keeps it (``engine.plan.FileOp.same_bytes``).
    """

    __tablename__ = "source_files"
    __table_args__ = (
        UniqueConstraint("project_id", "path"),
        one_of_check("source_file_kind", "kind", *FILE_KIND_VALUES),
    )

    project_id: Mapped[uuid.UUID] = mapped_column(GUID, ForeignKey("projects.id", ondelete="CASCADE"), nullable=False)
    path: Mapped[str] = mapped_column(Text, nullable=False)
    kind: Mapped[str] = mapped_column(
        string_check("source_file_kind", *FILE_KIND_VALUES, constraint=False), nullable=False
    )
    blob_sha: Mapped[str] = mapped_column(String(GIT_ID_LENGTH), nullable=False)
    size: Mapped[int] = mapped_column(BigInteger, nullable=False, default=0, server_default=text("0"))
    mtime_ns: Mapped[int | None] = mapped_column(BigInteger)
    parse_error: Mapped[list[Any] | None] = mapped_column(NullableJSONList)
    last_commit: Mapped[str | None] = mapped_column(String(GIT_ID_LENGTH))
    deleted_at: Mapped[dt.datetime | None] = mapped_column(UTCDateTime(), index=True)


class SyncRun(UUIDPrimaryKeyMixin, Base):
    """One sync (or backfill batch) of one project."""

    __tablename__ = "sync_runs"
    __table_args__ = (
        Index("ix_sync_runs_project_id_started_at", "project_id", "started_at"),
        # The lookups by status (every sync's of unfinished runs, a backfill's count of the runs that wrote) read
        # those runs alone, or the index alone, not every run ever recorded row by row (0022).
        Index("ix_sync_runs_project_id_status_started_at", "project_id", "status", "started_at"),
    )

    project_id: Mapped[uuid.UUID] = mapped_column(GUID, ForeignKey("projects.id", ondelete="CASCADE"), nullable=False)
    trigger: Mapped[str] = mapped_column(string_check("sync_trigger", *TRIGGER_VALUES), nullable=False)
    ref: Mapped[str | None] = mapped_column(Text)
    commit_sha: Mapped[str | None] = mapped_column(String(GIT_ID_LENGTH))
    # The commit date of ``commit_sha`` as git gives it (the committer date; a sync of the index: HEAD's). NULL when
    # the run has no commit (a sync of the work tree) and for runs recorded before migration 0019. What dates a
    # commit that wrote no revision (``changed_since``, ``at`` without the repository): ``started_at`` is when the
    # run happened, which may be long after the commit (a CI backlog, ``sync --ref`` catching up).
    committed_at: Mapped[dt.datetime | None] = mapped_column(UTCDateTime())
    started_at: Mapped[dt.datetime] = mapped_column(UTCDateTime(), nullable=False, server_default=utcnow())
    finished_at: Mapped[dt.datetime | None] = mapped_column(UTCDateTime())
    status: Mapped[str] = mapped_column(
        string_check("sync_status", *RUN_STATUS_VALUES), nullable=False, server_default=text("'running'")
    )
    counts: Mapped[dict[str, Any]] = mapped_column(
        JSONDict, nullable=False, default=dict, server_default=text("'{}'")
    )
    errors: Mapped[list[Any]] = mapped_column(JSONList, nullable=False, default=list, server_default=text("'[]'"))


# The revisions that can change a record's content (every ``change`` but ``deleted`` and ``annotated``), as SQL:
# the condition of the partial index ``ix_spec_revisions_project_id_entity_type_changed``.
CONTENT_CHANGES = "change IN ('created', 'updated', 'restored', 'moved')"
# The same changes as values: those whose revision's snapshot holds what the file said (a ``deleted`` revision read
# no file: its snapshot is empty). The latest of them says which ``<model>_metadata`` keys are git's (the sync's
# ``engine.apply.database_metadata`` and the API's ``Records.git_metadata_keys`` alike).
FILE_READ_CHANGES = ("created", "updated", "restored", "moved")


# The sequence that numbers the revisions in write order on PostgreSQL (migration 0030).
WRITE_ORDER_SEQUENCE = "spec_revisions_seq"


class write_order(FunctionElement[int]):
    """``spec_revisions.seq``'s server default: the next number of its sequence on PostgreSQL (safe under concurrent
    writers), for every writer that leaves the column out (``COPY``, raw SQL). SQLite's is NULL: a default there
    cannot read the table, so its writers give the number themselves (``next_write_order``,
    ``engine.apply.write_order_from``)."""

    type = BigInteger()
    inherit_cache = True


@compiles(write_order)
def _write_order_default(element: write_order, compiler: SQLCompiler, **kw: Any) -> str:
    return "NULL"


@compiles(write_order, "postgresql")
def _write_order_postgresql(element: write_order, compiler: SQLCompiler, **kw: Any) -> str:
    return f"nextval('{WRITE_ORDER_SEQUENCE}')"


class next_write_order(FunctionElement[int]):
    """SQLite: ``spec_revisions.seq`` of the row an INSERT writes, computed in that INSERT (``models.audit``'s
    revisions): the table's largest rowid plus one, the rowid SQLite gives that row — read by the INSERT itself,
    under the write lock it takes, and moving with the rowid as ``history.merge._written_after`` needs. Only for a
    statement that writes one row: SQLite reads such a subquery once per statement, so the rows of one multi-row
    ``VALUES`` would share it (the bulk writers number their rows: ``engine.apply.write_order_from``)."""

    type = BigInteger()
    inherit_cache = True


@compiles(next_write_order)
def _next_write_order_sqlite(element: next_write_order, compiler: SQLCompiler, **kw: Any) -> str:
    return "(SELECT coalesce(max(rowid), 0) + 1 FROM spec_revisions)"


class SpecRevision(UUIDPrimaryKeyMixin, Base):
    """One version of one record: what changed it, the fields at that version, and who/what is behind it.

    Git changes carry the commit (``commit_sha``, author and author date, committer and commit date) and ``snapshot``
    = every parsed field. An ``annotated`` revision (a database-side edit through the ORM) carries ``actor``
    (``session.info["actor"]``, NULL when unset), ``changed_fields`` (the column names) and ``snapshot`` = their new
    values; its ``content_hash`` is the record's unchanged one. Append-only: never updated.
    """

    __tablename__ = "spec_revisions"
    __table_args__ = (
        Index("ix_spec_revisions_project_id_entity_type_number", "project_id", "entity_type", "number"),
        # With the dates ``changed_since`` compares: its probe of each record's revisions reads this index alone
        # (migration 0033), not a revision row of its own page (rows hold their snapshot) in the records' order.
        Index("ix_spec_revisions_entity_id_version_dates", "entity_id", "version", "committed_at", "created_at"),
        # The content changes alone, not the ``annotated`` revision each results import writes: what ``coverage``
        # reads (migration 0023; ``CONTENT_CHANGES`` is its condition, which a query repeats to use it).
        Index("ix_spec_revisions_project_id_entity_type_changed", "project_id", "entity_type",
              sqlite_where=text(CONTENT_CHANGES), postgresql_where=text(CONTENT_CHANGES)),
        # Comparisons, not IN lists: cheaper for SQLite on every row written (migration 0014).
        one_of_check("revision_entity_type", "entity_type", *ENTITY_TYPE_VALUES),
        one_of_check("revision_change", "change", *CHANGE_VALUES),
    )

    # NULL only for a shared-library step definition (a step definition without a project).
    project_id: Mapped[uuid.UUID | None] = mapped_column(
        GUID, ForeignKey("projects.id", ondelete="CASCADE"), nullable=True
    )
    entity_type: Mapped[str] = mapped_column(
        string_check("revision_entity_type", *ENTITY_TYPE_VALUES, constraint=False), nullable=False
    )
    # No FK: history outlives the rows it describes.
    entity_id: Mapped[uuid.UUID] = mapped_column(GUID, nullable=False)
    number: Mapped[str] = mapped_column(Text, nullable=False)
    version: Mapped[int] = mapped_column(Integer, nullable=False)
    change: Mapped[str] = mapped_column(
        string_check("revision_change", *CHANGE_VALUES, constraint=False), nullable=False
    )
    content_hash: Mapped[str | None] = mapped_column(String(64))
    source_path: Mapped[str | None] = mapped_column(Text)
    snapshot: Mapped[dict[str, Any]] = mapped_column(
        JSONDict, nullable=False, default=dict, server_default=text("'{}'")
    )
    commit_sha: Mapped[str | None] = mapped_column(String(GIT_ID_LENGTH))
    # The people and dates of the commit. For a merge commit's revision the author and author date are those of the
    # most recent commit on the merged side that changed the file (whose work it is); the committer and commit date
    # stay the merge's. All NULL for a sync of the work tree or the index (nothing is committed yet).
    author_name: Mapped[str | None] = mapped_column(Text)
    author_email: Mapped[str | None] = mapped_column(Text)
    authored_at: Mapped[dt.datetime | None] = mapped_column(UTCDateTime())
    committer_name: Mapped[str | None] = mapped_column(Text)
    committer_email: Mapped[str | None] = mapped_column(Text)
    committed_at: Mapped[dt.datetime | None] = mapped_column(UTCDateTime())
    actor: Mapped[str | None] = mapped_column(Text)
    changed_fields: Mapped[list[Any] | None] = mapped_column(NullableJSONList)
    sync_run_id: Mapped[uuid.UUID | None] = mapped_column(GUID, ForeignKey("sync_runs.id", ondelete="SET NULL"))
    created_at: Mapped[dt.datetime] = mapped_column(UTCDateTime(), nullable=False, server_default=utcnow())
    # The order the database wrote the revisions in, which orders the moves of one version (``Records.history``):
    # dates do not (a work tree's move has no commit date; a ``sync --ref`` of an older commit, written after it,
    # has an older one), nor does ``created_at`` (PostgreSQL's is the transaction's start). PostgreSQL assigns it to
    # every writer that leaves it out (``write_order``). SQLite has no trigger for it (its mere presence doubled the
    # cost of a revision insert): its bulk writers number their rows themselves (``engine.apply.write_order_from``),
    # the audit trail's revisions compute it in their INSERT (``next_write_order``). Compared within one record's
    # revisions, and across records only for which had an id last (``former_holders``); a backfill merge gives the
    # revisions it puts behind its grafted history new ones (``history.merge``).
    seq: Mapped[int | None] = mapped_column(BigInteger, server_default=write_order())


def file_metadata_keys(connection: Connection | Session, entity_id: uuid.UUID, column: str,
                       stored: Mapping[str, Any] | None) -> set[str]:
    """The ``column`` (``<model>_metadata``) keys a record's file sets, so git's: those of its newest revision that
    read the file (``FILE_READ_CHANGES``: sync writes one whenever the file's content changes; a deletion's holds no
    field, so a deleted record's keys are those its file set last). A row with no such revision (made outside sync):
    every key of its ``stored`` metadata. The one rule of the API's ``PATCH`` (``Records.git_metadata_keys``) and of
    the ORM's flush (``models.audit``)."""
    snapshot = connection.execute(
        select(SpecRevision.snapshot)
        .where(SpecRevision.entity_id == entity_id, SpecRevision.change.in_(FILE_READ_CHANGES))
        .order_by(SpecRevision.version.desc()).limit(1)
    ).scalar_one_or_none()
    if snapshot is None:
        return set(stored or {})
    return set((snapshot or {}).get(column) or {})


__all__ = ["SourceFile", "SyncRun", "SpecRevision", "TimestampMixin", "WRITE_ORDER_SEQUENCE", "file_metadata_keys",
           "next_write_order", "write_order"]
