"""Which step definition each executed scenario step matched: derived by sync from the files, never edited.

One row per (scenario step, Examples row, matching definition): a step matched by one definition has one
``defined`` row, an ambiguous one a row per candidate, an undefined one a single row without a definition. The
argument values are what the definition would receive. ``step_definitions.usage_count`` counts a definition's
``defined`` rows.
"""

from __future__ import annotations

import uuid
from typing import Any

from sqlalchemy import BigInteger, ForeignKey, Index, Integer, Text, text
from sqlalchemy.orm import Mapped, mapped_column

from tracertm.models.base import Base
from tracertm.models.types import GUID, JSONType, one_of_check, string_check

MATCH_STATUS_VALUES = ("defined", "undefined", "ambiguous")


class ScenarioStepMatch(Base):
    """One executed step of one scenario and one definition it matched (none when undefined)."""

    __tablename__ = "scenario_step_matches"
    __table_args__ = (
        Index("ix_scenario_step_matches_scenario_id", "scenario_id"),
        Index("ix_scenario_step_matches_step_definition_id", "step_definition_id"),
        # No index on project_id (since 0013): every query by project reads all of its rows anyway, and keeping the
        # index cost about a third of a cold sync's insert of the rows (measured).
        # Comparisons, not an IN list: SQLite builds the list's lookup table for every row written (migration 0015).
        one_of_check("step_match_status", "status", *MATCH_STATUS_VALUES),
    )

    # An integer, not a UUID: a cold sync writes one row per executed step (130,000 on the large corpus), and a random
    # UUID per row cost its generation plus a random insert into the primary-key index — about 40 % of the insert's
    # CPU time on SQLite (measured for migration 0013). Nothing refers to a row by its id.
    id: Mapped[int] = mapped_column(
        BigInteger().with_variant(Integer(), "sqlite"), primary_key=True, autoincrement=True
    )
    project_id: Mapped[uuid.UUID] = mapped_column(GUID, ForeignKey("projects.id", ondelete="CASCADE"), nullable=False)
    scenario_id: Mapped[uuid.UUID] = mapped_column(
        GUID, ForeignKey("scenarios.id", ondelete="CASCADE"), nullable=False
    )
    step_definition_id: Mapped[uuid.UUID | None] = mapped_column(
        GUID, ForeignKey("step_definitions.id", ondelete="CASCADE"), nullable=True
    )
    position: Mapped[int] = mapped_column(Integer, nullable=False)  # order of execution within the scenario
    line: Mapped[int] = mapped_column(Integer, nullable=False)  # the step's line in the feature file
    row_line: Mapped[int | None] = mapped_column(Integer)  # the Examples row's line, for an outline step
    keyword: Mapped[str] = mapped_column(Text, nullable=False)
    step_text: Mapped[str] = mapped_column(Text, nullable=False)  # after outline substitution
    status: Mapped[str] = mapped_column(string_check("step_match_status", *MATCH_STATUS_VALUES, constraint=False), nullable=False)
    arguments: Mapped[list[Any]] = mapped_column(JSONType, nullable=False, default=list, server_default=text("'[]'"))


__all__ = ["MATCH_STATUS_VALUES", "ScenarioStepMatch"]
