"""A feature's page reads its scenarios' steps and last results together (``pages.scenario_views``), in as many
statements for 40 scenarios as for 4: it read them scenario by scenario (``scenario_view``: the stored steps, every
step definition of the project numbered, the definitions, the scenario's project, its runs and results — 6 or more
statements each, 73 and 393 ms for a feature of the large benchmark corpus). The page stays what the per-scenario
reads made of it (kept here as the references, verbatim: ``scenario_steps`` before, and the full read of a
scenario's results that ``scenario_results``' walk equals): steps matched to definitions (an ambiguous one, an
undefined one, an outline's rows), results in every run, in old runs only (past the walk of the newest runs) and
none. SQLite and PostgreSQL."""

from __future__ import annotations

import datetime as dt
from typing import Any

import pytest
from sqlalchemy import func, select

from apikit import counting_client
from conftest import GitRepo
from tracertm import db
from tracertm.engine.sync import sync
from tracertm.models import Project, Scenario, ScenarioSteps, StepDefinition, TestCase, TestResult, TestRun
from tracertm.results import import_results, queries, stats
from tracertm.steps.packed import decoded
from tracertm.steps.queries import short_ids
from tracertm.timetext import json_time_or_none
from tracertm.web import pages

STEPS = """const { Given, When, Then } = require('@cucumber/cucumber');

Given('a cart with {int} items', function (n) {});
When('the shopper pays', function () {});
Then('the payment is {string}', function (state) {});
Then(/^the payment is "(ok|ko)"$/, function (state) {});
"""
RUNS = 5


def _unit(i: int) -> str:
    """Four scenarios: run every time, run in the two oldest runs only, an outline never run, one never run with an
    undefined step."""
    return (f'  Scenario: Run{i}\n    Given a cart with {i} items\n    When the shopper pays\n'
            f'    Then the payment is "ok"\n\n'
            f'  Scenario: Old{i}\n    Given a cart with {i + 1} items\n    Then the payment is "paid"\n\n'
            f'  Scenario Outline: Outline{i}\n    Given a cart with <n> items\n    When the shopper pays\n\n'
            f'    Examples:\n      | n |\n      | {i} |\n      | {i + 2} |\n\n'
            f'  Scenario: Never{i}\n    Given a cart with {i} items\n    Then nothing matches {i}\n\n')


FEATURES = {"few": 1, "many": 10}  # units of four scenarios


def _report(run: int) -> bytes:
    stamp = (dt.datetime(2026, 1, 1, tzinfo=dt.timezone.utc) + dt.timedelta(hours=run)).isoformat()
    cases = []
    for name, units in FEATURES.items():
        for i in range(units):
            inner = '<failure message="boom"/>' if (i + run) % 3 == 0 else ""
            cases.append(f'<testcase classname="{name.title()}" name="Run{i}" time="0.1">{inner}</testcase>')
            if run <= 2:
                cases.append(f'<testcase classname="{name.title()}" name="Old{i}" time="0.1"/>')
    return f'<testsuite name="r{run}" timestamp="{stamp}" time="1">{"".join(cases)}</testsuite>'.encode()


def _project(repo: GitRepo, url: str) -> None:
    repo.write("features/step_definitions/steps.js", STEPS)
    for n, (name, units) in enumerate(FEATURES.items(), 1):
        body = "".join(_unit(i) for i in range(units))
        repo.write(f"features/{name}.feature", f"@FEAT-{n}\nFeature: {name.title()}\n\n{body}")
    repo.commit("specs")
    assert not sync(repo.path, database_url=url, project="shop").errors
    for run in range(1, RUNS + 1):
        import_results(url, "shop", [(f"r{run}.xml", _report(run))], commit=repo.head(), repo=repo.path)


# ``scenario_steps`` before, verbatim but for steps of no Examples row line (last on every database now, where
# they followed its order of NULL): the reference.
def _old_steps(session: Any, scenario: Scenario) -> list[dict[str, Any]]:
    import uuid

    project_id = scenario.feature.project_id
    stored = session.execute(
        select(ScenarioSteps.steps).where(ScenarioSteps.scenario_id == scenario.id)
    ).scalar_one_or_none()
    steps = decoded(stored) if stored is not None else []
    if not steps:
        return []
    shorts = short_ids(session, project_id)
    wanted = sorted({uuid.UUID(hex=d) for step in steps for d, _ in step[6]}, key=str)
    definitions = {d.id.hex: d for d in session.execute(
        select(StepDefinition).where(StepDefinition.id.in_(wanted)).execution_options(include_deleted=True)
    ).scalars()} if wanted else {}

    def order(step: list[Any]) -> tuple[Any, ...]:
        row_line = step[2]
        return ((1, 0) if row_line is None else (0, row_line), step[0])

    out: list[dict[str, Any]] = []
    for position, line, row_line, keyword, text, status, matches in sorted(steps, key=order):
        step = {"line": line, "row_line": row_line, "keyword": keyword, "text": text, "status": status,
                "definitions": []}
        for definition_hex, arguments in matches:
            d = definitions.get(definition_hex)
            if d is not None:
                step["definitions"].append({
                    "id": shorts.get(d.id), "identity": d.step_number, "location": f"{d.source_path}:{d.line}",
                    "pattern": d.pattern, "arguments": list(arguments or ()),
                })
        out.append(step)
    return out


# A scenario's last results from all of them (what ``scenario_results``' walk gives: tests/results/
# test_results_stats_bounded.py), with its statistics: the reference.
def _old_results(session: Any, scenario: Scenario, limit: int) -> dict[str, Any]:
    when = func.coalesce(TestRun.finished_at, TestRun.started_at, TestRun.imported_at)
    rows = session.execute(
        select(TestResult, TestRun, TestCase.test_case_number)
        .join(TestRun, TestResult.run_id == TestRun.id)
        .join(TestCase, TestResult.test_case_id == TestCase.id)
        .where(TestResult.scenario_id == scenario.id)
        .order_by(when.desc(), TestRun.imported_at.desc(), TestCase.test_case_number)
        .limit(limit)
        .execution_options(include_deleted=True)
    ).all()
    return {
        "pass_rate": scenario.pass_rate, "last_status": scenario.last_status,
        "last_executed_at": json_time_or_none(scenario.last_executed_at), "execution_count": scenario.execution_count,
        "flaky": scenario.flaky,
        "last_results": [
            {"status": r.status, "test": test, "row": r.example_row, "commit": run.commit_sha, "run": run.name,
             "when": json_time_or_none(run.finished_at or run.started_at or run.imported_at), "message": r.message}
            for r, run, test in rows]}


def _one_by_one(session: Any, project: Project, scenarios: list[Any], results: int = 3) -> list[Any]:
    """The feature page's scenarios as ``scenario_view`` read them, one scenario at a time (each step with its
    argument, which the scenario's row holds: no read of its own)."""
    from tracertm.web.feature_text import with_arguments

    out = []
    for s in scenarios:
        steps = _old_steps(session, s)
        out.append(pages.ScenarioView(
            s, with_arguments(s, steps or pages._parsed_steps(s)), bool(steps), _old_results(session, s, results),
            pages.record_url(project.name, "scenario", s.scenario_number, s.feature.feature_number) or ""))
    return out


def _cost(client: Any, statements: list[str], path: str) -> tuple[int, str]:
    assert client.get(path).status_code == 200  # warm-up: the app's first request
    statements.clear()
    answer = client.get(path)
    assert answer.status_code == 200, answer.text[:500]
    return len(statements), answer.text


def test_a_feature_page_reads_its_scenarios_together(
    git_repo: GitRepo, database_url: str, monkeypatch: pytest.MonkeyPatch
) -> None:
    # A short walk of the newest runs: the Old scenarios' results lie past it, read from all their results.
    monkeypatch.setattr(stats, "_WALK", 4)
    _project(git_repo, database_url)
    paths = [f"/projects/shop/features/FEAT-{n}" for n in (1, 2)]
    with counting_client(database_url) as (client, statements):
        (few, few_page), (many, many_page) = (_cost(client, statements, path) for path in paths)
        assert few == many, (few, many)
        monkeypatch.setattr(pages, "scenario_views", _one_by_one)
        reference = [_cost(client, statements, path) for path in paths]
    assert [few_page, many_page] == [page for _, page in reference]
    assert reference[1][0] > many + 100  # the reference read scenario by scenario
    # What the pages show (golden values, not only the reference's word for them).
    assert 'class="badge s-failed"' in many_page and "nothing matches 9" in many_page
    assert "<td><bdi>Many::Old9</bdi></td><td>r1</td>" in many_page  # its oldest result, past the walk
    from tracertm.steps.queries import scenarios_steps

    engine = db.make_engine(database_url)
    try:
        with db.session(engine) as session:
            project = session.execute(select(Project).where(Project.name == "shop")).scalar_one()
            scenarios = list(session.execute(select(Scenario).order_by(Scenario.title)).scalars())
            assert len(scenarios) == 4 * sum(FEATURES.values())
            steps = scenarios_steps(session, project.id, [s.id for s in scenarios])
            ambiguous = 0
            for s in scenarios:
                assert steps.get(s.id, []) == _old_steps(session, s), s.title
                ambiguous += sum(len(step["definitions"]) == 2 for step in steps.get(s.id, []))
            assert ambiguous == sum(FEATURES.values())  # each Run's 'the payment is "ok"'
            for limit in (1, 3, 5):
                shown = queries.scenarios_results(session, scenarios, limit)
                for s in scenarios:
                    assert shown[s.id] == _old_results(session, s, limit), (s.title, limit)
                    assert shown[s.id] == queries.scenario_results(session, s, limit)
            old = {s.title: len(shown[s.id]["last_results"]) for s in scenarios if s.title.startswith("Old")}
            assert set(old.values()) == {2}  # past the walk: both their results
    finally:
        engine.dispose()
