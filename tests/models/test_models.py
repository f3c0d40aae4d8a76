"""The models against real databases (SQLite and PostgreSQL): database-set timestamps, optimistic locking, soft
delete, natural-key uniqueness, CHECK-constrained enums, ON DELETE CASCADE, metadata aliases, relationships."""

from __future__ import annotations

import datetime as dt
import json
import time
import uuid
from collections.abc import Callable
from typing import Any

import pytest
from sqlalchemy import bindparam, func, select, text
from sqlalchemy.engine import Engine
from sqlalchemy.exc import IntegrityError
from sqlalchemy.orm import Session
from sqlalchemy.orm.exc import StaleDataError

from tracertm import db
from tracertm.models import (
    ADR,
    ADRStatus,
    Base,
    Contract,
    Feature,
    Project,
    Scenario,
    SourceFile,
    SpecRevision,
    SyncRun,
    TestCase,
    scenario_test_case_association,
)
from tracertm.models.types import GUID

# ------------------------------------------------------------------------------------------------------ helpers


def _project(sess: Session, name: str) -> Project:
    project = Project(name=name)
    sess.add(project)
    sess.flush()
    return project


def _new_project_id(engine: Engine, name: str = "alpha") -> uuid.UUID:
    with db.session(engine) as sess, sess.begin():
        return _project(sess, name).id


def _wait_past(moment: dt.datetime, margin_ms: float = 5.0) -> None:
    """Bounded wait until the wall clock is a few milliseconds past ``moment`` (never more than 2 s)."""
    deadline = time.monotonic() + 2.0
    target = moment + dt.timedelta(milliseconds=margin_ms)
    while dt.datetime.now(dt.UTC) <= target:
        assert time.monotonic() < deadline, "clock did not advance"
        time.sleep(0.001)


def _typed(sql: str, *uuid_params: str) -> Any:
    """A text() statement whose UUID parameters are bound portably (hex on SQLite, uuid on PostgreSQL)."""
    return text(sql).bindparams(*(bindparam(name, type_=GUID) for name in uuid_params))


def _json_value(value: Any) -> Any:
    return json.loads(value) if isinstance(value, str) else value


def _count(conn: Any, table: str, project_id: uuid.UUID | None = None, column: str = "project_id") -> int:
    if project_id is None:
        return int(conn.execute(text(f"SELECT count(*) FROM {table}")).scalar_one())
    stmt = _typed(f"SELECT count(*) FROM {table} WHERE {column} = :pid", "pid")
    return int(conn.execute(stmt, {"pid": project_id}).scalar_one())


# ----------------------------------------------------------------------------------------------------- timestamps


def test_timestamps_are_set_by_the_database_and_updated_at_moves_forward(engine: Engine) -> None:
    project_id = _new_project_id(engine)
    with db.session(engine) as sess, sess.begin():
        adr = ADR(project_id=project_id, adr_number="ADR-0001", title="Use SQLite")
        sess.add(adr)
        sess.flush()
        adr_id = adr.id
    with db.session(engine) as sess:
        adr = sess.get_one(ADR, adr_id)
        created, updated = adr.created_at, adr.updated_at
        assert created is not None and updated is not None
        assert created.tzinfo is not None and created.utcoffset() == dt.timedelta(0)
        assert updated.tzinfo is not None
        now = dt.datetime.now(dt.UTC)
        assert abs(now - created) < dt.timedelta(minutes=1)  # a real "now", in UTC, not local time read as UTC
        assert adr.version == 1
    # The value really comes from the column default, not from Python: a raw insert gets it too.
    with engine.begin() as conn:
        conn.execute(
            _typed(
                "INSERT INTO adrs (id, project_id, adr_number, title, status) VALUES (:id, :pid, 'ADR-9', 't', "
                "'proposed')",
                "id",
                "pid",
            ),
            {"id": uuid.uuid4(), "pid": project_id},
        )
        nulls = conn.execute(
            text("SELECT count(*) FROM adrs WHERE created_at IS NULL OR updated_at IS NULL OR version IS NULL")
        ).scalar_one()
        assert nulls == 0

    _wait_past(max(created, updated))
    with db.session(engine) as sess, sess.begin():
        adr = sess.get_one(ADR, adr_id)
        adr.title = "Use SQLite everywhere"
    with db.session(engine) as sess:
        adr = sess.get_one(ADR, adr_id)
        assert adr.title == "Use SQLite everywhere"
        assert adr.updated_at > updated
        assert adr.created_at == created
        assert adr.version == 2


# ----------------------------------------------------------------------------------------------- optimistic locking


def test_stale_write_raises_and_keeps_the_first_writers_values(engine: Engine) -> None:
    project_id = _new_project_id(engine)
    with db.session(engine) as sess, sess.begin():
        sess.add(ADR(project_id=project_id, adr_number="ADR-0001", title="original"))

    first = db.session(engine)
    second = db.session(engine, expire_on_commit=False)
    try:
        mine = first.scalars(select(ADR)).one()
        theirs = second.scalars(select(ADR)).one()
        # End the read transaction; the loaded object (version 1) stays in memory. (With the snapshot still open,
        # SQLite would refuse the later write with 'database is locked' before the version check runs.)
        second.commit()
        assert mine.version == theirs.version == 1

        mine.title = "first wins"
        first.commit()
        assert mine.version == 2

        theirs.title = "second loses"
        with pytest.raises(StaleDataError):
            second.commit()
        second.rollback()
    finally:
        first.close()
        second.close()

    with db.session(engine) as sess:
        row = sess.scalars(select(ADR)).one()
        assert (row.title, row.version) == ("first wins", 2)


# ---------------------------------------------------------------------------------------------------- soft delete


def test_soft_delete_hides_rows_from_default_queries_and_restore_brings_them_back(engine: Engine) -> None:
    project_id = _new_project_id(engine)
    with db.session(engine) as sess, sess.begin():
        sess.add_all(
            [
                ADR(project_id=project_id, adr_number="ADR-0001", title="kept"),
                ADR(project_id=project_id, adr_number="ADR-0002", title="gone"),
            ]
        )
    with db.session(engine) as sess, sess.begin():
        gone = sess.scalars(select(ADR).where(ADR.adr_number == "ADR-0002")).one()
        assert not gone.is_deleted
        gone.soft_delete()
        assert gone.is_deleted

    with db.session(engine) as sess:
        assert [a.adr_number for a in sess.scalars(select(ADR))] == ["ADR-0001"]
        assert sess.scalar(select(func.count()).select_from(ADR)) == 1
        everything = sess.scalars(select(ADR).execution_options(include_deleted=True).order_by(ADR.adr_number)).all()
        assert [a.adr_number for a in everything] == ["ADR-0001", "ADR-0002"]
        assert everything[1].deleted_at is not None and everything[1].deleted_at.tzinfo is not None
        assert everything[1].version == 2  # soft delete is an update like any other
    with engine.connect() as conn:  # the row is still there
        assert _count(conn, "adrs") == 2

    with db.session(engine) as sess, sess.begin():
        gone = sess.scalars(
            select(ADR).where(ADR.adr_number == "ADR-0002").execution_options(include_deleted=True)
        ).one()
        gone.restore()
    with db.session(engine) as sess:
        assert [a.adr_number for a in sess.scalars(select(ADR).order_by(ADR.adr_number))] == ["ADR-0001", "ADR-0002"]


def test_soft_deleted_scenarios_are_hidden_from_feature_scenarios(engine: Engine) -> None:
    project_id = _new_project_id(engine)
    with db.session(engine) as sess, sess.begin():
        feature = Feature(project_id=project_id, feature_number="FEAT-1", name="Login")
        feature.scenarios = [Scenario(scenario_number=f"S{i}", title=f"scenario {i}", position=i) for i in range(3)]
        sess.add(feature)
    with db.session(engine) as sess, sess.begin():
        sess.scalars(select(Scenario).where(Scenario.scenario_number == "S1")).one().soft_delete()

    with db.session(engine) as sess:
        feature = sess.scalars(select(Feature)).one()
        assert [s.scenario_number for s in feature.scenarios] == ["S0", "S2"]
        hidden = sess.scalars(select(Scenario).execution_options(include_deleted=True)).all()
        assert len(hidden) == 3


# ----------------------------------------------------------------------------------------------------- uniqueness


def _adr(pid: uuid.UUID, ctx: dict[str, Any]) -> Any:
    return ADR(project_id=pid, adr_number="ADR-0001", title="t")


def _contract(pid: uuid.UUID, ctx: dict[str, Any]) -> Any:
    return Contract(project_id=pid, contract_number="CTR-0001", title="t")


def _feature(pid: uuid.UUID, ctx: dict[str, Any]) -> Any:
    return Feature(project_id=pid, feature_number="FEAT-1", name="n")


def _scenario(pid: uuid.UUID, ctx: dict[str, Any]) -> Any:
    return Scenario(feature_id=ctx["features"][pid], scenario_number="SC-1", title="t")


def _source_file(pid: uuid.UUID, ctx: dict[str, Any]) -> Any:
    return SourceFile(project_id=pid, path="docs/adr/0001.md", kind="adr", blob_sha="0" * 40)


def _test_case(pid: uuid.UUID, ctx: dict[str, Any]) -> Any:
    return TestCase(project_id=pid, test_case_number="TC-1", title="t")


MAKERS = {
    "adr": _adr,
    "contract": _contract,
    "feature": _feature,
    "scenario": _scenario,
    "source_file": _source_file,
    "test_case": _test_case,
}


def test_natural_keys_are_unique(engine: Engine, subtests: pytest.Subtests) -> None:
    ctx: dict[str, Any] = {"features": {}}
    with db.session(engine) as sess, sess.begin():
        a, b = _project(sess, "alpha"), _project(sess, "beta")
        for p in (a, b):  # scenarios are keyed by feature: one feature per project
            f = Feature(project_id=p.id, feature_number="HOST", name="host")
            sess.add(f)
            sess.flush()
            ctx["features"][p.id] = f.id
        alpha, beta = a.id, b.id

    for kind, make in MAKERS.items():
        with subtests.test(kind):
            _check_unique(engine, make, ctx, alpha, beta)


def _check_unique(
    engine: Engine,
    make: Callable[[uuid.UUID, dict[str, Any]], Any],
    ctx: dict[str, Any],
    alpha: uuid.UUID,
    beta: uuid.UUID,
) -> None:
    with db.session(engine) as sess, sess.begin():
        original = make(alpha, ctx)
        sess.add(original)
        sess.flush()
        model, original_id = type(original), original.id

    with db.session(engine) as sess:
        sess.add(make(alpha, ctx))
        with pytest.raises(IntegrityError):
            sess.flush()
        sess.rollback()

    # A soft-deleted row still owns its natural key (so that it can be restored, never duplicated).
    with db.session(engine) as sess, sess.begin():
        first = sess.get_one(model, original_id)
        if hasattr(first, "soft_delete"):
            first.soft_delete()
    with db.session(engine) as sess:
        sess.add(make(alpha, ctx))
        with pytest.raises(IntegrityError):
            sess.flush()
        sess.rollback()

    with db.session(engine) as sess, sess.begin():
        sess.add(make(beta, ctx))  # same key in another project (or another project's feature) is fine
    with db.session(engine) as sess:
        rows = sess.scalars(select(model).execution_options(include_deleted=True)).all()
        others = [r for r in rows if r.id != original_id and getattr(r, "feature_number", None) != "HOST"]
        assert len(others) == 1


# ------------------------------------------------------------------------------------------------ enums in the DB


def _insert_adr(status: str) -> tuple[Any, dict[str, Any]]:
    stmt = _typed(
        f"INSERT INTO adrs (id, project_id, adr_number, title, status) VALUES (:id, :pid, :num, 't', '{status}')",
        "id",
        "pid",
    )
    return stmt, {"num": f"ADR-{status}"}


def _insert_sync_run(trigger: str) -> tuple[Any, dict[str, Any]]:
    stmt = _typed(f"INSERT INTO sync_runs (id, project_id, trigger) VALUES (:id, :pid, '{trigger}')", "id", "pid")
    return stmt, {}


def _insert_revision(change: str) -> tuple[Any, dict[str, Any]]:
    stmt = _typed(
        "INSERT INTO spec_revisions (id, project_id, entity_type, entity_id, number, version, change) "
        f"VALUES (:id, :pid, 'adr', :eid, 'ADR-0001', 1, '{change}')",
        "id",
        "pid",
        "eid",
    )
    return stmt, {"eid": uuid.uuid4()}


def _insert_contract_type(value: str) -> tuple[Any, dict[str, Any]]:
    stmt = _typed(
        "INSERT INTO contracts (id, project_id, contract_number, title, contract_type, status) "
        f"VALUES (:id, :pid, :num, 't', '{value}', 'draft')",
        "id",
        "pid",
    )
    return stmt, {"num": f"CTR-{value}"}


ENUM_CASES = {
    "adrs.status": (_insert_adr, "accepted"),
    "sync_runs.trigger": (_insert_sync_run, "hook"),
    "spec_revisions.change": (_insert_revision, "restored"),
    "contracts.contract_type": (_insert_contract_type, "service"),
}


def test_database_rejects_unknown_enum_values(engine: Engine, subtests: pytest.Subtests) -> None:
    project_id = _new_project_id(engine)
    for column, (insert, good) in ENUM_CASES.items():
        with subtests.test(column):
            stmt, params = insert(good)
            with engine.begin() as conn:  # control: the same statement with a valid value is accepted
                conn.execute(stmt, {"id": uuid.uuid4(), "pid": project_id, **params})
            for bogus in ("bogus", good.upper()):
                stmt, params = insert(bogus)
                with engine.connect() as conn:
                    with pytest.raises(IntegrityError):
                        conn.execute(stmt, {"id": uuid.uuid4(), "pid": project_id, **params})
                    conn.rollback()


# ------------------------------------------------------------------------------------------------------- cascades

CHILD_TABLES = ("adrs", "contracts", "features", "test_cases", "source_files", "sync_runs", "spec_revisions")


def _populate(sess: Session, name: str) -> dict[str, Any]:
    """A project with one of everything, scenarios linked to test cases, and a revision pointing at its run."""
    project = _project(sess, name)
    pid = project.id
    feature = Feature(project_id=pid, feature_number="FEAT-1", name="f")
    feature.scenarios = [Scenario(scenario_number=f"S{i}", title="s", position=i) for i in range(2)]
    cases = [TestCase(project_id=pid, test_case_number=f"TC-{i}", title="tc") for i in range(2)]
    feature.scenarios[0].test_cases = list(cases)
    feature.scenarios[1].test_cases = [cases[0]]
    run = SyncRun(project_id=pid, trigger="cli")
    sess.add_all(
        [
            ADR(project_id=pid, adr_number="ADR-0001", title="a"),
            Contract(project_id=pid, contract_number="CTR-0001", title="c"),
            feature,
            *cases,
            SourceFile(project_id=pid, path="a.md", kind="adr", blob_sha="1" * 40),
            run,
        ]
    )
    sess.flush()
    sess.add(
        SpecRevision(
            project_id=pid,
            entity_type="adr",
            entity_id=uuid.uuid4(),
            number="ADR-0001",
            version=1,
            change="created",
            sync_run_id=run.id,
        )
    )
    sess.flush()
    return {
        "project": pid,
        "feature": feature.id,
        "scenarios": [s.id for s in feature.scenarios],
        "test_cases": [c.id for c in cases],
    }


def _counts(engine: Engine, ids: dict[str, Any]) -> dict[str, int]:
    with engine.connect() as conn:
        counts = {t: _count(conn, t, ids["project"]) for t in CHILD_TABLES}
        counts["projects"] = _count(conn, "projects", ids["project"], column="id")
        counts["scenarios"] = _count(conn, "scenarios", ids["feature"], column="feature_id")
        links = _typed(
            "SELECT count(*) FROM scenario_test_case_association a JOIN test_cases t ON t.id = a.test_case_id "
            "WHERE t.project_id = :pid",
            "pid",
        )
        counts["links"] = int(conn.execute(links, {"pid": ids["project"]}).scalar_one())
    return counts


# spec_revisions: the ADR's, and the "created" revision models/audit.py writes for each test case added through the ORM.
FULL = {t: 1 for t in CHILD_TABLES} | {"projects": 1, "test_cases": 2, "scenarios": 2, "links": 3, "spec_revisions": 3}


HOW = ("orm", "sql")  # session.delete(...) and a raw DELETE: the database does the cascading either way


def _delete(engine: Engine, how: str, model: type[Any], row_id: uuid.UUID) -> None:
    if how == "orm":
        with db.session(engine) as sess, sess.begin():
            sess.delete(sess.get_one(model, row_id))
    else:
        with engine.begin() as conn:
            conn.execute(_typed(f"DELETE FROM {model.__tablename__} WHERE id = :id", "id"), {"id": row_id})


def test_deleting_a_project_removes_everything_it_owns_and_nothing_else(engine: Engine) -> None:
    with db.session(engine) as sess, sess.begin():
        doomed = {how: _populate(sess, f"doomed-{how}") for how in HOW}
        kept = _populate(sess, "kept")
    for ids in (*doomed.values(), kept):
        assert _counts(engine, ids) == FULL

    for how in HOW:
        _delete(engine, how, Project, doomed[how]["project"])
        assert _counts(engine, doomed[how]) == dict.fromkeys(FULL, 0), how
    assert _counts(engine, kept) == FULL
    with engine.connect() as conn:
        assert _count(conn, "projects") == 1


def test_deleting_a_feature_removes_its_scenarios_only(engine: Engine) -> None:
    with db.session(engine) as sess, sess.begin():
        projects = {how: _populate(sess, how) for how in HOW}
        others = {}
        for how, ids in projects.items():
            other = Feature(project_id=ids["project"], feature_number="FEAT-2", name="other")
            other.scenarios = [Scenario(scenario_number="S0", title="s")]
            sess.add(other)
            sess.flush()
            others[how] = other.id
    # A soft-deleted scenario (hidden from the ORM) must go too.
    with db.session(engine) as sess, sess.begin():
        for ids in projects.values():
            sess.get_one(Scenario, ids["scenarios"][1]).soft_delete()
    with db.session(engine) as sess:  # the ORM sees one scenario: ORM and database share the work
        assert len(sess.get_one(Feature, projects["orm"]["feature"]).scenarios) == 1

    for how, ids in projects.items():
        if how == "orm":
            with db.session(engine) as sess, sess.begin():
                feature = sess.get_one(Feature, ids["feature"])
                assert len(feature.scenarios) == 1  # loaded collection
                sess.delete(feature)
        else:
            _delete(engine, how, Feature, ids["feature"])
        # spec_revisions: the populated ones plus the "annotated" revision of the ORM soft delete above.
        assert _counts(engine, ids) == FULL | {"features": 1, "scenarios": 0, "links": 0, "spec_revisions": 4}, how
        with engine.connect() as conn:
            assert _count(conn, "scenarios", others[how], column="feature_id") == 1
    with engine.connect() as conn:
        assert _count(conn, "scenarios") == 2


def test_deleting_a_scenario_removes_its_links_but_not_the_test_cases(engine: Engine) -> None:
    with db.session(engine) as sess, sess.begin():
        projects = {how: _populate(sess, how) for how in HOW}
    for how, ids in projects.items():
        _delete(engine, how, Scenario, ids["scenarios"][0])  # linked to both test cases
        assert _counts(engine, ids) == FULL | {"scenarios": 1, "links": 1}, how
        with db.session(engine) as sess:
            remaining = sess.get_one(Scenario, ids["scenarios"][1])
            assert [tc.id for tc in remaining.test_cases] == [ids["test_cases"][0]]


def test_deleting_a_test_case_removes_its_links_but_not_the_scenarios(engine: Engine) -> None:
    with db.session(engine) as sess, sess.begin():
        projects = {how: _populate(sess, how) for how in HOW}
    for how, ids in projects.items():
        _delete(engine, how, TestCase, ids["test_cases"][0])  # linked to both scenarios
        assert _counts(engine, ids) == FULL | {"test_cases": 1, "links": 1}, how
        with db.session(engine) as sess:
            s0, s1 = (sess.get_one(Scenario, sid) for sid in ids["scenarios"])
            assert [tc.id for tc in s0.test_cases] == [ids["test_cases"][1]]
            assert s1.test_cases == []


# ------------------------------------------------------------------------------------------------------- metadata


def _raw_metadata(engine: Engine, adr_number: str) -> Any:
    with engine.connect() as conn:
        value = conn.execute(
            text("SELECT adr_metadata FROM adrs WHERE adr_number = :n"), {"n": adr_number}
        ).scalar_one()
    return _json_value(value)


def test_metadata_aliases_round_trip_through_the_adr_metadata_column(engine: Engine) -> None:
    assert ADR.metadata is Base.metadata
    assert TestCase.metadata is Base.metadata and "adrs" in ADR.metadata.tables
    project_id = _new_project_id(engine)
    with db.session(engine) as sess, sess.begin():
        via_alias = ADR(project_id=project_id, adr_number="ADR-1", title="t", metadata={"owner": "ada", "n": [1, 2]})
        via_underscore = ADR(project_id=project_id, adr_number="ADR-2", title="t", metadata_={"owner": "bob"})
        assert via_alias.metadata_ == {"owner": "ada", "n": [1, 2]}
        assert via_underscore.metadata == {"owner": "bob"}
        sess.add_all([via_alias, via_underscore])

    assert _raw_metadata(engine, "ADR-1") == {"owner": "ada", "n": [1, 2]}
    assert _raw_metadata(engine, "ADR-2") == {"owner": "bob"}

    with db.session(engine) as sess, sess.begin():
        adr = sess.scalars(select(ADR).where(ADR.adr_number == "ADR-1")).one()
        assert adr.metadata == adr.metadata_ == {"owner": "ada", "n": [1, 2]}
        adr.metadata = {"owner": "carol"}  # assigning through the alias persists
    assert _raw_metadata(engine, "ADR-1") == {"owner": "carol"}


def test_project_metadata_is_accepted_by_the_constructor_and_aliased(engine: Engine) -> None:
    """``Project(metadata=...)`` is stored in ``project_metadata``, not kept on the instance and dropped (``metadata``
    was ``Base.metadata`` there, so the constructor set a plain attribute and the row got ``{}``)."""
    assert Project.metadata is Base.metadata
    with db.session(engine) as sess, sess.begin():
        sess.add_all([Project(name="alias", metadata={"team": "a"}), Project(name="column", metadata_={"team": "b"})])
    with db.session(engine) as sess, sess.begin():
        projects = {p.name: p for p in sess.scalars(select(Project))}
        assert {name: p.metadata for name, p in projects.items()} == {"alias": {"team": "a"}, "column": {"team": "b"}}
        projects["alias"].metadata["team"] = "c"  # in place, through the alias
    with engine.connect() as conn:
        stored = conn.execute(text("SELECT project_metadata FROM projects WHERE name = 'alias'")).scalar_one()
    assert _json_value(stored) == {"team": "c"}


def test_metadata_defaults_to_an_empty_dict_never_null(engine: Engine) -> None:
    project_id = _new_project_id(engine)
    with db.session(engine) as sess, sess.begin():
        sess.add(ADR(project_id=project_id, adr_number="ADR-ORM", title="t"))
    with engine.begin() as conn:
        conn.execute(
            _typed(
                "INSERT INTO adrs (id, project_id, adr_number, title, status) "
                "VALUES (:id, :pid, 'ADR-RAW', 't', 'proposed')",
                "id",
                "pid",
            ),
            {"id": uuid.uuid4(), "pid": project_id},
        )
        conn.execute(
            _typed(
                "INSERT INTO test_cases (id, project_id, test_case_number, title) VALUES (:id, :pid, 'T', 't')",
                "id",
                "pid",
            ),
            {"id": uuid.uuid4(), "pid": project_id},
        )
        assert _json_value(conn.execute(text("SELECT test_case_metadata FROM test_cases")).scalar_one()) == {}
        assert _json_value(conn.execute(text("SELECT project_metadata FROM projects")).scalar_one()) == {}
    for number in ("ADR-ORM", "ADR-RAW"):
        assert _raw_metadata(engine, number) == {}
    with db.session(engine) as sess:
        for adr in sess.scalars(select(ADR)):
            assert adr.metadata == {} and adr.metadata_ == {}
            assert adr.tags == [] and adr.decision_drivers == []
            assert adr.status is ADRStatus.PROPOSED


# -------------------------------------------------------------------------------------------------- relationships


def test_feature_scenarios_are_ordered_by_position(engine: Engine) -> None:
    project_id = _new_project_id(engine)
    with db.session(engine) as sess, sess.begin():
        feature = Feature(project_id=project_id, feature_number="FEAT-1", name="f")
        sess.add(feature)
        sess.flush()
        # Inserted out of order, with numbers that sort differently from positions.
        for number, position in (("A", 2), ("B", 0), ("C", 1)):
            sess.add(Scenario(feature_id=feature.id, scenario_number=number, title=number, position=position))
    with db.session(engine) as sess, sess.begin():
        feature = sess.scalars(select(Feature)).one()
        assert [s.scenario_number for s in feature.scenarios] == ["B", "C", "A"]
        assert all(s.feature is feature for s in feature.scenarios)
        sess.scalars(select(Scenario).where(Scenario.scenario_number == "A")).one().position = -1
    with db.session(engine) as sess:
        assert [s.scenario_number for s in sess.scalars(select(Feature)).one().scenarios] == ["A", "B", "C"]


def test_scenarios_and_test_cases_are_many_to_many(engine: Engine) -> None:
    project_id = _new_project_id(engine)
    with db.session(engine) as sess, sess.begin():
        feature = Feature(project_id=project_id, feature_number="FEAT-1", name="f")
        s1, s2 = Scenario(scenario_number="S1", title="s1"), Scenario(scenario_number="S2", title="s2", position=1)
        feature.scenarios = [s1, s2]
        t1 = TestCase(project_id=project_id, test_case_number="TC-1", title="t1")
        t2 = TestCase(project_id=project_id, test_case_number="TC-2", title="t2")
        s1.test_cases.extend([t1, t2])
        t1.scenarios.append(s2)  # from the other side
        sess.add(feature)
    with engine.connect() as conn:
        assert _count(conn, "scenario_test_case_association") == 3
    with db.session(engine) as sess, sess.begin():
        s1 = sess.scalars(select(Scenario).where(Scenario.scenario_number == "S1")).one()
        t1 = sess.scalars(select(TestCase).where(TestCase.test_case_number == "TC-1")).one()
        assert sorted(t.test_case_number for t in s1.test_cases) == ["TC-1", "TC-2"]
        assert sorted(s.scenario_number for s in t1.scenarios) == ["S1", "S2"]
        s1.test_cases.remove(t1)  # unlinking deletes the association row only
    with db.session(engine) as sess:
        t1 = sess.scalars(select(TestCase).where(TestCase.test_case_number == "TC-1")).one()
        assert [s.scenario_number for s in t1.scenarios] == ["S2"]
        assert sess.scalar(select(func.count()).select_from(scenario_test_case_association)) == 2
        assert sess.scalar(select(func.count()).select_from(TestCase)) == 2
