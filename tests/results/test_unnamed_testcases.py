"""A ``<testcase>`` without a name is a test of its own: the ``k``-th unnamed test of its class, in the file's
order (``<class>::(unnamed k)``). They used to share their class's id — one test reported again and again, the last
outcome kept and the earlier failures counted as failed attempts (a pass after them made the scenario flaky). The
in-process parse and the stream agree; the ids hold from one run to the next."""

from __future__ import annotations

import pytest
from sqlalchemy import select

from conftest import GitRepo, force_streaming
from tracertm import db
from tracertm.engine.sync import sync
from tracertm.models import TestCase, TestResult
from tracertm.results import import_results, junit
from tracertm.results.formats import parse_report


def _report(day: int) -> bytes:
    return (f'<testsuites><testsuite name="s" timestamp="2026-11-0{day}T08:00:00">'
            '<testcase classname="a"><failure message="boom"/></testcase>'
            '<testcase classname="a" name=""/>'
            '<testcase classname="a" name="named"/>'
            '<testcase><skipped/></testcase>'
            "</testsuite></testsuites>").encode()


def test_unnamed_testcases_are_distinct_tests() -> None:
    report = parse_report("r.xml", _report(1), "junit")
    assert [(c.external_id, c.status, c.failed_attempts) for c in report.cases] == [
        ("a::(unnamed 1)", "failed", 0), ("a::(unnamed 2)", "passed", 0), ("a::named", "passed", 0),
        ("(unnamed 1)", "skipped", 0)]
    assert list(junit.stream("r.xml", _report(1), [], [], [])) == list(report.cases)


@pytest.mark.parametrize("mode", ["in-process", "streamed"])
def test_unnamed_testcases_import_as_distinct_tests(
    git_repo: GitRepo, database_url: str, mode: str, monkeypatch: pytest.MonkeyPatch
) -> None:
    (git_repo.path / "features").mkdir()
    (git_repo.path / "features" / "a.feature").write_text("Feature: A\n\n  Scenario: one\n    Given a\n")
    git_repo.commit("features")
    assert not sync(git_repo.path, ref="HEAD", database_url=database_url, project="p").errors
    outcomes = force_streaming(monkeypatch, 2, 2) if mode == "streamed" else []
    first = import_results(database_url, "p", [("day1.xml", _report(1))])
    second = import_results(database_url, "p", [("day2.xml", _report(2))])
    assert (first.total, first.test_cases_created, second.test_cases_created) == (4, 4, 0)
    assert outcomes == (["streamed", "streamed"] if mode == "streamed" else [])
    engine = db.make_engine(database_url)
    try:
        with db.session(engine) as session:
            stored = session.execute(
                select(TestCase.test_case_number, TestCase.title, TestResult.status, TestResult.failed_attempts)
                .join(TestResult, TestResult.test_case_id == TestCase.id)).all()
    finally:
        engine.dispose()
    assert sorted(stored) == sorted(2 * [("a::(unnamed 1)", "", "failed", 0), ("a::(unnamed 2)", "", "passed", 0),
                                         ("a::named", "named", "passed", 0), ("(unnamed 1)", "", "skipped", 0)])
