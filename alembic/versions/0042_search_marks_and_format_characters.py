"""search marks and format characters: a combining mark is part of its word on SQLite as on PostgreSQL, and both
indexes ignore format characters (the soft hyphen, the word joiner, U+FEFF, bidi marks)

SQLite's unicode61 tokenizer read every combining mark but its own list of Latin diacritics as a separator: the
Devanagari, Bengali, Tamil and Thai vowel signs, the virama, Arabic harakat and Hebrew points split their words
('लिखा' was 'लिख', so that 'लाख' found 'लिखा' and a snippet marked half a word), and 'kar\\u0338ma6' was 'kar' and
'ma6'; PostgreSQL's parser reads a mark as part of its word. Version 3 of the SQLite index
(``search.documents.TOKENIZERS``) reads marks (M*) as part of a word; version 5 of PostgreSQL's vector folds only the
Latin diacritics SQLite folds (``SQLITE_DIACRITICS``: every mark of a precomposed Latin letter), where it folded every
mark of U+0300-U+036F after a Latin letter ('kar\\u0338ma6' was 'karma6' there only).

Both read a format character (``FORMAT``, Unicode's Word_Break=Format) as a separator: 'soft\\xadhyphen' was two
words on both. Both indexes now drop them (SQLite's triggers read each text without them; PostgreSQL's vector folds
them away), as the query does.

SQLite: an FTS5 table's tokenizer cannot be altered: each kind's table and triggers are dropped, created again and
filled from its rows (as 0029 did). PostgreSQL: as in 0034, the column and its GIN index are dropped and added again
in every indexed table, which rewrites the table and recomputes every row's vector in this migration's transaction,
under an exclusive lock. The downgrade restores SQLite's version 2 and PostgreSQL's version 4.

Revision ID: 0042
Revises: 0041
"""

from __future__ import annotations

from alembic import op

from tracertm.search.documents import DOCUMENTS_0041, DOCUMENTS_0042, Document

revision = "0042"
down_revision = "0041"
branch_labels = None
depends_on = None


def _rebuild(documents: dict[str, Document], sqlite_version: int, pg_version: int) -> None:
    bind = op.get_bind()
    if bind.dialect.name == "postgresql":
        utf8 = bind.exec_driver_sql("SHOW server_encoding").scalar() == "UTF8"
        statements = [s for d in documents.values() for s in d.pg_drop() + d.pg_ddl(pg_version, utf8=utf8)]
    else:
        statements = [
            s for d in documents.values() for s in d.sqlite_drop() + d.sqlite_ddl(sqlite_version) + d.sqlite_rebuild()
        ]
    for statement in statements:
        op.execute(statement)


def upgrade() -> None:
    _rebuild(DOCUMENTS_0042, 3, 5)


def downgrade() -> None:
    _rebuild(DOCUMENTS_0041, 2, 4)
