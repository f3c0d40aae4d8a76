"""search vector folded: PostgreSQL's ``search_vector`` reads its text with punctuation as spaces, accents removed

PostgreSQL's text search parser kept '49.90', '/refunds', '-120', 'node.js', 'foo@bar.com', URLs, paths and
hyphenated ids as tokens of their own, and kept accents ('café' is not 'cafe'), so that a word query found on SQLite
(whose unicode61 tokenizer splits at every non-alphanumeric character and removes diacritics) what it missed on
PostgreSQL. The generated column now reads its text through ``search.documents.pg_fold`` (version 2 of
``Document.pg_vector``), and the query side folds its words alike.

A generated column's expression cannot be altered: the column and its GIN index are dropped and added again, which
recomputes every existing row's vector (a table rewrite, in this migration's transaction). A database whose
encoding is not UTF8 gets the punctuation folding only (``normalize()`` needs UTF8; the query side checks the
encoding the same way). SQLite's index is unchanged. The downgrade restores version 1.

Revision ID: 0020
Revises: 0019
"""

from __future__ import annotations

from alembic import op

from tracertm.search.documents import DOCUMENTS_0004

revision = "0020"
down_revision = "0019"
branch_labels = None
depends_on = None


def _rebuild(version: int) -> None:
    bind = op.get_bind()
    if bind.dialect.name != "postgresql":
        return
    utf8 = bind.exec_driver_sql("SHOW server_encoding").scalar() == "UTF8"
    for document in DOCUMENTS_0004.values():
        for statement in document.pg_drop() + document.pg_ddl(version, utf8=utf8):
            op.execute(statement)


def upgrade() -> None:
    _rebuild(2)


def downgrade() -> None:
    _rebuild(1)
