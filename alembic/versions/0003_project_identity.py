"""project identity: the repository's root commit

Revision ID: 0003
Revises: 0002
"""

from __future__ import annotations

import sqlalchemy as sa
from alembic import op

revision = "0003"
down_revision = "0002"
branch_labels = None
depends_on = None


def upgrade() -> None:
    with op.batch_alter_table("projects") as batch:
        batch.add_column(sa.Column("root_commit", sa.String(length=40), nullable=True))
        batch.create_index(batch.f("ix_projects_root_commit"), ["root_commit"], unique=False)


def downgrade() -> None:
    with op.batch_alter_table("projects") as batch:
        batch.drop_index(batch.f("ix_projects_root_commit"))
        batch.drop_column("root_commit")
