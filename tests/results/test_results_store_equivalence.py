"""The import's lean write path stores exactly what a plain ORM import stores: the same reports go into two projects
synced from the same features, one through ``import_results``, one through ``_orm_import`` below (ORM objects, one
per row, the audit listener writing the created revisions), and every table is compared whole — ids turned into
natural keys, times the database sets left out. On SQLite and PostgreSQL."""

from __future__ import annotations

import datetime as dt
import hashlib
import os
import shutil
import uuid
from collections import Counter
from collections.abc import Iterator
from contextlib import contextmanager
from pathlib import Path
from typing import Any

import pytest
from sqlalchemy import Table, insert, select
from sqlalchemy.orm import Session

from conftest import GitRepo, force_streaming
from tracertm import db
from tracertm.engine.sync import sync
from tracertm.models import (
    Base,
    Feature,
    Project,
    Scenario,
    TestCase,
    TestResult,
    TestRun,
    scenario_test_case_association,
)
from tracertm.results import import_results, streamed
from tracertm.results.report import Report
from tracertm.results.stats import ACTOR, DEFAULT_WINDOW, recompute
from tracertm.results.store import _feature_file, _metadata, parse_reports, scenario_index
from tracertm.trace.results import link_scenarios_to_test_cases

HERE = Path(__file__).parent
TABLES = ("test_runs", "test_results", "test_cases", "scenario_test_case_association", "spec_revisions", "scenarios",
          "links")
SET_BY_THE_DATABASE = frozenset({"id", "created_at", "updated_at", "imported_at", "reviewed_at", "sync_run_id",
                                 "seq"})


def _orm_import(session: Session, project_name: str, reports: list[Report], commit: str | None) -> None:
    """The reference: what an import stores, written the plain way (as the import did before it was made lean)."""
    session.info["actor"] = ACTOR
    project = session.execute(select(Project).where(Project.name == project_name)).scalar_one()
    cases = list({case.external_id: case for report in reports for case in report.cases}.values())
    uris = {uri for case in cases if case.line and (uri := _feature_file(case))}
    index = scenario_index(session, project, commit, None, r"SC-\d+", uris)
    matches = [index.match(case) for case in cases]
    matched = {"tag": 0, "line": 0, "name": 0}
    for m in matches:
        if m.rule:
            matched[m.rule] += 1
    statuses = dict(Counter(case.status for case in cases))
    starts = [r.started_at for r in reports if r.started_at]
    ends = [r.finished_at for r in reports if r.finished_at]
    counts: dict[str, Any] = {**statuses, "total": len(cases), "matched": matched,
                              "unmatched": sum(1 for m in matches if not m.rule),
                              "ambiguous": sum(m.ambiguous for m in matches)}
    if len(reports) > 1 or any(r.text_digest for r in reports):
        # A run of several files lists each file's digest as a run of it alone has it, and a file known by its
        # text's digest too (``Report.text_digest``: the same report in another encoding) lists that one as well.
        counts["file_digests"] = sorted({hashlib.sha256(d.encode()).hexdigest() for r in reports
                                         for d in (r.digest, r.text_digest) if d})
    run = TestRun(
        project_id=project.id, commit_sha=commit, name=reports[0].name, source_format=reports[0].format,
        started_at=min(starts) if starts else None, finished_at=max(ends) if ends else None,
        counts=counts,
        digest=hashlib.sha256("\n".join(sorted(r.digest for r in reports)).encode()).hexdigest(),
        files=[os.path.basename(r.path) for r in reports],
    )
    session.add(run)
    session.flush()
    session.refresh(run)
    ran = run.finished_at or run.started_at or run.imported_at
    existing = {tc.test_case_number: tc for tc in session.execute(
        select(TestCase).where(TestCase.project_id == project.id).execution_options(include_deleted=True)
    ).scalars()}
    for case in cases:
        test_case = existing.get(case.external_id)
        if test_case is None:
            test_case = existing[case.external_id] = TestCase(
                project_id=project.id, test_case_number=case.external_id, title=case.name, status="automated",
                automation_script_path=case.feature_uri or case.file, metadata_=_metadata(case))
            if case.status != "skipped":  # a new test case is created with its last execution: one version
                test_case.last_execution_result, test_case.last_executed_at = case.status, ran
            session.add(test_case)
        elif test_case.deleted_at is not None:
            test_case.restore()
    session.flush()
    pairs = {(m.scenario.key, existing[c.external_id].id) for c, m in zip(cases, matches) if m.scenario}
    linked = {(s, c) for s, c in session.execute(select(scenario_test_case_association))}
    if pairs - linked:
        session.execute(insert(scenario_test_case_association),
                        [{"scenario_id": s, "test_case_id": c} for s, c in pairs - linked])
    link_scenarios_to_test_cases(session, project.id, pairs)
    for case, m in zip(cases, matches):
        session.add(TestResult(
            run_id=run.id, test_case_id=existing[case.external_id].id,
            scenario_id=m.scenario.key if m.scenario else None, example_row=m.row, match_rule=m.rule,
            status=case.status, duration=case.duration, message=case.message, failed_attempts=case.failed_attempts))
    session.flush()
    # The known test cases' last execution: the run's result, unless skipped or older than the one stored (these
    # reports leave no known test case without one while another run executed it: ``case_results.newest`` not
    # needed). A new one holds it already: the values are the same, the ORM writes nothing.
    for case in cases:
        test_case = existing[case.external_id]
        if case.status != "skipped" and (test_case.last_executed_at is None or test_case.last_executed_at <= ran):
            test_case.last_execution_result, test_case.last_executed_at = case.status, ran
    session.flush()
    with _plain_execute():
        recompute(session, {m.scenario.key for m in matches if m.scenario}, DEFAULT_WINDOW, ACTOR)


@contextmanager
def _plain_execute() -> Iterator[None]:
    """``engine.bulk.execute_many`` as plain SQLAlchemy (``connection.execute``, its own parameter processing): the
    statistics written the way they were before ``stats.recompute`` went through the driver."""
    from tracertm.engine import bulk

    real = bulk.execute_many
    bulk.execute_many = lambda conn, statement, rows: int(conn.execute(statement, list(rows)).rowcount)
    try:
        yield
    finally:
        bulk.execute_many = real


def _dump(session: Session, project_name: str) -> dict[str, list[tuple[Any, ...]]]:
    """Every row of TABLES that belongs to the project, its ids replaced by natural keys (rows of another project
    name no id of this one and are left out)."""
    project_id = session.execute(select(Project.id).where(Project.name == project_name)).scalar_one()
    keys: dict[uuid.UUID, str] = {project_id: "project"}
    for ident, number in session.execute(select(Feature.id, Feature.feature_number)
                                         .where(Feature.project_id == project_id)):
        keys[ident] = number
    for ident, feature, number in session.execute(
        select(Scenario.id, Feature.feature_number, Scenario.scenario_number)
        .join(Feature, Scenario.feature_id == Feature.id).where(Feature.project_id == project_id)
    ):
        keys[ident] = f"{feature}/{number}"
    for ident, number in session.execute(
        select(TestCase.id, TestCase.test_case_number).where(TestCase.project_id == project_id)
        .execution_options(include_deleted=True)
    ):
        keys[ident] = f"test case {number}"
    for ident, digest in session.execute(select(TestRun.id, TestRun.digest).where(TestRun.project_id == project_id)):
        keys[ident] = f"run {digest}"
    out: dict[str, list[tuple[Any, ...]]] = {}
    for name in TABLES:
        table = Base.metadata.tables[name]
        assert isinstance(table, Table)
        rows = []
        for row in session.execute(select(table)).mappings():
            ids = [v for k, v in row.items() if isinstance(v, uuid.UUID) and k not in SET_BY_THE_DATABASE]
            if not any(v in keys for v in ids):
                continue  # another project's row
            rows.append(tuple(sorted(
                (k, keys.get(v, v) if isinstance(v, uuid.UUID) else v) for k, v in row.items()
                if k not in SET_BY_THE_DATABASE
            )))
        out[name] = sorted(rows, key=repr)
    return out


def _units(day: int, extra: int = 0, twice: bool = True) -> tuple[str, bytes]:
    """Unit tests no scenario names: passes, failures with a multi-line message, a skip, properties, a test
    reported twice (the last report counts; not with ``twice`` False), and ``extra`` tests that are new on this
    day."""
    cases = []
    for n in range(12 + extra):
        body = ""
        if n % 4 == 1:
            body = f'<failure message="assert {n} == 0&#10;second line" type="AssertionError">trace</failure>'
        elif n % 4 == 2:
            body = '<skipped message="later"/>'
        elif n == 3:
            body = '<properties><property name="owner" value="team-a"/></properties>'
        cases.append(f'<testcase classname="tests.unit.test_mod{n % 3}" name="test_{n}" file="tests/unit.py" '
                     f'time="0.0{n % 10}">{body}</testcase>')
    if twice:
        cases.append('<testcase classname="tests.unit.test_mod0" name="test_0" time="0.5">'
                     '<failure message="flaky"/></testcase>')
    return (f"units-{day}.xml", (f'<testsuite name="units" timestamp="2026-11-{day:02d}T08:00:00" time="3">'
                                 + "".join(cases) + "</testsuite>").encode())


@pytest.fixture
def two_projects(git_repo: GitRepo, database_url: str) -> GitRepo:
    shutil.copytree(HERE / "project" / "features", git_repo.path / "features", ignore=shutil.ignore_patterns("steps"))
    git_repo.commit("cart")
    for name in ("lean", "orm"):
        assert not sync(git_repo.path, ref="HEAD", database_url=database_url, project=name).errors
    return git_repo


def _import_both(database_url: str, batches: list[list[Any]], delete_after: int) -> tuple[Any, Any]:
    """Each batch of reports imported into project "lean" by ``import_results`` and into "orm" by the plain ORM
    writer, one run per batch; after batch ``delete_after`` a test case is deleted by hand (through the ORM) in both,
    to come back when it runs again. The two projects' dumps."""
    engine = db.make_engine(database_url)
    try:
        for n, sources in enumerate(batches):
            commit = f"{n + 1}" * 40
            import_results(engine, "lean", sources, commit=commit)
            with db.write_session(engine, "orm") as session:
                _orm_import(session, "orm", parse_reports(sources), commit)
            if n == delete_after:
                for name in ("lean", "orm"):
                    with db.session(engine) as session:
                        test_case = session.execute(
                            select(TestCase).join(Project, TestCase.project_id == Project.id)
                            .where(Project.name == name, TestCase.test_case_number == "tests.unit.test_mod1::test_1")
                        ).scalar_one()
                        test_case.soft_delete(dt.datetime(2026, 11, 1, tzinfo=dt.timezone.utc))
                        session.commit()
        with db.session(engine) as session:
            return _dump(session, "lean"), _dump(session, "orm")
    finally:
        engine.dispose()


def test_the_lean_import_stores_what_the_orm_import_stores(two_projects: GitRepo, database_url: str) -> None:
    cucumber = (HERE / "fixtures" / "cucumber-junit.xml").read_bytes()
    days = [
        [("cucumber-1.xml", cucumber), _units(1)],  # every test case new
        [("cucumber-2.xml", cucumber.replace(b"2026-11-30T09", b"2026-12-01T09")), _units(2, extra=3)],
    ]
    lean, orm = _import_both(database_url, days, delete_after=0)
    assert len(lean["test_results"]) == 2 * 5 + 12 + 15, "both days' results, a test reported twice once"
    assert sum(1 for row in lean["spec_revisions"] if ("change", "created") in row
               and ("entity_type", "test_case") in row) == 5 + 12 + 3
    assert any(("change", "restored") in row or ("change", "annotated") in row for row in lean["spec_revisions"]
               if ("entity_type", "test_case") in row)
    for table in TABLES:
        assert lean[table] == orm[table], f"{table} differs"


# When the import's reads reach the child is between the two processes, above the database: every ``late`` on
# SQLite, and PostgreSQL's store path (the same statements) by ``late`` 0, its own case here.
@pytest.mark.parametrize(("database_url", "late"), [
    pytest.param("sqlite", 0, id="sqlite-0"), pytest.param("sqlite", 2, id="sqlite-2"),
    pytest.param("sqlite", None, id="sqlite-None"), pytest.param("postgresql", 0, id="postgresql-0"),
], indirect=["database_url"])
def test_the_streamed_import_stores_what_the_orm_import_stores(
    two_projects: GitRepo, database_url: str, monkeypatch: pytest.MonkeyPatch, late: int | None
) -> None:
    """One report per import, each parsed by a forked child in chunks of 2, 4, 5, 5, … tests (``results.streamed``)
    whatever its size: new test cases, known ones, a soft-deleted one that runs again, outline rows mapped by name;
    a report with a test reported twice far apart goes back to the in-process import. Every table equals the
    plain ORM import's — whether the import's reads reach the child when it asks first (``late`` 0), after it
    parsed ahead twice, or only once it parsed the whole report (None)."""
    outcomes = force_streaming(monkeypatch, 2, 5)
    real = streamed._receiver

    def receiver(channel: Any, prepare: Any) -> Any:
        ready = real(channel, prepare)
        asked = [0]

        def later(block: bool) -> Any:  # not ready for the first ``late`` questions (or any that need not wait)
            asked[0] += 1
            if not block and (late is None or asked[0] <= late):
                return None
            return ready(True)

        return later

    monkeypatch.setattr(streamed, "_receiver", receiver)
    cucumber = (HERE / "fixtures" / "cucumber-junit.xml").read_bytes()
    imports = [
        ("cucumber-1.xml", cucumber),  # every test case new, outline rows mapped by name
        _units(1, twice=False),
        ("cucumber-2.xml", cucumber.replace(b"2026-11-30T09", b"2026-12-01T09")),  # every test case known
        _units(2, extra=9, twice=False),  # test_1 deleted by hand comes back; new and known test cases mixed
        _units(3, extra=3),  # test_0 reported twice, ten tests apart: in-process
    ]
    lean, orm = _import_both(database_url, [[source] for source in imports], delete_after=1)
    assert outcomes == ["streamed"] * 4 + ["restart"]
    assert len(lean["test_results"]) == 5 + 12 + 5 + 21 + 15
    assert any(("change", "restored") in row or ("change", "annotated") in row for row in lean["spec_revisions"]
               if ("entity_type", "test_case") in row)
    for table in TABLES:
        assert lean[table] == orm[table], f"{table} differs"
