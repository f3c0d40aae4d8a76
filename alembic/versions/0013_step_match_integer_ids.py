"""step match integer ids: ``scenario_step_matches.id`` becomes an integer (autoincrement) instead of a UUID, and
the index on its ``project_id`` goes

A cold sync writes one ``scenario_step_matches`` row per executed step (130,000 on the large benchmark corpus).
Measured on SQLite for those rows: a random UUID per row (its generation and a random insert into the primary-key
index) cost about 40 % of the insert's CPU time, and the ``project_id`` index another third of what remained — while
every query by project reads all of the project's rows anyway. Nothing refers to a match row by its id, so the
rows keep everything else and get integer ids (in their stored order). PostgreSQL changes the column in place;
SQLite rebuilds the table.

Revision ID: 0013
Revises: 0010
"""

from __future__ import annotations

import sqlalchemy as sa
from alembic import op

from tracertm.models.types import GUID, JSONType

revision = "0013"
down_revision = "0010"
branch_labels = None
depends_on = None

_TABLE = "scenario_step_matches"
_OLD = "_scenario_step_matches_old"
_INDEXED = ("scenario_id", "step_definition_id")
_DATA = "project_id, scenario_id, step_definition_id, position, line, row_line, keyword, step_text, status, arguments"


def upgrade() -> None:
    op.drop_index(f"ix_{_TABLE}_project_id", table_name=_TABLE)
    if op.get_bind().dialect.name == "postgresql":
        op.execute(sa.text(f"ALTER TABLE {_TABLE} DROP CONSTRAINT pk_{_TABLE}"))
        op.execute(sa.text(f"ALTER TABLE {_TABLE} DROP COLUMN id"))
        op.execute(sa.text(f"ALTER TABLE {_TABLE} ADD COLUMN id BIGSERIAL NOT NULL"))  # numbers the rows there
        op.execute(sa.text(f"ALTER TABLE {_TABLE} ADD CONSTRAINT pk_{_TABLE} PRIMARY KEY (id)"))
        return
    _rebuild(sa.Column("id", sa.Integer(), nullable=False, autoincrement=True), "")


def downgrade() -> None:
    if op.get_bind().dialect.name == "postgresql":
        op.execute(sa.text(f"ALTER TABLE {_TABLE} DROP CONSTRAINT pk_{_TABLE}"))
        op.execute(sa.text(f"ALTER TABLE {_TABLE} DROP COLUMN id"))
        op.execute(sa.text(f"ALTER TABLE {_TABLE} ADD COLUMN id UUID NOT NULL DEFAULT gen_random_uuid()"))
        op.execute(sa.text(f"ALTER TABLE {_TABLE} ALTER COLUMN id DROP DEFAULT"))
        op.execute(sa.text(f"ALTER TABLE {_TABLE} ADD CONSTRAINT pk_{_TABLE} PRIMARY KEY (id)"))
    else:
        _rebuild(sa.Column("id", GUID, nullable=False), "lower(hex(randomblob(16)))")
    op.create_index(f"ix_{_TABLE}_project_id", _TABLE, ["project_id"], unique=False)


def _rebuild(id_column: sa.Column, new_id: str) -> None:
    """SQLite: the table again with ``id_column``, the rows copied in their order (``new_id``: the SQL of a new id
    per row; empty for an integer primary key, which numbers them itself)."""
    for column in _INDEXED:
        op.drop_index(f"ix_{_TABLE}_{column}", table_name=_TABLE)
    op.rename_table(_TABLE, _OLD)
    op.create_table(
        _TABLE,
        id_column,
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
        sa.ForeignKeyConstraint(["project_id"], ["projects.id"],
                                name=op.f("fk_scenario_step_matches_project_id_projects"), ondelete="CASCADE"),
        sa.ForeignKeyConstraint(["scenario_id"], ["scenarios.id"],
                                name=op.f("fk_scenario_step_matches_scenario_id_scenarios"), ondelete="CASCADE"),
        sa.ForeignKeyConstraint(["step_definition_id"], ["step_definitions.id"],
                                name=op.f("fk_scenario_step_matches_step_definition_id_step_definitions"),
                                ondelete="CASCADE"),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_scenario_step_matches")),
    )
    columns = f"id, {_DATA}" if new_id else _DATA
    values = f"{new_id}, {_DATA}" if new_id else _DATA
    op.execute(sa.text(f"INSERT INTO {_TABLE} ({columns}) SELECT {values} FROM {_OLD} ORDER BY rowid"))
    op.drop_table(_OLD)
    for column in _INDEXED:
        op.create_index(f"ix_{_TABLE}_{column}", _TABLE, [column], unique=False)
