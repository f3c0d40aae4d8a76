"""test_cases' pages keep room on PostgreSQL (``fillfactor = 60``), as scenarios' do (0024): the last executions'
updates stay on their page

Every results import now rewrites each known test case whose last execution changes (``results.case_results``:
``last_executed_at`` moves with every run, so CI's daily import of the same suite updates all of its test cases,
tens of thousands of rows). The reasoning of 0024 holds: a row's new version is a HOT update (no index entry
written, the old version pruned on the page) only when its page has room for it, and none of the columns the
update writes (``version``, the two fields, ``updated_at``) is indexed. Measured (ad hoc, 20,000 test cases, six
daily imports of the same report, a VACUUM after each): filled to 100 %, 106 of 99,000 updates were HOT and each
import wrote a new entry in every index of the table for every test case; at 60 %, 89 % were HOT (98 % by the
sixth import) and the indexes stayed smaller (3.9 MB against 4.4). Rows inserted from now on leave the room
(existing full pages gain it as their rows move); SQLite has no such setting.

Revision ID: 0039
Revises: 0038
"""

from __future__ import annotations

from alembic import op

revision = "0039"
down_revision = "0038"
branch_labels = None
depends_on = None


def upgrade() -> None:
    if op.get_bind().dialect.name == "postgresql":
        op.execute("ALTER TABLE test_cases SET (fillfactor = 60)")


def downgrade() -> None:
    if op.get_bind().dialect.name == "postgresql":
        op.execute("ALTER TABLE test_cases RESET (fillfactor)")
