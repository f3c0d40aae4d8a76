"""check comparisons: the CHECK constraints of ``spec_revisions`` (entity type, change) and ``test_results``
(status, match rule) as comparisons (``x = 'a' OR x = 'b' …``) instead of ``x IN ('a', 'b', …)``

Same truth (NULL passes both forms; any other value passes exactly when it is one of the list). SQLite evaluates a
CHECK's ``IN`` list by building a lookup table for every row written; measured on a results import of 20,000 tests
(18,000 new test cases, whose ``created`` revisions go into ``spec_revisions``), the four constraints cost about a
tenth of the import's CPU, the comparisons nothing measurable. These two tables are the ones written by the tens of
thousands per operation; the other enum constraints stay as they are.

How: ``tracertm.schema_checks`` (PostgreSQL drops and adds each constraint; SQLite rebuilds each table from its own
stored definition with its rows, rowids and indexes).

Revision ID: 0014
Revises: 0013
"""

from __future__ import annotations

from tracertm.schema_checks import change_checks

revision = "0014"
down_revision = "0013"
branch_labels = None
depends_on = None

# (table, constraint, column, values) as of this revision: the values of the models then, written here so that a
# later change of the models does not change what this migration does.
_CHECKS = (
    ("spec_revisions", "ck_spec_revisions_revision_entity_type", "entity_type",
     ("adr", "contract", "feature", "scenario", "step_definition", "test_case")),
    ("spec_revisions", "ck_spec_revisions_revision_change", "change",
     ("created", "updated", "deleted", "restored", "moved", "annotated")),
    ("test_results", "ck_test_results_test_result_match", "match_rule", ("tag", "line", "name")),
    ("test_results", "ck_test_results_test_result_status", "status",
     ("passed", "failed", "skipped", "undefined", "pending", "error")),
)


def upgrade() -> None:
    change_checks(_CHECKS, to_compared=True, label="0014")


def downgrade() -> None:
    change_checks(_CHECKS, to_compared=False, label="0014")
