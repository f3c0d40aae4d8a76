"""parked reviews: the review state of a deleted record's links, kept until the record comes back
(``parked_reviews``)

A sync deleted a record's links with it, and a record restored (``git revert`` of its deletion, a branch switched
back) got them again as new links, born reviewed: a link that was suspect, or that its target changed under while
the record was gone, came back reviewed, and ``reviewed_by`` / ``reviewed_at`` were lost — while the README says
only a review clears a suspect link. The links still go with their record (no reader of ``links`` changes); their
review state waits in this table, one row per link (its source, type and target as written in ``links``), and a
restored record's links take it back. Records deleted before this revision have nothing parked: their links come
back born reviewed, as before.

Revision ID: 0027
Revises: 0026
"""

from __future__ import annotations

import sqlalchemy as sa
from alembic import op

from tracertm.models.types import GUID, UTCDateTime

revision = "0027"
down_revision = "0026"
branch_labels = None
depends_on = None

_TABLE = "parked_reviews"


def upgrade() -> None:
    op.create_table(
        _TABLE,
        sa.Column("project_id", GUID, nullable=False),
        sa.Column("source_id", GUID, nullable=False),
        sa.Column("link_type", sa.String(length=32), nullable=False),
        sa.Column("target_kind", sa.String(length=32), nullable=False),
        sa.Column("target_ref", sa.String(length=500), nullable=False),
        sa.Column("target_id", GUID, nullable=True),
        sa.Column("reviewed_version", sa.Integer(), nullable=False),
        sa.Column("reviewed_by", sa.String(length=255), nullable=True),
        sa.Column("reviewed_at", UTCDateTime(), nullable=True),
        sa.ForeignKeyConstraint(["project_id"], ["projects.id"], name=op.f("fk_parked_reviews_project_id_projects"),
                                ondelete="CASCADE"),
        sa.PrimaryKeyConstraint("project_id", "source_id", "link_type", "target_kind", "target_ref",
                                name=op.f("pk_parked_reviews")),
    )


def downgrade() -> None:
    op.drop_table(_TABLE)
