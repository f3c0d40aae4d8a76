"""PostgreSQL: the lists' order by code point indexed (``ix_features_project_id_feature_number_c`` and the ADRs',
contracts' and test cases' alike): page 1 of a list reads its page, not the whole project

Lists order their text keys ``COLLATE "C"`` on PostgreSQL (``models.types.code_points``), and the only ordered
indexes on the numbers, the unique constraints (project_id, number), are built under the database's collation,
which cannot give that order (not even ``C.UTF-8``'s). Page 1 of the scenario list — and every filtered first page —
read every live scenario of the project, hash-joined the features and top-N-sorted them all on
``feature_number COLLATE "C", position, id``: 35 ms at 20,000 scenarios. With an index on
(project_id, feature_number COLLATE "C") it walks the project's features in order, reads each one's live scenarios
through ``ix_scenarios_feature_id_position_id_live`` and stops when the page is full (Nested Loop + Incremental
Sort, 0.18 ms). The ADR, contract and test case lists sort by their number, then the id, the same way: their
indexes hold the id too, so their pages are an index scan and a limit. Features' too (number, then id).

The step definitions' default order (pattern, then file::function) is not indexed: a pattern has no bound on its
length, and a B-tree entry has (about 2,700 bytes): the index could refuse a sync.

SQLite orders by the column itself, which its unique constraints serve already: nothing changes there. The models
do not declare these (``models.code_point_indexes``, a frozen copy here).

Revision ID: 0043
Revises: 0042
"""

from __future__ import annotations

from alembic import op

revision = "0043"
down_revision = "0042"
branch_labels = None
depends_on = None

_INDEXES = {
    "ix_features_project_id_feature_number_c": ("features", 'project_id, feature_number COLLATE "C", id'),
    "ix_adrs_project_id_adr_number_c": ("adrs", 'project_id, adr_number COLLATE "C", id'),
    "ix_contracts_project_id_contract_number_c": ("contracts", 'project_id, contract_number COLLATE "C", id'),
    "ix_test_cases_project_id_test_case_number_c": ("test_cases", 'project_id, test_case_number COLLATE "C", id'),
}


def upgrade() -> None:
    if op.get_bind().dialect.name == "postgresql":
        for name, (table, columns) in _INDEXES.items():
            op.execute(f"CREATE INDEX {name} ON {table} ({columns})")


def downgrade() -> None:
    if op.get_bind().dialect.name == "postgresql":
        for name in _INDEXES:
            op.execute(f"DROP INDEX {name}")
