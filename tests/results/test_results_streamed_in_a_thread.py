"""A large JUnit report imported by a process with other threads — the API server, whose upload runs in a worker
thread beside the event loop — is streamed through a thread of its own (``streamed._Thread``), since such a process
never forks: it was imported in-process, the whole parsed tree, its cases and rows held at once (a 300,000-test
upload raised the server's peak RSS from 91 to 386 MB; streamed, 91 to 180 MB). What it stores is what the
in-process import stores; a broken report imports nothing; no thread is left behind. The incremental parse lets go
of each test's element once read, so that its tree holds only what is still open."""

from __future__ import annotations

import threading
import tracemalloc
from collections.abc import Iterator

import pytest
from sqlalchemy import select

from apikit import api_client, make_token
from conftest import GitRepo, force_streaming, join_other_threads
from test_results_streamed import _report
from tracertm import db
from tracertm.engine.sync import sync
from tracertm.errors import ParseError
from tracertm.models import Project, TestCase, TestResult, TestRun
from tracertm.results import import_results, junit, streamed
from tracertm.results.formats import parse_report

PARSE_THREAD = "tracertm-results-parse"


@pytest.fixture
def shop(git_repo: GitRepo, database_url: str) -> GitRepo:
    git_repo.write("features/f.feature", "Feature: F\n  Scenario: S\n    Given x\n")
    git_repo.commit("f")
    for project in ("api", "inproc", "broken"):
        assert not sync(git_repo.path, ref="HEAD", database_url=database_url, project=project).errors
    join_other_threads()
    return git_repo


@pytest.fixture
def another_thread() -> Iterator[None]:
    """A thread running beside the import, as the server's event loop does."""
    release = threading.Event()
    thread = threading.Thread(target=release.wait, name="another")
    thread.start()
    yield
    release.set()
    thread.join()


def _stored(database_url: str, project: str) -> list[tuple[str, str, int, str | None, float | None]]:
    engine = db.make_engine(database_url)
    try:
        with db.session(engine) as session:
            return sorted((number, status, failed, message, duration) for number, status, failed, message, duration
                          in session.execute(
                              select(TestCase.test_case_number, TestResult.status, TestResult.failed_attempts,
                                     TestResult.message, TestResult.duration)
                              .join(TestCase, TestResult.test_case_id == TestCase.id)
                              .join(Project, TestCase.project_id == Project.id).where(Project.name == project)))
    finally:
        engine.dispose()


def _no_parse_thread() -> None:
    assert PARSE_THREAD not in {thread.name for thread in threading.enumerate()}


def test_a_process_with_other_threads_streams_in_a_thread(monkeypatch: pytest.MonkeyPatch) -> None:
    large = b"<" * streamed.FORK_MIN_BYTES
    join_other_threads()
    monkeypatch.setattr(streamed, "_cores", lambda: 1)
    assert streamed.streams(large, "junit") is None  # alone on one core: in-process, as before
    release = threading.Event()
    thread = threading.Thread(target=release.wait, name="another")
    thread.start()
    try:
        assert streamed.streams(large, "junit") == "thread"
        assert streamed.streams(large[:-1], "junit") is None and streamed.streams(large, "cucumber-json") is None
        monkeypatch.setenv(streamed.ENV_SWITCH, "0")
        assert streamed.streams(large, "junit") is None
    finally:
        release.set()
        thread.join()


def test_an_upload_is_streamed_and_stores_what_the_in_process_import_stores(
    shop: GitRepo, database_url: str, monkeypatch: pytest.MonkeyPatch,
) -> None:
    report = _report(101)
    forced = force_streaming(monkeypatch, 3, 10)
    with api_client(database_url) as client:
        headers = {"Authorization": f"Bearer {make_token(database_url)}", "Content-Type": "application/xml"}
        answer = client.post("/api/v1/projects/api/test-runs", content=report, headers=headers)
        assert answer.status_code == 201, answer.text
        assert forced == ["streamed"]  # was: [], imported in-process
        again = client.post("/api/v1/projects/api/test-runs", content=report, headers=headers)
        assert again.status_code == 200 and again.json()["summary"]["duplicate"] is True
        assert forced == ["streamed", "streamed"]
    _no_parse_thread()
    monkeypatch.setenv(streamed.ENV_SWITCH, "0")
    summary = import_results(database_url, "inproc", [("request-body.xml", report)])
    assert forced == ["streamed", "streamed"]
    assert answer.json()["summary"] == {**summary.as_dict(), "project": "api", "run_id": answer.json()["run"]["id"]}
    assert _stored(database_url, "api") == _stored(database_url, "inproc") != []


def test_a_report_broken_after_several_chunks_imports_nothing(
    shop: GitRepo, database_url: str, monkeypatch: pytest.MonkeyPatch, another_thread: None,
) -> None:
    forced = force_streaming(monkeypatch, 3, 10)
    broken = _report(60).replace(b'name="t47"', b'name="t47')
    with pytest.raises(ParseError) as expected:
        parse_report("broken.xml", broken)
    with pytest.raises(ParseError) as info:
        import_results(database_url, "broken", [("broken.xml", broken)])
    assert str(info.value) == str(expected.value) and forced == ["ParseError"]
    engine = db.make_engine(database_url)
    try:
        with db.session(engine) as session:
            assert session.execute(select(TestRun)).first() is None
    finally:
        engine.dispose()
    _no_parse_thread()


def test_the_incremental_parse_lets_go_of_the_tests_it_read() -> None:
    data = (b'<testsuites><testsuite name="s">' + b"".join(
        b'<testcase classname="c" name="t%d"><failure message="m"/></testcase>' % i for i in range(20_000))
        + b"</testsuite></testsuites>")
    tracemalloc.start()
    try:
        read = sum(1 for _case in junit.stream("r.xml", data, [], [], []))
        _now, peak = tracemalloc.get_traced_memory()
    finally:
        tracemalloc.stop()
    assert read == 20_000
    assert peak < 2_000_000, peak  # was 14 MB: every element of the report, kept in its tree
