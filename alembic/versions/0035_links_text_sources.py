"""links text sources: ``links.source_ref`` and ``links.source_path`` are ``TEXT`` instead of ``VARCHAR(1024)``

A link's source is the record's id (``FEATURE/SCENARIO`` for a scenario) and its file, which the record's own
columns hold as ``TEXT`` since 0002 (ids up to ``MAX_ID_BYTES``, any path git holds). PostgreSQL refused a longer
one in ``links`` — a feature file in a folder 1,100 characters deep with an ``@ADR-0001`` tag — and the whole sync
with it, nothing written. SQLite stored it anyway (it does not enforce a VARCHAR's length).

How: PostgreSQL alters both columns' type (VARCHAR to TEXT rewrites no rows, and neither column is indexed). SQLite
rebuilds the table from its stored definition with only these two declarations changed (``tracertm.schema_checks``,
as 0018 does). The downgrade refuses while any value longer than 1,024 characters is stored: it would not fit.

Revision ID: 0035
Revises: 0034
"""

from __future__ import annotations

import re

import sqlalchemy as sa
from alembic import op

from tracertm.schema_checks import _rebuild

revision = "0035"
down_revision = "0034"
branch_labels = None
depends_on = None

# (column, nullable) as of this revision, written here so that a later change of the models does not change it.
_COLUMNS = (("source_ref", False), ("source_path", True))
_OLD = 1024


def upgrade() -> None:
    _change(to_text=True)


def downgrade() -> None:
    bind = op.get_bind()
    for column, _nullable in _COLUMNS:
        (longer,) = bind.execute(sa.text(f"SELECT count(*) FROM links WHERE length({column}) > {_OLD}")).one()
        if longer:
            raise RuntimeError(f"migration 0035: links.{column} holds {longer} values longer than {_OLD} characters; "
                               "they would not fit: nothing changed")
    _change(to_text=False)


def _change(to_text: bool) -> None:
    old, new = (sa.String(length=_OLD), sa.Text()) if to_text else (sa.Text(), sa.String(length=_OLD))
    if op.get_bind().dialect.name == "postgresql":
        for column, nullable in _COLUMNS:
            op.alter_column("links", column, type_=new, existing_type=old, existing_nullable=nullable)
        return
    _rebuild("links", lambda sql: _declared(sql, to_text), "0035")


def _declared(sql: str, to_text: bool) -> str:
    """``sql`` (the stored definition of ``links``) with each of the columns declared ``TEXT`` (or back); each must
    be declared as the other exactly once (anything else is a schema this migration does not know: it stops)."""
    old, new = ("VARCHAR(1024)", "TEXT") if to_text else ("TEXT", "VARCHAR(1024)")
    for column, _nullable in _COLUMNS:
        sql, found = re.subn(rf'([\s,(]"?{column}"? ){re.escape(old)}(?=[\s,)])', rf"\g<1>{new}", sql)
        if found != 1:
            raise RuntimeError(f"migration 0035: links.{column} is not declared {old} in {sql!r}")
    return sql
