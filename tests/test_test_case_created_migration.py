"""Migration 0026: a test case an earlier release imported has no version-1 ``created`` revision (those releases
wrote none), so its history started at version 2 — a hole in the audit trail. The migration writes it, with what
is known of version 1 (the fields no later revision changed), and leaves test cases that have one alone. SQLite
and PostgreSQL; the test cases are made by today's import, then stripped of their revision as the old one left
them."""

from __future__ import annotations

from typing import Any

from sqlalchemy import delete, select, text

from conftest import GitRepo, run_cli, schema_revision
from tracertm import db
from tracertm.engine.sync import sync
from tracertm.models import SpecRevision, TestCase
from tracertm.results import import_results

JUNIT = (b'<testsuite name="u"><testcase classname="unit" name="never_edited"/>'
         b'<testcase classname="unit" name="edited"/><testcase classname="unit" name="current"/></testsuite>')


def _revisions(url: str) -> dict[str, list[tuple[int, str, dict[str, Any]]]]:
    engine = db.make_engine(url)
    try:
        with db.session(engine) as session:
            out: dict[str, list[tuple[int, str, dict[str, Any]]]] = {}
            for number, version, change, snapshot in session.execute(
                select(SpecRevision.number, SpecRevision.version, SpecRevision.change, SpecRevision.snapshot)
                .where(SpecRevision.entity_type == "test_case").order_by(SpecRevision.number, SpecRevision.version)
            ):
                out.setdefault(number, []).append((version, change, snapshot))
            return out
    finally:
        engine.dispose()


LAST_EXECUTION = ("last_execution_result", "last_executed_at")


def test_a_test_case_without_its_created_revision_gets_it(git_repo: GitRepo, database_url: str) -> None:
    git_repo.write("features/f.feature", "Feature: F\n\n  Scenario: S\n    Given x\n")
    git_repo.commit("f")
    assert not sync(git_repo.path, ref="HEAD", database_url=database_url, project="p").errors
    import_results(database_url, "p", [("t.xml", JUNIT)], commit=git_repo.head())
    imported = _revisions(database_url)
    engine = db.make_engine(database_url)
    try:
        with db.session(engine) as session:  # as a release before the created revisions left them
            session.execute(delete(SpecRevision).where(SpecRevision.number.in_(["unit::never_edited", "unit::edited"])))
            session.commit()
            session.info["actor"] = "me"
            edited = session.execute(select(TestCase).where(TestCase.test_case_number == "unit::edited")).scalar_one()
            edited.status = "manual"
            session.commit()
        with engine.begin() as conn:
            conn.execute(text("UPDATE alembic_version SET version_num = '0025'"))
    finally:
        engine.dispose()

    # Up to 0026 only: the later migrations' tables are there already (the database was made at head).
    result = run_cli("db", "upgrade", "--revision", "0026", "--database-url", database_url)
    assert result.returncode == 0, result.stderr
    assert schema_revision(database_url) == "0026"
    after = _revisions(database_url)
    # What today's import writes, but a test case's last execution: no release before 0026's set it (both were
    # null on every row the migration reads), and the migration builds the revision from the row.
    as_0026 = {number: [(v, change, {k: x for k, x in snap.items() if k not in LAST_EXECUTION})
                        for v, change, snap in revisions] for number, revisions in imported.items()}
    assert after["unit::never_edited"] == as_0026["unit::never_edited"]
    assert after["unit::current"] == imported["unit::current"]  # it had one: left alone
    (v1, created, snapshot), (v2, annotated, _) = after["unit::edited"]
    assert (v1, created, v2, annotated) == (1, "created", 2, "annotated")
    # The status an edit changed is not known at version 1: left out; the rest is as imported.
    assert snapshot == {k: v for k, v in as_0026["unit::edited"][0][2].items() if k != "status"}
