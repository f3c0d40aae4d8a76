"""The same test in two files of one import (``results import build/test-results/**/*.xml`` with two Gradle test
tasks, a CI matrix's reports, one multipart upload) is read as the same two reports in one file: the files are one
report of all their tests, file after file. A JUnit suite of a name an earlier file has too is a later suite of
that name — a rerun when every test it shares had failed there (a flaky pass), else other runs kept apart as
``<suite>#<k>::…``; in Cucumber reports a test reported again is a later attempt. The later file's result used to
replace the earlier one's whole: the failure was gone, no failed attempt, no message, although the summary counted
it as merged. On SQLite and PostgreSQL, in-process, streamed and uploaded alike."""

from __future__ import annotations

import json

import pytest
from sqlalchemy import select

from apikit import api_client, make_token
from conftest import GitRepo, force_streaming, run_cli
from tracertm import db
from tracertm.engine.sync import sync
from tracertm.models import Project, TestCase, TestResult
from tracertm.results import import_results
from tracertm.results.formats import parse_report
from tracertm.results.report import final_cases

SUREFIRE = ('xmlns:xsi="http://www.w3.org/2001/XMLSchema-instance" xsi:noNamespaceSchemaLocation='
            '"https://maven.apache.org/surefire/maven-surefire-plugin/xsd/surefire-test-report-3.0.xsd"')
FAILED = '<testcase classname="com.acme.PayTest" name="pays"><failure message="integration: gateway refused"/>' \
         '</testcase>'
PASSED = '<testcase classname="com.acme.PayTest" name="pays"/>'
OTHER = '<testcase classname="com.acme.PayTest" name="refunds"/>'


def _suite(cases: str, attrs: str = "") -> str:
    return f'<testsuite name="com.acme.PayTest" {attrs}>{cases}</testsuite>'


Final = list[tuple[str, str, int, str | None]]


def _final(*files: bytes) -> Final:
    reports = [parse_report(f"r{n}.xml", data) for n, data in enumerate(files)]
    return [(c.external_id, c.status, c.failed_attempts, c.message) for c in final_cases(reports)]


def _one_and_two(*suites: str) -> tuple[Final, Final]:
    """The final cases of ``suites`` in one report, and in one report each."""
    return (_final(("<testsuites>" + "".join(suites) + "</testsuites>").encode()),
            _final(*(suite.encode() for suite in suites)))


def test_a_failure_then_a_pass_in_the_next_file_is_a_flaky_pass_as_in_one_file() -> None:
    one, two = _one_and_two(_suite(FAILED), _suite(PASSED))
    assert two == one == [("com.acme.PayTest::pays", "passed", 1, "integration: gateway refused")]


def test_tests_outside_any_suite_rerun_across_files_as_in_one_file() -> None:
    """Tests directly under ``<testsuites>`` are one group in each file: not numbered apart as a later suite of an
    empty name (``#2::c::t``)."""
    first = b'<testsuites><testcase classname="c" name="t"/><testcase classname="c" name="u"><failure message="boom"/>' \
            b'</testcase></testsuites>'
    second = b'<testsuites><testcase classname="c" name="t"/><testcase classname="c" name="u"/></testsuites>'
    one = _final(first.replace(b"</testsuites>", b"") + second.replace(b"<testsuites>", b""))
    assert _final(first, second) == one == [("c::t", "passed", 0, None), ("c::u", "passed", 1, "boom")]


def test_a_pass_then_a_failure_in_the_next_file_keeps_both_as_in_one_file() -> None:
    one, two = _one_and_two(_suite(PASSED + OTHER), _suite(FAILED + OTHER))
    assert two == one == [  # was: the last file's failure alone, under the plain id
        ("com.acme.PayTest::com.acme.PayTest::pays", "passed", 0, None),
        ("com.acme.PayTest::com.acme.PayTest::refunds", "passed", 0, None),
        ("com.acme.PayTest#2::com.acme.PayTest::pays", "failed", 0, "integration: gateway refused"),
        ("com.acme.PayTest#2::com.acme.PayTest::refunds", "passed", 0, None)]


def test_a_full_second_run_after_a_failure_is_another_run_as_in_one_file() -> None:
    """The later file shares a test that passed before: it re-ran everything, not only the failures."""
    one, two = _one_and_two(_suite(FAILED + OTHER), _suite(PASSED + OTHER))
    assert two == one
    assert [case[:2] for case in two] == [
        ("com.acme.PayTest::com.acme.PayTest::pays", "failed"),
        ("com.acme.PayTest::com.acme.PayTest::refunds", "passed"),
        ("com.acme.PayTest#2::com.acme.PayTest::pays", "passed"),
        ("com.acme.PayTest#2::com.acme.PayTest::refunds", "passed")]


def test_a_surefire_suite_in_the_next_file_is_never_a_rerun() -> None:
    """Surefire and failsafe reports of one class: the failure is not a failed attempt of the pass."""
    one, two = _one_and_two(_suite(FAILED, SUREFIRE), _suite(PASSED, SUREFIRE), _suite(PASSED, SUREFIRE))
    assert two == one == [
        ("com.acme.PayTest::com.acme.PayTest::pays", "failed", 0, "integration: gateway refused"),
        ("com.acme.PayTest#2::com.acme.PayTest::pays", "passed", 0, None),
        ("com.acme.PayTest#3::com.acme.PayTest::pays", "passed", 0, None)]


def test_files_without_a_shared_test_keep_every_id() -> None:
    one, two = _one_and_two(_suite(PASSED), _suite(OTHER), _suite(PASSED.replace("PayTest", "CartTest")))
    assert two == one == [("com.acme.PayTest::pays", "passed", 0, None),
                          ("com.acme.PayTest::refunds", "passed", 0, None),
                          ("com.acme.CartTest::pays", "passed", 0, None)]


def _cucumber(status: str) -> bytes:
    result = {"status": status, **({"error_message": "firefox: no such element"} if status == "failed" else {})}
    step = {"keyword": "Given ", "name": "x", "line": 3, "result": result}
    return json.dumps([{"uri": "features/f.feature", "id": "f", "name": "F", "keyword": "Feature", "elements": [
        {"id": "f;s", "name": "S", "keyword": "Scenario", "type": "scenario", "line": 2, "steps": [step]}]}]).encode()


def test_a_cucumber_scenario_failing_in_one_file_and_passing_in_the_next_is_a_flaky_pass() -> None:
    """A CI matrix's firefox.json and chrome.json: the pass after the failure is flaky, as cucumber-ruby's retry in
    one file is; the failure last is the outcome."""
    concatenated = (_cucumber("failed")[:-1] + b"," + _cucumber("passed")[1:])
    expected = [("features/f.feature::f;s", "passed", 1, "firefox: no such element")]
    assert _final(_cucumber("failed"), _cucumber("passed")) == _final(concatenated) == expected
    assert _final(_cucumber("passed"), _cucumber("failed")) == [
        ("features/f.feature::f;s", "failed", 0, "firefox: no such element")]


def _messages(*attempts: str) -> bytes:
    """A Cucumber Messages stream of one scenario run once per status in ``attempts`` (a retry after each but the
    last); a failure says ``firefox: no such element``."""
    lines: list[dict[str, object]] = [
        {"meta": {"protocolVersion": "27.0.0"}},
        {"gherkinDocument": {"uri": "features/f.feature", "feature": {"name": "F", "children": [
            {"scenario": {"id": "s", "name": "S", "location": {"line": 2}, "examples": []}}]}}},
        {"pickle": {"id": "p", "uri": "features/f.feature", "name": "S", "astNodeIds": ["s"], "tags": []}},
        {"testCase": {"id": "tc", "pickleId": "p"}}]
    for number, status in enumerate(attempts):
        result = {"status": status, **({"message": "firefox: no such element"} if status == "FAILED" else {})}
        lines += [{"testCaseStarted": {"id": f"a{number}", "testCaseId": "tc", "attempt": number}},
                  {"testStepFinished": {"testCaseStartedId": f"a{number}", "testStepResult": result}},
                  {"testCaseFinished": {"testCaseStartedId": f"a{number}",
                                        "willBeRetried": number < len(attempts) - 1}}]
    return b"".join(json.dumps(line).encode() + b"\n" for line in lines + [{"testRunFinished": {}}])


def test_a_messages_retry_in_one_file_keeps_the_failure_as_one_in_the_next_file_does() -> None:
    """cucumber-js ``--retry``: a pass after a failed attempt is a flaky pass with the failure's message, in one
    stream as in two files of one import (the pass in one stream used to keep no message)."""
    expected = [("features/f.feature::S", "passed", 1, "firefox: no such element")]
    assert _final(_messages("FAILED", "PASSED")) == _final(_messages("FAILED"), _messages("PASSED")) == expected
    assert _final(_messages("FAILED", "FAILED")) == [("features/f.feature::S", "failed", 1, "firefox: no such element")]
    assert _final(_messages("PASSED", "PASSED")) == [("features/f.feature::S", "passed", 0, None)]


def test_a_skipped_retry_after_a_failure_keeps_the_failure() -> None:
    """cucumber-js ``--retry`` whose retry a Before hook skipped (the compatibility kit's retry sample, its last pass
    made a skip): the skip is no execution, so the failure decides — it used to be stored as skipped with one
    failed attempt and no message, the scenario ``never executed``. In one stream, across two files of one import
    (a CI matrix whose second job skipped it) and in Cucumber JSON alike; a skip after a pass leaves the pass."""
    failed = [("features/f.feature::S", "failed", 0, "firefox: no such element")]
    assert _final(_messages("FAILED", "SKIPPED")) == _final(_messages("FAILED"), _messages("SKIPPED")) == failed
    assert _final(_messages("FAILED", "FAILED", "SKIPPED")) == [
        ("features/f.feature::S", "failed", 1, "firefox: no such element")]
    assert _final(_messages("FAILED", "PASSED"), _messages("SKIPPED")) == [
        ("features/f.feature::S", "passed", 1, "firefox: no such element")]
    assert _final(_messages("PASSED", "SKIPPED")) == [("features/f.feature::S", "passed", 0, None)]
    assert _final(_messages("SKIPPED"), _messages("FAILED")) == failed  # a skip first: the later report decides
    concatenated = (_cucumber("failed")[:-1] + b"," + _cucumber("skipped")[1:])
    assert _final(_cucumber("failed"), _cucumber("skipped")) == _final(concatenated) == [
        ("features/f.feature::f;s", "failed", 0, "firefox: no such element")]


def test_a_failure_then_a_skipped_retry_is_failing_not_never_executed(git_repo: GitRepo, database_url: str) -> None:
    git_repo.write("features/f.feature", "Feature: F\n  Scenario: S\n    Given x\n")
    git_repo.commit("f")
    common = ("--project", "repo", "--database-url", database_url)
    assert run_cli("sync", str(git_repo.path), "--database-url", database_url).returncode == 0
    report = git_repo.path / "run.ndjson"
    report.write_bytes(_messages("FAILED", "SKIPPED"))
    assert run_cli("results", "import", str(report), "--commit", git_repo.head(), *common).returncode == 0
    listed = json.loads(run_cli("results", "list", "--status", "failed", "--output", "json", *common).stdout)
    assert [(r["status"], r["failed_attempts"], r["message"]) for r in listed] == [
        ("failed", 0, "firefox: no such element")]
    coverage = json.loads(run_cli("coverage", "--format", "json", *common).stdout)
    assert (coverage["never_executed"], [s["last_status"] for s in coverage["failing"]]) == ([], ["failed"])


def _stored(database_url: str, project: str) -> list[tuple[str, str, int, str | None]]:
    engine = db.make_engine(database_url)
    try:
        with db.session(engine) as session:
            return sorted((number, status, failed, message) for number, status, failed, message in session.execute(
                select(TestCase.test_case_number, TestResult.status, TestResult.failed_attempts, TestResult.message)
                .join(TestCase, TestResult.test_case_id == TestCase.id)
                .join(Project, TestCase.project_id == Project.id).where(Project.name == project)))
    finally:
        engine.dispose()


@pytest.mark.parametrize("order", ["failure first", "pass first"])
def test_two_files_one_file_streamed_and_an_upload_store_the_same(
    git_repo: GitRepo, database_url: str, monkeypatch: pytest.MonkeyPatch, order: str,
) -> None:
    git_repo.write("features/f.feature", "Feature: F\n  Scenario: S\n    Given x\n")
    git_repo.commit("f")
    for project in ("files", "one", "api"):
        assert not sync(git_repo.path, ref="HEAD", database_url=database_url, project=project).errors
    suites = [_suite(FAILED), _suite(PASSED)]
    if order == "pass first":
        suites.reverse()
    files = [(f"{where}/TEST-com.acme.PayTest.xml", suite.encode()) for where, suite in zip(("it", "test"), suites)]
    summary = import_results(database_url, "files", files, commit=git_repo.head())
    assert (summary.reported, summary.total + summary.merged) == (2, 2)
    forced = force_streaming(monkeypatch, 50, 50)
    import_results(database_url, "one", [("all.xml", ("<testsuites>" + "".join(suites) + "</testsuites>").encode())],
                   commit=git_repo.head())
    assert forced == ["streamed"]
    with api_client(database_url) as client:
        answer = client.post("/api/v1/projects/api/test-runs", params={"commit": git_repo.head()},
                             files=[("file", (name, data, "application/xml")) for name, data in files],
                             headers={"Authorization": f"Bearer {make_token(database_url)}"})
    assert answer.status_code == 201, answer.text
    assert answer.json()["summary"]["merged"] == summary.merged
    stored = _stored(database_url, "files")
    assert stored == _stored(database_url, "one") == _stored(database_url, "api")
    if order == "failure first":  # was: passed, 0 failed attempts, no message
        assert (summary.total, summary.merged) == (1, 1)
        assert stored == [("com.acme.PayTest::pays", "passed", 1, "integration: gateway refused")]
    else:  # was: the failure alone
        assert (summary.total, summary.merged) == (2, 0)
        assert stored == [
            ("com.acme.PayTest#2::com.acme.PayTest::pays", "failed", 0, "integration: gateway refused"),
            ("com.acme.PayTest::com.acme.PayTest::pays", "passed", 0, None)]
