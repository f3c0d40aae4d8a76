"""``coverage`` reads the ten columns of each scenario it reports, not whole scenarios: an ORM entity loads the
Gherkin text and nine change-tracked JSON columns (12 s of CPU at 20,000 scenarios, most of the report's time).
The report is the same: a deleted scenario and the scenarios of a deleted feature are left out (the session's
soft-delete filter applies to a select of columns too), the rest in feature order. SQLite and PostgreSQL."""

from __future__ import annotations

import datetime as dt
from typing import Any

from sqlalchemy import select

from conftest import GitRepo
from raw_sql import statements_of
from tracertm import db
from tracertm.engine.sync import sync
from tracertm.models import Project, Scenario
from tracertm.results import import_results
from tracertm.results.queries import coverage


def _feature(name: str, scenarios: list[str]) -> str:
    return f"Feature: {name}\n\n" + "".join(f"  Scenario: {s}\n    Given step {s.lower()}\n\n" for s in scenarios)


def _report(feature: str, outcomes: dict[str, str]) -> bytes:
    stamp = dt.datetime(2026, 1, 1, tzinfo=dt.timezone.utc).isoformat()
    failure = '<failure message="boom"/>'
    cases = "".join(f'<testcase classname="{feature}" name="{name}" time="0.1">'
                    f'{failure if outcome == "failed" else ""}</testcase>' for name, outcome in outcomes.items())
    return f'<testsuite name="s" timestamp="{stamp}" time="1">{cases}</testsuite>'.encode()


def test_coverage_reads_columns_and_reports_the_live_scenarios(git_repo: GitRepo, database_url: str) -> None:
    git_repo.write("features/shop.feature", _feature("Shop", ["Pay", "Refund", "Void", "Gone"]))
    git_repo.write("features/zoo.feature", _feature("Zoo", ["Feed"]))
    git_repo.write("features/old.feature", _feature("Old", ["Ancient"]))
    git_repo.commit("seed")
    assert not sync(git_repo.path, database_url=database_url, project="p").errors
    git_repo.write("features/shop.feature", _feature("Shop", ["Pay", "Refund", "Void"]))
    git_repo.remove("features/old.feature")
    git_repo.commit("drop a scenario and a feature")
    assert not sync(git_repo.path, database_url=database_url, project="p").errors
    import_results(database_url, "p", [("r.xml", _report("Shop", {"Pay": "passed", "Refund": "failed"}))],
                   commit=git_repo.head(), repo=git_repo.path)
    engine = db.make_engine(database_url)
    try:
        with db.session(engine) as session:
            project = session.execute(select(Project).where(Project.name == "p")).scalar_one()
            found: list[Any] = []
            reads = statements_of(engine, lambda: found.append(coverage(session, project, git_repo.path)),
                                  lambda flat: "FROM scenarios JOIN features" in flat
                                  and flat.endswith("scenarios.position"))
            assert len(reads) == 1, reads
            assert "gherkin_text" not in reads[0][0] and "given_steps" not in reads[0][0], reads[0][0]
            assert not [o for o in session.identity_map.values() if isinstance(o, Scenario)], "no scenario entity"
        report = found[0]
        assert [i["title"] for i in report["never_executed"]] == ["Void", "Feed"], report
        assert [(i["title"], i["status"], i["last_status"], i["pass_rate"]) for i in report["failing"]] == [
            ("Refund", "draft", "failed", 0.0)], report
        assert report["flaky"] == [] and report["stale"] == [], report
        everything = {i["title"] for items in report.values() for i in items}
        assert "Gone" not in everything and "Ancient" not in everything, report
    finally:
        engine.dispose()
