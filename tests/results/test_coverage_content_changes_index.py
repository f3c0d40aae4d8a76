"""``coverage`` reads the scenarios' and features' content changes through
``ix_spec_revisions_project_id_entity_type_changed`` (migration 0023), a partial index without the ``annotated``
revision each results import writes: through the (project, kind, number) index it read every revision of those
kinds and dropped the annotations — on PostgreSQL at 2,000 commits and 120 runs 82,000 rows for the 5,000 it
kept, 257 ms against 22 ms. The statement ``coverage`` runs is captured and explained on a database padded with
thousands of annotations (fresh planner statistics), on SQLite and PostgreSQL."""

from __future__ import annotations

from typing import Any

from sqlalchemy import event, inspect, select, text
from sqlalchemy.engine import Engine

from conftest import GitRepo
from tracertm import db
from tracertm.engine.sync import sync
from tracertm.models import Project
from tracertm.results.queries import coverage

INDEX = "ix_spec_revisions_project_id_entity_type_changed"
ANNOTATIONS = 5000
FEATURE = "@FEAT-1\nFeature: F\n" + "".join(f"\n  @SC-{k}\n  Scenario: s{k}\n    Given x {k}\n" for k in range(1, 6))


def _pad(connection: Any) -> None:
    """ANNOTATIONS ``annotated`` revisions of the first scenario (copies of its first revision), then statistics."""
    columns = [c["name"] for c in inspect(connection).get_columns("spec_revisions")]
    fresh = {"id": "lower(hex(randomblob(16)))" if connection.dialect.name == "sqlite" else "gen_random_uuid()",
             "change": "'annotated'", "version": "r.version + n.i"}
    chosen = ", ".join(fresh.get(c, f"r.{c}") for c in columns)
    numbers = ("WITH RECURSIVE n(i) AS (SELECT 1 UNION ALL SELECT i + 1 FROM n WHERE i < :count) "
               if connection.dialect.name == "sqlite" else "")
    series = "n" if connection.dialect.name == "sqlite" else "generate_series(1, :count) AS n(i)"
    one = connection.execute(text(
        "SELECT id FROM spec_revisions WHERE entity_type = 'scenario' ORDER BY created_at LIMIT 1")).scalar_one()
    connection.execute(text(f"{numbers}INSERT INTO spec_revisions ({', '.join(columns)}) "
                            f"SELECT {chosen} FROM spec_revisions r, {series} WHERE r.id = :one"),
                       {"count": ANNOTATIONS, "one": one})
    connection.execute(text("ANALYZE"))


def test_coverage_reads_the_content_changes_through_their_index(git_repo: GitRepo, database_url: str) -> None:
    git_repo.write("features/f.feature", FEATURE)
    git_repo.commit("features")
    assert not sync(git_repo.path, database_url=database_url).errors
    engine = db.make_engine(database_url)
    captured: list[tuple[str, Any]] = []

    def record(_conn: Any, _cursor: Any, statement: str, parameters: Any, _context: Any, _many: bool) -> None:
        if "spec_revisions" in statement and "'restored', 'moved'" in statement:
            captured.append((statement, parameters))

    try:
        with engine.begin() as connection:
            _pad(connection)
        with db.session(engine) as session:
            project = session.execute(select(Project)).scalar_one()
            event.listen(Engine, "before_cursor_execute", record)
            try:
                before = coverage(session, project)
            finally:
                event.remove(Engine, "before_cursor_execute", record)
        assert len(captured) == 1, captured
        statement, parameters = captured[0]
        with engine.connect() as connection:
            if connection.dialect.name == "sqlite":
                plan = [str(r[-1]) for r in connection.exec_driver_sql("EXPLAIN QUERY PLAN " + statement, parameters)]
            else:
                plan = [str(r[0]) for r in connection.exec_driver_sql("EXPLAIN " + statement, parameters)]
        assert any(INDEX in line for line in plan), plan
        assert len(before["never_executed"]) == 5 and not before["stale"], before  # the answer: nothing ran yet
    finally:
        engine.dispose()
