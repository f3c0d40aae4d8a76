"""A report's time after the import's own (beyond a day of clock skew: a broken CI clock, a hostile upload) is
unknown, as a time past the calendar is: it cannot pin a scenario's last result for ever. ``show`` lists a
scenario's results in the order the statistics take them, so its first line is the run ``last`` names. SQLite and
PostgreSQL."""

from __future__ import annotations

import datetime as dt
import json
from collections.abc import Iterator

import pytest
from sqlalchemy import select

from conftest import GitRepo, force_streaming
from tracertm import db
from tracertm.cli import main
from tracertm.engine.sync import sync
from tracertm.models import Scenario, TestRun
from tracertm.results import import_results
from tracertm.results.formats import parse_report

LOGIN = "Feature: Login\n\n  Scenario: Bad password\n    Given a user\n"
FUTURE = "9999-12-31T23:59:59Z"


def _junit(stamp: str | None, failed: bool = False, name: str = "run", time: str = "5") -> bytes:
    body = '<failure message="old failure"/>' if failed else ""
    at = f' timestamp="{stamp}" time="{time}"' if stamp else ""
    return (f'<testsuite name="{name}"{at}><testcase classname="tests.test_login" name="test_bad_password">'
            f"{body}</testcase></testsuite>").encode()


def _iso(delta: dt.timedelta) -> str:
    return (dt.datetime.now(dt.timezone.utc) + delta).isoformat(timespec="seconds")


@pytest.mark.parametrize(("ahead", "kept"), [
    (None, False),  # 9999-12-31
    (dt.timedelta(days=3), False),  # days ahead of the import: no clock is that wrong
    (dt.timedelta(hours=2), True),  # a clock a little ahead: kept
], ids=["9999", "3 days", "2 hours"])
def test_a_junit_time_after_the_import_is_unknown(ahead: dt.timedelta | None, kept: bool) -> None:
    report = parse_report("r.xml", _junit(_iso(ahead) if ahead else FUTURE))
    assert (report.started_at is not None, report.finished_at is not None) == (kept, kept)


def test_a_junit_suite_that_would_end_after_the_import_ends_when_it_starts() -> None:
    report = parse_report("r.xml", _junit(_iso(-dt.timedelta(minutes=1)), time="1e9"))  # 31 years long
    assert report.started_at is not None and report.finished_at == report.started_at


def test_a_messages_run_time_after_the_import_is_unknown() -> None:
    seconds = int(dt.datetime(9999, 12, 31, tzinfo=dt.timezone.utc).timestamp())
    data = (f'{{"testRunStarted":{{"timestamp":{{"seconds":{seconds},"nanos":0}}}}}}\n'
            f'{{"testRunFinished":{{"timestamp":{{"seconds":{seconds + 5},"nanos":0}}}}}}\n').encode()
    report = parse_report("r.ndjson", data, "cucumber-messages")
    assert (report.started_at, report.finished_at) == (None, None)


@pytest.fixture
def login(git_repo: GitRepo, database_url: str, monkeypatch: pytest.MonkeyPatch) -> Iterator[GitRepo]:
    git_repo.write("features/login.feature", LOGIN)
    git_repo.commit("login")
    assert not sync(git_repo.path, ref="HEAD", database_url=database_url, project="login").errors
    monkeypatch.chdir(git_repo.path)
    monkeypatch.setenv("TRACERTM_DATABASE_URL", database_url)
    yield git_repo


def _show(capsys: pytest.CaptureFixture[str]) -> dict:  # type: ignore[type-arg]
    capsys.readouterr()
    # --project: synced as "login", the repository's own name is "repo" (never synced).
    assert main(["show", "login/Bad password", "--format", "json", "--project", "login"]) == 0
    return json.loads(capsys.readouterr().out)["results"]  # type: ignore[no-any-return]


def test_a_failure_stamped_in_9999_does_not_stay_the_last_result(
    login: GitRepo, database_url: str, capsys: pytest.CaptureFixture[str],
) -> None:
    import_results(database_url, "login", [("future.xml", _junit(FUTURE, failed=True))], commit=login.head())
    for n in range(2):
        import_results(database_url, "login", [(f"now{n}.xml", _junit(None, name=f"fixed {n}"))],
                       commit=login.head())
    results = _show(capsys)
    assert results["last_status"] == "passed"
    assert [r["status"] for r in results["last_results"]] == ["passed", "passed", "failed"]
    assert not results["last_executed_at"].startswith("9999")
    engine = db.make_engine(database_url)
    try:
        with db.session(engine) as session:
            assert [r.started_at for r in session.execute(select(TestRun)).scalars()] == [None] * 3
    finally:
        engine.dispose()


def test_show_lists_results_in_the_order_of_the_statistics(
    login: GitRepo, database_url: str, capsys: pytest.CaptureFixture[str],
) -> None:
    """A run uploaded late (imported after a newer one) is not the scenario's last result, nor show's first line."""
    newer, older = _iso(-dt.timedelta(hours=1)), _iso(-dt.timedelta(hours=5))
    import_results(database_url, "login", [("newer.xml", _junit(newer, name="newer"))], commit=login.head())
    import_results(database_url, "login", [("older.xml", _junit(older, failed=True, name="older"))],
                   commit=login.head())
    results = _show(capsys)
    assert results["last_status"] == "passed"
    assert [(r["status"], r["run"]) for r in results["last_results"]] == [("passed", "newer"), ("failed", "older")]
    assert results["last_results"][0]["when"][:16] == results["last_executed_at"][:16]
    engine = db.make_engine(database_url)
    try:
        with db.session(engine) as session:
            assert session.execute(select(Scenario.last_status)).scalar_one() == "passed"
    finally:
        engine.dispose()


def test_the_streamed_import_drops_a_time_after_the_import_too(
    login: GitRepo, database_url: str, monkeypatch: pytest.MonkeyPatch,
) -> None:
    forced = force_streaming(monkeypatch, 1, 1)
    import_results(database_url, "login", [("future.xml", _junit(FUTURE, failed=True))], commit=login.head())
    assert forced == ["streamed"]
    engine = db.make_engine(database_url)
    try:
        with db.session(engine) as session:
            run = session.execute(select(TestRun)).scalar_one()
            assert (run.started_at, run.finished_at) == (None, None)
    finally:
        engine.dispose()
