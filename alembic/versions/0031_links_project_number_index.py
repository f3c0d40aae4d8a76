"""a project's links indexed by number: ``ix_links_project_id_id`` on (project_id, id), the order of the link list

``GET .../links`` (the web view's links page, ``trace.listing.list_links``) pages a project's links in number order,
each page after the last number of the one before. No index held a project's links in that order, so on SQLite,
whose planner has no statistics, each page read every link of the project through
``ix_links_project_id_target_kind_target_ref`` and sorted them all for the first 51: on the large benchmark corpus
(98,171 links) 41 ms a page, 280-340 ms with a filter on a column of the row (``suspect``, ``type``, ``source``).
Through this index a page reads its rows and stops (1-4 ms). PostgreSQL read a single project's links by the
primary key already; a project beside larger ones takes this index there too.

SQLite now also takes this index for the other reads that name a project alone; those that read the whole project
read it in number order, faster than through the wider index (the links' counts by type 235 → 59 ms, the project
page's suspect and dangling lists 230 → 41 ms). Where another condition has an index of its own — a record's links
by ``source_id`` (the list's ``source``) or ``target_id`` (a record's incoming links) — the project's condition is
written ``+links.project_id`` on SQLite (``models.types.unindexed``), or it would read the whole project instead
(0.2 → 37 ms for an ADR's incoming links). The index costs a cold sync about 0.05 s of CPU for 98,000 links.

Revision ID: 0031
Revises: 0030
"""

from __future__ import annotations

from alembic import op

revision = "0031"
down_revision = "0030"
branch_labels = None
depends_on = None

_INDEX = "ix_links_project_id_id"


def upgrade() -> None:
    op.create_index(_INDEX, "links", ["project_id", "id"])


def downgrade() -> None:
    op.drop_index(_INDEX, table_name="links")
