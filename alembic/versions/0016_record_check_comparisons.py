"""record check comparisons: the enum CHECK constraints of the record tables (``adrs``, ``contracts``,
``features``, ``scenarios``, ``step_definitions``) and of ``source_files.kind`` as comparisons
(``x = 'a' OR x = 'b' …``) instead of ``x IN ('a', 'b', …)``, as 0014 and 0015 did for revisions, test results and
step matches

A sync writes these row by row through the driver's ``executemany`` (a first sync of the large benchmark corpus:
20,000 scenarios, 6,000 ADRs, contracts and features, 6,000 file index rows). SQLite builds a CHECK's ``IN`` list's
lookup table again for every row: replaying that sync's inserts into the two schemas (9 interleaved pairs), the
record tables' inserts took 0.37 s of CPU with comparisons against 0.52 s with the lists (paired differences
0.12-0.30 s). Same truth; see ``tracertm.schema_checks`` (which rebuilds a SQLite table with its rows, rowids,
indexes and search triggers).

Revision ID: 0016
Revises: 0015
"""

from __future__ import annotations

from tracertm.schema_checks import change_checks

revision = "0016"
down_revision = "0015"
branch_labels = None
depends_on = None

_STATUSES = ("draft", "review", "approved", "deprecated", "archived")

# As of this revision (not read from the models: a later change of them must not change this migration).
_CHECKS = (
    ("adrs", "ck_adrs_adr_status", "status", ("proposed", "accepted", "deprecated", "superseded", "rejected")),
    ("contracts", "ck_contracts_contract_type", "contract_type",
     ("interface", "component", "service", "system", "integration", "database")),
    ("contracts", "ck_contracts_contract_status", "status", _STATUSES),
    ("features", "ck_features_feature_status", "status", _STATUSES),
    ("scenarios", "ck_scenarios_scenario_status", "status", _STATUSES),
    ("step_definitions", "ck_step_definitions_step_type", "step_type",
     ("given", "when", "then", "and", "but", "step")),
    ("source_files", "ck_source_files_source_file_kind", "kind", ("adr", "contract", "feature", "step_definition")),
)


def upgrade() -> None:
    change_checks(_CHECKS, to_compared=True, label="0016")


def downgrade() -> None:
    change_checks(_CHECKS, to_compared=False, label="0016")
