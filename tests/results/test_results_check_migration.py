"""Migration 0014: the CHECK constraints of ``spec_revisions`` and ``test_results`` become comparisons; every row
stays as it was (SQLite rebuilds the tables: rowids too), values outside the lists are still refused, and the
downgrade gives the ``IN`` lists back. On SQLite and PostgreSQL."""

from __future__ import annotations

from typing import Any

import pytest
from sqlalchemy import text
from sqlalchemy.exc import IntegrityError

from tracertm import db
from tracertm.models import Project, TestCase, TestResult, TestRun

CONSTRAINTS = ("ck_spec_revisions_revision_entity_type", "ck_spec_revisions_revision_change",
               "ck_test_results_test_result_match", "ck_test_results_test_result_status")


def _fill(engine: Any) -> None:
    """Rows of both tables at 0013: test cases (their ``created`` revisions, written by the audit listener) and
    results of every status, with and without a match rule."""
    statuses = ("passed", "failed", "skipped", "undefined", "pending", "error")
    with db.session(engine) as session, session.begin():
        session.info["actor"] = "migration-test"
        project = Project(name="p")
        session.add(project)
        session.flush()
        run = TestRun(project_id=project.id, source_format="junit", digest="d" * 64, counts={}, files=[])
        session.add(run)
        for i in range(30):
            case = TestCase(project_id=project.id, test_case_number=f"t::{i}", title=f"test {i}", status="automated")
            session.add(case)
            session.flush()
            session.add(TestResult(run_id=run.id, test_case_id=case.id, status=statuses[i % 6],
                                   match_rule=(None, "tag", "line", "name")[i % 4], duration=i / 10))
        session.flush()
        session.execute(text("UPDATE test_cases SET title = 'renamed' WHERE test_case_number = 't::3'"))


def _dump(engine: Any) -> dict[str, list[tuple[Any, ...]]]:
    rowid = "rowid, " if engine.dialect.name == "sqlite" else ""
    with engine.connect() as conn:
        return {
            table: sorted(tuple(map(str, row)) for row in conn.execute(text(f"SELECT {rowid}* FROM {table}")).all())
            for table in ("spec_revisions", "test_results")
        }


def _definitions(engine: Any) -> str:
    with engine.connect() as conn:
        if engine.dialect.name == "sqlite":
            rows = conn.execute(text("SELECT sql FROM sqlite_master WHERE name IN ('spec_revisions', 'test_results')"))
        else:
            rows = conn.execute(text("SELECT conname || ' ' || pg_get_constraintdef(oid) FROM pg_constraint "
                                     "WHERE conname LIKE 'ck_spec_revisions_%' OR conname LIKE 'ck_test_results_%'"))
        return "\n".join(row[0] for row in rows)


def _listed(definitions: str) -> bool:
    """Whether the constraints are lists (``IN`` as SQLite stores it, ``= ANY (ARRAY[…])`` as PostgreSQL shows it)."""
    return " IN (" in definitions or "= ANY" in definitions


def _refused(engine: Any) -> None:
    """Values outside each list are refused; every listed value (and a NULL match rule) is taken."""
    bad = (
        "UPDATE spec_revisions SET entity_type = 'bogus'",
        "UPDATE spec_revisions SET change = 'bogus'",
        "UPDATE test_results SET match_rule = 'bogus'",
        "UPDATE test_results SET status = 'bogus'",
        "UPDATE test_results SET status = 'Passed'",
    )
    for statement in bad:
        with engine.connect() as conn, pytest.raises(IntegrityError):
            conn.execute(text(statement))
    with engine.connect() as conn:
        conn.execute(text("UPDATE test_results SET match_rule = NULL"))
        conn.execute(text("UPDATE test_results SET status = 'pending'"))
        conn.execute(text("UPDATE spec_revisions SET change = 'annotated', entity_type = 'step_definition'"))
        conn.rollback()


def test_0014_keeps_every_row_and_refuses_what_0013_refused(empty_database_url: str) -> None:
    engine = db.make_engine(empty_database_url)
    try:
        db.upgrade(engine, "0013")
        _fill(engine)
        before = _dump(engine)
        assert len(before["spec_revisions"]) >= 30 and len(before["test_results"]) == 30
        assert _listed(_definitions(engine))
        _refused(engine)

        db.upgrade(engine, "0014")
        assert db.current_revision(engine) == "0014"
        assert _dump(engine) == before
        definitions = _definitions(engine)
        assert all(name in definitions for name in CONSTRAINTS)
        assert not _listed(definitions) and definitions.count(" OR ") >= 4 + 5 + 2 + 5
        if engine.dialect.name == "sqlite":
            assert "CHECK (status = 'passed' OR status = 'failed' OR status = 'skipped'" in definitions
        _refused(engine)

        db.downgrade(engine, "0013")
        assert _dump(engine) == before
        assert _listed(_definitions(engine))
        _refused(engine)
    finally:
        engine.dispose()
