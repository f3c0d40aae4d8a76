"""sync runs indexed by project and status: the lookups of a project's runs by status read only those

Every sync asks whether a run of its project is still ``running``: the no-op fast path before it answers
(``fastpath``), the full engine when it marks abandoned runs ``failed`` (``engine/sync.py``), and a writer kept
waiting names the other one (``db/locks.py``). A backfill counts the project's runs that wrote
(``history/checkpoint.py``: ``status IN ('ok', 'errors')``) before it starts and in each batch. The only index was
``(project_id, started_at)``, so each of them read every run the project ever had, row by row: a run is recorded
on every sync (a hook after each commit, a watch daemon on each save), and a no-op ``tracertm sync`` went from
0.2 s to 0.9 s on a SQLite database holding 200,000 past runs of its project, each count of a backfill took 0.23 s.
With ``(project_id, status, started_at)`` the unfinished runs are found among themselves and the count reads the
index alone (8 ms at 200,000).

Revision ID: 0022
Revises: 0021
"""

from __future__ import annotations

from alembic import op

revision = "0022"
down_revision = "0021"
branch_labels = None
depends_on = None

_INDEX = "ix_sync_runs_project_id_status_started_at"


def upgrade() -> None:
    op.create_index(_INDEX, "sync_runs", ["project_id", "status", "started_at"])


def downgrade() -> None:
    op.drop_index(_INDEX, table_name="sync_runs")
