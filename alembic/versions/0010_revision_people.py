"""revision people: author date and committer of a revision's commit

Revision ID: 0010
Revises: 0009

``spec_revisions`` had the author (name, email) and the commit date; this adds the author date (what people mean by
"when was this written") and the committer (name, email). Plain nullable columns added in place (no table rebuild,
however many revisions there are). Revisions written before this migration keep NULL in them: their author date
was not recorded (``history`` then shows the commit date); a new backfill of the project does not rewrite them.
"""

from __future__ import annotations

import sqlalchemy as sa
from alembic import op

from tracertm.models.types import UTCDateTime

revision = '0010'
down_revision = '0009'
branch_labels = None
depends_on = None


def upgrade() -> None:
    op.add_column('spec_revisions', sa.Column('authored_at', UTCDateTime(), nullable=True))
    op.add_column('spec_revisions', sa.Column('committer_name', sa.Text(), nullable=True))
    op.add_column('spec_revisions', sa.Column('committer_email', sa.Text(), nullable=True))


def downgrade() -> None:
    with op.batch_alter_table('spec_revisions', schema=None) as batch_op:
        batch_op.drop_column('committer_email')
        batch_op.drop_column('committer_name')
        batch_op.drop_column('authored_at')
