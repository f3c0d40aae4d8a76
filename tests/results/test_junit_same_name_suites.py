"""Two ``<testsuite>`` of one name in one JUnit report (reports concatenated or merged: two machines or Gradle tasks,
two Surefire executions, a rerun's report added to the first) whose tests share ids: the later suite is a rerun only
when every shared test had failed in the earlier one (cucumber's rerun file, ``pytest --lf``: only failures run
again, as in bhovhannes/junit-report-merger#239); otherwise its tests are other runs, kept apart as
``<suite>#<k>::<classname>::<name>`` — no result merged into a flaky pass or replaced by the last one. Surefire
writes a rerun inside its test's ``<testcase>`` (flakyFailure, rerunFailure): its later namesake suite is never one.

``ECLIPSE`` is cut from jenkinsci/junit-plugin's (MIT) ``src/test/resources/hudson/tasks/junit/
eclipse-plugin-test-report.xml`` (Ant's aggregated report: 16 suites all named "tests", told apart by ``id``):
suites of one name without shared tests keep every id as it was."""

from __future__ import annotations

import pytest

from conftest import GitRepo, force_streaming
from test_junit_suites_and_godog_skips import _stored
from tracertm.engine.sync import sync
from tracertm.results import import_results
from tracertm.results.junit import parse, stream
from tracertm.results.report import final_cases

SUREFIRE = ('xmlns:xsi="http://www.w3.org/2001/XMLSchema-instance" xsi:noNamespaceSchemaLocation='
            '"https://maven.apache.org/surefire/maven-surefire-plugin/xsd/surefire-test-report-3.0.xsd"')

ECLIPSE = b"""<?xml version="1.0" encoding="UTF-8" ?>
<testsuites>
  <testsuite errors="0" failures="0" hostname="faktorzehn.org" id="0" name="tests" package="" tests="2"
             time="15.02" timestamp="2011-03-21T16:51:12">
        <testcase classname="de.qv.ormext.builder.OrmextBuilderTest" name="testBeforeBuild" time="7.783" />
        <testcase classname="de.qv.ormext.builder.OrmextBuilderTest" name="testAfterBuild" time="0.159" />
  </testsuite>
  <testsuite errors="0" failures="0" hostname="faktorzehn.org" id="1" name="tests" package="" tests="2"
             time="0.03" timestamp="2011-03-21T16:53:10">
        <testcase classname="org.faktorips.devtools.ant.RecursiveCopyTest" name="testRecursiveDirCopy"
                  time="0.0030" />
        <testcase classname="org.faktorips.devtools.ant.RecursiveCopyTest" name="testCopyFile" time="0.0020" />
  </testsuite>
</testsuites>"""


def _suites(*suites: tuple[str, str]) -> bytes:
    """A report of suites (attributes, test cases)."""
    return ("<testsuites>" + "".join(f"<testsuite {attrs}>{cases}</testsuite>" for attrs, cases in suites)
            + "</testsuites>").encode()


def _final(data: bytes) -> list[tuple[str, str, int, str | None]]:
    report = parse("r.xml", data)
    assert list(stream("r.xml", data, [], [], [])) == list(report.cases)  # the streamed import reads them alike
    return [(c.external_id, c.status, c.failed_attempts, c.message) for c in final_cases([report])]


FAILED_T = '<testcase classname="c" name="t"><failure message="boom"/></testcase>'
PASSED_U = '<testcase classname="c" name="u"/>'
TWO_MACHINES = _suites(('name="pytest" hostname="linux"', FAILED_T + PASSED_U),
                       ('name="pytest" hostname="mac"', '<testcase classname="c" name="t"/>' + PASSED_U))


def test_two_machines_runs_of_one_suite_keep_both_results() -> None:
    assert _final(TWO_MACHINES) == [  # was c::t passed, 1 failed attempt (a flaky pass), and c::u once
        ("pytest::c::t", "failed", 0, "boom"), ("pytest::c::u", "passed", 0, None),
        ("pytest#2::c::t", "passed", 0, None), ("pytest#2::c::u", "passed", 0, None)]


def test_a_later_suite_rerunning_only_the_failures_is_a_rerun() -> None:
    report = _suites(('name="Cucumber" timestamp="2023-04-03T09:00:00"', FAILED_T + PASSED_U),
                     ('name="Cucumber" timestamp="2023-04-03T09:12:00"', '<testcase classname="c" name="t"/>'))
    assert _final(report) == [("c::t", "passed", 1, "boom"), ("c::u", "passed", 0, None)]


def test_a_later_surefire_suite_of_the_name_is_never_a_rerun() -> None:
    """Two executions of one class (surefire and failsafe, two Gradle test tasks), their reports concatenated: the
    failure of the first is not a failed attempt of the second's pass."""
    report = _suites((f'{SUREFIRE} name="com.Foo"', FAILED_T.replace('"c"', '"com.Foo"')),
                     (f'{SUREFIRE} name="com.Foo"', '<testcase classname="com.Foo" name="t"/>'))
    assert _final(report) == [
        ("com.Foo::com.Foo::t", "failed", 0, "boom"), ("com.Foo#2::com.Foo::t", "passed", 0, None)]


def test_suites_of_one_name_without_shared_tests_keep_their_ids() -> None:
    assert [c[0] for c in _final(ECLIPSE)] == [
        "de.qv.ormext.builder.OrmextBuilderTest::testBeforeBuild",
        "de.qv.ormext.builder.OrmextBuilderTest::testAfterBuild",
        "org.faktorips.devtools.ant.RecursiveCopyTest::testRecursiveDirCopy",
        "org.faktorips.devtools.ant.RecursiveCopyTest::testCopyFile"]


def test_the_streamed_import_stores_them_as_the_in_process_import_does(
    git_repo: GitRepo, database_url: str, monkeypatch: pytest.MonkeyPatch,
) -> None:
    git_repo.write("features/a.feature", "Feature: A\n\n  Scenario: A\n    Given a step\n")
    git_repo.commit("a")
    for project in ("in-process", "streamed"):
        assert not sync(git_repo.path, ref="HEAD", database_url=database_url, project=project).errors
    monkeypatch.setenv("TRACERTM_RESULTS_STREAM", "0")
    import_results(database_url, "in-process", [("r.xml", TWO_MACHINES)], commit=git_repo.head())
    outcomes = force_streaming(monkeypatch, 50, 50)
    import_results(database_url, "streamed", [("r.xml", TWO_MACHINES)], commit=git_repo.head())
    assert outcomes == ["streamed"]
    assert _stored(database_url, "streamed") == _stored(database_url, "in-process") == [
        ("pytest#2::c::t", "passed", 0, None), ("pytest#2::c::u", "passed", 0, None),
        ("pytest::c::t", "failed", 0, "boom"), ("pytest::c::u", "passed", 0, None)]
