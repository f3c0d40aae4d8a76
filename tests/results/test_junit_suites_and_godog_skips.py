"""JUnit tests of one ``classname::name`` in different ``<testsuite>``s are different tests, not reruns (a failure in
one suite is not hidden behind a pass in another), and godog's ``<error type="skipped">`` (a step skipped after the
failing one) does not turn a failed scenario into an error.

Real reports: ``fixtures/jest-junit-two-files.xml`` is two suites of dorny/test-reporter's (MIT)
``__tests__/fixtures/external/jest/jest-test-results.xml`` (jest-junit, classname="", a suite per test file);
``NESTED`` is derived from mikepenz/action-junit-report's (Apache-2.0) ``test_results/nested/junit.xml``; ``GODOG_*``
are cucumber/godog's (MIT) ``internal/formatters/formatter-tests/junit/*``, as written."""

from __future__ import annotations

from pathlib import Path

import pytest
from sqlalchemy import text

from conftest import GitRepo, force_streaming
from tracertm import db
from tracertm.engine.sync import sync
from tracertm.results import import_results
from tracertm.results.junit import parse
from tracertm.results.report import final_cases

JEST = (Path(__file__).parent / "fixtures" / "jest-junit-two-files.xml").read_bytes()

NESTED = b"""<testsuites>
    <testsuite tests="4" failures="0" time="150.0" name="All tests">
        <properties></properties>
        <testsuite tests="4" failures="0" time="150.0" name="tests">
            <properties></properties>
            <testsuite tests="5" failures="3" time="150.0" name="packet">
                <properties></properties>
                <testsuite tests="2" failures="1" time="30.0" name="TestA">
                    <properties></properties>
                    <testcase classname="" name="A" time="10.0" cluster_instance="packet-1">
                        <failure message="failure"></failure>
                    </testcase>
                    <testcase classname="" name="B" time="20.0" cluster_instance="packet-1"></testcase>
                </testsuite>
                <testsuite tests="2" failures="1" time="70.0" name="TestB">
                    <properties></properties>
                    <testcase classname="" name="A" time="30.0" cluster_instance="packet-1"></testcase>
                    <testcase classname="" name="B" time="40.0" cluster_instance="packet-1">
                        <failure message="failure"></failure>
                    </testcase>
                </testsuite>
            </testsuite>
        </testsuite>
    </testsuite>
</testsuites>"""

GODOG_BACKGROUND_FAIL = b"""<?xml version="1.0" encoding="UTF-8"?>
<testsuites name="junit" tests="2" skipped="0" failures="2" errors="0" time="0">
  <testsuite name="two scenarios with background fail" tests="2" skipped="0" failures="2" errors="0" time="0">
    <testcase name="one" status="failed" time="0">
      <failure message="Step failing step: step failed"></failure>
      <error message="Step passing step" type="skipped"></error>
      <error message="Step passing step" type="skipped"></error>
    </testcase>
    <testcase name="two" status="failed" time="0">
      <failure message="Step failing step: step failed"></failure>
      <error message="Step passing step" type="skipped"></error>
    </testcase>
  </testsuite>
</testsuites>"""

GODOG_SOME_FAILING = b"""<?xml version="1.0" encoding="UTF-8"?>
<testsuites name="junit" tests="4" skipped="0" failures="1" errors="2" time="0">
  <testsuite name="some scenarios" tests="4" skipped="0" failures="1" errors="2" time="0">
    <testcase name="failing" status="failed" time="0">
      <failure message="Step failing step: step failed"></failure>
      <error message="Step passing step" type="skipped"></error>
    </testcase>
    <testcase name="pending" status="pending" time="0">
      <error message="Step pending step: TODO: write pending definition" type="pending"></error>
      <error message="Step passing step" type="skipped"></error>
    </testcase>
    <testcase name="undefined" status="undefined" time="0">
      <error message="Step undefined" type="undefined"></error>
      <error message="Step passing step" type="skipped"></error>
    </testcase>
    <testcase name="ambiguous" status="ambiguous" time="0">
      <error message="Step ambiguous step" type="ambiguous"></error>
      <error message="Step passing step" type="skipped"></error>
    </testcase>
  </testsuite>
</testsuites>"""


def _final(name: str, data: bytes) -> list[tuple[str, str, int, str | None]]:
    return [(c.external_id, c.status, c.failed_attempts, c.message) for c in final_cases([parse(name, data)])]


def test_a_jest_test_failing_in_two_test_files_is_two_failed_tests() -> None:
    cases = _final("jest.xml", JEST)
    assert len(cases) == 19  # every <testcase>: no two of one suite share a name
    assert [c for c in cases if c[1] != "passed"] == [
        ("e2e/__tests__/jestChangedFiles.test.ts::gets changed files for hg", "failed", 0,
         "Error: abort: empty revision range"),
        ("e2e/__tests__/onlyChanged.test.ts::gets changed files for hg", "failed", 0,
         "Error: expect(received).toMatch(expected)"),
    ]
    # The other tests keep the id they have always had (test cases stored by earlier imports stay theirs).
    assert ("gets hg SCM roots and dedupes them", "passed", 0, None) in cases


def test_a_failure_in_one_nested_suite_is_not_hidden_by_a_pass_in_another() -> None:
    assert _final("nested.xml", NESTED) == [
        ("TestA::A", "failed", 0, "failure"), ("TestA::B", "passed", 0, None),
        ("TestB::A", "passed", 0, None), ("TestB::B", "failed", 0, "failure"),
    ]


def test_a_rerun_within_its_suite_is_still_a_rerun_next_to_a_namesake_in_another_suite() -> None:
    report = (b'<testsuites><testsuite name="X"><testcase classname="c" name="t"><failure message="timeout"/>'
              b'</testcase><testcase classname="c" name="t"/></testsuite>'
              b'<testsuite name="Y"><testcase classname="c" name="t"><failure message="broken"/></testcase>'
              b'</testsuite><testsuite name="Z"><testcase classname="c" name="u"/></testsuite></testsuites>')
    assert _final("r.xml", report) == [
        ("X::c::t", "passed", 1, "timeout"), ("Y::c::t", "failed", 0, "broken"), ("c::u", "passed", 0, None)]


def _stored(database_url: str, project: str) -> list[tuple[str, str, int, str | None]]:
    engine = db.make_engine(database_url)
    try:
        with engine.connect() as connection:
            return sorted((row[0], row[1], row[2], row[3]) for row in connection.execute(text(
                "SELECT c.test_case_number, r.status, r.failed_attempts, r.message FROM test_results r "
                "JOIN test_cases c ON c.id = r.test_case_id JOIN projects p ON p.id = c.project_id "
                "WHERE p.name = :p"), {"p": project}))
    finally:
        engine.dispose()


@pytest.mark.parametrize("chunks", [(1, 1), (50, 50)])
def test_the_streamed_import_stores_what_the_in_process_import_stores(
    git_repo: GitRepo, database_url: str, monkeypatch: pytest.MonkeyPatch, chunks: tuple[int, int],
) -> None:
    git_repo.write("features/a.feature", "Feature: A\n\n  Scenario: A\n    Given a step\n")
    git_repo.commit("a")
    for project in ("in-process", "streamed"):
        assert not sync(git_repo.path, ref="HEAD", database_url=database_url, project=project).errors
    monkeypatch.setenv("TRACERTM_RESULTS_STREAM", "0")
    for name, data in (("jest.xml", JEST), ("nested.xml", NESTED)):
        import_results(database_url, "in-process", [(name, data)], commit=git_repo.head())
    outcomes = force_streaming(monkeypatch, *chunks)
    for name, data in (("jest.xml", JEST), ("nested.xml", NESTED)):
        import_results(database_url, "streamed", [(name, data)], commit=git_repo.head())
    # One test per chunk: a namesake in a later chunk restarts in-process; one chunk: streamed to the end.
    assert outcomes == (["restart", "restart"] if chunks == (1, 1) else ["streamed", "streamed"])
    stored = _stored(database_url, "streamed")
    assert stored == _stored(database_url, "in-process")
    assert len(stored) == 23
    assert [row[0] for row in stored if row[1] == "failed"] == [
        "TestA::A", "TestB::B", "e2e/__tests__/jestChangedFiles.test.ts::gets changed files for hg",
        "e2e/__tests__/onlyChanged.test.ts::gets changed files for hg"]


def test_a_godog_scenario_failing_before_skipped_steps_is_failed_with_the_failure_message() -> None:
    assert _final("godog.xml", GODOG_BACKGROUND_FAIL) == [
        ("one", "failed", 0, "Step failing step: step failed"),
        ("two", "failed", 0, "Step failing step: step failed"),
    ]
    assert _final("godog.xml", GODOG_SOME_FAILING) == [
        ("failing", "failed", 0, "Step failing step: step failed"),
        ("pending", "pending", 0, "Step pending step: TODO: write pending definition"),
        ("undefined", "undefined", 0, "Step undefined"),
        ("ambiguous", "error", 0, "Step ambiguous step"),
    ]


def test_other_producers_errors_and_failures_are_read_as_before() -> None:
    """Surefire's ``<error>`` is an error (first when a test has both), its reruns failed attempts; only godog's
    ``type="skipped"`` marks a skipped step."""
    report = (b'<testsuite name="s">'
              b'<testcase classname="c" name="e"><error type="java.lang.NullPointerException" message="npe"/>'
              b'</testcase>'
              b'<testcase classname="c" name="both"><failure message="f"/><error message="e"/></testcase>'
              b'<testcase classname="c" name="r"><failure message="f1"/><rerunFailure message="f2"/></testcase>'
              b'<testcase classname="c" name="skip"><error type="skipped" message="not run"/></testcase>'
              b'</testsuite>')
    assert _final("s.xml", report) == [
        ("c::e", "error", 0, "npe"), ("c::both", "error", 0, "e"), ("c::r", "failed", 1, "f1"),
        ("c::skip", "skipped", 0, "not run")]


def test_a_namesake_after_the_chunk_that_qualified_its_id_goes_back_in_process(
    git_repo: GitRepo, database_url: str, monkeypatch: pytest.MonkeyPatch,
) -> None:
    """``t`` in suites X and Y, one chunk: their ids are qualified there; ``t`` in suite Z comes in the next chunk,
    and must be qualified too (``Z::t``, as in-process), not stored as a plain ``t``."""
    git_repo.write("features/a.feature", "Feature: A\n\n  Scenario: A\n    Given a step\n")
    git_repo.commit("a")
    for project in ("in-process", "streamed"):
        assert not sync(git_repo.path, ref="HEAD", database_url=database_url, project=project).errors
    report = b"<testsuites>" + b"".join(
        f'<testsuite name="{suite}"><testcase name="t">{body}</testcase></testsuite>'.encode()
        for suite, body in (("X", ""), ("Y", '<failure message="no"/>'), ("Z", '<failure message="again"/>'))
    ) + b"</testsuites>"
    monkeypatch.setenv("TRACERTM_RESULTS_STREAM", "0")
    import_results(database_url, "in-process", [("r.xml", report)], commit=git_repo.head())
    outcomes = force_streaming(monkeypatch, 2, 2)
    import_results(database_url, "streamed", [("r.xml", report)], commit=git_repo.head())
    assert outcomes == ["restart"]
    assert _stored(database_url, "streamed") == _stored(database_url, "in-process") == [
        ("X::t", "passed", 0, None), ("Y::t", "failed", 0, "no"), ("Z::t", "failed", 0, "again")]
