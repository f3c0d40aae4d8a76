"""results' scenario index partial: ``ix_test_results_scenario_id_run_id`` holds only results matched to a scenario

Most results of a large report are unit tests that match no scenario: each had an entry (NULL, run) in the index that
only lookups by scenario use (the statistics, ``show SC-n``, coverage, ``ON DELETE SET NULL``), and none of them asks
for NULL. Every such lookup compares ``scenario_id`` (``=``, ``IN``), which implies ``IS NOT NULL``, so both
SQLite's and PostgreSQL's planners use the partial index for it. Measured on the benchmark's 20,000-test report
(2,000 matched): SQLite runs the import's statements in 8 % less time, and the index is a tenth of its size.

Revision ID: 0021
Revises: 0020
"""

from __future__ import annotations

import sqlalchemy as sa
from alembic import op

revision = "0021"
down_revision = "0020"
branch_labels = None
depends_on = None

_INDEX = "ix_test_results_scenario_id_run_id"
_MATCHED = sa.text("scenario_id IS NOT NULL")


def upgrade() -> None:
    op.drop_index(_INDEX, table_name="test_results")
    op.create_index(_INDEX, "test_results", ["scenario_id", "run_id"], sqlite_where=_MATCHED,
                    postgresql_where=_MATCHED)


def downgrade() -> None:
    op.drop_index(_INDEX, table_name="test_results")
    op.create_index(_INDEX, "test_results", ["scenario_id", "run_id"])
