"""scenarios' pages keep room on PostgreSQL (``fillfactor = 60``): the statistics' updates stay on their page

Every results import rewrites the statistics columns of each scenario that ran (``results.stats.recompute``: its
``execution_count`` changes with every run it executed in), hundreds of wide rows per import. A row's new version
is a HOT update (no index entry written, the old version pruned on the page) only when its page has room for it;
filled to 100 %, most updates move the row to another page, with new entries in each of the table's five indexes,
and the table grows until a VACUUM. Measured on 640 scenarios of 1.3 KB and 50 imports of them (autovacuum on):
filled to 100 %, 52 % of the 31,000 updates were HOT and the heap grew from 0.9 MB to 21 MB, still growing; at
80 %, 98 % were HOT and the heap kept 2.6 MB from the 10th import on; at 70 %, 98.5 % and 2.5 MB; at 60 %, all but
10 and 1.9 MB. Rows of a few KB (long scenarios) leave no room for a second version at 80 %: 60 keeps updates HOT
for them too. Rows inserted from now on leave the room (existing full pages gain it as their rows move); SQLite has
no such setting.

Revision ID: 0024
Revises: 0023
"""

from __future__ import annotations

from alembic import op

revision = "0024"
down_revision = "0023"
branch_labels = None
depends_on = None


def upgrade() -> None:
    if op.get_bind().dialect.name == "postgresql":
        op.execute("ALTER TABLE scenarios SET (fillfactor = 60)")


def downgrade() -> None:
    if op.get_bind().dialect.name == "postgresql":
        op.execute("ALTER TABLE scenarios RESET (fillfactor)")
