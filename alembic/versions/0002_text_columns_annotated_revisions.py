"""Text for user-written text; annotated revisions (actor, changed fields); parse_error as a list

- Titles, names, numbers, paths and other text that users write become ``Text``: no column type cuts or rejects
  them (a 1,200-character title used to fail the whole PostgreSQL sync).
- ``spec_revisions``: change kind ``annotated`` (a database-side edit through the ORM), ``actor``,
  ``changed_fields``; entity types ``test_case`` and ``step_definition`` (versioned too); ``project_id`` nullable
  (a shared-library step definition has no project).
- ``source_files.parse_error`` holds every diagnostic of a file: a list (old single-diagnostic objects are wrapped).

Revision ID: 0002
Revises: 0001
"""

from __future__ import annotations

import json

import sqlalchemy as sa
from alembic import op

from tracertm.models.types import GUID, _json

revision = "0002"
down_revision = "0001"
branch_labels = None
depends_on = None

# table → [(column, old length, nullable)]
_TEXT_COLUMNS: dict[str, list[tuple[str, int, bool]]] = {
    "projects": [("name", 255, False), ("repo_url", 1024, True), ("default_ref", 255, True)],
    "adrs": [
        ("adr_number", 255, False), ("title", 1000, False), ("supersedes", 255, True), ("superseded_by", 255, True),
        ("approved_by", 255, True), ("source_path", 1024, True),
    ],
    "contracts": [
        ("contract_number", 255, False), ("title", 1000, False), ("spec_language", 64, True),
        ("approved_by", 255, True), ("source_path", 1024, True),
    ],
    "features": [
        ("feature_number", 255, False), ("name", 1000, False), ("file_path", 1024, True), ("approved_by", 255, True),
        ("source_path", 1024, True),
    ],
    "scenarios": [
        ("scenario_number", 500, False), ("title", 1000, False), ("approved_by", 255, True), ("source_path", 1024, True),
    ],
    "step_definitions": [
        ("pattern", 1000, False), ("regex_pattern", 1000, True), ("implementation_path", 1024, True),
        ("source_path", 1024, True),
    ],
    "test_cases": [("test_case_number", 255, False), ("title", 1000, False), ("automation_script_path", 1024, True)],
    "source_files": [("path", 1024, False)],
    "sync_runs": [("ref", 255, True)],
    "spec_revisions": [
        ("number", 500, False), ("source_path", 1024, True), ("author_name", 255, True), ("author_email", 255, True),
    ],
}
_OLD_ENTITY_TYPES = ("adr", "contract", "feature", "scenario")
_NEW_ENTITY_TYPES = (*_OLD_ENTITY_TYPES, "test_case", "step_definition")
_OLD_CHANGES = ("created", "updated", "deleted", "restored", "moved")
_NEW_CHANGES = (*_OLD_CHANGES, "annotated")


def _in(column: str, values: tuple[str, ...]) -> str:
    return f"{column} IN ({', '.join(repr(v) for v in values)})"


def _revision_checks(batch: object, entity_types: tuple[str, ...], changes: tuple[str, ...]) -> None:
    batch.drop_constraint(op.f("ck_spec_revisions_revision_entity_type"), type_="check")  # type: ignore[attr-defined]
    batch.drop_constraint(op.f("ck_spec_revisions_revision_change"), type_="check")  # type: ignore[attr-defined]
    batch.create_check_constraint(  # type: ignore[attr-defined]
        op.f("ck_spec_revisions_revision_entity_type"), _in("entity_type", entity_types)
    )
    batch.create_check_constraint(op.f("ck_spec_revisions_revision_change"), _in("change", changes))  # type: ignore[attr-defined]


def _rewrite_parse_errors(wrap: bool) -> None:
    conn = op.get_bind()
    files = sa.table("source_files", sa.column("id", GUID), sa.column("parse_error", _json(none_as_null=True)))
    rows = conn.execute(sa.select(files.c.id, files.c.parse_error).where(files.c.parse_error.is_not(None))).all()
    for row_id, value in rows:
        if isinstance(value, str):
            value = json.loads(value)
        if wrap and isinstance(value, dict):
            new = [value]
        elif not wrap and isinstance(value, list):
            new = value[0] if value else None
        else:
            continue
        conn.execute(sa.update(files).where(files.c.id == row_id).values(parse_error=new))


def upgrade() -> None:
    for table, columns in _TEXT_COLUMNS.items():
        with op.batch_alter_table(table) as batch:
            for name, length, nullable in columns:
                batch.alter_column(name, existing_type=sa.String(length), type_=sa.Text(), existing_nullable=nullable)
            if table == "spec_revisions":
                batch.add_column(sa.Column("actor", sa.Text(), nullable=True))
                batch.add_column(sa.Column("changed_fields", _json(none_as_null=True), nullable=True))
                batch.alter_column("project_id", existing_type=GUID, nullable=True)
                _revision_checks(batch, _NEW_ENTITY_TYPES, _NEW_CHANGES)
    _rewrite_parse_errors(wrap=True)


def downgrade() -> None:
    _rewrite_parse_errors(wrap=False)
    op.execute(sa.text("DELETE FROM spec_revisions WHERE change = 'annotated' OR project_id IS NULL"))
    op.execute(sa.text("DELETE FROM spec_revisions WHERE entity_type IN ('test_case', 'step_definition')"))
    for table, columns in _TEXT_COLUMNS.items():
        with op.batch_alter_table(table) as batch:
            if table == "spec_revisions":
                _revision_checks(batch, _OLD_ENTITY_TYPES, _OLD_CHANGES)
                batch.alter_column("project_id", existing_type=GUID, nullable=False)
                batch.drop_column("changed_fields")
                batch.drop_column("actor")
            for name, length, nullable in columns:
                batch.alter_column(name, existing_type=sa.Text(), type_=sa.String(length), existing_nullable=nullable)
