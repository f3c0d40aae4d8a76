"""full-text search index (FTS5 on SQLite, tsvector + GIN on PostgreSQL) and api_tokens

Revision ID: 0004
Revises: 0003
"""

from __future__ import annotations

import sqlalchemy as sa
from alembic import op

from tracertm.models.types import GUID, UTCDateTime, utcnow
from tracertm.search.documents import DOCUMENTS_0004

revision = '0004'
down_revision = '0003'
branch_labels = None
depends_on = None


def upgrade() -> None:
    op.create_table('api_tokens',
    sa.Column('token_hash', sa.String(length=64), nullable=False),
    sa.Column('prefix', sa.String(length=16), nullable=False),
    sa.Column('scope', sa.Enum('read', 'write', name='api_token_scope', native_enum=False, create_constraint=True, length=16), nullable=False),
    sa.Column('label', sa.String(length=255), nullable=True),
    sa.Column('created_at', UTCDateTime(), server_default=utcnow(), nullable=False),
    sa.Column('last_used_at', UTCDateTime(), nullable=True),
    sa.Column('revoked_at', UTCDateTime(), nullable=True),
    sa.Column('id', GUID, nullable=False),
    sa.PrimaryKeyConstraint('id', name=op.f('pk_api_tokens')),
    sa.UniqueConstraint('token_hash', name=op.f('uq_api_tokens_token_hash'))
    )
    dialect = op.get_bind().dialect.name
    for document in DOCUMENTS_0004.values():
        if dialect == 'sqlite':
            statements = document.sqlite_ddl() + document.sqlite_rebuild()
        elif dialect == 'postgresql':
            statements = document.pg_ddl()
        else:
            statements = []
        for statement in statements:
            op.execute(statement)


def downgrade() -> None:
    dialect = op.get_bind().dialect.name
    for document in DOCUMENTS_0004.values():
        for statement in document.sqlite_drop() if dialect == 'sqlite' else document.pg_drop():
            op.execute(statement)
    op.drop_table('api_tokens')
