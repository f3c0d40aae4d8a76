"""Several ``<testcase>`` of one name in one suite: distinct tests (Surefire, jest-junit: they write each test once)
or a rerun's attempts (pytest-rerunfailures, TestNG's retry, gotestsum, Gradle's test-retry) — and an import whose
numbers add up to the report's."""

from __future__ import annotations

import json
from pathlib import Path

import pytest
from test_results_cli import cart  # noqa: F401 - a fixture (the cart project, synced)

from conftest import GitRepo
from tracertm.cli import main
from tracertm.results import junit
from tracertm.results.report import final_cases

FIXTURES = Path(__file__).parent / "fixtures"


def _final(name: str) -> list[tuple[str, str, int]]:
    data = (FIXTURES / name).read_bytes()
    report = junit.parse(name, data)
    streamed = list(junit.stream(name, data, [], [], []))
    assert streamed == list(report.cases)  # the streamed import reads them alike
    return [(case.external_id, case.status, case.failed_attempts) for case in final_cases([report])]


def test_jest_junit_tests_of_one_name_in_one_file_are_distinct_tests() -> None:
    cases = _final("jest-junit-same-name-tests.xml")
    assert len(cases) == 23  # was 20: the four namesakes were one test reported four times
    name = "treat async and non-async functions as equivalent"
    assert [c for c in cases if name in c[0]] == [
        (name, "passed", 0), (f"{name}::#2", "passed", 0), (f"{name}::#3", "passed", 0), (f"{name}::#4", "passed", 0)]


def test_surefire_data_provider_rows_keep_their_own_results() -> None:
    assert _final("surefire-testng-data-provider.xml") == [
        ("com.example.CartTest::addsItem", "passed", 0),
        ("com.example.CartTest::addsItem::#2", "failed", 0),  # was hidden: one flaky pass
        ("com.example.CartTest::addsItem::#3", "passed", 0),
    ]


def test_a_pytest_rerunfailures_attempt_is_a_failed_attempt_though_written_empty() -> None:
    assert _final("pytest-rerunfailures.xml") == [("test_sample::test_random", "passed", 1)]  # flaky, not a pass


def test_testng_retry_stays_one_test() -> None:
    assert _final("testng-retried-test.xml") == [
        ("org.apache.pulsar.AddMissingPatchVersionTest::testVersionStrings", "failed", 0)]


def test_the_import_counts_what_it_read_as_reruns(cart: GitRepo, capsys: pytest.CaptureFixture[str]) -> None:
    capsys.readouterr()
    assert main(["results", "import", str(FIXTURES / "testng-retried-test.xml"), "--output", "json"]) == 0
    summary = json.loads(capsys.readouterr().out)
    assert (summary["reported"], summary["merged"], summary["total"]) == (2, 1, 1)
    assert main(["results", "import", str(FIXTURES / "jest-junit-same-name-tests.xml")]) == 0
    out = capsys.readouterr().out
    assert out.startswith("imported 23 results") and "reruns" not in out
    assert main(["results", "import", str(FIXTURES / "pytest-rerunfailures.xml")]) == 0
    lines = capsys.readouterr().out.splitlines()
    assert lines[2] == ("2 test reports: 1 counted as reruns of a test reported again (its last report that ran "
                        "decides; earlier failures make it flaky)")


def test_the_import_says_a_skipped_rerun_decided_nothing(
        cart: GitRepo, tmp_path: Path, capsys: pytest.CaptureFixture[str]) -> None:
    """A failure, then the same test skipped: the failure is stored (the skip ran nothing), and the summary said
    "its last report decides", as if the skip had."""
    report = tmp_path / "skipped-rerun.xml"
    report.write_text('<testsuite name="s" tests="2"><testcase classname="t" name="test_x"><failure message="boom"/>'
                      '</testcase><testcase classname="t" name="test_x"><skipped/></testcase></testsuite>')
    capsys.readouterr()
    assert main(["results", "import", str(report)]) == 0
    lines = capsys.readouterr().out.splitlines()
    assert lines[0].endswith(": 1 failed"), lines
    assert lines[2] == ("2 test reports: 1 counted as reruns of a test reported again (its last report that ran "
                        "decides; earlier failures make it flaky)")
