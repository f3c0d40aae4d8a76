"""``coverage`` (the matrix, ``GET .../coverage``, the project page) reads its scenarios' results and test cases in
one statement each, by a sub-query of the links it read, whatever the number of scenarios: it read them by lists of
ids, 900 a statement, and on SQLite each test-case statement read every link of the project (its planner seeks the
project's index), 23 statements of 0.2-0.4 s each per origin on 20,000 linked scenarios (``GET .../coverage`` took
19 s on the large benchmark corpus, 4 s now). The rows stay what those reads made of them (kept here as the
reference): results passed, failed, skipped and none, test cases on some scenarios, a deleted scenario, and a
second project whose links and scenarios must not leak in. SQLite and PostgreSQL."""

from __future__ import annotations

import uuid
from collections import defaultdict
from typing import Any

from sqlalchemy import select

from apikit import counting_client
from conftest import GitRepo, init_repo
from specs import adr
from tracertm import db
from tracertm.engine.apply import iter_chunks
from tracertm.engine.sync import sync
from tracertm.models import Link, LinkType, Project, Scenario
from tracertm.results import import_results
from tracertm.trace import coverage

PER_FILE = 50


def _scenario(i: int) -> str:
    return f"  @SC-{i} @REQ-{i % 7}\n  Scenario: S{i}\n    Given step {i}\n\n"


def _features(repo: GitRepo, scenarios: int) -> None:
    """Features of ``PER_FILE`` scenarios, each file naming an ADR, each scenario a requirement; two ADRs stating
    REQ-1 to REQ-5 (REQ-0 and REQ-6 are named only: orphaned)."""
    repo.write("docs/adr/0001-one.md", adr(1, "One", decision="We will meet REQ-1, REQ-2 and REQ-3."))
    repo.write("docs/adr/0002-two.md", adr(2, "Two", decision="We will meet REQ-4 and REQ-5."))
    for start in range(1, scenarios + 1, PER_FILE):
        body = "".join(_scenario(i) for i in range(start, min(start + PER_FILE, scenarios + 1)))
        n = start // PER_FILE + 1
        repo.write(f"features/f{n}.feature", f"@FEAT-{n} @ADR-000{1 + n % 2}\nFeature: F{n}\n\n{body}")


def _report(scenarios: int) -> bytes:
    """A JUnit report of every third scenario: one in five of them failed, one in eleven skipped."""
    cases = []
    for i in range(1, scenarios + 1, 3):
        inner = '<failure message="boom"/>' if i % 5 == 0 else "<skipped/>" if i % 11 == 0 else ""
        cases.append(f'<testcase classname="F{(i - 1) // PER_FILE + 1}" name="S{i}" time="0.1">{inner}</testcase>')
    return f'<testsuite name="s" timestamp="2026-01-01T00:00:00" time="1">{"".join(cases)}</testsuite>'.encode()


def _project(repo: GitRepo, url: str, name: str, scenarios: int) -> None:
    _features(repo, scenarios)
    repo.commit("specs")
    assert not sync(repo.path, database_url=url, project=name).errors
    import_results(url, name, [("r.xml", _report(scenarios))], commit=repo.head(), repo=repo.path)


# The reads ``coverage`` made before, verbatim (``_tests`` with its project): the references.
def _old_results(session: Any, scenario_ids: list[uuid.UUID]) -> dict[uuid.UUID, str | None]:
    columns = [getattr(Scenario, c) for c in coverage.RESULT_COLUMNS if hasattr(Scenario, c)]
    out: dict[uuid.UUID, str | None] = {}
    for chunk in iter_chunks(sorted(set(scenario_ids))):
        for r in session.execute(select(Scenario.id, *columns).where(Scenario.id.in_(chunk))).mappings():
            out[r["id"]] = coverage.scenario_result(dict(r))
    return out


def _old_tests(session: Any, project: Project, scenario_ids: list[uuid.UUID]) -> dict[uuid.UUID, list[str]]:
    out: dict[uuid.UUID, list[str]] = defaultdict(list)
    for chunk in iter_chunks(sorted(set(scenario_ids))):
        for source_id, ref in session.execute(
            select(Link.source_id, Link.target_ref).where(
                Link.project_id == project.id, Link.link_type == str(LinkType.TEST), Link.source_id.in_(chunk))
        ).all():
            out[source_id].append(ref)
    return out


def _old_coverage(session: Any, project: Project, by: str) -> list[coverage.Row]:
    kind = "requirement" if by == "requirements" else "adr"
    links = session.execute(select(*coverage.LINK_COLUMNS).where(
        Link.project_id == project.id, Link.target_kind == kind)).mappings().all()
    adrs = []
    if kind == "adr":
        from tracertm.models import ADR

        adrs = [(str(n), t) for n, t in session.execute(
            select(ADR.adr_number, ADR.title).where(ADR.project_id == project.id, ADR.deleted_at.is_(None)))]
    ids = [link["source_id"] for link in links if link["source_kind"] == "scenario"]
    return coverage._rows(kind, links, adrs, _old_results(session, ids), _old_tests(session, project, ids))


def _cost(client: Any, statements: list[str], path: str) -> tuple[int, Any]:
    assert client.get(path).status_code == 200  # warm-up: the app's first request
    statements.clear()
    answer = client.get(path)
    assert answer.status_code == 200, answer.text[:500]
    return len(statements), answer.json()


PATHS = ("matrix", "matrix?from=adrs", "coverage")


def test_coverage_reads_results_and_test_cases_in_one_statement_each(
    git_repo: GitRepo, database_url: str, tmp_path: Any
) -> None:
    _project(init_repo(tmp_path / "few"), database_url, "few", 3)
    _project(git_repo, database_url, "many", 1000)  # 950 left: past one list of 900 ids
    git_repo.git("rm", "-q", "features/f2.feature")  # scenarios 51-100 deleted: their links go, rows stay
    git_repo.commit("fewer")
    assert not sync(git_repo.path, database_url=database_url, project="many").errors
    with counting_client(database_url) as (client, statements):
        few = [_cost(client, statements, f"/api/v1/projects/few/{p}")[0] for p in PATHS]
        many = [_cost(client, statements, f"/api/v1/projects/many/{p}") for p in PATHS]
    assert [n for n, _ in many] == few
    matrix = many[0][1]
    assert matrix["states"] == {"orphaned": 2, "uncovered": 0, "failing": 5, "suspect": 0, "not executed": 0,
                                "covered": 0}
    assert sum(len(r["tests"]) for r in matrix["rows"]) == len(range(1, 1001, 3)) - len(range(52, 101, 3))
    engine = db.make_engine(database_url)
    try:
        with db.session(engine) as session:
            for name in ("few", "many"):
                project = session.execute(select(Project).where(Project.name == name)).scalar_one()
                for by in ("requirements", "adrs"):
                    assert coverage.coverage(session, project, by) == _old_coverage(session, project, by)
    finally:
        engine.dispose()
