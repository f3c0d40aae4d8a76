"""CHECK constraints of enum columns as comparisons (``x = 'a' OR x = 'b' …``) instead of ``x IN ('a', 'b', …)``,
for the migrations that change them (0014, 0015, 0016); 0018 and 0035 change a column's declared type through the
same SQLite rebuild (``_rebuild``).

Same truth (NULL passes both forms; any other value passes exactly when it is one of the list). SQLite evaluates a
CHECK's ``IN`` list by building a lookup table for every row written; for the tables written by the tens of
thousands per operation that is a measurable share of the insert (132,000 step match rows: ~0.49 s of CPU with the
list, ~0.23 s with comparisons, the same as no constraint). PostgreSQL drops and adds each constraint. SQLite cannot
alter a constraint: each table is rebuilt from its own stored definition with only the constraint text changed,
its rows copied with their rowids, its indexes made again; the row count is checked before the old table is
dropped. A migration passes the constraints as they are at its revision, so that a later change of the models does
not change what it does.

The rebuild makes the new table under a scratch name, copies, drops the old one and renames the new one into
place (SQLite's own recipe for altering a table): renaming the *old* table away instead would make SQLite (3.26+)
rewrite the ``REFERENCES`` clauses of the tables that refer to it (``scenarios`` <- its step matches and test
results) to the scratch name. A table with a full-text index (``search.documents``) keeps its rowids, so its index
stays valid; its three triggers are dropped before and made again after (any other trigger, or a view, stops it).
"""

from __future__ import annotations

import re
from collections.abc import Callable
from functools import partial

import sqlalchemy as sa

# (table, constraint, column, values)
Checks = tuple[tuple[str, str, str, tuple[str, ...]], ...]


def _compared(column: str, values: tuple[str, ...]) -> str:
    return " OR ".join(f"{column} = '{value}'" for value in values)


def _listed(column: str, values: tuple[str, ...]) -> str:
    return f"{column} IN ({', '.join(repr(value) for value in values)})"


def change_checks(checks: Checks, to_compared: bool, label: str) -> None:
    """Each of ``checks`` (table, constraint, column, values) as comparisons (``to_compared``) or as an ``IN`` list,
    in the migration named ``label``: PostgreSQL drops and adds each constraint, SQLite rebuilds each table."""
    from alembic import op

    new = _compared if to_compared else _listed
    if op.get_bind().dialect.name == "postgresql":
        for table, name, column, values in checks:
            op.execute(sa.text(f"ALTER TABLE {table} DROP CONSTRAINT {name}"))
            op.execute(sa.text(f"ALTER TABLE {table} ADD CONSTRAINT {name} CHECK ({new(column, values)})"))
        return
    for table in dict.fromkeys(table for table, *_rest in checks):
        mine = [(name, column, values) for t, name, column, values in checks if t == table]
        _rebuild(table, partial(_rewrite, checks=mine, to_compared=to_compared, label=label), label)


def _rewrite(sql: str, checks: list[tuple[str, str, tuple[str, ...]]], to_compared: bool, label: str) -> str:
    """``sql`` (a table's stored definition) with each named constraint in the other form; its values as stored
    must be the ones given (anything else is a schema this migration does not know: it stops, nothing changed)."""
    for name, column, values in checks:
        if to_compared:
            pattern = re.compile(rf"CONSTRAINT {name} CHECK \({column} IN \(((?:'[^']*'(?:, )?)+)\)\)")
        else:
            pattern = re.compile(rf"CONSTRAINT {name} CHECK \(((?:{column} = '[^']*'(?: OR )?)+)\)")
        found = pattern.findall(sql)
        if len(found) != 1 or set(re.findall(r"'([^']*)'", found[0])) != set(values):
            raise RuntimeError(f"migration {label}: {name} is not as expected in {sql!r}")
        made = _compared(column, values) if to_compared else _listed(column, values)
        replacement = f"CONSTRAINT {name} CHECK ({made})"
        sql = pattern.sub(lambda _match: replacement, sql)  # a function: the text is taken as is, not as a template
    return sql


def _rebuild(table: str, rewrite: Callable[[str], str], label: str) -> None:
    """SQLite: ``table`` again from its stored definition as ``rewrite`` changes it, with every row (rowid
    included), every index and its search triggers. Migrations run with foreign keys off (``db.upgrade``), so
    dropping a table that others refer to cascades nothing, and their ``REFERENCES`` text names it as before."""
    from alembic import op

    from tracertm.search.documents import DOCUMENTS

    bind = op.get_bind()
    (sql,) = bind.exec_driver_sql("SELECT sql FROM sqlite_master WHERE type = 'table' AND name = ?", (table,)).one()
    indexes = bind.exec_driver_sql(
        "SELECT name, sql FROM sqlite_master WHERE type = 'index' AND tbl_name = ? AND sql IS NOT NULL", (table,)
    ).all()
    columns = ", ".join(f'"{row[1]}"' for row in bind.exec_driver_sql(f'PRAGMA table_info("{table}")').all())
    (rows,) = bind.exec_driver_sql(f'SELECT count(*) FROM "{table}"').one()
    document = next((d for d in DOCUMENTS.values() if d.table == table), None)
    search = [f"{document.fts_table}_{suffix}" for suffix in ("ai", "ad", "au")] if document is not None else []
    # Put back as stored, not as the live documents spell them: those are the head's, the migration's revision may
    # index other columns (see search.documents.documents_at).
    triggers = bind.exec_driver_sql(
        "SELECT sql FROM sqlite_master WHERE type = 'trigger' AND tbl_name = ? AND sql IS NOT NULL", (table,)
    ).scalars().all()
    others = [  # triggers and views would not survive the rebuild: only the search index's own are expected
        name for (name,) in bind.exec_driver_sql(
            "SELECT name FROM sqlite_master WHERE type IN ('trigger', 'view') AND (tbl_name = ? OR sql LIKE ?)",
            (table, f"%{table}%"),
        ).all() if name not in search
    ]
    if others:
        raise RuntimeError(f"migration {label}: {table} has triggers or views ({', '.join(others)}); nothing changed")
    new = f"_{table}_{label}"
    new_sql, named = re.subn(
        rf'^CREATE TABLE (?:IF NOT EXISTS )?(?:"{table}"|{table}) \(', f'CREATE TABLE "{new}" (', rewrite(sql)
    )
    if named != 1:
        raise RuntimeError(f"migration {label}: the definition of {table} does not start as expected: {sql[:60]!r}")
    for name in search:
        bind.exec_driver_sql(f'DROP TRIGGER IF EXISTS "{name}"')
    bind.exec_driver_sql(new_sql)
    bind.exec_driver_sql(f'INSERT INTO "{new}" (rowid, {columns}) SELECT rowid, {columns} FROM "{table}"')
    (copied,) = bind.exec_driver_sql(f'SELECT count(*) FROM "{new}"').one()
    if copied != rows:
        raise RuntimeError(f"migration {label}: {table} has {rows} rows, {copied} were copied")
    bind.exec_driver_sql(f'DROP TABLE "{table}"')  # its indexes go with it
    bind.exec_driver_sql(f'ALTER TABLE "{new}" RENAME TO "{table}"')
    for _name, index_sql in indexes:
        bind.exec_driver_sql(index_sql)
    for trigger_sql in triggers:
        bind.exec_driver_sql(trigger_sql)
