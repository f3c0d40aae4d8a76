"""search rule and examples descriptions: a scenario's search document reads its Rule's description and its Examples
blocks' descriptions

A Rule is no record of its own: each of its scenarios keeps the Rule's description in
``scenario_metadata.rule_description``, and each Examples block its own in ``examples[].description``. Both are the
scenario's prose, but search read only its title, own description and steps: a word written only there found
nothing. The scenario document now reads both (in its body, after the steps).

SQLite: the scenario triggers are made again with the new document, and every scenario is indexed again (the FTS5
table and its tokenizer stay). PostgreSQL: as in 0034, a generated column's expression cannot be altered: the
``scenarios`` column and its GIN index are dropped and added again (vector version 4), which rewrites the table and
recomputes every row's vector in this migration's transaction, under an exclusive lock. The other kinds are not
touched. The downgrade restores the document before this revision.

Both documents are frozen here: the live one (``search.documents.DOCUMENTS``) changes with later migrations.

Revision ID: 0041
Revises: 0040
"""

from __future__ import annotations

from alembic import op

from tracertm.search.documents import Document

revision = "0041"
down_revision = "0040"
branch_labels = None
depends_on = None

_STEPS = (("given_steps", "text"), ("when_steps", "text"), ("then_steps", "text"))
_BEFORE = Document("scenarios", "title", texts=("description",), json_texts=_STEPS)
_AFTER = Document(
    "scenarios",
    "title",
    texts=("description",),
    json_texts=(*_STEPS, ("examples", "description")),
    json_keys=(("scenario_metadata", "rule_description"),),
)


def _index(document: Document) -> None:
    bind = op.get_bind()
    if bind.dialect.name == "postgresql":
        utf8 = bind.exec_driver_sql("SHOW server_encoding").scalar() == "UTF8"
        statements = document.pg_drop() + document.pg_ddl(4, utf8=utf8)
    else:  # the triggers again (dropped first), and every scenario indexed again
        statements = document.sqlite_restore()
    for statement in statements:
        op.execute(statement)


def upgrade() -> None:
    _index(_AFTER)


def downgrade() -> None:
    _index(_BEFORE)
