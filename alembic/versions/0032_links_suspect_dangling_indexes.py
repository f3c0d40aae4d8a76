"""the suspect and the dangling links indexed apart: partial indexes ``ix_links_project_id_id_suspect`` and
``ix_links_target_id_project_id_id_dangling``, on the links in each state only

The dashboard's suspect and dangling counts (``review.counts_by_project``), the project page's and ``status``'s
summary, ``GET …/coverage``'s link counts and the link list's ``?suspect=true`` / ``?dangling=true`` pages read every
link of the project, or of the database, to find the few in either state: 14-62 ms of CPU each on the large
benchmark corpus (98,171 links, none in either state). Through these indexes they read those links and no other:
0.3-8.5 ms (``GET …/coverage``'s 25 ms, most of it counting the links per type). A query uses them where it states
each index's condition as written here (``models.link.SUSPECT_LINKS``, ``DANGLING_LINKS``: SQLite matches the terms,
the kinds as literals). ``target_id`` leads the dangling links' index, NULL in all its rows, so that SQLite's
planner, without statistics, seeks it rather than ``ix_links_target_id`` (every requirement link) or the project's
indexes. Each holds only the links in its state, so a cold sync, whose links are neither, adds no entry to them;
SQLite tests each new link against both conditions (the 98,171 link inserts of a cold sync: 0.41 → 0.47 s of CPU).

Revision ID: 0032
Revises: 0031
"""

from __future__ import annotations

import sqlalchemy as sa
from alembic import op

revision = "0032"
down_revision = "0031"
branch_labels = None
depends_on = None

_SUSPECT = "ix_links_project_id_id_suspect"
_DANGLING = "ix_links_target_id_project_id_id_dangling"
# As ``models.link`` has them when this migration was written (a migration keeps its own copy).
_SUSPECT_LINKS = sa.text(
    "target_id IS NOT NULL AND reviewed_version IS NOT NULL AND target_version != reviewed_version")
_DANGLING_LINKS = sa.text("target_id IS NULL AND target_kind IN ('adr', 'contract', 'feature', 'scenario')")


def upgrade() -> None:
    op.create_index(_SUSPECT, "links", ["project_id", "id"], sqlite_where=_SUSPECT_LINKS,
                    postgresql_where=_SUSPECT_LINKS)
    op.create_index(_DANGLING, "links", ["target_id", "project_id", "id"], sqlite_where=_DANGLING_LINKS,
                    postgresql_where=_DANGLING_LINKS)


def downgrade() -> None:
    op.drop_index(_DANGLING, table_name="links")
    op.drop_index(_SUSPECT, table_name="links")
