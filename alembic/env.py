"""Alembic environment shared by `alembic` (source checkout) and `tracertm db ...` (installed package)."""

from __future__ import annotations

from alembic import context

from tracertm import db
from tracertm.models import Base
from tracertm.models.code_point_indexes import is_code_point_index
from tracertm.search.documents import is_search_object, repair_sqlite

config = context.config
target_metadata = Base.metadata


def _url() -> str:
    url = context.get_x_argument(as_dictionary=True).get("url")
    return url or db.resolve_database_url()[0]


def run_migrations_offline() -> None:
    context.configure(url=str(db.parse_url(_url())), target_metadata=target_metadata, literal_binds=True)
    with context.begin_transaction():
        context.run_migrations()


def run_migrations_online() -> None:
    connection = config.attributes.get("connection")
    if connection is not None:  # tracertm db upgrade: the caller owns the connection and its transaction
        _run(connection)
        return
    engine = db.make_engine(_url())
    with engine.connect() as conn, db.foreign_keys_off(conn):
        _run(conn)
        conn.commit()


def _run(connection: object) -> None:
    context.configure(
        connection=connection,
        target_metadata=target_metadata,
        render_as_batch=True,  # SQLite needs table rebuilds for most ALTERs
        compare_type=True,
        # The search index (FTS5 tables, the tsvector column) is not declared by the models; see search/documents.py.
        # Nor are PostgreSQL's indexes of the lists' code point order (models/code_point_indexes.py).
        include_name=lambda name, type_, _parents: not (is_search_object(name, type_)
                                                        or is_code_point_index(name, type_)),
    )
    with context.begin_transaction():
        context.run_migrations()
        repair_sqlite(connection)


if context.is_offline_mode():
    run_migrations_offline()
else:
    run_migrations_online()
