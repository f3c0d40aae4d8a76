"""the version-1 ``created`` revision of every test case that has none

Releases before the ``created`` revisions of test cases (the results import and the ORM's listener write one since)
inserted test cases at version 1 with no revision: their history started at version 2, the first edit, and the
audit trail — one revision per version — had a hole at its start for every test case those releases imported. Each
gets the revision now, dated when the test case was made, with what is known of version 1: the fields no later
revision changed, at their current values (a field an edit changed held something else at version 1, which no row
keeps). Nothing else is touched; a database without such test cases is unchanged.

Revision ID: 0026
Revises: 0025
"""

from __future__ import annotations

import uuid
from typing import Any

import sqlalchemy as sa
from alembic import op

from tracertm.models.types import GUID, JSONType, UTCDateTime

revision = "0026"
down_revision = "0025"
branch_labels = None
depends_on = None

# The snapshot of a test case's ``created`` revision (``results.import_rows.revision_rows`` as of this revision).
_SNAPSHOT = ("test_case_number", "title", "status", "automation_script_path", "test_case_metadata")
_BATCH = 1000


def upgrade() -> None:
    bind = op.get_bind()
    cases = sa.table("test_cases", *(sa.column(name) for name in _SNAPSHOT[:-1]),
                     sa.column("test_case_metadata", JSONType), sa.column("id", GUID), sa.column("project_id", GUID),
                     sa.column("created_at", UTCDateTime()))
    revisions = sa.table("spec_revisions", sa.column("id", GUID), sa.column("project_id", GUID),
                         sa.column("entity_type"), sa.column("entity_id", GUID), sa.column("number"),
                         sa.column("version", sa.Integer), sa.column("change"), sa.column("snapshot", JSONType),
                         sa.column("changed_fields", JSONType), sa.column("created_at", UTCDateTime()))
    own = sa.and_(revisions.c.entity_type == "test_case", revisions.c.entity_id == cases.c.id)
    missing = sa.select(cases).where(~sa.exists().where(own, revisions.c.version == 1))
    changed: dict[Any, set[str]] = {}  # test case → the fields its later revisions changed
    for entity_id, fields in bind.execute(
        sa.select(revisions.c.entity_id, revisions.c.changed_fields)
        .where(revisions.c.entity_type == "test_case", revisions.c.version > 1)
    ):
        changed.setdefault(entity_id, set()).update(fields or ())
    batch: list[dict[str, Any]] = []
    for row in bind.execute(missing).mappings():
        later = changed.get(row["id"], set())
        batch.append({
            "id": uuid.uuid4(), "project_id": row["project_id"], "entity_type": "test_case", "entity_id": row["id"],
            "number": row["test_case_number"], "version": 1, "change": "created", "changed_fields": None,
            "snapshot": {k: row[k] for k in _SNAPSHOT if row[k] is not None and k not in later},
            "created_at": row["created_at"],
        })
        if len(batch) >= _BATCH:
            bind.execute(sa.insert(revisions), batch)
            batch = []
    if batch:
        bind.execute(sa.insert(revisions), batch)


def downgrade() -> None:
    """The revisions stay: they are history, and version 1 of each test case was there before them."""
