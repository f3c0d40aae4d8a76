"""cucumber-js 7 and later write every row of a Scenario Outline as an element with the outline's ``id`` and the
outline's ``line`` (the row's values only in its steps), which is how cucumber-ruby writes a retried scenario
(``--retry``: each attempt with the same id, line and steps). All rows were read as reruns of one test: a failing
row became a "failed attempt" behind the last row's outcome (three rows passed, failed, pending were one pending
result). Elements of one id and line are attempts of one test only when their steps are the same; rows, whose
steps differ, are tests of their own (``<id>::#2``, ``<id>::#3`` in file order), each matched to the outline.

The reports and features are real: see ``fixtures/cucumber-json-converter/README.md`` (MIT licence).
"""

from __future__ import annotations

from pathlib import Path

from sqlalchemy import select

from conftest import GitRepo
from tracertm import db
from tracertm.engine.sync import sync
from tracertm.models import Scenario, TestCase, TestResult
from tracertm.results import import_results
from tracertm.results.formats import read_report
from tracertm.results.report import final_cases

FIXTURES = Path(__file__).parent / "fixtures" / "cucumber-json-converter"


def _final(name: str) -> list[tuple[str, str, int]]:
    report = read_report(FIXTURES / name)
    return [(case.external_id, case.status, case.failed_attempts) for case in final_cases([report])]


def test_cucumber_js_7_outline_rows_are_tests_of_their_own() -> None:
    assert _final("cucumber-js-7.3.2-scenario-outline.json") == [
        ("../../features/scenario-outline.feature::scenario-outline;s1", "passed", 0),
        ("../../features/scenario-outline.feature::scenario-outline;s1::#2", "failed", 0),
        ("../../features/scenario-outline.feature::scenario-outline;s1::#3", "pending", 0),
    ]
    assert _final("cucumber-js-7.3.2-tagged-feature.json") == [
        ("../../features/tagged-feature.feature::foo;bar", "passed", 0),
        ("../../features/tagged-feature.feature::foo;bar::#2", "failed", 0),
    ]


def test_a_cucumber_ruby_retry_is_still_one_flaky_test() -> None:
    """The same id, line and steps twice: an attempt that failed, then the one that passed."""
    assert _final("cucumber-ruby-7.1.0-flaky-scenario.json") == [
        ("../../features/flaky-scenario.feature::flaky-scenario;s1", "passed", 1),
    ]


def test_each_row_is_stored_and_fails_the_outline(git_repo: GitRepo, database_url: str) -> None:
    for name in ("scenario-outline", "tagged-feature"):
        git_repo.write(f"features/{name}.feature", (FIXTURES / f"{name}.feature").read_text(encoding="utf-8"))
    git_repo.commit("features")
    assert not sync(git_repo.path, ref="HEAD", database_url=database_url, project="p").errors
    summary = import_results(database_url, "p", [FIXTURES / "cucumber-js-7.3.2-scenario-outline.json",
                                                 FIXTURES / "cucumber-js-7.3.2-tagged-feature.json"],
                             commit=git_repo.head(), repo=git_repo.path)
    assert summary.total == 5 and summary.statuses == {"passed": 2, "failed": 2, "pending": 1}
    assert summary.matched == {"tag": 0, "line": 5, "name": 0} and summary.unmatched == 0
    engine = db.make_engine(database_url)
    try:
        with db.session(engine) as session:
            rows = session.execute(
                select(TestCase.test_case_number, TestResult.status, TestResult.failed_attempts, Scenario.title)
                .join(TestCase, TestResult.test_case_id == TestCase.id)
                .join(Scenario, TestResult.scenario_id == Scenario.id)
            ).all()
            outlines = {title: status
                        for title, status in session.execute(select(Scenario.title, Scenario.last_status))}
    finally:
        engine.dispose()
    assert sorted((number.rsplit("::", 1)[-1], status, failed, title) for number, status, failed, title in rows) \
        == [("#2", "failed", 0, "Bar"), ("#2", "failed", 0, "S1"), ("#3", "pending", 0, "S1"),
            ("foo;bar", "passed", 0, "Bar"), ("scenario-outline;s1", "passed", 0, "S1")]
    assert outlines == {"S1": "failed", "Bar": "failed"}
