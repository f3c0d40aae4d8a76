"""One project per synced repository; a database can hold many."""

from __future__ import annotations

import datetime as dt
from typing import Any

from sqlalchemy import String, Text, text
from sqlalchemy.orm import Mapped, mapped_column

from tracertm.models.base import Base, TimestampMixin, UUIDPrimaryKeyMixin
from tracertm.models.types import GIT_ID_LENGTH, JSONDict, UTCDateTime


class Project(UUIDPrimaryKeyMixin, TimestampMixin, Base):
    """A synced repository. ``root_commit`` (the first-parent root of its history) is its durable identity: a
    repository whose root differs is refused instead of overwriting this project's records; ``repo_url`` is
    informational (a remote may be renamed or moved)."""

    __tablename__ = "projects"

    name: Mapped[str] = mapped_column(Text, nullable=False, unique=True)
    description: Mapped[str | None] = mapped_column(Text)
    repo_url: Mapped[str | None] = mapped_column(Text)
    root_commit: Mapped[str | None] = mapped_column(String(GIT_ID_LENGTH), index=True)
    default_ref: Mapped[str | None] = mapped_column(Text)
    last_synced_commit: Mapped[str | None] = mapped_column(String(GIT_ID_LENGTH))
    last_synced_at: Mapped[dt.datetime | None] = mapped_column(UTCDateTime())
    metadata_: Mapped[dict[str, Any]] = mapped_column(
        "project_metadata", JSONDict, nullable=False, default=dict, server_default=text("'{}'")
    )

    def __repr__(self) -> str:
        return f"Project(name={self.name!r})"
