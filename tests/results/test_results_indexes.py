"""The index of results by scenario holds only results matched to a scenario (migration 0021), and the lookups by
scenario — the statistics' reads, ``ON DELETE SET NULL`` — still use it. On SQLite and PostgreSQL."""

from __future__ import annotations

from sqlalchemy import text

from tracertm import db

INDEX = "ix_test_results_scenario_id_run_id"


def test_the_scenario_index_is_partial_and_used(database_url: str) -> None:
    engine = db.make_engine(database_url)
    try:
        db.ensure_schema(engine)
        with engine.connect() as connection:
            if connection.dialect.name == "sqlite":
                (ddl,) = connection.execute(
                    text("SELECT sql FROM sqlite_master WHERE name = :n"), {"n": INDEX}).one()
                assert ddl.endswith("WHERE scenario_id IS NOT NULL")
                for query in ("SELECT run_id FROM test_results WHERE scenario_id IN (?, ?) AND run_id != ?",
                              "DELETE FROM scenarios WHERE id = ?"):
                    plan = connection.exec_driver_sql("EXPLAIN QUERY PLAN " + query, ("a", "b", "c")[
                        : query.count("?")]).all()
                    assert any(INDEX in row[-1] for row in plan), plan
            else:
                (ddl,) = connection.execute(
                    text("SELECT indexdef FROM pg_indexes WHERE indexname = :n"), {"n": INDEX}).one()
                assert ddl.endswith("WHERE (scenario_id IS NOT NULL)")
                connection.execute(text("SET enable_seqscan = off"))  # an empty table: a scan would be cheaper
                plan = connection.execute(text(
                    "EXPLAIN SELECT run_id FROM test_results WHERE scenario_id = ANY(CAST(:ids AS uuid[]))"),
                    {"ids": ["00000000-0000-0000-0000-000000000001"]}).scalars().all()
                assert any(INDEX in line for line in plan), plan
    finally:
        engine.dispose()
