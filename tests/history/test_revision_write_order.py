"""``spec_revisions.seq``, the order the database wrote the revisions in (migration 0030), which orders the moves of
one version in ``history``: every writer numbers its revisions — a sync, a backfill, a database-side edit
through the ORM or the API, a test case a script adds, a results import (SQLite's test cases' revisions are made by
a raw ``INSERT ... SELECT``, on PostgreSQL they are copied) — each run's numbers above the ones before. Revisions
written before the migration keep the order ``history`` showed them in. SQLite and PostgreSQL."""

from __future__ import annotations

import datetime as dt
from typing import Any

from alembic import command
from sqlalchemy import select, text

from apikit import api_client, make_token
from conftest import GitRepo, run_cli
from specs import contract
from tracertm import db
from tracertm.engine.sync import sync
from tracertm.history.backfill import backfill
from tracertm.models import Feature, Scenario, SpecRevision, TestCase
from tracertm.repositories import Records
from tracertm.results import import_results

JUNIT = b'<testsuite name="u"><testcase classname="unit" name="a"/><testcase classname="unit" name="b"/></testsuite>'


def _numbers(engine: Any) -> dict[Any, int | None]:
    with db.session(engine) as session:
        return dict(session.execute(select(SpecRevision.id, SpecRevision.seq)).all())


def _after(engine: Any, before: dict[Any, int | None]) -> dict[Any, int | None]:
    """The revisions written since ``before``; every one numbered, above every number there was, none twice."""
    now = _numbers(engine)
    new = {i: n for i, n in now.items() if i not in before}
    assert new and None not in new.values()
    assert len(set(now.values())) == len(now)
    if before:
        assert min(n for n in new.values() if n is not None) > max(n for n in before.values() if n is not None)
    return now


def test_every_writer_numbers_its_revisions_in_write_order(git_repo: GitRepo, engine: Any, database_url: str) -> None:
    git_repo.write("contracts/a.yaml", contract(1, "One"))
    git_repo.commit("c1")
    git_repo.write("features/f.feature", "Feature: F\n  Scenario: S\n    Given x\n")
    git_repo.commit("c2")
    assert backfill(git_repo.path, engine=engine, project="p").mode
    seen = _after(engine, {})
    git_repo.git("mv", "contracts/a.yaml", "contracts/b.yaml")
    sync(git_repo.path, engine=engine, project="p")
    seen = _after(engine, seen)
    with db.session(engine) as session:  # a database-side edit: an annotated revision
        session.info["actor"] = "grace"
        row = session.execute(select(Scenario).join(Feature).where(Scenario.scenario_number == "S")).scalar_one()
        row.approved_by = "Q"
        session.commit()
    seen = _after(engine, seen)
    import_results(database_url, "p", [("t.xml", JUNIT)], commit=git_repo.head())
    seen = _after(engine, seen)
    _edit_through_the_orm(engine)
    seen = _after(engine, seen)
    with api_client(engine) as client:
        response = client.patch("/api/v1/contracts/CTR-0001?project=p", json={"metadata": {"owner": "grace"}},
                                headers={"Authorization": f"Bearer {make_token(engine)}", "If-Match": "*"})
        assert response.status_code == 200, response.text
    _after(engine, seen)


def test_revisions_written_before_the_migration_keep_their_order(git_repo: GitRepo, database_url: str) -> None:
    """A backfill merge's grafted moves were written after the sync's revision they come before: numbered again
    from ``history``'s order then, not from when they were written; a move after the migration comes last."""
    git_repo.write("contracts/a.yaml", contract(1, "One"))
    git_repo.commit("c1", date="2024-01-01T10:00:00+00:00")
    git_repo.git("mv", "contracts/a.yaml", "contracts/b.yaml")
    git_repo.commit("c2", date="2024-01-02T10:00:00+00:00")
    git_repo.git("mv", "contracts/b.yaml", "contracts/c.yaml")
    git_repo.commit("c3", date="2024-01-03T10:00:00+00:00")
    engine = db.make_engine(database_url)
    try:
        sync(git_repo.path, engine=engine, project="p")
        assert backfill(git_repo.path, engine=engine, project="p").mode == "merged"
        trail = _trail(engine)
        assert trail == ["contracts/a.yaml", "contracts/b.yaml", "contracts/c.yaml"]
        with engine.begin() as conn:  # back to revision 0029, which had no write order
            command.downgrade(db.alembic_config(conn), "0029")
            if engine.dialect.name == "sqlite":  # and wrote the sync's revision first (the lowest rowid)
                conn.execute(text("UPDATE spec_revisions SET rowid = (SELECT min(rowid) - 1 FROM spec_revisions) "
                                  "WHERE source_path = 'contracts/c.yaml'"))
    finally:
        engine.dispose()
    result = run_cli("db", "upgrade", "--database-url", database_url)
    assert result.returncode == 0, result.stderr
    engine = db.make_engine(database_url)
    try:
        assert _trail(engine) == trail
        git_repo.git("mv", "contracts/c.yaml", "contracts/a.yaml")
        git_repo.commit("c4", date=(dt.datetime.now(dt.UTC) - dt.timedelta(days=3650)).isoformat())
        sync(git_repo.path, ref="HEAD", engine=engine, project="p")
        assert _trail(engine) == [*trail, "contracts/a.yaml"]
        _after(engine, {})
    finally:
        engine.dispose()


def _trail(engine: Any) -> list[str | None]:
    with db.session(engine) as session:
        records = Records(session, "contract")
        return [r.source_path for r in records.history(records.get("CTR-0001"))]


def test_every_sqlite_writer_numbers_its_revisions_as_rowids(git_repo: GitRepo, tmp_path: Any) -> None:
    """SQLite has no trigger numbering the revisions (its mere presence doubled the cost of each insert): every
    writer gives ``seq`` itself — a sync, a backfill and its merge, a results import's test cases and scenario
    statistics (``engine.apply.write_order_from``), the audit trail of an API edit, an ORM edit and a test case a
    script adds (``models.sync.next_write_order``) — and it is the row's rowid, which ``history.merge.
    _written_after`` moves with it."""
    url = f"sqlite:///{tmp_path / 'writers.db'}"
    git_repo.write("contracts/a.yaml", contract(1, "One"))
    git_repo.commit("c1")
    git_repo.write("features/f.feature", "Feature: F\n  Scenario: S\n    Given x\n")
    git_repo.commit("c2")
    engine = db.make_engine(url)
    try:
        db.ensure_schema(engine)
        with engine.connect() as conn:
            assert conn.execute(text("SELECT name FROM sqlite_master WHERE type = 'trigger' "
                                     "AND tbl_name = 'spec_revisions'")).all() == []
        sync(git_repo.path, engine=engine, project="p")
        git_repo.git("mv", "contracts/a.yaml", "contracts/b.yaml")
        git_repo.commit("c3")
        assert backfill(git_repo.path, engine=engine, project="p").mode == "merged"
        junit = JUNIT.replace(b"</testsuite>", b'<testcase classname="features.f" name="test_s"/></testsuite>')
        import_results(url, "p", [("t.xml", junit)], commit=git_repo.head())
        _edit_through_the_orm(engine)
        with api_client(engine) as client:
            response = client.patch("/api/v1/contracts/CTR-0001?project=p", json={"metadata": {"owner": "grace"}},
                                    headers={"Authorization": f"Bearer {make_token(engine)}", "If-Match": "*"})
            assert response.status_code == 200, response.text
        with engine.connect() as conn:
            written = conn.execute(text("SELECT change, entity_type, seq, rowid FROM spec_revisions")).all()
    finally:
        engine.dispose()
    assert {(change, kind) for change, kind, _, _ in written} >= {
        ("created", "contract"), ("moved", "contract"), ("created", "test_case"), ("annotated", "scenario"),
        ("annotated", "contract"), ("annotated", "test_case")}
    assert all(seq == rowid for _, _, seq, rowid in written), written


def _edit_through_the_orm(engine: Any) -> None:
    """What a script does through the ORM: edits a scenario (an ``annotated`` revision), adds a test case (its
    ``created`` one), then edits it: three revisions of one flush."""
    with db.session(engine) as session:
        scenario = session.execute(select(Scenario).where(Scenario.scenario_number == "S")).scalar_one()
        scenario.approved_by = "R"
        case = TestCase(project_id=scenario.feature.project_id, test_case_number="manual::one", title="One")
        session.add(case)
        session.flush()
        case.title = "One, again"
        session.commit()

