"""The PostgreSQL-only indexes that serve the lists' order by code point (``models.types.code_points``:
``column COLLATE "C"``), which the models do not declare (migration 0043).

A list orders its text keys ``COLLATE "C"`` on PostgreSQL so that it sorts and pages as on SQLite whatever collation
the database was created with; an index built under the database's collation (the unique constraints on a
project's numbers) cannot give that order, even under ``C.UTF-8``, so a page 1 read and top-N-sorted every record of
the project. SQLite orders by the column itself, which its unique constraints already serve: it has none of these.
A model cannot declare an index on one dialect only that Alembic compares (it reflects the collated column as a
plain one, and would add it to SQLite): Alembic's autogenerate and the migrations test leave them out by name
(``is_code_point_index``), as the search index's objects, and a test of their own checks them.
"""

from __future__ import annotations

# Index name → (table, the indexed expressions as PostgreSQL spells them). The number's own column, then the id: the
# whole order of a list sorted by number (``repositories.kinds.sort_keys``), and the features' prefix of the
# scenario list's (feature number, position, id), whose rest ``ix_scenarios_feature_id_position_id_live`` gives.
CODE_POINT_INDEXES: dict[str, tuple[str, tuple[str, ...]]] = {
    "ix_features_project_id_feature_number_c": ("features", ("project_id", 'feature_number COLLATE "C"', "id")),
    "ix_adrs_project_id_adr_number_c": ("adrs", ("project_id", 'adr_number COLLATE "C"', "id")),
    "ix_contracts_project_id_contract_number_c": ("contracts", ("project_id", 'contract_number COLLATE "C"', "id")),
    "ix_test_cases_project_id_test_case_number_c": (
        "test_cases", ("project_id", 'test_case_number COLLATE "C"', "id")),
}


def is_code_point_index(name: str | None, type_: str) -> bool:
    """True for one of ``CODE_POINT_INDEXES``, which the ORM models do not declare (see module doc)."""
    return type_ == "index" and name in CODE_POINT_INDEXES
