"""search private use: SQLite's index reads a private-use character (U+E000..U+F8FF, an icon font's glyph) as a
separator, as PostgreSQL's parser and the query's words do

SQLite's unicode61 tokenizer read each private-use character as part of the word it touches: a Markdown heading
"\\uf09bGitHub" was the one token '\\uf09bgithub', which the query 'github' (the query drops the glyph, as
PostgreSQL's index does) found on PostgreSQL only; "ledger\\ue000entry" was neither 'ledger' nor 'entry' there. Version
2 of the SQLite index (``search.documents.TOKENIZERS``) lists them as separators. An FTS5 table's tokenizer cannot be
altered: each kind's table and triggers are dropped, created again and filled from its rows (as 0004 filled them), in
this migration's transaction. PostgreSQL is unchanged. The downgrade restores version 1.

Revision ID: 0029
Revises: 0028
"""

from __future__ import annotations

from alembic import op

from tracertm.search.documents import DOCUMENTS_0004

revision = "0029"
down_revision = "0028"
branch_labels = None
depends_on = None


def _rebuild(version: int) -> None:
    if op.get_bind().dialect.name != "sqlite":
        return
    for document in DOCUMENTS_0004.values():
        for statement in document.sqlite_drop() + document.sqlite_ddl(version) + document.sqlite_rebuild():
            op.execute(statement)


def upgrade() -> None:
    _rebuild(2)


def downgrade() -> None:
    _rebuild(1)
