"""links: derived trace links with review state (suspect links)

Revision ID: 0009
Revises: 0006
"""

from __future__ import annotations

import sqlalchemy as sa
from alembic import op

from tracertm.models.types import GUID, UTCDateTime, utcnow

revision = '0009'
down_revision = '0006'
branch_labels = None
depends_on = None


def upgrade() -> None:
    op.create_table('links',
    sa.Column('id', sa.BigInteger().with_variant(sa.Integer(), 'sqlite'), autoincrement=True, nullable=False),
    sa.Column('project_id', GUID, nullable=False),
    sa.Column('source_kind', sa.String(length=32), nullable=False),
    sa.Column('source_id', GUID, nullable=False),
    sa.Column('source_ref', sa.String(length=1024), nullable=False),
    sa.Column('source_path', sa.String(length=1024), nullable=True),
    sa.Column('source_line', sa.Integer(), nullable=False),
    sa.Column('link_type', sa.String(length=32), nullable=False),
    sa.Column('target_kind', sa.String(length=32), nullable=False),
    sa.Column('target_ref', sa.String(length=500), nullable=False),
    sa.Column('target_id', GUID, nullable=True),
    sa.Column('target_version', sa.Integer(), nullable=True),
    sa.Column('reviewed_version', sa.Integer(), nullable=True),
    sa.Column('reviewed_by', sa.String(length=255), nullable=True),
    sa.Column('reviewed_at', UTCDateTime(), nullable=True),
    sa.Column('created_at', UTCDateTime(), server_default=utcnow(), nullable=False),
    sa.Column('updated_at', UTCDateTime(), server_default=utcnow(), nullable=False),
    sa.ForeignKeyConstraint(['project_id'], ['projects.id'], name=op.f('fk_links_project_id_projects'), ondelete='CASCADE'),
    sa.PrimaryKeyConstraint('id', name=op.f('pk_links')),
    sa.UniqueConstraint('source_id', 'link_type', 'target_kind', 'target_ref', name=op.f('uq_links_source_id_link_type_target_kind_target_ref'))
    )
    with op.batch_alter_table('links', schema=None) as batch_op:
        batch_op.create_index('ix_links_project_id_target_kind_target_ref', ['project_id', 'target_kind', 'target_ref'], unique=False)
        batch_op.create_index('ix_links_target_id', ['target_id'], unique=False)


def downgrade() -> None:
    with op.batch_alter_table('links', schema=None) as batch_op:
        batch_op.drop_index('ix_links_target_id')
        batch_op.drop_index('ix_links_project_id_target_kind_target_ref')

    op.drop_table('links')
