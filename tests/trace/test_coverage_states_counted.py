"""The coverage states the dashboard, the project page and ``GET .../coverage`` show are counted from rows the
database groups per requirement or ADR id (``coverage.states_by_project``), not from a row per link with each
scenario's result decoded in Python: on the large benchmark corpus (20,000 scenarios, 98,000 links) the dashboard
spent 1.9 s decoding 158,000 ids, and ``GET .../coverage`` built both matrices (0.7-0.8 s each) to count them. The
counts stay those of the matrix's rows (``coverage.coverage``; the former per-link read is kept here verbatim as the
reference), with every state, a deleted scenario, a suspect link, a project whose requirements no ADR states and
one with no links; and the SQL twin of ``scenario_result`` reads every status as it does. SQLite and PostgreSQL."""

from __future__ import annotations

import uuid
from collections import defaultdict
from collections.abc import Collection, Mapping
from typing import Any

import pytest
from sqlalchemy import select, true, update

from apikit import api_client, counting_client
from conftest import GitRepo, init_repo
from specs import adr
from tracertm import db
from tracertm.engine.sync import sync
from tracertm.models import ADR, Feature, Link, Project, Scenario
from tracertm.results import import_results
from tracertm.trace import coverage

FEATURES = {
    # covered (REQ-1 by S1), failing (REQ-2 by S2), a skipped and a never executed scenario
    "pay": "@FEAT-1 @ADR-0001\nFeature: Pay\n\n  @SC-1 @REQ-1\n  Scenario: S1\n    Given a\n\n"
           "  @SC-2 @REQ-2\n  Scenario: S2\n    Given b\n\n  @SC-3 @REQ-1\n  Scenario: S3\n    Given c\n\n"
           "  @SC-4 @REQ-3\n  Scenario: S4\n    Given d\n",
    # linked to ADR-0004, edited after the first sync: suspect; S5 passes
    "ledger": "@FEAT-2 @ADR-0004\nFeature: Ledger\n\n  @SC-1\n  Scenario: S5\n    Given e\n",
    # ADR-0099 (no such ADR) and REQ-9 (no ADR states it): orphaned; S6 deleted in the second commit
    "gone": "@FEAT-3 @ADR-0099 @REQ-9\nFeature: Gone\n\n  @SC-1\n  Scenario: S6\n    Given f\n\n"
            "  @SC-2\n  Scenario: S7\n    Given g\n",
}
REPORT = ('<testsuite name="s" timestamp="2026-01-01T00:00:00" time="1">'
          '<testcase classname="Pay" name="S1" time="0.1"/>'
          '<testcase classname="Pay" name="S2" time="0.1"><failure message="boom"/></testcase>'
          '<testcase classname="Pay" name="S3" time="0.1"><skipped/></testcase>'
          '<testcase classname="Ledger" name="S5" time="0.1"/>'
          '<testcase classname="Gone" name="S6" time="0.1"/></testsuite>')


def _main(repo: GitRepo, url: str) -> None:
    """Every state: ADRs 1-4 (1 states REQ-1 and REQ-2, 2 states REQ-3, 3 is linked by nothing), the features
    above, a run, then ADR-0004 edited and S6 deleted."""
    repo.write("docs/adr/0001-one.md", adr(1, "One", decision="We will meet REQ-1 and REQ-2."))
    repo.write("docs/adr/0002-two.md", adr(2, "Two", decision="We will meet REQ-3."))
    repo.write("docs/adr/0003-three.md", adr(3, "Three"))
    repo.write("docs/adr/0004-four.md", adr(4, "Four"))
    for name, text in FEATURES.items():
        repo.write(f"features/{name}.feature", text)
    repo.commit("specs")
    assert not sync(repo.path, database_url=url, project="main").errors
    import_results(url, "main", [("r.xml", REPORT.encode())], commit=repo.head(), repo=repo.path)
    repo.write("docs/adr/0004-four.md", adr(4, "Four", decision="We will do it differently."))
    repo.write("features/gone.feature", FEATURES["gone"].split("  @SC-1")[0] + "  @SC-2" +
               FEATURES["gone"].split("  @SC-2")[1])
    repo.commit("edits")
    assert not sync(repo.path, database_url=url, project="main").errors


def _loose(repo: GitRepo, url: str) -> None:
    """Requirements no ADR states (every one defined), one scenario run."""
    repo.write("features/f.feature", "@FEAT-1 @REQ-7\nFeature: F\n\n  @SC-1 @REQ-8\n  Scenario: L1\n"
                                     "    Given x\n\n  @SC-2\n  Scenario: L2\n    Given y\n")
    repo.commit("loose")
    assert not sync(repo.path, database_url=url, project="loose").errors
    report = '<testsuite name="s" time="1"><testcase classname="F" name="L1" time="0.1"/></testsuite>'
    import_results(url, "loose", [("r.xml", report.encode())], commit=repo.head(), repo=repo.path)


def _bare(repo: GitRepo, url: str) -> None:
    """An ADR and a feature that link nothing."""
    repo.write("docs/adr/0001-one.md", adr(1, "One"))
    repo.write("features/f.feature", "Feature: F\n\n  Scenario: B1\n    Given x\n")
    repo.commit("bare")
    assert not sync(repo.path, database_url=url, project="bare").errors


# ``states_by_project`` before, verbatim: every link's row and every linked scenario's result read.
def _old_states_by_project(session: Any, ids: Collection[uuid.UUID] | None) -> dict[uuid.UUID, Any]:
    mine = true() if ids is None else Link.project_id.in_(ids)
    kinds = ("requirement", "adr")
    links: dict[tuple[uuid.UUID, str], list[Mapping[Any, Any]]] = defaultdict(list)
    for link in session.execute(select(Link.project_id, *coverage.LINK_COLUMNS)
                                .where(mine, Link.target_kind.in_(kinds))).mappings():
        links[(link["project_id"], link["target_kind"])].append(link)
    adrs: dict[uuid.UUID, list[tuple[str, str | None]]] = defaultdict(list)
    for pid, number, title in session.execute(
        select(ADR.project_id, ADR.adr_number, ADR.title)
        .where(true() if ids is None else ADR.project_id.in_(ids), ADR.deleted_at.is_(None))
    ).all():
        adrs[pid].append((str(number), title))
    columns = [getattr(Scenario, c) for c in coverage.RESULT_COLUMNS if hasattr(Scenario, c)]
    sources = select(Link.source_id).where(mine, Link.target_kind.in_(kinds), Link.source_kind == "scenario")
    results = {r["id"]: coverage.scenario_result(dict(r)) for r in session.execute(
        select(Scenario.id, *columns).where(Scenario.id.in_(sources))).mappings()}
    projects = set(ids) if ids is not None else {pid for pid, _ in links} | set(adrs)
    return {pid: {by: coverage.states_count(coverage._rows(
        coverage._target_kind(by), links.get((pid, coverage._target_kind(by)), []),
        adrs.get(pid, []) if by == "adrs" else [], results, {})) for by in ("requirements", "adrs")}
        for pid in projects}


def test_states_counted_in_the_database_equal_the_matrix_rows(
    git_repo: GitRepo, database_url: str, tmp_path: Any, monkeypatch: pytest.MonkeyPatch
) -> None:
    _main(git_repo, database_url)
    _loose(init_repo(tmp_path / "loose"), database_url)
    _bare(init_repo(tmp_path / "bare"), database_url)
    engine = db.make_engine(database_url)
    try:
        with db.session(engine) as session:
            projects = {p.name: p for p in session.execute(select(Project)).scalars()}
            matrix = {name: {by: coverage.states_count(coverage.coverage(session, p, by))
                             for by in ("requirements", "adrs")} for name, p in projects.items()}
            # Golden values: every state is there, the scripted ones where they belong.
            assert matrix["main"] == {
                "requirements": {"orphaned": 1, "uncovered": 0, "failing": 1, "suspect": 0, "not executed": 1,
                                 "covered": 1},
                "adrs": {"orphaned": 1, "uncovered": 2, "failing": 1, "suspect": 1, "not executed": 0,
                         "covered": 0}}
            assert matrix["loose"]["requirements"]["covered"] == 2  # REQ-7 (by L1, its feature's) and REQ-8
            assert sum(matrix["bare"]["adrs"].values()) == matrix["bare"]["adrs"]["uncovered"] == 1
            every = coverage.states_by_project(session, None)
            assert every == _old_states_by_project(session, None)
            assert {projects[name].id: states for name, states in matrix.items()} == every
            for names in (["main"], ["loose", "bare"]):
                ids = [projects[name].id for name in names]
                assert coverage.states_by_project(session, ids) == _old_states_by_project(session, ids)
    finally:
        engine.dispose()
    # The pages and the JSON as the former reads made them.
    paths = ["/", "/projects/main", "/projects/loose", *(f"/api/v1/projects/{n}/coverage" for n in projects)]
    with api_client(database_url) as client:
        new = {path: client.get(path) for path in paths}
        monkeypatch.setattr(coverage, "states_by_project", _old_states_by_project)
        old = {path: client.get(path) for path in paths}
        for name in projects:
            rows = {by: client.get(f"/api/v1/projects/{name}/matrix?from={by}").json()["rows"]
                    for by in ("requirements", "adrs")}
            assert new[f"/api/v1/projects/{name}/coverage"].json()["requirements"]["total"] == len(
                rows["requirements"])
            assert new[f"/api/v1/projects/{name}/coverage"].json()["adrs"]["total"] == len(rows["adrs"])
    for path in paths:
        assert new[path].status_code == old[path].status_code == 200
        assert new[path].text == old[path].text, path
    assert 'class="s-suspect"' in new["/projects/main"].text
    monkeypatch.undo()
    # What they read: no link's or scenario's own row (its ids), only the rows grouped per target.
    with counting_client(database_url) as (client, statements):
        for path in ("/", "/api/v1/projects/main/coverage"):
            assert client.get(path).status_code == 200
            selected = [sql.split("FROM", 1)[0] for sql in statements if sql.lstrip().startswith("SELECT")]
            assert not [s for s in selected if "links.source_id" in s or "scenarios.id" in s], path
            statements.clear()


STATUSES = ["passed", "failed", "skipped", "undefined", "pending", "error", "PASSED", "Failed", "Skipped", "ok",
            "OK", "pass", "success", "not executed", "", "flaky"]
RATES = [None, 0.0, 0.5, 0.999, 1.0, 1.5]


def test_result_sql_reads_every_status_and_pass_rate_as_scenario_result(
    git_repo: GitRepo, database_url: str
) -> None:
    cases = [(s, r) for s in STATUSES for r in (None, 0.5, 1.0)] + [(None, r) for r in RATES]
    body = "".join(f"  Scenario: R{i}\n    Given x\n\n" for i in range(len(cases)))
    git_repo.write("features/r.feature", f"Feature: R\n\n{body}")
    git_repo.commit("r")
    assert not sync(git_repo.path, database_url=database_url, project="r").errors
    engine = db.make_engine(database_url)
    try:
        with db.session(engine) as session, session.begin():
            for i, (status, rate) in enumerate(cases):
                session.execute(update(Scenario).where(Scenario.title == f"R{i}")
                                .values(last_status=status, pass_rate=rate))
        with db.session(engine) as session:
            columns = [getattr(Scenario, c) for c in coverage.RESULT_COLUMNS]
            rows = session.execute(select(Scenario.title, coverage.result_sql().label("sql"), *columns)
                                   .join(Feature)).mappings().all()
            assert len(rows) == len(cases)
            for row in rows:
                assert row["sql"] == coverage.scenario_result(dict(row)), dict(row)
            assert {row["sql"] for row in rows} == {None, coverage.PASSED, coverage.FAILED}
    finally:
        engine.dispose()
