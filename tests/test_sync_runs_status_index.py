"""The lookups of a project's sync runs by status — unfinished runs: the no-op fast path's, the full engine's
(abandoned runs marked failed), the one that names the other writer; the runs that wrote: a backfill's checkpoint
count — go through ``ix_sync_runs_project_id_status_started_at`` (migration 0022) instead of reading every run the
project ever recorded, row by row: a run is stored on every sync, so before it a no-op sync's cost grew with the
database's age. Each statement is the one the code ran, captured, then explained on a database holding thousands of
finished runs (with fresh planner statistics). On SQLite and PostgreSQL."""

from __future__ import annotations

import uuid
from typing import Any

import pytest
from sqlalchemy import event, text
from sqlalchemy.engine import Engine

from conftest import GitRepo
from specs import adr
from tracertm import db, fastpath
from tracertm.db import locks
from tracertm.engine.sync import sync
from tracertm.history.checkpoint import Checkpoints

INDEX = "ix_sync_runs_project_id_status_started_at"
FINISHED = 5000  # finished runs of the project: enough for PostgreSQL's planner to prefer an index


def _by_status(statement: str) -> bool:
    """A statement reading or updating sync runs by their status."""
    folded = " ".join(statement.lower().split())
    head, _, condition = folded.partition(" where ")
    return "sync_runs" in head and "status" in condition and not head.startswith("insert")


def _pad(connection: Any, project_id: Any) -> None:
    """FINISHED finished runs of the project, then fresh planner statistics."""
    if connection.dialect.name == "sqlite":
        connection.execute(text(
            "WITH RECURSIVE n(i) AS (SELECT 1 UNION ALL SELECT i + 1 FROM n WHERE i < :count) "
            "INSERT INTO sync_runs (id, project_id, trigger, started_at, finished_at, status, counts, errors) "
            "SELECT lower(hex(randomblob(16))), :project, 'cli', '2025-01-01 00:00:00', '2025-01-01 00:00:01', "
            "'ok', '{}', '[]' FROM n"), {"count": FINISHED, "project": project_id})
    else:
        connection.execute(text(
            "INSERT INTO sync_runs (id, project_id, trigger, started_at, finished_at, status, counts, errors) "
            "SELECT gen_random_uuid(), :project, 'cli', now(), now(), 'ok', '{}', '[]' "
            "FROM generate_series(1, :count)"), {"count": FINISHED, "project": project_id})
    connection.execute(text("ANALYZE"))


def _newest_first(plan: list[str]) -> bool:
    """A PostgreSQL plan that finds the newest run of a status by walking the project's runs newest first
    (``ix_sync_runs_project_id_started_at`` backward) and stopping at the first of that status: as cheap as the
    search by (project, status) when that status is most runs, as it is here (every padded run is ``ok``), and
    PostgreSQL's planner takes either (it failed one CI run in many). A lookup of another status (``running``,
    rare: walked so, it would read every run), unlimited, or reading the runs in any other way still has to use
    the index."""
    return (bool(plan) and plan[0].startswith("Limit") and len(plan) > 1
            and "Index Scan Backward using ix_sync_runs_project_id_started_at" in plan[1]
            and any("Filter: ((status)::text = 'ok'::text)" in line for line in plan))


def _plan(connection: Any, statement: str, parameters: Any) -> list[str]:
    """The query plan of one captured statement (driver placeholders and parameters as captured)."""
    if connection.dialect.name == "sqlite":
        return [str(row[-1]) for row in connection.exec_driver_sql("EXPLAIN QUERY PLAN " + statement, parameters)]
    return [str(row[0]) for row in connection.exec_driver_sql("EXPLAIN " + statement, parameters)]


def test_lookups_of_runs_by_status_use_the_index(
    git_repo: GitRepo, database_url: str, monkeypatch: pytest.MonkeyPatch
) -> None:
    git_repo.write("docs/adr/0001-a.md", adr(1, "Use a"))
    git_repo.commit("one ADR")
    captured: dict[str, list[tuple[str, Any]]] = {}
    source = ["engine"]

    def record(_conn: Any, _cursor: Any, statement: str, parameters: Any, _context: Any, _many: bool) -> None:
        if _by_status(statement):
            captured.setdefault(source[0], []).append((statement, parameters))

    event.listen(Engine, "before_cursor_execute", record)
    try:
        sync(git_repo.path, database_url=database_url)  # the first run: nothing to close yet
        git_repo.write("docs/adr/0002-b.md", adr(2, "Use b"))
        git_repo.commit("another")
        captured.clear()
        sync(git_repo.path, database_url=database_url)  # the full engine closes abandoned runs
        engine = db.make_engine(database_url)
        try:
            with engine.connect() as connection:
                project_id = connection.execute(text("SELECT id FROM projects")).scalar_one()
            source[0] = "other writer"
            locks.other_writer(engine, "repo", project_id=project_id)
            source[0] = "backfill count"
            with db.session(engine) as session:
                Checkpoints.count_writes(session, uuid.UUID(str(project_id)))
        finally:
            engine.dispose()
    finally:
        event.remove(Engine, "before_cursor_execute", record)

    # The fast path's statements go through the driver alone.
    query = fastpath._Driver.q

    def recording_q(self: Any, sql: str, params: tuple[Any, ...] = ()) -> list[tuple[Any, ...]]:
        if _by_status(sql):
            captured.setdefault("fast path", []).append((sql.replace("?", "%s") if self.paramstyle_pg else sql,
                                                         params))
        return query(self, sql, params)

    monkeypatch.setattr(fastpath._Driver, "q", recording_q)
    assert isinstance(fastpath.attempt(git_repo.path, database_url=database_url), fastpath.NoopSync)
    assert set(captured) == {"engine", "other writer", "backfill count", "fast path"}, captured

    engine = db.make_engine(database_url)
    try:
        with engine.begin() as connection:
            _pad(connection, project_id)
        with engine.connect() as connection:
            for name, statements in captured.items():
                for statement, parameters in statements:
                    if connection.dialect.name == "postgresql" and name == "backfill count":
                        continue  # it counts nearly every row here: PostgreSQL rightly reads the table
                    plan = _plan(connection, statement, parameters)
                    if connection.dialect.name == "postgresql" and _newest_first(plan):
                        continue  # the newest run of a status, the project's runs walked newest first: see there
                    assert any(INDEX in line for line in plan), (name, statement, plan)
                    if connection.dialect.name == "sqlite" and name != "other writer":
                        # A search by (project, status), not a scan of the project's runs. (The other writer's
                        # lookup, of every project's runs on SQLite, only words a lock wait's error.)
                        assert any(line.startswith("SEARCH sync_runs") and "status=?" in line for line in plan), (
                            name, statement, plan)
    finally:
        engine.dispose()
