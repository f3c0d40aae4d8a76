"""Which step definition each executed scenario step matched: derived by sync from the files, never edited.

One row per scenario that runs steps, its executed steps packed in ``steps`` (JSON; JSONB on PostgreSQL), in
execution order — an outline's steps once per Examples row. Each step is an array::

    [position, line, row_line, keyword, text, status, [[definition, [argument, ...]], ...]]

``position`` is the step's order of execution within the scenario, ``line`` its line in the feature file,
``row_line`` the Examples row's line (null outside an outline), ``text`` the text after outline substitution,
``status`` ``defined`` / ``undefined`` / ``ambiguous``, and the last element the matching definitions (their row
ids as 32 hex digits, each with the argument values it would receive): one when defined, every candidate in file
order when ambiguous, none when undefined. ``step_definitions.usage_count`` counts the ``defined`` steps naming a
definition.

Until migration 0017 these were one row per (step, matching definition) in ``scenario_step_matches``: a cold sync of
the large benchmark corpus inserted 132,000 of them (and two index entries each) where it now inserts 20,000.
"""

from __future__ import annotations

import uuid
from typing import Any

from sqlalchemy import BigInteger, ForeignKey, Integer
from sqlalchemy.orm import Mapped, mapped_column

from tracertm.models.base import Base
from tracertm.models.types import GUID, JSONType

MATCH_STATUS_VALUES = ("defined", "undefined", "ambiguous")
# The fields of one packed step, by index (see the module docstring).
POSITION, LINE, ROW_LINE, KEYWORD, TEXT, STATUS, MATCHES = range(7)


class ScenarioSteps(Base):
    """The executed steps of one scenario and the definitions each matched (see the module docstring)."""

    __tablename__ = "scenario_steps"

    # An integer, not a UUID: nothing refers to a row by its id, and a random UUID per row costs its generation
    # and a random insert into the primary-key index (migration 0013).
    id: Mapped[int] = mapped_column(
        BigInteger().with_variant(Integer(), "sqlite"), primary_key=True, autoincrement=True
    )
    # No index on project_id: every query by project reads all of its rows anyway (as for the rows before, 0013).
    project_id: Mapped[uuid.UUID] = mapped_column(GUID, ForeignKey("projects.id", ondelete="CASCADE"), nullable=False)
    scenario_id: Mapped[uuid.UUID] = mapped_column(
        GUID, ForeignKey("scenarios.id", ondelete="CASCADE"), nullable=False, unique=True
    )
    steps: Mapped[list[Any]] = mapped_column(JSONType, nullable=False)


__all__ = ["KEYWORD", "LINE", "MATCHES", "MATCH_STATUS_VALUES", "POSITION", "ROW_LINE", "STATUS", "ScenarioSteps",
           "TEXT"]
