"""What full-text search indexes, per kind, and the DDL that keeps the index in the same transaction as the rows.

SQLite: one FTS5 table per kind (``adrs_fts`` ...; columns ``title`` and ``body``, rowid = the row's rowid), filled
by triggers, so every writer (sync's Core batches, the ORM, a person with ``sqlite3``) keeps it current.
PostgreSQL: a generated ``search_vector tsvector`` column per table (title weighted A, body B) with a GIN index, over
the text folded by :func:`pg_fold` (punctuation a space, accents removed) so that it holds the words SQLite's does.

Neither is mapped by the ORM models (the column exists only on PostgreSQL, the FTS tables only on SQLite), so the
model/migration comparison skips them through :func:`is_search_object`. The migration that creates them imports the
frozen definitions below; a change to what is indexed needs a new migration.
"""

from __future__ import annotations

import re
import unicodedata
from dataclasses import dataclass
from typing import Any

TOKENIZER = "porter unicode61 remove_diacritics 2"
PG_CONFIG = "english"
VECTOR_COLUMN = "search_vector"
FTS_SUFFIX = "_fts"

# PostgreSQL's text is folded before its parser sees it (vector version 2, migration 0020), so that it splits and
# folds words as SQLite's unicode61 tokenizer does. Both patterns are valid alike in PostgreSQL's regular expressions
# and Python's ``re`` (the query side folds its words in Python with the same patterns: see ``fold``).
#
# Separators: ASCII punctuation and symbols, and the common non-ASCII punctuation (Latin-1, General Punctuation,
# CJK and fullwidth), none a letter or digit. PostgreSQL's parser otherwise keeps '49.90', '/refunds', '-120',
# 'node.js', 'foo@bar.com', URLs, paths and hyphenated words as tokens of their own that no word query finds, where
# SQLite splits every one of them into words. Code points, not a class such as [:punct:], which depends on the
# database's locale (in the C locale no non-ASCII character is alphanumeric).
PG_SEPARATORS = (
    r"[\x01-\x2f\x3a-\x40\x5b-\x60\x7b-\x7f\u0080-\u00a9\u00ab-\u00b1\u00b4\u00b6-\u00b8\u00bb\u00bf\u00d7\u00f7"
    r"\u2000-\u206f\u3000-\u3004\u3008-\u3020\u3030\uff01-\uff0f\uff1a-\uff20\uff3b-\uff40\uff5b-\uff65]+"
)
# Diacritics: an ASCII letter followed by combining marks once decomposed (NFD) loses the marks ('é' -> 'e'), as
# SQLite's remove_diacritics folds Latin letters; Greek and Cyrillic letters keep theirs ('й' stays 'й'), as on
# SQLite. Needs a UTF8 database (normalize()); unaccent would need a superuser's CREATE EXTENSION and is not
# immutable, which a generated column's expression must be.
PG_MARKS = r"([A-Za-z])[\u0300-\u036f]+"


def pg_fold(expression: str, *, utf8: bool = True) -> str:
    """SQL: ``expression``'s text as the version 2 search vector reads it (accents folded, punctuation a space).
    Every function is IMMUTABLE. Without ``utf8`` (a database in another encoding) accents are not folded."""
    if utf8:
        expression = f"normalize(regexp_replace(normalize({expression}, NFD), '{PG_MARKS}', '\\1', 'g'), NFC)"
    return f"regexp_replace({expression}, '{PG_SEPARATORS}', ' ', 'g')"


def fold(word: str) -> str:
    """A query word folded as :func:`pg_fold` folds the indexed text (PostgreSQL; SQLite's FTS5 folds its own)."""
    if word.isascii():
        return word
    return unicodedata.normalize("NFC", re.sub(PG_MARKS, r"\1", unicodedata.normalize("NFD", word)))


@dataclass(frozen=True)
class Document:
    """The searchable text of one table: a title and a body made of text columns and texts inside JSON lists."""

    table: str
    title: str
    texts: tuple[str, ...] = ()  # text columns
    json_texts: tuple[tuple[str, str], ...] = ()  # (JSON list column, key of the text in each item)
    json_keys: tuple[tuple[str, str], ...] = ()  # (JSON object column, key)

    @property
    def fts_table(self) -> str:
        return self.table + FTS_SUFFIX

    @property
    def columns(self) -> tuple[str, ...]:
        """Every column the document reads (an update of any of them re-indexes the row)."""
        return (self.title, *self.texts, *(c for c, _ in self.json_texts), *(c for c, _ in self.json_keys))

    # ------------------------------------------------------------------------------------------------ SQLite

    def sqlite_body(self, row: str) -> str:
        parts = [f"coalesce({row}.{c}, '')" for c in self.texts]
        parts += [
            f"coalesce((SELECT group_concat(json_extract(j.value, '$.{key}'), ' ') FROM json_each({row}.{c}) AS j), '')"
            for c, key in self.json_texts
        ]
        parts += [f"coalesce(json_extract({row}.{c}, '$.{key}'), '')" for c, key in self.json_keys]
        return " || ' ' || ".join(parts) if parts else "''"

    def sqlite_insert(self, row: str) -> str:
        return (
            f"INSERT INTO {self.fts_table}(rowid, title, body) "
            f"VALUES ({row}.rowid, {row}.{self.title}, {self.sqlite_body(row)});"
        )

    def sqlite_ddl(self) -> list[str]:
        t, f = self.table, self.fts_table
        return [
            f"CREATE VIRTUAL TABLE {f} USING fts5(title, body, tokenize = '{TOKENIZER}')",
            f"CREATE TRIGGER {f}_ai AFTER INSERT ON {t} BEGIN {self.sqlite_insert('new')} END",
            f"CREATE TRIGGER {f}_ad AFTER DELETE ON {t} BEGIN DELETE FROM {f} WHERE rowid = old.rowid; END",
            f"CREATE TRIGGER {f}_au AFTER UPDATE OF {', '.join(self.columns)} ON {t} BEGIN "
            f"DELETE FROM {f} WHERE rowid = old.rowid; {self.sqlite_insert('new')} END",
        ]

    def sqlite_triggers(self) -> list[str]:
        """The triggers alone (a batch table rebuild on SQLite drops them with the old table)."""
        return self.sqlite_ddl()[1:]

    def sqlite_restore(self) -> list[str]:
        """What runs after a migration rebuilt this table on SQLite (see :func:`repair_sqlite`): triggers again, and a
        re-index (the rebuild renumbered the rowids the index is keyed on)."""
        f = self.fts_table
        return [f"DROP TRIGGER IF EXISTS {f}_{s}" for s in ("ai", "ad", "au")] + self.sqlite_triggers() + (
            self.sqlite_rebuild()
        )

    def sqlite_rebuild(self) -> list[str]:
        """Re-index every row (after a migration that rebuilt the table and so renumbered its rowids)."""
        body = self.sqlite_body(self.table)
        return [
            f"DELETE FROM {self.fts_table}",
            f"INSERT INTO {self.fts_table}(rowid, title, body) SELECT rowid, {self.title}, {body} FROM {self.table}",
        ]

    def sqlite_drop(self) -> list[str]:
        f = self.fts_table
        return [f"DROP TRIGGER IF EXISTS {f}_{s}" for s in ("ai", "ad", "au")] + [f"DROP TABLE IF EXISTS {f}"]

    # -------------------------------------------------------------------------------------------- PostgreSQL

    def pg_vector(self, version: int = 1, *, utf8: bool = True) -> str:
        """The generated column's expression. Version 1 (migration 0004, frozen) parses the raw text; version 2
        (migration 0020) parses it folded by :func:`pg_fold`, split and accent-free as SQLite indexes it."""
        parts = [f"coalesce({c}, '')" for c in self.texts]
        parts += [f"coalesce(jsonb_path_query_array({c}, '$[*].{key}')::text, '')" for c, key in self.json_texts]
        parts += [f"coalesce({c} ->> '{key}', '')" for c, key in self.json_keys]
        body = " || ' ' || ".join(parts) if parts else "''"
        title = f"coalesce({self.title}, '')"
        if version >= 2:
            title, body = pg_fold(title, utf8=utf8), pg_fold(body, utf8=utf8)
        return (
            f"setweight(to_tsvector('{PG_CONFIG}'::regconfig, {title}), 'A') || "
            f"setweight(to_tsvector('{PG_CONFIG}'::regconfig, {body}), 'B')"
        )

    def pg_text(self, row: str) -> str:
        """The row's searchable text as SQLite's index holds it (title, then the body of :meth:`sqlite_body`): text
        columns, and the texts inside JSON lists joined by spaces, not the lists' JSON. What a PostgreSQL snippet is
        cut from, so that it shows the same words as SQLite's (the generated vector is frozen by its migration and
        reads the lists' JSON text, which to_tsvector tokenises alike)."""
        parts = [f"{row}.{self.title}", *(f"{row}.{c}" for c in self.texts)]
        parts += [
            f"(SELECT string_agg(j.value #>> '{{}}', ' ' ORDER BY j.n) "
            f"FROM jsonb_path_query({row}.{c}, '$[*].{key}') WITH ORDINALITY AS j(value, n))"
            for c, key in self.json_texts
        ]
        parts += [f"{row}.{c} ->> '{key}'" for c, key in self.json_keys]
        # concat_ws skips NULLs; empty texts are made NULL so that they leave no double space
        return "concat_ws(' ', " + ", ".join(f"nullif({p}, '')" for p in parts) + ")"

    def pg_ddl(self, version: int = 1, *, utf8: bool = True) -> list[str]:
        """Add the generated column (PostgreSQL computes it for every existing row) and its GIN index."""
        return [
            f"ALTER TABLE {self.table} ADD COLUMN {VECTOR_COLUMN} tsvector "
            f"GENERATED ALWAYS AS ({self.pg_vector(version, utf8=utf8)}) STORED",
            f"CREATE INDEX ix_{self.table}_{VECTOR_COLUMN} ON {self.table} USING gin ({VECTOR_COLUMN})",
        ]

    def pg_drop(self) -> list[str]:
        return [
            f"DROP INDEX IF EXISTS ix_{self.table}_{VECTOR_COLUMN}",
            f"ALTER TABLE {self.table} DROP COLUMN IF EXISTS {VECTOR_COLUMN}",
        ]


# Kind → document. Frozen: migrations 0004 (vector version 1) and 0020 (version 2) build the index from exactly
# this.
DOCUMENTS: dict[str, Document] = {
    "adr": Document("adrs", "title", texts=("context", "decision", "consequences")),
    "contract": Document(
        "contracts",
        "title",
        json_texts=(("preconditions", "description"), ("postconditions", "description")),
        json_keys=(("contract_metadata", "description"),),
    ),
    "feature": Document("features", "name", texts=("description", "as_a", "i_want", "so_that")),
    "scenario": Document(
        "scenarios",
        "title",
        texts=("description",),
        json_texts=(("given_steps", "text"), ("when_steps", "text"), ("then_steps", "text")),
    ),
}

_FTS_SHADOWS = ("", "_data", "_idx", "_content", "_docsize", "_config")
SEARCH_TABLES = frozenset(d.fts_table + s for d in DOCUMENTS.values() for s in _FTS_SHADOWS)


def is_search_object(name: str | None, type_: str) -> bool:
    """True for the search index's own schema objects, which the ORM models do not declare (see module doc)."""
    if name is None:
        return False
    if type_ == "table":
        return name in SEARCH_TABLES
    if type_ == "column":
        return name == VECTOR_COLUMN
    if type_ == "index":
        return name.endswith("_" + VECTOR_COLUMN)
    return False


def repair_sqlite(conn: Any) -> None:
    """Put back the search triggers of every indexed SQLite table that lost them, and re-index that table.

    Alembic's batch mode rebuilds a SQLite table (copy, drop, rename) for most ALTERs — adding a column with a SQL
    default is enough — which drops the table's triggers and renumbers its rowids. Run after every migration (the
    Alembic environment does), so no migration has to remember it; a no-op when the triggers are all there or the
    search index does not exist at that revision.
    """
    from sqlalchemy import text

    if conn.dialect.name != "sqlite":
        return
    for document in DOCUMENTS.values():
        fts, table = document.fts_table, document.table
        if conn.execute(text("SELECT 1 FROM sqlite_master WHERE type = 'table' AND name = :n"), {"n": fts}).first() is None:
            continue
        triggers = {
            row[0]
            for row in conn.execute(
                text("SELECT name FROM sqlite_master WHERE type = 'trigger' AND tbl_name = :t"), {"t": table}
            )
        }
        if {f"{fts}_{suffix}" for suffix in ("ai", "ad", "au")} <= triggers:
            continue
        for statement in document.sqlite_restore():
            conn.execute(text(statement))

