"""Minimal test cases, so that the Scenario ↔ TestCase association is real. Database-owned: sync never writes them."""

from __future__ import annotations

import datetime as dt
import uuid
from typing import TYPE_CHECKING

from sqlalchemy import ForeignKey, String, Text, UniqueConstraint
from sqlalchemy.orm import Mapped, mapped_column, relationship

from tracertm.models.base import (
    Base,
    MetadataMixin,
    SoftDeleteMixin,
    TimestampMixin,
    UUIDPrimaryKeyMixin,
    VersionedMixin,
)
from tracertm.models.specification import scenario_test_case_association
from tracertm.models.types import GUID, UTCDateTime

if TYPE_CHECKING:
    from tracertm.models.specification import Scenario


class TestCase(UUIDPrimaryKeyMixin, TimestampMixin, SoftDeleteMixin, VersionedMixin, MetadataMixin, Base):
    """A test case. Database-owned: every ORM edit bumps ``version`` with one ``annotated`` revision."""

    __tablename__ = "test_cases"
    __metadata_column__ = "test_case_metadata"
    __table_args__ = (UniqueConstraint("project_id", "test_case_number"),)
    __test__ = False  # not a pytest test class

    project_id: Mapped[uuid.UUID] = mapped_column(GUID, ForeignKey("projects.id", ondelete="CASCADE"), nullable=False)
    test_case_number: Mapped[str] = mapped_column(Text, nullable=False)
    title: Mapped[str] = mapped_column(Text, nullable=False)
    status: Mapped[str | None] = mapped_column(String(32))
    automation_script_path: Mapped[str | None] = mapped_column(Text)
    last_execution_result: Mapped[str | None] = mapped_column(String(32))
    last_executed_at: Mapped[dt.datetime | None] = mapped_column(UTCDateTime())

    scenarios: Mapped[list[Scenario]] = relationship(
        secondary=scenario_test_case_association, back_populates="test_cases", passive_deletes=True
    )
