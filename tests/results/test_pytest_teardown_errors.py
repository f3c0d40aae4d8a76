"""pytest's JUnit report of a test whose fixture fails in setup or teardown, written by a real pytest run: a failed
call followed by a failing teardown is two ``<testcase>`` of one name (pytest opens a second one to keep to the
JUnit schema), a failing setup and teardown are two ``<error>`` in one — each is one attempt of one test, neither a
rerun nor a failed attempt before it. (Both read as a retried test: a failed attempt, the teardown's error in place
of the test's own failure.) SQLite and PostgreSQL."""

from __future__ import annotations

import os
import subprocess
import sys
from pathlib import Path

import pytest
from sqlalchemy import select
from test_results_cli import cart  # noqa: F401 - a fixture (the cart project, synced)

from conftest import GitRepo
from tracertm import db
from tracertm.cli import main
from tracertm.models import Scenario, TestCase, TestResult
from tracertm.results import junit
from tracertm.results.report import final_cases

TESTS = '''
import pytest

@pytest.fixture
def broken_teardown():
    yield
    raise RuntimeError("teardown broke")

@pytest.fixture
def broken_setup(broken_teardown):
    raise RuntimeError("setup broke")

def test_add_an_item(broken_teardown):  # pytest-bdd's name of the scenario "Add an item"
    assert 1 == 2, "cart holds 1, expected 2"

def test_setup_and_teardown(broken_setup):
    pass

def test_passes_then_teardown(broken_teardown):
    pass
'''


@pytest.fixture(scope="module")
def report(tmp_path_factory: pytest.TempPathFactory) -> Path:
    """The JUnit XML a real pytest run of ``TESTS`` writes."""
    work = tmp_path_factory.mktemp("pytest-run")
    (work / "test_fixtures.py").write_text(TESTS)
    env = {k: v for k, v in os.environ.items() if not k.startswith(("PYTEST_", "TRACERTM_"))}
    subprocess.run([sys.executable, "-m", "pytest", "-p", "no:cacheprovider", "-p", "no:xdist", "-q",
                    "--junitxml=report.xml", "test_fixtures.py"], cwd=work, env=env, capture_output=True, timeout=300)
    path = work / "report.xml"
    assert path.is_file(), "pytest wrote no report"
    return path


def test_pytests_two_test_cases_of_a_failed_call_and_its_teardown_are_one_attempt(report: Path) -> None:
    data = report.read_bytes()
    assert data.count(b'name="test_add_an_item"') == 2, "pytest writes the call's failure and the teardown apart"
    parsed = junit.parse(report.name, data)
    assert list(junit.stream(report.name, data, [], [], [])) == list(parsed.cases)  # the streamed import alike
    final = {c.external_id: (c.status, c.failed_attempts, c.message) for c in final_cases([parsed])}
    assert final == {
        # was ("error", 1, 'failed on teardown with "RuntimeError: teardown broke"'): a retry that never was, and
        # the test's own failure lost behind its teardown's
        "test_fixtures::test_add_an_item": ("error", 0, "AssertionError: cart holds 1, expected 2"),
        # was ("error", 1, ...): its setup's and teardown's errors counted as two attempts
        "test_fixtures::test_setup_and_teardown": ("error", 0, 'failed on setup with "RuntimeError: setup broke"'),
        "test_fixtures::test_passes_then_teardown": (
            "error", 0, 'failed on teardown with "RuntimeError: teardown broke"'),
    }


def test_the_import_stores_one_attempt_and_the_tests_own_failure(
    cart: GitRepo, database_url: str, report: Path, capsys: pytest.CaptureFixture[str]  # noqa: F811 - a fixture
) -> None:
    capsys.readouterr()
    assert main(["results", "import", str(report)]) == 0
    assert capsys.readouterr().out.startswith("imported 3 results")
    with db.session(db.make_engine(database_url)) as session:
        stored = {number: (status, attempts, message) for number, status, attempts, message in session.execute(
            select(TestCase.test_case_number, TestResult.status, TestResult.failed_attempts, TestResult.message)
            .join(TestCase, TestResult.test_case_id == TestCase.id))}
        assert stored["test_fixtures::test_add_an_item"] == ("error", 0, "AssertionError: cart holds 1, expected 2")
        assert stored["test_fixtures::test_setup_and_teardown"][:2] == ("error", 0)
        scenario = session.execute(select(Scenario).where(Scenario.title == "Add an item")).scalar_one()
        assert (scenario.last_status, scenario.flaky) == ("error", False)
