"""revision write order: ``spec_revisions.seq``, the order the database wrote the revisions in

``history`` (the API's ``/history``, the web timeline) lists the pure moves of one version after the change that
made it, ordered by date: a commit's date, else when the revision was recorded. A move synced from the work tree
(no commit) and then a ``sync --ref`` of an older commit (a CI runner on an older checkout) put the older commit's
move first, so the history ended on the work tree's path while the record is at the commit's. ``seq`` orders them as
they were written. PostgreSQL's default is the next number of the sequence ``spec_revisions_seq`` (safe under
concurrent writers), for every writer alike (the ORM's, Core's, ``COPY`` and raw SQL). SQLite's is NULL: its writers
give the new row's rowid, the table's largest plus one, read under the write lock (``engine.apply.write_order_from``
for the bulk writers, ``models.sync.next_write_order`` in the statement of a single row). Not a trigger copying the
rowid: its mere presence, even skipping the row, doubled the cost of a revision insert (a cold sync's 26,000:
0.34 → 0.75 s of CPU). A sequence as a default rather than an identity column: the models declare one default for
both databases (``models.sync.write_order``).

Revisions written before keep the order ``history`` showed them in (by version, the change first, then the moves by
date): each record's are numbered in that order. On SQLite with the rowids of that record's own revisions, so that
no number is above the table's largest rowid, which the next row takes plus one (a record's revisions go together,
when their project is deleted).

Revision ID: 0030
Revises: 0029
"""

from __future__ import annotations

import sqlite3

import sqlalchemy as sa
from alembic import op

from tracertm.models.sync import WRITE_ORDER_SEQUENCE, write_order

revision = "0030"
down_revision = "0029"
branch_labels = None
depends_on = None

_TRIGGER = "spec_revisions_seq_ai"  # SQLite's, in this migration's first form (see ``downgrade``)
# ``Records.history``'s order as of revision 0028, within one record.
_OLD_ORDER = "version, change = 'moved', coalesce(committed_at, created_at), created_at, id"


def upgrade() -> None:
    if op.get_bind().dialect.name == "postgresql":
        _upgrade_postgresql()
    else:
        _upgrade_sqlite()


def _upgrade_postgresql() -> None:
    # Numbered first, the default set after: a volatile default added with the column would rewrite the table once
    # more to fill it.
    op.execute(f"CREATE SEQUENCE {WRITE_ORDER_SEQUENCE}")
    op.add_column("spec_revisions", sa.Column("seq", sa.BigInteger(), nullable=True))
    op.execute(f"UPDATE spec_revisions AS r SET seq = o.n FROM (SELECT id, row_number() OVER "
               f"(ORDER BY entity_id, {_OLD_ORDER}) AS n FROM spec_revisions) AS o WHERE r.id = o.id")
    op.execute(f"SELECT setval('{WRITE_ORDER_SEQUENCE}', coalesce(max(seq), 0) + 1, false) FROM spec_revisions")
    # Not OWNED BY the column: Alembic would take it for a SERIAL and leave its default out of the comparison with
    # the models.
    op.alter_column("spec_revisions", "seq", server_default=write_order())


def _upgrade_sqlite() -> None:
    op.add_column("spec_revisions", sa.Column("seq", sa.BigInteger(), server_default=write_order(), nullable=True))
    op.execute("CREATE TEMP TABLE revision_seq (r INTEGER PRIMARY KEY, seq INTEGER NOT NULL)")
    op.execute(f"INSERT INTO revision_seq (r, seq) SELECT ranked.r, slots.r FROM "
               f"(SELECT rowid AS r, entity_id, row_number() OVER (PARTITION BY entity_id ORDER BY {_OLD_ORDER}) AS n "
               f"FROM spec_revisions) AS ranked JOIN "
               f"(SELECT rowid AS r, entity_id, row_number() OVER (PARTITION BY entity_id ORDER BY rowid) AS n "
               f"FROM spec_revisions) AS slots ON slots.entity_id = ranked.entity_id AND slots.n = ranked.n")
    op.execute("UPDATE spec_revisions SET seq = (SELECT seq FROM revision_seq WHERE r = spec_revisions.rowid)")
    op.execute("DROP TABLE revision_seq")


def downgrade() -> None:
    postgres = op.get_bind().dialect.name == "postgresql"
    if postgres:
        op.drop_column("spec_revisions", "seq")
        op.execute(f"DROP SEQUENCE {WRITE_ORDER_SEQUENCE}")
        return
    # Left by this migration's unreleased first form; SQLite refuses to drop a column a trigger names.
    op.execute(f"DROP TRIGGER IF EXISTS {_TRIGGER}")
    if sqlite3.sqlite_version_info >= (3, 35):  # in place, rowids kept (a rebuild renumbers them)
        op.execute("ALTER TABLE spec_revisions DROP COLUMN seq")
    else:
        with op.batch_alter_table("spec_revisions", schema=None) as batch_op:
            batch_op.drop_column("seq")
