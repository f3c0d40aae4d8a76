"""search vector unescaped: PostgreSQL's ``search_vector`` reads the texts inside JSON lists without their JSON
escapes, and keeps a word holding a number character such as '²' whole

A contract's pre- and postcondition descriptions and a scenario's steps are JSON lists; the vector read each list's
JSON text, in which a newline, tab or carriage return is the escape '\\n', '\\t', '\\r' (another control character
'\\u00XX'). Folded, the backslash became a space and the escape's letter stayed, joined to the next word: a
description's second line "settlement already happened" was indexed as 'nsettlement', which 'settlement' does not
find on PostgreSQL (SQLite indexes the texts themselves). Every escape is now a space (version 3 of
``Document.pg_vector``). The same version indexes each number character that is no digit (superscripts, subscripts,
fractions, circled numbers: ``search.documents.NUMBERS``) as a stand-in letter, so that 'm²' is one word, as SQLite's
tokenizer has it, not the word 'm'; the query side folds its words alike.

As in 0020, a generated column's expression cannot be altered: the column and its GIN index are dropped and added
again in every indexed table, which rewrites the table and recomputes every row's vector in this migration's
transaction, under an exclusive lock. A database whose encoding is not UTF8 gets the unescaping only (its encoding
may not hold the stand-in letters; the query side checks the encoding the same way). SQLite's index is unchanged.
The downgrade restores version 2.

Revision ID: 0028
Revises: 0027
"""

from __future__ import annotations

from alembic import op

from tracertm.search.documents import DOCUMENTS_0004

revision = "0028"
down_revision = "0027"
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
    _rebuild(3)


def downgrade() -> None:
    _rebuild(2)
