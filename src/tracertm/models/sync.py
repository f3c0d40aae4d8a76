"""Sync bookkeeping: the engine's file index, one row per run, and the append-only revision history."""

from __future__ import annotations

import datetime as dt
import uuid
from typing import Any

from sqlalchemy import BigInteger, ForeignKey, Index, Integer, String, UniqueConstraint, text
from sqlalchemy.orm import Mapped, mapped_column

from tracertm.models.base import Base, TimestampMixin, UUIDPrimaryKeyMixin
from tracertm.models.types import GUID, JSONType, NullableJSON, UTCDateTime, string_check, utcnow

FILE_KIND_VALUES = ("adr", "contract", "feature", "step_definition")
TRIGGER_VALUES = ("cli", "hook", "ci", "watch", "backfill")
RUN_STATUS_VALUES = ("running", "ok", "errors", "failed")
ENTITY_TYPE_VALUES = ("adr", "contract", "feature", "scenario", "step_definition")
CHANGE_VALUES = ("created", "updated", "deleted", "restored", "moved")


class SourceFile(UUIDPrimaryKeyMixin, TimestampMixin, Base):
    """One scanned spec file: its blob id gates re-reading; ``parse_error`` holds why its records were kept."""

    __tablename__ = "source_files"
    __table_args__ = (UniqueConstraint("project_id", "path"),)

    project_id: Mapped[uuid.UUID] = mapped_column(GUID, ForeignKey("projects.id", ondelete="CASCADE"), nullable=False)
    path: Mapped[str] = mapped_column(String(1024), nullable=False)
    kind: Mapped[str] = mapped_column(string_check("source_file_kind", *FILE_KIND_VALUES), nullable=False)
    blob_sha: Mapped[str] = mapped_column(String(40), nullable=False)
    size: Mapped[int] = mapped_column(BigInteger, nullable=False, default=0, server_default=text("0"))
    mtime_ns: Mapped[int | None] = mapped_column(BigInteger)
    parse_error: Mapped[dict[str, Any] | None] = mapped_column(NullableJSON)
    last_commit: Mapped[str | None] = mapped_column(String(40))
    deleted_at: Mapped[dt.datetime | None] = mapped_column(UTCDateTime(), index=True)


class SyncRun(UUIDPrimaryKeyMixin, Base):
    """One sync (or backfill batch) of one project."""

    __tablename__ = "sync_runs"
    __table_args__ = (Index("ix_sync_runs_project_id_started_at", "project_id", "started_at"),)

    project_id: Mapped[uuid.UUID] = mapped_column(GUID, ForeignKey("projects.id", ondelete="CASCADE"), nullable=False)
    trigger: Mapped[str] = mapped_column(string_check("sync_trigger", *TRIGGER_VALUES), nullable=False)
    ref: Mapped[str | None] = mapped_column(String(255))
    commit_sha: Mapped[str | None] = mapped_column(String(40))
    started_at: Mapped[dt.datetime] = mapped_column(UTCDateTime(), nullable=False, server_default=utcnow())
    finished_at: Mapped[dt.datetime | None] = mapped_column(UTCDateTime())
    status: Mapped[str] = mapped_column(
        string_check("sync_status", *RUN_STATUS_VALUES), nullable=False, server_default=text("'running'")
    )
    counts: Mapped[dict[str, Any]] = mapped_column(JSONType, nullable=False, default=dict, server_default=text("'{}'"))
    errors: Mapped[list[Any]] = mapped_column(JSONType, nullable=False, default=list, server_default=text("'[]'"))


class SpecRevision(UUIDPrimaryKeyMixin, Base):
    """One version of one record: what changed, the parsed fields at that version, and the commit behind it."""

    __tablename__ = "spec_revisions"
    __table_args__ = (
        Index("ix_spec_revisions_project_id_entity_type_number", "project_id", "entity_type", "number"),
        Index("ix_spec_revisions_entity_id_version", "entity_id", "version"),
    )

    project_id: Mapped[uuid.UUID] = mapped_column(GUID, ForeignKey("projects.id", ondelete="CASCADE"), nullable=False)
    entity_type: Mapped[str] = mapped_column(string_check("revision_entity_type", *ENTITY_TYPE_VALUES), nullable=False)
    # No FK: history outlives the rows it describes.
    entity_id: Mapped[uuid.UUID] = mapped_column(GUID, nullable=False)
    number: Mapped[str] = mapped_column(String(500), nullable=False)
    version: Mapped[int] = mapped_column(Integer, nullable=False)
    change: Mapped[str] = mapped_column(string_check("revision_change", *CHANGE_VALUES), nullable=False)
    content_hash: Mapped[str | None] = mapped_column(String(64))
    source_path: Mapped[str | None] = mapped_column(String(1024))
    snapshot: Mapped[dict[str, Any]] = mapped_column(JSONType, nullable=False, default=dict, server_default=text("'{}'"))
    commit_sha: Mapped[str | None] = mapped_column(String(40))
    author_name: Mapped[str | None] = mapped_column(String(255))
    author_email: Mapped[str | None] = mapped_column(String(255))
    committed_at: Mapped[dt.datetime | None] = mapped_column(UTCDateTime())
    sync_run_id: Mapped[uuid.UUID | None] = mapped_column(GUID, ForeignKey("sync_runs.id", ondelete="SET NULL"))
    created_at: Mapped[dt.datetime] = mapped_column(UTCDateTime(), nullable=False, server_default=utcnow())


__all__ = ["SourceFile", "SyncRun", "SpecRevision", "TimestampMixin"]
