"""scenario steps: the step matches packed, one row per scenario (``scenario_steps``, its executed steps as a JSON
array — JSONB on PostgreSQL) instead of one ``scenario_step_matches`` row per (step, matching definition)

A cold sync of the large benchmark corpus (20,000 scenarios, 132,000 executed steps, 2,000 definitions) inserted
132,000 match rows and two index entries each; that, and the Python building them, was most of what step files add
to a cold sync. Packed, it writes 20,000 rows (measured: the sync's own process 0.3-0.8 s less CPU, see the README).
Each step keeps its position, line, Examples row line, keyword, text, status, and the matched definitions (row ids
as 32 hex digits) with their argument values (``tracertm.models.step_link``). The rows move both ways, in order:
a step's candidates keep the order of their rows.

Revision ID: 0017
Revises: 0016
"""

from __future__ import annotations

from collections.abc import Iterator
from typing import Any

import sqlalchemy as sa
from alembic import op

from tracertm.models.types import GUID, JSONType

revision = "0017"
down_revision = "0016"
branch_labels = None
depends_on = None

_OLD = "scenario_step_matches"
_NEW = "scenario_steps"
_BATCH = 2000
_STATUSES = ("defined", "undefined", "ambiguous")


def _old_table() -> list[Any]:
    """The columns and constraints of ``scenario_step_matches`` as of 0016 (not read from the models: they no longer
    have it)."""
    return [
        sa.Column("id", sa.BigInteger().with_variant(sa.Integer(), "sqlite"), nullable=False, autoincrement=True),
        sa.Column("project_id", GUID, nullable=False),
        sa.Column("scenario_id", GUID, nullable=False),
        sa.Column("step_definition_id", GUID, nullable=True),
        sa.Column("position", sa.Integer(), nullable=False),
        sa.Column("line", sa.Integer(), nullable=False),
        sa.Column("row_line", sa.Integer(), nullable=True),
        sa.Column("keyword", sa.Text(), nullable=False),
        sa.Column("step_text", sa.Text(), nullable=False),
        sa.Column("status", sa.Enum(*_STATUSES, name="step_match_status", native_enum=False, create_constraint=False,
                                    length=16), nullable=False),
        sa.Column("arguments", JSONType, server_default=sa.text("'[]'"), nullable=False),
        sa.CheckConstraint(" OR ".join(f"status = '{s}'" for s in _STATUSES),
                           name=op.f("ck_scenario_step_matches_step_match_status")),
        sa.ForeignKeyConstraint(["project_id"], ["projects.id"],
                                name=op.f("fk_scenario_step_matches_project_id_projects"), ondelete="CASCADE"),
        sa.ForeignKeyConstraint(["scenario_id"], ["scenarios.id"],
                                name=op.f("fk_scenario_step_matches_scenario_id_scenarios"), ondelete="CASCADE"),
        sa.ForeignKeyConstraint(["step_definition_id"], ["step_definitions.id"],
                                name=op.f("fk_scenario_step_matches_step_definition_id_step_definitions"),
                                ondelete="CASCADE"),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_scenario_step_matches")),
    ]


def _new_table() -> list[Any]:
    """The columns and constraints of ``scenario_steps`` as of this revision."""
    return [
        sa.Column("id", sa.BigInteger().with_variant(sa.Integer(), "sqlite"), nullable=False, autoincrement=True),
        sa.Column("project_id", GUID, nullable=False),
        sa.Column("scenario_id", GUID, nullable=False),
        sa.Column("steps", JSONType, nullable=False),
        sa.ForeignKeyConstraint(["project_id"], ["projects.id"], name=op.f("fk_scenario_steps_project_id_projects"),
                                ondelete="CASCADE"),
        sa.ForeignKeyConstraint(["scenario_id"], ["scenarios.id"], name=op.f("fk_scenario_steps_scenario_id_scenarios"),
                                ondelete="CASCADE"),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_scenario_steps")),
        sa.UniqueConstraint("scenario_id", name=op.f("uq_scenario_steps_scenario_id")),
    ]


def _data(name: str, table: list[Any]) -> Any:
    """A table to read and write rows of (its columns only: no constraints, no other table needed)."""
    return sa.table(name, *(sa.column(c.name, c.type) for c in table if isinstance(c, sa.Column)))


def upgrade() -> None:
    bind = op.get_bind()
    op.create_table(_NEW, *_new_table())
    new = _data(_NEW, _new_table())
    c = _data(_OLD, _old_table()).c
    query = sa.select(c.project_id, c.scenario_id, c.step_definition_id, c.position, c.line, c.row_line, c.keyword,
                      c.step_text, c.status, c.arguments).order_by(c.scenario_id, c.position, c.id)
    batch: list[dict[str, Any]] = []
    for row in _packed(bind.execute(query)):
        batch.append(row)
        if len(batch) >= _BATCH:
            bind.execute(sa.insert(new), batch)
            batch = []
    if batch:
        bind.execute(sa.insert(new), batch)
    op.drop_table(_OLD)  # its indexes go with it


def _packed(rows: Any) -> Iterator[dict[str, Any]]:
    """One ``scenario_steps`` row per scenario from its match rows (ordered by scenario, position, row id)."""
    scenario: Any = None
    project: Any = None
    steps: list[list[Any]] = []
    for r in rows:
        if r.scenario_id != scenario:
            if steps:
                yield {"project_id": project, "scenario_id": scenario, "steps": steps}
            scenario, project, steps = r.scenario_id, r.project_id, []
        if not steps or steps[-1][0] != r.position:
            steps.append([r.position, r.line, r.row_line, r.keyword, r.step_text, r.status, []])
        if r.step_definition_id is not None:
            steps[-1][6].append([r.step_definition_id.hex, list(r.arguments or ())])
    if steps:
        yield {"project_id": project, "scenario_id": scenario, "steps": steps}


def downgrade() -> None:
    bind = op.get_bind()
    op.create_table(_OLD, *_old_table())
    old = _data(_OLD, _old_table())
    op.create_index(f"ix_{_OLD}_scenario_id", _OLD, ["scenario_id"], unique=False)
    op.create_index(f"ix_{_OLD}_step_definition_id", _OLD, ["step_definition_id"], unique=False)
    new = _data(_NEW, _new_table())
    import uuid

    batch: list[dict[str, Any]] = []
    for r in bind.execute(sa.select(new.c.project_id, new.c.scenario_id, new.c.steps).order_by(new.c.id)):
        for position, line, row_line, keyword, text, status, matches in r.steps:
            row = {"project_id": r.project_id, "scenario_id": r.scenario_id, "position": position, "line": line,
                   "row_line": row_line, "keyword": keyword, "step_text": text, "status": status}
            for definition, arguments in matches or [(None, [])]:
                batch.append({**row, "step_definition_id": None if definition is None else uuid.UUID(hex=definition),
                              "arguments": list(arguments)})
        if len(batch) >= _BATCH:
            bind.execute(sa.insert(old), batch)
            batch = []
    if batch:
        bind.execute(sa.insert(old), batch)
    op.drop_table(_NEW)
