"""scenarios by their number alone (``ix_scenarios_scenario_number``)

``Records.find_by_number`` looks a scenario up by its number (``SC-4``, a ``FEATURE/SCENARIO`` id, or any id
``show``, ``history``, ``trace``, ``review`` and the API's detail routes are given: ids are unique per kind only,
so every kind is asked). Scenarios are unique by ``(feature_id, scenario_number)`` only, and the lookup — one
statement whose condition ORed the whole id with each feature/scenario split — walked every feature of the project
and probed each one's scenarios: its cost followed the number of features (2,000 probes on the large benchmark
corpus for one ``show``). With this index the whole id is found from the index, each split from the feature's own
``(project_id, feature_number)`` key and then the scenario's; the statement reads the matches only.

Revision ID: 0036
Revises: 0035
"""

from __future__ import annotations

from alembic import op

revision = "0036"
down_revision = "0035"
branch_labels = None
depends_on = None

_INDEX = "ix_scenarios_scenario_number"


def upgrade() -> None:
    op.create_index(_INDEX, "scenarios", ["scenario_number"])


def downgrade() -> None:
    op.drop_index(_INDEX, table_name="scenarios")
