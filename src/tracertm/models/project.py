"""One project per synced repository, or per spec folder of one (a repository may hold several); a database can hold
many."""

from __future__ import annotations

import datetime as dt

from sqlalchemy import String, Text
from sqlalchemy.orm import Mapped, mapped_column

from tracertm.models.base import Base, MetadataMixin, TimestampMixin, UUIDPrimaryKeyMixin
from tracertm.models.types import GIT_ID_LENGTH, UTCDateTime


class Project(UUIDPrimaryKeyMixin, TimestampMixin, MetadataMixin, Base):
    """A synced repository, or the spec folder of one it was synced from (``spec_root`` in its metadata: a
    sub-folder project). ``root_commit`` (the first-parent root of its history) is its durable identity: a
    repository whose root differs is refused instead of overwriting this project's records; ``repo_url`` is
    informational (a remote may be renamed or moved). ``project_metadata`` is ``metadata_`` and ``metadata`` (in the
    constructor too), as the specification models' metadata."""

    __tablename__ = "projects"
    __metadata_column__ = "project_metadata"

    name: Mapped[str] = mapped_column(Text, nullable=False, unique=True)
    description: Mapped[str | None] = mapped_column(Text)
    repo_url: Mapped[str | None] = mapped_column(Text)
    root_commit: Mapped[str | None] = mapped_column(String(GIT_ID_LENGTH), index=True)
    default_ref: Mapped[str | None] = mapped_column(Text)
    last_synced_commit: Mapped[str | None] = mapped_column(String(GIT_ID_LENGTH))
    last_synced_at: Mapped[dt.datetime | None] = mapped_column(UTCDateTime())

    def __repr__(self) -> str:
        return f"Project(name={self.name!r})"
