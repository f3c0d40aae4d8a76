"""links numbers never reused: SQLite's ``links.id`` is ``AUTOINCREMENT``

A link's number is what people type (``tracertm review 67``, ``PATCH /links/67``) and what ``status`` prints. On
SQLite the column was a plain ``INTEGER PRIMARY KEY``, whose new rows take the highest number in use plus one: once
the links with the highest numbers were deleted (a scenario removed), the next links took their numbers, and a number
noted earlier — or a retried ``PATCH /links/N`` whose ``If-Match`` names only a version — named another link.
``AUTOINCREMENT`` never hands out a number again (``sqlite_sequence`` keeps the highest ever used), as PostgreSQL's
sequence never did. Numbers freed before this revision above the highest one in use cannot be known: the first
links after it may take those.

How: SQLite rebuilds the table from its stored definition (``tracertm.schema_checks._rebuild``, as 0035 does) with
the primary key declared on the column, under its name; the copy keeps every number. PostgreSQL: nothing to do.

Revision ID: 0040
Revises: 0039
"""

from __future__ import annotations

import re

from alembic import op

from tracertm.schema_checks import _rebuild

revision = "0040"
down_revision = "0039"
branch_labels = None
depends_on = None

_TABLE_KEY = "CONSTRAINT pk_links PRIMARY KEY (id), "
_COLUMN = "id INTEGER NOT NULL, "
_COLUMN_KEY = "id INTEGER NOT NULL CONSTRAINT pk_links PRIMARY KEY AUTOINCREMENT, "


def upgrade() -> None:
    if op.get_bind().dialect.name == "sqlite":
        _rebuild("links", lambda sql: _replaced(sql, ((_TABLE_KEY, ""), (_COLUMN, _COLUMN_KEY))), "0040")


def downgrade() -> None:
    if op.get_bind().dialect.name == "sqlite":
        _rebuild("links", lambda sql: _replaced(sql, ((_COLUMN_KEY, _COLUMN),), _TABLE_KEY), "0040")


def _replaced(sql: str, changes: tuple[tuple[str, str], ...], key: str = "") -> str:
    """``sql`` (the stored definition of ``links``) with each ``(old, new)`` of ``changes`` made once, and the
    table's primary key ``key`` put back before its unique constraint; each must be there exactly once (anything
    else is a schema this migration does not know: it stops)."""
    for old, new in changes:
        sql, found = re.subn(rf"(?<=[\s(]){re.escape(old.rstrip())}(?=\s)", new.rstrip(), sql)
        if found != 1:
            raise RuntimeError(f"migration 0040: links: {old.strip()!r} not found once in {sql!r}")
    if key:
        sql, found = re.subn(r"(?=CONSTRAINT uq_links_source_id_link_type_target_kind_target_ref )", key, sql)
        if found != 1:
            raise RuntimeError(f"migration 0040: links: no unique constraint to put the key before in {sql!r}")
    return sql
