"""the keys a results import reads scenarios by: ``features.name_key``/``file_key``, ``scenarios.pytest_key``

``tracertm results import`` read every live scenario of the project (text, steps, examples) for each report, even a
report of one test: the name rule (``results.mapping.ScenarioIndex``) calls a name ambiguous when several scenarios
fit it, and nothing in the database could be asked which ones do. Sync now stores, with each row, what the matcher
looks a scenario up by (``results.match_keys``): the feature's normalized name, its file's name, the scenario's
pytest-bdd test name; with the scenario's number (``ix_scenarios_scenario_number``) the import reads only the
scenarios its report's names, tags and paths can match, through these indexes.

The keys of the rows already stored are filled here exactly as sync writes them (the same functions over the same
columns, deleted rows too: a restore rewrites them, but nothing reads a row whose key is missing). The downgrade
drops the indexes and the columns (in place: SQLite 3.35's ``ALTER TABLE DROP COLUMN``, which keeps the tables'
search triggers, as a batch rebuild would not).

Revision ID: 0037
Revises: 0036
"""

from __future__ import annotations

import sqlalchemy as sa
from alembic import op

from tracertm.results.match_keys import key_columns

revision = "0037"
down_revision = "0036"
branch_labels = None
depends_on = None

_BATCH = 1000


def upgrade() -> None:
    op.add_column("features", sa.Column("name_key", sa.Text(), nullable=True))
    op.add_column("features", sa.Column("file_key", sa.Text(), nullable=True))
    op.add_column("scenarios", sa.Column("pytest_key", sa.Text(), nullable=True))
    _fill("features", ("name", "source_path"), ("name_key", "file_key"), "feature")
    _fill("scenarios", ("title",), ("pytest_key",), "scenario")
    op.create_index("ix_features_project_id_name_key", "features", ["project_id", "name_key"])
    op.create_index("ix_features_project_id_file_key", "features", ["project_id", "file_key"])
    op.create_index("ix_scenarios_pytest_key", "scenarios", ["pytest_key"])


def _fill(table: str, sources: tuple[str, ...], keys: tuple[str, ...], kind: str) -> None:
    """Each row's ``keys`` from its ``sources``, as ``engine.apply.build_row`` computes them."""
    conn = op.get_bind()
    t = sa.table(table, sa.column("id"), *(sa.column(c) for c in (*sources, *keys)))
    update = sa.update(t).where(t.c.id == sa.bindparam("_id")).values({k: sa.bindparam("_" + k) for k in keys})
    batch: list[dict[str, object]] = []
    # The ids as the driver gives them back: the update binds them so (a GUID column is text on SQLite).
    for row in conn.execute(sa.select(t.c.id, *(t.c[c] for c in sources))).mappings().all():
        values = key_columns(kind, dict(row))
        batch.append({"_id": row["id"], **{"_" + k: values[k] for k in keys}})
        if len(batch) >= _BATCH:
            conn.execute(update, batch)
            batch = []
    if batch:
        conn.execute(update, batch)


def downgrade() -> None:
    op.drop_index("ix_scenarios_pytest_key", table_name="scenarios")
    op.drop_index("ix_features_project_id_file_key", table_name="features")
    op.drop_index("ix_features_project_id_name_key", table_name="features")
    op.drop_column("scenarios", "pytest_key")
    op.drop_column("features", "file_key")
    op.drop_column("features", "name_key")
