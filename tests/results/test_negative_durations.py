"""A negative duration (JUnit ``time="-5"``, a Cucumber step of -5e9 ns, a Messages step of -5 s) is no usable
duration: stored as unknown (NULL), as an infinite or NaN one is — in-process and on the streamed path. SQLite and
PostgreSQL."""

from __future__ import annotations

from collections.abc import Iterator

import pytest
from sqlalchemy import select

from conftest import GitRepo, force_streaming
from tracertm import db
from tracertm.engine.sync import sync
from tracertm.models import TestCase, TestResult
from tracertm.results import import_results
from tracertm.results.formats import parse_report

FEATURE = "Feature: F\n\n  Scenario: S\n    Given x\n"
JUNIT = (b'<testsuite name="x"><testcase classname="a" name="neg" time="-5"/>'
         b'<testcase classname="a" name="nan" time="NaN"/><testcase classname="a" name="ok" time="1.5"/></testsuite>')
CUCUMBER = (b'[{"uri":"features/f.feature","name":"F","elements":[{"id":"f;s","name":"S","line":3,"type":"scenario",'
            b'"steps":[{"result":{"status":"passed","duration":-5000000000}},'
            b'{"result":{"status":"passed","duration":7000000000}}]}]}]')
MESSAGES = (b'{"pickle":{"id":"p","uri":"features/f.feature","name":"S","astNodeIds":[]}}\n'
            b'{"testCase":{"id":"tc","pickleId":"p"}}\n'
            b'{"testCaseStarted":{"id":"a","testCaseId":"tc"}}\n'
            b'{"testStepFinished":{"testCaseStartedId":"a","testStepResult":{"status":"PASSED",'
            b'"duration":{"seconds":-5,"nanos":0}}}}\n'
            b'{"testStepFinished":{"testCaseStartedId":"a","testStepResult":{"status":"PASSED",'
            b'"duration":{"seconds":7,"nanos":0}}}}\n')


@pytest.mark.parametrize(("data", "fmt", "expected"), [
    (JUNIT, "junit", [None, None, 1.5]),
    (CUCUMBER, "cucumber-json", [None]),  # one negative step: the scenario's duration is unknown
    (MESSAGES, "cucumber-messages", [None]),
])
def test_a_negative_duration_is_unknown(data: bytes, fmt: str, expected: list[float | None]) -> None:
    assert [case.duration for case in parse_report("r", data, fmt).cases] == expected


@pytest.fixture
def synced(git_repo: GitRepo, database_url: str) -> Iterator[GitRepo]:
    git_repo.write("features/f.feature", FEATURE)
    git_repo.commit("f")
    assert not sync(git_repo.path, ref="HEAD", database_url=database_url, project="f").errors
    yield git_repo


def _durations(database_url: str) -> dict[str, float | None]:
    engine = db.make_engine(database_url)
    try:
        with db.session(engine) as session:
            return dict(session.execute(  # type: ignore[arg-type]
                select(TestCase.test_case_number, TestResult.duration)
                .join(TestResult, TestResult.test_case_id == TestCase.id)
            ).all())
    finally:
        engine.dispose()


def test_negative_durations_are_stored_as_null(synced: GitRepo, database_url: str) -> None:
    import_results(database_url, "f", [("t.xml", JUNIT)], commit=synced.head())
    import_results(database_url, "f", [("t.json", CUCUMBER)], commit=synced.head())
    assert _durations(database_url) == {"a::neg": None, "a::nan": None, "a::ok": 1.5,
                                        "features/f.feature::f;s": None}


def test_the_streamed_import_stores_them_as_null_too(
    synced: GitRepo, database_url: str, monkeypatch: pytest.MonkeyPatch,
) -> None:
    forced = force_streaming(monkeypatch, 1, 1)
    import_results(database_url, "f", [("t.xml", JUNIT)], commit=synced.head())
    assert forced == ["streamed"]
    assert _durations(database_url) == {"a::neg": None, "a::nan": None, "a::ok": 1.5}
