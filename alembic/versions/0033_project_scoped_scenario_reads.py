"""a project's live scenarios indexed by feature in list order (``ix_scenarios_feature_id_position_id_live``), and
the revisions' index by record carrying the dates ``changed_since`` compares
(``ix_spec_revisions_entity_id_version_dates`` replaces ``ix_spec_revisions_entity_id_version``)

Scenarios have no project column: a project's are those of its features. Their lists, counts and facets (the API's,
``tracertm list scenarios``, the web view's) said ``scenarios.deleted_at IS NULL``, and SQLite's planner, without
statistics, started from ``ix_scenarios_deleted_at``: every live scenario of every project, read one by one, the
project's kept and sorted for a page — in a database of ten projects ten times the single project's cost. The reads
now state the live condition as ``+deleted_at IS NULL`` (``models.specification.LIVE_SCENARIO``), which no index but
this partial one serves, so they walk the project's features and, through it, their live scenarios in list order:
a page stops when it is full, and ``changed_since`` probes each scenario's revisions without reading its row.
``changed_since``'s probe reads the dates from the revisions' index (a revision row holds its snapshot, read out of
order for a page's records otherwise). PostgreSQL, with statistics, read a project's scenarios by its features
already; the same indexes serve it (the condition is its plain ``deleted_at IS NULL`` there).

Revision ID: 0033
Revises: 0032
"""

from __future__ import annotations

import sqlalchemy as sa
from alembic import op

revision = "0033"
down_revision = "0032"
branch_labels = None
depends_on = None

_LIVE = "ix_scenarios_feature_id_position_id_live"
_DATES = "ix_spec_revisions_entity_id_version_dates"
_VERSION = "ix_spec_revisions_entity_id_version"


def upgrade() -> None:
    # As ``models.specification.LIVE_SCENARIO`` has it when this migration was written (a migration keeps its own).
    op.create_index(_LIVE, "scenarios", ["feature_id", "position", "id"], sqlite_where=sa.text("+deleted_at IS NULL"),
                    postgresql_where=sa.text("deleted_at IS NULL"))
    op.create_index(_DATES, "spec_revisions", ["entity_id", "version", "committed_at", "created_at"])
    op.drop_index(_VERSION, table_name="spec_revisions")


def downgrade() -> None:
    op.create_index(_VERSION, "spec_revisions", ["entity_id", "version"])
    op.drop_index(_DATES, table_name="spec_revisions")
    op.drop_index(_LIVE, table_name="scenarios")
