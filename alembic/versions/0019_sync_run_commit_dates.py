"""sync run commit dates: ``sync_runs.committed_at``, the commit date of the run's commit

A commit that wrote no revision (it changed no spec file) is known to the database only by the sync runs that
recorded it; ``changed_since=<commit>`` and ``at/<commit>`` without the repository dated it by the run's
``started_at``, when the sync ran, which may be long after the commit (a CI backlog, ``sync --ref`` catching up):
revisions of later commits, synced after them, counted as older. Sync and backfill now record the commit's own
date (the committer date git gives, as revisions record it in ``spec_revisions.committed_at``).

A plain nullable column added in place (no table rebuild, however many runs there are). Runs recorded before this
migration keep NULL: readers fall back to their ``started_at`` for them. The downgrade drops the column (batch mode:
SQLite rebuilds the table).

Revision ID: 0019
Revises: 0018
"""

from __future__ import annotations

import sqlalchemy as sa
from alembic import op

from tracertm.models.types import UTCDateTime

revision = "0019"
down_revision = "0018"
branch_labels = None
depends_on = None


def upgrade() -> None:
    with op.batch_alter_table("sync_runs", schema=None) as batch_op:  # SQLite: an ALTER TABLE ADD COLUMN, in place
        batch_op.add_column(sa.Column("committed_at", UTCDateTime(), nullable=True))


def downgrade() -> None:
    with op.batch_alter_table("sync_runs", schema=None) as batch_op:
        batch_op.drop_column("committed_at")
