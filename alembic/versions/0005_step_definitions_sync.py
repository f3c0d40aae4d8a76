"""Step definitions as a synced kind: identity, pattern kind, framework, position; scenario ↔ step links

- ``step_definitions``: ``step_number`` (identity ``file::function``, unique per project, replacing the unique
  (project, step_type, pattern): one pattern defined twice is an ambiguity to report, not a row to refuse),
  ``pattern_kind``, ``framework``, ``language``, ``function_name``, ``line``; ``step_type`` also takes ``step``
  (any keyword).
- ``source_files.kind`` also takes ``step_definition`` (step files go through the same scan; 0002 already lets
  ``spec_revisions.entity_type`` name step definitions).
- ``scenario_step_matches``: per executed scenario step (and Examples row), the definition(s) it matched with the
  argument values, or none (undefined).

Revision ID: 0005
Revises: 0004
"""

from __future__ import annotations

import sqlalchemy as sa
from alembic import op

from tracertm.models.types import GUID, JSONType

revision = "0005"
down_revision = "0004"
branch_labels = None
depends_on = None

_OLD_STEP_TYPES = ("given", "when", "then", "and", "but")
_NEW_STEP_TYPES = (*_OLD_STEP_TYPES, "step")
_OLD_FILE_KINDS = ("adr", "contract", "feature")
_NEW_FILE_KINDS = (*_OLD_FILE_KINDS, "step_definition")



def _in(column: str, values: tuple[str, ...]) -> str:
    return f"{column} IN ({', '.join(repr(v) for v in values)})"


def _check(batch: object, name: str, column: str, values: tuple[str, ...]) -> None:
    batch.drop_constraint(op.f(name), type_="check")  # type: ignore[attr-defined]
    batch.create_check_constraint(op.f(name), _in(column, values))  # type: ignore[attr-defined]


def upgrade() -> None:
    with op.batch_alter_table("step_definitions") as batch:
        batch.add_column(sa.Column("step_number", sa.Text(), nullable=True))
        batch.add_column(sa.Column("pattern_kind", sa.String(length=32), nullable=True))
        batch.add_column(sa.Column("framework", sa.String(length=32), nullable=True))
        batch.add_column(sa.Column("language", sa.String(length=32), nullable=True))
        batch.add_column(sa.Column("function_name", sa.Text(), nullable=True))
        batch.add_column(sa.Column("line", sa.Integer(), nullable=True))
        batch.drop_constraint(op.f("uq_step_definitions_project_id_step_type_pattern"), type_="unique")
        batch.create_unique_constraint(op.f("uq_step_definitions_project_id_step_number"), ["project_id", "step_number"])
        _check(batch, "ck_step_definitions_step_type", "step_type", _NEW_STEP_TYPES)
    with op.batch_alter_table("source_files") as batch:
        _check(batch, "ck_source_files_source_file_kind", "kind", _NEW_FILE_KINDS)
    op.create_table(
        "scenario_step_matches",
        sa.Column("project_id", GUID, nullable=False),
        sa.Column("scenario_id", GUID, nullable=False),
        sa.Column("step_definition_id", GUID, nullable=True),
        sa.Column("position", sa.Integer(), nullable=False),
        sa.Column("line", sa.Integer(), nullable=False),
        sa.Column("row_line", sa.Integer(), nullable=True),
        sa.Column("keyword", sa.Text(), nullable=False),
        sa.Column("step_text", sa.Text(), nullable=False),
        sa.Column(
            "status",
            sa.Enum("defined", "undefined", "ambiguous", name="step_match_status", native_enum=False,
                    create_constraint=True, length=16),
            nullable=False,
        ),
        sa.Column("arguments", JSONType, server_default=sa.text("'[]'"), nullable=False),
        sa.Column("id", GUID, nullable=False),
        sa.ForeignKeyConstraint(["project_id"], ["projects.id"],
                                name=op.f("fk_scenario_step_matches_project_id_projects"), ondelete="CASCADE"),
        sa.ForeignKeyConstraint(["scenario_id"], ["scenarios.id"],
                                name=op.f("fk_scenario_step_matches_scenario_id_scenarios"), ondelete="CASCADE"),
        sa.ForeignKeyConstraint(["step_definition_id"], ["step_definitions.id"],
                                name=op.f("fk_scenario_step_matches_step_definition_id_step_definitions"),
                                ondelete="CASCADE"),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_scenario_step_matches")),
    )
    with op.batch_alter_table("scenario_step_matches") as batch:
        batch.create_index("ix_scenario_step_matches_project_id", ["project_id"], unique=False)
        batch.create_index("ix_scenario_step_matches_scenario_id", ["scenario_id"], unique=False)
        batch.create_index("ix_scenario_step_matches_step_definition_id", ["step_definition_id"], unique=False)


def downgrade() -> None:
    op.drop_table("scenario_step_matches")
    op.execute(sa.text("DELETE FROM source_files WHERE kind = 'step_definition'"))
    op.execute(sa.text("DELETE FROM spec_revisions WHERE entity_type = 'step_definition'"))
    op.execute(sa.text("DELETE FROM step_definitions WHERE step_type = 'step' OR step_number IS NOT NULL"))
    with op.batch_alter_table("source_files") as batch:
        _check(batch, "ck_source_files_source_file_kind", "kind", _OLD_FILE_KINDS)
    with op.batch_alter_table("step_definitions") as batch:
        _check(batch, "ck_step_definitions_step_type", "step_type", _OLD_STEP_TYPES)
        batch.drop_constraint(op.f("uq_step_definitions_project_id_step_number"), type_="unique")
        batch.create_unique_constraint(
            op.f("uq_step_definitions_project_id_step_type_pattern"), ["project_id", "step_type", "pattern"]
        )
        for column in ("line", "function_name", "language", "framework", "pattern_kind", "step_number"):
            batch.drop_column(column)
