"""Declarative base and the mixins every specification model shares (see docs: models.md, "Conventions")."""

from __future__ import annotations

import datetime as dt
import uuid
from typing import Any, ClassVar

from sqlalchemy import Index, Integer, MetaData, String, Text, text
from sqlalchemy.orm import DeclarativeBase, Mapped, declared_attr, mapped_column

from tracertm.models.types import GIT_ID_LENGTH, GUID, JSONDict, JSONList, UTCDateTime, utcnow

# Stable constraint names, so that migrations generated on any database name constraints the same way.
NAMING_CONVENTION = {
    "ix": "ix_%(column_0_label)s",
    "uq": "uq_%(table_name)s_%(column_0_N_name)s",
    "ck": "ck_%(table_name)s_%(constraint_name)s",
    "fk": "fk_%(table_name)s_%(column_0_name)s_%(referred_table_name)s",
    "pk": "pk_%(table_name)s",
}


class Base(DeclarativeBase):
    metadata = MetaData(naming_convention=NAMING_CONVENTION)
    type_annotation_map = {dt.datetime: UTCDateTime(), dict[str, Any]: JSONDict, list[Any]: JSONList, uuid.UUID: GUID}


def new_id() -> uuid.UUID:
    return uuid.uuid4()


class UUIDPrimaryKeyMixin:
    id: Mapped[uuid.UUID] = mapped_column(GUID, primary_key=True, default=new_id)


class TimestampMixin:
    """``created_at``/``updated_at`` set by the database; the ORM asks the database for a fresh time on update."""

    created_at: Mapped[dt.datetime] = mapped_column(UTCDateTime(), nullable=False, server_default=utcnow())
    updated_at: Mapped[dt.datetime] = mapped_column(
        UTCDateTime(), nullable=False, server_default=utcnow(), onupdate=utcnow()
    )


class SoftDeleteMixin:
    """Rows are never removed by sync: ``deleted_at`` marks them gone. Default ORM queries hide them (see
    db/sessions.py)."""

    deleted_at: Mapped[dt.datetime | None] = mapped_column(UTCDateTime(), nullable=True, index=True)

    @property
    def is_deleted(self) -> bool:
        return self.deleted_at is not None

    def soft_delete(self, when: dt.datetime | None = None) -> None:
        self.deleted_at = when or dt.datetime.now(dt.timezone.utc)

    def restore(self) -> None:
        self.deleted_at = None


class VersionedMixin:
    """``version``: the optimistic-lock counter, and the number of the record's newest revision.

    It starts at 1 and goes up by one with every write of the row, whoever makes it, and every increment has exactly
    one ``spec_revisions`` row: a git change (``created``/``updated``/``deleted``/``restored``/``moved``) written by
    sync or backfill, or a database-side edit (``annotated``). Edits through the ORM are versioned by SQLAlchemy
    (``version_id_col``) and their revision is written by ``tracertm.models.audit`` — set attributes, optionally set
    ``session.info["actor"]``, flush: one ``annotated`` revision naming the actor and the fields changed. A writer
    whose copy is stale (another write came first) gets ``sqlalchemy.orm.exc.StaleDataError`` instead of
    overwriting it. Core writers (``engine.apply``) guard on the version they read and write their revisions
    themselves.
    """

    version: Mapped[int] = mapped_column(Integer, nullable=False, server_default=text("1"))

    @declared_attr.directive
    def __mapper_args__(cls) -> dict[str, Any]:
        return {"version_id_col": cls.__table__.c.version}  # type: ignore[attr-defined]


class _MetadataAlias:
    """``instance.metadata`` reads/writes ``metadata_``; ``Model.metadata`` stays the SQLAlchemy ``MetaData``."""

    def __get__(self, obj: Any, owner: type) -> Any:
        if obj is None:
            return Base.metadata
        return obj.metadata_

    def __set__(self, obj: Any, value: dict[str, Any]) -> None:
        obj.metadata_ = value


class MetadataMixin:
    """A JSON ``<model>_metadata`` column (never NULL, default ``{}``) exposed as ``metadata_`` and ``metadata``.

    Mutation-tracked at any depth: ``adr.metadata["owner"] = "x"`` or ``adr.metadata["a"]["b"].append(1)`` is
    persisted by the next flush like an assignment (and, on a versioned model, being a database-side edit, recorded as
    an ``annotated`` revision; see ``tracertm.models.audit``)."""

    __metadata_column__: ClassVar[str]

    @declared_attr
    def metadata_(cls) -> Mapped[dict[str, Any]]:
        return mapped_column(
            cls.__metadata_column__, JSONDict, nullable=False, default=dict, server_default=text("'{}'")
        )

    def __init_subclass__(cls, **kwargs: Any) -> None:
        super().__init_subclass__(**kwargs)
        if "__mapper__" in cls.__dict__:  # only mapped classes; mixins must not carry a "metadata" attribute
            type.__setattr__(cls, "metadata", _MetadataAlias())


class ProvenanceMixin:
    """Where a row came from: file path, canonical content hash, and the commit it was last synced from."""

    source_path: Mapped[str | None] = mapped_column(Text, nullable=True)
    content_hash: Mapped[str | None] = mapped_column(String(64), nullable=True)
    source_commit: Mapped[str | None] = mapped_column(String(GIT_ID_LENGTH), nullable=True)


class SpecMixin(UUIDPrimaryKeyMixin, TimestampMixin, SoftDeleteMixin, VersionedMixin, MetadataMixin, ProvenanceMixin):
    """Everything a specification model carries besides its own fields."""


__all__ = ["Base", "Index", "SpecMixin", "NAMING_CONVENTION", "new_id"]
