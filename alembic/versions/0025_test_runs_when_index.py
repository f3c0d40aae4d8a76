"""a project's runs indexed in the statistics' order: ``ix_test_runs_project_id_when`` on (project_id, the run's
time ``coalesce(finished_at, started_at, imported_at)`` descending, imported_at descending, id)

Every results import, ``coverage`` and ``show`` walk the project's runs newest first (``results.stats.walk``) and
stop after a few dozen; without an index in that order the database read and sorted every run of the project to
find them, a sort that grew with the runs ever imported. Through this index it reads the rows it returns. The
query spells the expression as the index does (``models.test_run.WHEN_SQL``), which SQLite's planner needs to use
an index on an expression, and compares ``project_id`` with ``=`` (with ``IN`` SQLite sorts again).

Revision ID: 0025
Revises: 0024
"""

from __future__ import annotations

import sqlalchemy as sa
from alembic import op

revision = "0025"
down_revision = "0024"
branch_labels = None
depends_on = None

_INDEX = "ix_test_runs_project_id_when"
_WHEN = "coalesce(finished_at, started_at, imported_at)"  # models.test_run.WHEN_SQL as of this revision


def upgrade() -> None:
    op.create_index(_INDEX, "test_runs", ["project_id", sa.text(f"{_WHEN} DESC"), sa.text("imported_at DESC"), "id"])


def downgrade() -> None:
    op.drop_index(_INDEX, table_name="test_runs")
