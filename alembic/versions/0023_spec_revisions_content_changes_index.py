"""spec revisions' content changes indexed apart: ``ix_spec_revisions_project_id_entity_type_changed`` holds only
the revisions that can change a record's content (``created``, ``updated``, ``restored``, ``moved``)

Every results import writes an ``annotated`` revision for each scenario whose figures it changes, so most of an
old project's revisions are annotations: on PostgreSQL, at 2,000 commits and 120 imported runs, 77,000 of the
92,000. ``coverage`` reads the scenarios' and features' content changes (``results.queries._content_changes``):
through ``ix_spec_revisions_project_id_entity_type_number`` it read all 82,000 of those kinds and dropped the
annotations, 257 ms; through this index 22 ms. Its rows grow with the spec history, not with the runs imported.
The query states the index's condition word for word, which SQLite's planner needs to use a partial index.

Revision ID: 0023
Revises: 0022
"""

from __future__ import annotations

import sqlalchemy as sa
from alembic import op

revision = "0023"
down_revision = "0022"
branch_labels = None
depends_on = None

_INDEX = "ix_spec_revisions_project_id_entity_type_changed"
_CHANGED = sa.text("change IN ('created', 'updated', 'restored', 'moved')")


def upgrade() -> None:
    op.create_index(_INDEX, "spec_revisions", ["project_id", "entity_type"], sqlite_where=_CHANGED,
                    postgresql_where=_CHANGED)


def downgrade() -> None:
    op.drop_index(_INDEX, table_name="spec_revisions")
