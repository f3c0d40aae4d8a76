"""Cucumber Messages streams that name what is not there, and empty reports of a named format: one error naming the
file (and line), nothing imported — on the CLI, through ``import_results`` and the API. SQLite and PostgreSQL."""

from __future__ import annotations

from collections.abc import Iterator
from pathlib import Path

import pytest
from sqlalchemy import func, select

from apikit import api_client, make_token
from conftest import GitRepo
from tracertm import db
from tracertm.cli import main
from tracertm.engine.sync import sync
from tracertm.errors import ParseError
from tracertm.models import TestCase, TestRun
from tracertm.results import import_results
from tracertm.results.formats import parse_report

LOGIN = "Feature: Login\n\n  Scenario: Good password\n    Given a user\n"
TRUNCATED = (b'{"testCaseStarted":{"id":"a","testCaseId":"tc-never-sent","attempt":0}}\n'
             b'{"testStepFinished":{"testCaseStartedId":"a","testStepResult":{"status":"FAILED","message":"m"}}}\n')
NO_PICKLE = (b'{"meta":{}}\n'
             b'{"testCase":{"id":"tc","pickleId":"never-sent","testSteps":[]}}\n'
             b'{"testCaseStarted":{"id":"a","testCaseId":"tc","attempt":0}}\n'
             b'{"testStepFinished":{"testCaseStartedId":"a","testStepResult":{"status":"PASSED"}}}\n')


def test_a_test_case_started_without_its_test_case_is_malformed_at_its_line() -> None:
    with pytest.raises(ParseError) as info:
        parse_report("cut.ndjson", b'{"meta":{}}\n' + TRUNCATED, "cucumber-messages")
    assert str(info.value) == ("cut.ndjson:2:0: testCaseStarted names a testCase that is not in the stream; the "
                               "stream is truncated or spliced")


def test_a_test_case_without_its_pickle_is_malformed_at_its_line() -> None:
    with pytest.raises(ParseError) as info:
        parse_report("cut.ndjson", NO_PICKLE)
    assert str(info.value) == ("cut.ndjson:2:0: testCase names a pickle that is not in the stream; the stream is "
                               "truncated or spliced")


@pytest.mark.parametrize("data", [b"", b"\n  \n\t\n"])
def test_an_empty_messages_report_is_one_error_naming_the_file(data: bytes) -> None:
    with pytest.raises(ParseError) as info:
        parse_report("empty.ndjson", data, "cucumber-messages")
    assert str(info.value) == ("empty.ndjson:1:0: empty report: no Cucumber messages in the file; nothing was "
                               "imported from this file")


@pytest.mark.parametrize("fmt", ["junit", "cucumber-json", "cucumber-messages"])
def test_an_empty_report_of_every_named_format_is_refused(fmt: str) -> None:
    with pytest.raises(ParseError, match=r"^empty\.report:1:"):
        parse_report("empty.report", b"", fmt)


@pytest.fixture
def login(git_repo: GitRepo, database_url: str, monkeypatch: pytest.MonkeyPatch) -> Iterator[GitRepo]:
    git_repo.write("features/login.feature", LOGIN)
    git_repo.commit("login")
    assert not sync(git_repo.path, ref="HEAD", database_url=database_url, project="login").errors
    monkeypatch.chdir(git_repo.path)
    monkeypatch.setenv("TRACERTM_DATABASE_URL", database_url)
    yield git_repo


def _counts(database_url: str) -> tuple[int, int]:
    engine = db.make_engine(database_url)
    try:
        with db.session(engine) as session:
            return (session.execute(select(func.count()).select_from(TestRun)).scalar_one(),
                    session.execute(select(func.count()).select_from(TestCase)).scalar_one())
    finally:
        engine.dispose()


@pytest.mark.parametrize(("name", "data", "options", "line"), [
    ("truncated.ndjson", TRUNCATED, [], 1),
    ("empty.ndjson", b"", ["--format", "cucumber-messages"], 1),
])
def test_the_cli_imports_nothing_from_them(
    login: GitRepo, database_url: str, tmp_path: Path, capsys: pytest.CaptureFixture[str],
    name: str, data: bytes, options: list[str], line: int,
) -> None:
    path = tmp_path / name
    path.write_bytes(data)
    capsys.readouterr()
    # --project: synced as "login", the repository's own name is "repo" (never synced).
    code = main(["results", "import", str(path), *options, "--project", "login"])
    out, err = capsys.readouterr()
    assert (code, out) == (1, "")
    assert len(err.strip().splitlines()) == 1 and err.startswith(f"tracertm: error: {path}:{line}:0: ")
    assert _counts(database_url) == (0, 0)
    with pytest.raises(ParseError):
        import_results(database_url, "login", [(name, data)], fmt="cucumber-messages")
    assert _counts(database_url) == (0, 0)


def test_the_api_refuses_an_empty_body_of_a_named_format(login: GitRepo, database_url: str) -> None:
    token = make_token(database_url)
    with api_client(database_url) as client:
        response = client.post("/api/v1/projects/login/test-runs?format=cucumber-messages", content=b"",
                               headers={"Authorization": f"Bearer {token}", "Content-Type": "application/x-ndjson"})
    assert response.status_code == 422, response.text
    assert "empty report" in response.json()["detail"]
    assert _counts(database_url) == (0, 0)


CUT_OFF = (
    b'{"gherkinDocument":{"uri":"features/pay.feature","feature":{"name":"Pay","children":[{"scenario":{"id":"s1",'
    b'"name":"Pay by card","location":{"line":4}}}]}}}\n'
    b'{"pickle":{"id":"p1","uri":"features/pay.feature","name":"Pay by card","astNodeIds":["s1"],'
    b'"tags":[{"name":"@approved"}]}}\n'
    b'{"testRunStarted":{"timestamp":{"seconds":1764900000,"nanos":0}}}\n'
    b'{"testCase":{"id":"c1","pickleId":"p1","testSteps":[{"id":"t1"},{"id":"t2"}]}}\n'
    b'{"testCaseStarted":{"id":"a1","testCaseId":"c1","attempt":0,"timestamp":{"seconds":1764900000,"nanos":0}}}\n'
    b'{"testStepStarted":{"testCaseStartedId":"a1","testStepId":"t1"}}\n'
    b'{"testStepFinished":{"testCaseStartedId":"a1","testStepId":"t1","testStepResult":{"status":"PASSED",'
    b'"duration":{"seconds":0,"nanos":1000}}}}\n'
    b'{"testStepStarted":{"testCaseStartedId":"a1","testStepId":"t2"}}\n'
)


def test_a_scenario_the_stream_cuts_off_is_no_pass() -> None:
    """A run killed in the middle of a scenario (a CI job's timeout on a hung step) leaves its stream without the
    scenario's testCaseFinished and the run's testRunFinished: its finished steps all passed, and an audit found it
    imported as passed (``check --results`` let an approved scenario through). It is an error now, and the report
    says the run was cut off; a scenario that finished before the cut keeps its outcome."""
    report = parse_report("run.ndjson", CUT_OFF, "cucumber-messages")
    assert [(c.name, c.status, c.message) for c in report.cases] == [
        ("Pay by card", "error", "the run stopped before this scenario finished (no testCaseFinished)")]
    assert report.failure == ("the stream ends before its testRunFinished: the run was cut off; 1 unfinished "
                              "scenario(s) recorded as errors")
    finished = CUT_OFF + (
        b'{"testStepFinished":{"testCaseStartedId":"a1","testStepId":"t2","testStepResult":{"status":"PASSED"}}}\n'
        b'{"testCaseFinished":{"testCaseStartedId":"a1","willBeRetried":false}}\n')
    report = parse_report("run.ndjson", finished, "cucumber-messages")
    assert [c.status for c in report.cases] == ["passed"]
    assert report.failure == "the stream ends before its testRunFinished: the run was cut off"
    done = finished + b'{"testRunFinished":{"success":true,"timestamp":{"seconds":1764900001,"nanos":0}}}\n'
    report = parse_report("run.ndjson", done, "cucumber-messages")
    assert [c.status for c in report.cases] == ["passed"] and report.failure is None


def test_check_results_refuses_an_approved_scenario_the_stream_cut_off(tmp_path: Path, git_repo: GitRepo,
                                                                      capsys: pytest.CaptureFixture[str]) -> None:
    git_repo.write("features/pay.feature", "Feature: Pay\n\n  @approved\n  Scenario: Pay by card\n    Given a card\n"
                                           "    When I pay\n")
    git_repo.commit()
    (tmp_path / "run.ndjson").write_bytes(CUT_OFF)
    code = main(["check", str(git_repo.path), "--results", str(tmp_path / "run.ndjson")])
    assert code == 1, capsys.readouterr()
