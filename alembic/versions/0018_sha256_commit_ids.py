"""sha256 commit ids: the git id columns (commits, and ``source_files.blob_sha``) hold 64 characters instead of 40

A SHA-256 repository (``git init --object-format=sha256``) names commits and blobs by 64 hex digits. SQLite stored
them anyway (it does not enforce a VARCHAR's length); PostgreSQL refused the first sync (``projects.root_commit``)
and every results import of such a commit (``test_runs.commit_sha``). Widened together: sync writes the commit to
every one of these columns, the results import to ``test_runs`` and reads it back from ``spec_revisions``.

How: PostgreSQL alters each column's type (widening a VARCHAR rewrites no rows). SQLite rebuilds each table from its
own stored definition with only the declared length changed (``tracertm.schema_checks``, as 0014-0016 do: rows,
rowids, indexes, CHECK constraints and search triggers kept as they are; batch mode would rebuild the table from
reflection). The downgrade refuses while any id longer than 40 characters is stored: it would not fit.

Revision ID: 0018
Revises: 0017
"""

from __future__ import annotations

import re

import sqlalchemy as sa
from alembic import op

from tracertm.schema_checks import _rebuild

revision = "0018"
down_revision = "0017"
branch_labels = None
depends_on = None

# (table, columns) as of this revision, written here so that a later change of the models does not change it.
_COLUMNS = (
    ("projects", ("root_commit", "last_synced_commit")),
    ("adrs", ("source_commit",)),
    ("contracts", ("source_commit",)),
    ("features", ("source_commit",)),
    ("scenarios", ("source_commit",)),
    ("step_definitions", ("source_commit",)),
    ("source_files", ("blob_sha", "last_commit")),
    ("sync_runs", ("commit_sha",)),
    ("spec_revisions", ("commit_sha",)),
    ("test_runs", ("commit_sha",)),
)
_NOT_NULL = {("source_files", "blob_sha")}


def upgrade() -> None:
    _change(40, 64)


def downgrade() -> None:
    bind = op.get_bind()
    for table, columns in _COLUMNS:
        for column in columns:
            (longer,) = bind.execute(sa.text(f"SELECT count(*) FROM {table} WHERE length({column}) > 40")).one()
            if longer:
                raise RuntimeError(f"migration 0018: {table}.{column} holds {longer} ids longer than 40 characters "
                                   "(a SHA-256 repository's); they would not fit: nothing changed")
    _change(64, 40)


def _change(old: int, new: int) -> None:
    if op.get_bind().dialect.name == "postgresql":
        for table, columns in _COLUMNS:
            for column in columns:
                op.alter_column(table, column, type_=sa.String(length=new), existing_type=sa.String(length=old),
                                existing_nullable=(table, column) not in _NOT_NULL)
        return
    for table, columns in _COLUMNS:
        _rebuild(table, lambda sql, table=table, columns=columns: _declared(sql, table, columns, old, new), "0018")


def _declared(sql: str, table: str, columns: tuple[str, ...], old: int, new: int) -> str:
    """``sql`` (a table's stored definition) with each of ``columns`` declared ``VARCHAR(new)``; each must be declared
    ``VARCHAR(old)`` exactly once (anything else is a schema this migration does not know: it stops)."""
    for column in columns:
        sql, found = re.subn(rf'([\s,(]"?{column}"? VARCHAR)\({old}\)', rf"\g<1>({new})", sql)
        if found != 1:
            raise RuntimeError(f"migration 0018: {table}.{column} is not declared VARCHAR({old}) in {sql!r}")
    return sql
