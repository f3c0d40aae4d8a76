"""search vector letter variants: PostgreSQL's ``search_vector`` folds the Greek final sigma, the symbol forms of
Greek letters and the long s into the letters SQLite's index folds them into, indexes a bounded prefix of a long
text, and keeps the title's words and the body's apart

SQLite's unicode61 tokenizer folds 'ς' into 'σ' (and 'ϐ ϑ ϕ ϖ ϰ ϱ ϵ' into 'β θ φ π κ ρ ε', 'ſ' and 'ẛ' into 's');
PostgreSQL's lower() keeps them. An upper-case Greek heading 'ΠΛΗΡΩΜΗΣ' is 'πληρωμησ' to both, but the same word in a
sentence, 'πληρωμης', was another word on PostgreSQL only: the query 'πληρωμης' found the sentence there and not the
heading, and SQLite found both. Version 4 of ``Document.pg_vector`` translates each such letter first
(``search.documents.LETTER_VARIANTS``); the query side folds its words alike.

A tsvector holds at most 1 MB of words and positions: a record whose text made more (an ADR with a large image
embedded as base64) was refused by the database, and with it the whole sync. Version 4 indexes the first
``PG_TITLE_CHARS`` and ``PG_BODY_CHARS`` characters of the folded title and body, which always fit.

SQLite finds a phrase within the title or within the body (two columns); PostgreSQL's vector numbered the body's
words on from the title's, so that the title's last word and the body's first were a phrase there only. Version 4
puts a word no query holds (``PG_GAP_WORD``) ``PG_TITLE_GAP`` positions after the title, and the body after it.

As in 0028, a generated column's expression cannot be altered: the column and its GIN index are dropped and added
again in every indexed table, which rewrites the table and recomputes every row's vector in this migration's
transaction, under an exclusive lock. A database whose encoding is not UTF8 (which cannot hold these letters) gets
the bound only. SQLite's index is unchanged. The downgrade restores version 3.

Revision ID: 0034
Revises: 0033
"""

from __future__ import annotations

from alembic import op

from tracertm.search.documents import DOCUMENTS_0004

revision = "0034"
down_revision = "0033"
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
    _rebuild(4)


def downgrade() -> None:
    _rebuild(3)
