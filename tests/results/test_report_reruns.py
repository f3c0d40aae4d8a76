"""A test re-run inside one report and written as one ``<testcase>`` per attempt (gotestsum ``--rerun-fails``,
Gradle's test-retry, pytest-rerunfailures): the last report is the outcome and the earlier failures are failed
attempts, so a test that failed and then passed is a flaky pass, as Surefire's ``<flakyFailure>`` is. On SQLite and
PostgreSQL."""

from __future__ import annotations

from collections.abc import Iterator

import pytest
from sqlalchemy import select

from conftest import GitRepo, force_streaming
from tracertm import db
from tracertm.engine.sync import sync
from tracertm.models import Scenario, TestResult
from tracertm.results import import_results
from tracertm.results.formats import parse_report
from tracertm.results.report import final_cases

LOGIN = "Feature: Login\n\n  Scenario: Bad password\n    Given a user\n"
TEST = 'classname="tests.test_login" name="test_bad_password" time="0.1"'
RERUN = (f'<testsuites><testsuite name="tests"><testcase {TEST}><failure message="timeout">flaky</failure>'
         f'</testcase><testcase {TEST}/></testsuite></testsuites>').encode()
SUREFIRE = f'<testsuite name="s"><testcase {TEST}><flakyFailure message="timeout"/></testcase></testsuite>'.encode()


@pytest.fixture
def login(git_repo: GitRepo, database_url: str) -> Iterator[GitRepo]:
    git_repo.write("features/login.feature", LOGIN)
    git_repo.commit("login")
    for project in ("rerun", "surefire"):
        assert not sync(git_repo.path, ref="HEAD", database_url=database_url, project=project).errors
    yield git_repo


def _stored(database_url: str, project: str) -> tuple[str, int, str | None, bool | None, str | None]:
    """(status, failed attempts, message) of the project's one result, and its scenario's flaky and last status."""
    engine = db.make_engine(database_url)
    try:
        with db.session(engine) as session:
            from tracertm.models import Feature, Project

            scenario = session.execute(
                select(Scenario).join(Feature, Scenario.feature_id == Feature.id)
                .join(Project, Feature.project_id == Project.id).where(Project.name == project)
            ).scalar_one()
            result = session.execute(select(TestResult).where(TestResult.scenario_id == scenario.id)).scalar_one()
            return result.status, result.failed_attempts, result.message, scenario.flaky, scenario.last_status
    finally:
        engine.dispose()


def test_a_failure_then_a_pass_of_one_test_is_stored_as_surefire_stores_a_flaky_failure(
    login: GitRepo, database_url: str,
) -> None:
    summary = import_results(database_url, "rerun", [("rerun.xml", RERUN)], commit=login.head())
    assert (summary.total, summary.statuses) == (1, {"passed": 1})
    import_results(database_url, "surefire", [("surefire.xml", SUREFIRE)], commit=login.head())
    assert _stored(database_url, "rerun") == ("passed", 1, "timeout", True, "passed")
    assert _stored(database_url, "rerun") == _stored(database_url, "surefire")


def _final(*bodies: str, files: int = 1) -> list[tuple[str, str, int, str | None]]:
    """(test, status, failed attempts, message) of the final cases of reports holding test ``t`` once per body (in
    one report, or one report per body with ``files``)."""
    cases = [f'<testcase classname="c" name="t">{body}</testcase>' for body in bodies]
    reports = [parse_report(f"r{n}.xml", f'<testsuite name="s">{"".join(part)}'
                                         '<testcase classname="c" name="other"/></testsuite>'.encode())
               for n, part in enumerate([cases] if files == 1 else [[c] for c in cases])]
    return [(c.name, c.status, c.failed_attempts, c.message) for c in final_cases(reports)]


FAIL = '<failure message="boom"/>'


@pytest.mark.parametrize(("bodies", "expected"), [
    ((FAIL, ""), ("passed", 1, "boom")),
    ((FAIL, '<error message="crash"/>', ""), ("passed", 2, "crash")),  # every failed attempt counts
    ((FAIL, '<flakyFailure message="once"/>'), ("passed", 2, "once")),  # and the attempts a report carried
    ((FAIL, FAIL), ("failed", 1, "boom")),  # failed on every attempt: one failure before the last
    (("", FAIL), ("failed", 0, "boom")),  # a pass is no failed attempt
    (('<skipped message="later"/>', ""), ("passed", 0, None)),
    ((FAIL, '<skipped message="hook"/>'), ("failed", 0, "boom")),  # a skip is no execution: the failure decides
    ((FAIL, FAIL, "<skipped/>"), ("failed", 1, "boom")),
    (("", "<skipped/>"), ("passed", 0, None)),
    (('<flakyFailure message="once"/><skipped/>',), ("failed", 0, "once")),  # Surefire: skipped on its rerun
    (("", ""), ("passed", 0, None)),
])
def test_earlier_reports_of_a_test_in_one_report_are_its_failed_attempts(
    bodies: tuple[str, ...], expected: tuple[str, int, str | None],
) -> None:
    assert _final(*bodies) == [("t", *expected), ("other", "passed", 0, None)]


def test_a_pytest_retry_skipped_after_its_failed_attempt_is_a_failure() -> None:
    """pytest-rerunfailures writes the failed attempt as an empty ``<testcase>``: a skipped rerun after it leaves
    that failure (it used to be stored as skipped with one failed attempt: never executed)."""
    data = (f'<testsuites><testsuite name="pytest"><testcase {TEST}/><testcase {TEST}><skipped message="s"/>'
            '</testcase></testsuite></testsuites>').encode()
    assert [(c.status, c.failed_attempts) for c in final_cases([parse_report("r.xml", data)])] == [("failed", 0)]


def test_a_test_in_two_files_is_in_two_suites_of_one_name() -> None:
    """Both files ran ``other`` too: the second is another run of the suite, not a rerun of its failure (see
    test_one_test_in_two_files); the second file's pass used to replace the failure."""
    assert _final(FAIL, "", files=2) == [("t", "failed", 0, "boom"), ("other", "passed", 0, None),
                                         ("t", "passed", 0, None), ("other", "passed", 0, None)]


def test_the_streamed_import_stores_a_rerun_as_the_in_process_import_does(
    login: GitRepo, database_url: str, monkeypatch: pytest.MonkeyPatch,
) -> None:
    forced = force_streaming(monkeypatch, 50, 50)  # both reports of the test in one chunk
    import_results(database_url, "rerun", [("rerun.xml", RERUN)], commit=login.head())
    assert forced == ["streamed"]
    assert _stored(database_url, "rerun") == ("passed", 1, "timeout", True, "passed")
