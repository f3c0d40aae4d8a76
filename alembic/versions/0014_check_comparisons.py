"""check comparisons: the CHECK constraints of ``spec_revisions`` (entity type, change) and ``test_results``
(status, match rule) as comparisons (``x = 'a' OR x = 'b' …``) instead of ``x IN ('a', 'b', …)``

Same truth (NULL passes both forms; any other value passes exactly when it is one of the list). SQLite evaluates a
CHECK's ``IN`` list by building a lookup table for every row written; measured on a results import of 20,000 tests
(18,000 new test cases, whose ``created`` revisions go into ``spec_revisions``), the four constraints cost about a
tenth of the import's CPU, the comparisons nothing measurable. These two tables are the ones written by the tens of
thousands per operation; the other enum constraints stay as they are.

PostgreSQL drops and adds each constraint. SQLite cannot alter a constraint: each table is rebuilt from its own
stored definition with only the constraint text changed, its rows copied with their rowids, its indexes made
again; the row count is checked before the old table is dropped.

Revision ID: 0014
Revises: 0013
"""

from __future__ import annotations

import re
from collections.abc import Callable

import sqlalchemy as sa
from alembic import op

revision = "0014"
down_revision = "0013"
branch_labels = None
depends_on = None

# (table, constraint, column, values) as of this revision: the values of the models then, written here so that a
# later change of the models does not change what this migration does.
_CHECKS = (
    ("spec_revisions", "ck_spec_revisions_revision_entity_type", "entity_type",
     ("adr", "contract", "feature", "scenario", "step_definition", "test_case")),
    ("spec_revisions", "ck_spec_revisions_revision_change", "change",
     ("created", "updated", "deleted", "restored", "moved", "annotated")),
    ("test_results", "ck_test_results_test_result_match", "match_rule", ("tag", "line", "name")),
    ("test_results", "ck_test_results_test_result_status", "status",
     ("passed", "failed", "skipped", "undefined", "pending", "error")),
)


def _compared(column: str, values: tuple[str, ...]) -> str:
    return " OR ".join(f"{column} = '{value}'" for value in values)


def _listed(column: str, values: tuple[str, ...]) -> str:
    return f"{column} IN ({', '.join(repr(value) for value in values)})"


def upgrade() -> None:
    _change(to_compared=True)


def downgrade() -> None:
    _change(to_compared=False)


def _change(to_compared: bool) -> None:
    new = _compared if to_compared else _listed
    if op.get_bind().dialect.name == "postgresql":
        for table, name, column, values in _CHECKS:
            op.execute(sa.text(f"ALTER TABLE {table} DROP CONSTRAINT {name}"))
            op.execute(sa.text(f"ALTER TABLE {table} ADD CONSTRAINT {name} CHECK ({new(column, values)})"))
        return
    for table in dict.fromkeys(table for table, *_rest in _CHECKS):
        checks = [(name, column, values) for t, name, column, values in _CHECKS if t == table]
        _rebuild(table, lambda sql, checks=checks: _rewrite(sql, checks, to_compared))


def _rewrite(sql: str, checks: list[tuple[str, str, tuple[str, ...]]], to_compared: bool) -> str:
    """``sql`` (a table's stored definition) with each named constraint in the other form; its values as stored
    must be the ones above (anything else is a schema this migration does not know: it stops, nothing changed)."""
    for name, column, values in checks:
        if to_compared:
            pattern = re.compile(rf"CONSTRAINT {name} CHECK \({column} IN \(((?:'[^']*'(?:, )?)+)\)\)")
        else:
            pattern = re.compile(rf"CONSTRAINT {name} CHECK \(((?:{column} = '[^']*'(?: OR )?)+)\)")
        found = pattern.findall(sql)
        if len(found) != 1 or set(re.findall(r"'([^']*)'", found[0])) != set(values):
            raise RuntimeError(f"migration 0014: {name} is not as expected in {sql!r}")
        made = _compared(column, values) if to_compared else _listed(column, values)
        sql = pattern.sub(lambda _m, name=name, made=made: f"CONSTRAINT {name} CHECK ({made})", sql)
    return sql


def _rebuild(table: str, rewrite: Callable[[str], str]) -> None:
    """SQLite: ``table`` again from its stored definition as ``rewrite`` changes it, with every row (rowid
    included) and every index. Migrations run with foreign keys off (``db.upgrade``); no table refers to these."""
    bind = op.get_bind()
    (sql,) = bind.exec_driver_sql("SELECT sql FROM sqlite_master WHERE type = 'table' AND name = ?", (table,)).one()
    indexes = bind.exec_driver_sql(
        "SELECT name, sql FROM sqlite_master WHERE type = 'index' AND tbl_name = ? AND sql IS NOT NULL", (table,)
    ).all()
    columns = ", ".join(f'"{row[1]}"' for row in bind.exec_driver_sql(f'PRAGMA table_info("{table}")').all())
    (rows,) = bind.exec_driver_sql(f'SELECT count(*) FROM "{table}"').one()
    (others,) = bind.exec_driver_sql(  # triggers and views would not survive the rebuild: none are expected
        "SELECT count(*) FROM sqlite_master WHERE type IN ('trigger', 'view') AND (tbl_name = ? OR sql LIKE ?)",
        (table, f"%{table}%"),
    ).one()
    if others:
        raise RuntimeError(f"migration 0014: {table} has triggers or views; nothing was changed")
    old = f"_{table}_0014"
    new_sql = rewrite(sql)
    for name, _sql in indexes:
        bind.exec_driver_sql(f'DROP INDEX "{name}"')
    bind.exec_driver_sql(f'ALTER TABLE "{table}" RENAME TO "{old}"')
    bind.exec_driver_sql(new_sql)
    bind.exec_driver_sql(f'INSERT INTO "{table}" (rowid, {columns}) SELECT rowid, {columns} FROM "{old}"')
    (copied,) = bind.exec_driver_sql(f'SELECT count(*) FROM "{table}"').one()
    if copied != rows:
        raise RuntimeError(f"migration 0014: {table} has {rows} rows, {copied} were copied")
    bind.exec_driver_sql(f'DROP TABLE "{old}"')
    for _name, index_sql in indexes:
        bind.exec_driver_sql(index_sql)
