"""A Cucumber Messages stream whose last line its writer left half written: the run was killed while it wrote (a CI
job's timeout; a buffered writer flushes where its buffer fills, not at a line's end).
It is the stream cut off there — what came before is imported, a scenario without its testCaseFinished is an error,
the run failed outside its tests — not a malformed report refused whole, which lost every result of the run. A line
broken anywhere else is malformed, as before. SQLite and PostgreSQL."""

from __future__ import annotations

from pathlib import Path

import pytest
from sqlalchemy import select

from conftest import GitRepo
from test_messages_truncated import CUT_OFF
from tracertm import db
from tracertm.cli import main
from tracertm.engine.sync import sync
from tracertm.errors import ParseError
from tracertm.models import TestResult
from tracertm.results.formats import parse_report

HALF = b'{"testStepFinished":{"testCaseStartedId":"a1","testStepId":"t2","testStepResult":{"status":"FAI'
ERROR = ("Pay by card", "error", "the run stopped before this scenario finished (no testCaseFinished)")


@pytest.mark.parametrize("half", [
    HALF,
    HALF + b'LED","message":"expected \\"a',  # in a string, after an escaped quote
    HALF + b'LED","message":"expected \\\\',  # after an escaped backslash
    HALF + b'LED","message":"}]}]',  # brackets in a string close nothing
])
def test_a_half_written_last_line_is_where_the_stream_was_cut(half: bytes) -> None:
    for data in (CUT_OFF + half, CUT_OFF.replace(b"\n", b"\r\n") + half):
        report = parse_report("run.ndjson", data, "cucumber-messages")
        assert [(c.name, c.status, c.message) for c in report.cases] == [ERROR]
        assert report.failure == ("the stream ends before its testRunFinished, in the middle of line 9: the run was "
                                  "cut off; 1 unfinished scenario(s) recorded as errors")


@pytest.mark.parametrize(("data", "line"), [
    (CUT_OFF + HALF + b"\n", 9),  # a line break after it: written whole, and broken
    (CUT_OFF + HALF + b"\n" + b'{"testRunFinished":{}}', 9),  # not the last line
    (CUT_OFF + b'{"testRunFinished":{}}}', 9),  # its brackets close: no JSON, not a cut
    (CUT_OFF[:40], 1),  # the first envelope: no stream of messages before it
])
def test_a_line_broken_otherwise_is_malformed(data: bytes, line: int) -> None:
    with pytest.raises(ParseError, match=rf"^run\.ndjson:{line}:\d+: malformed message: "):
        parse_report("run.ndjson", data, "cucumber-messages")


def test_the_import_keeps_what_ran_before_the_cut(
    git_repo: GitRepo, database_url: str, tmp_path: Path, capsys: pytest.CaptureFixture[str],
    monkeypatch: pytest.MonkeyPatch,
) -> None:
    git_repo.write("features/pay.feature", "Feature: Pay\n\n  @approved\n  Scenario: Pay by card\n    Given a card\n"
                                           "    When I pay\n")
    git_repo.commit("pay")
    assert not sync(git_repo.path, ref="HEAD", database_url=database_url, project="pay").errors
    monkeypatch.chdir(git_repo.path)
    (tmp_path / "run.ndjson").write_bytes(CUT_OFF + HALF)
    capsys.readouterr()
    code = main(["results", "import", str(tmp_path / "run.ndjson"), "--project", "pay", "--database-url",
                 database_url])
    out, err = capsys.readouterr()
    assert (code, out.splitlines()[0]) == (0, f"imported 1 results into run {out.split()[5]} of pay at "
                                              f"{git_repo.head()[:12]}: 1 error"), out
    # The scenario's result shows the cut: the warning used to add that none did.
    assert err == (f"warning: {tmp_path / 'run.ndjson'}: the stream ends before its testRunFinished, in the middle "
                   "of line 9: the run was cut off; 1 unfinished scenario(s) recorded as errors\n")
    engine = db.make_engine(database_url)
    try:
        with db.session(engine) as session:
            assert session.execute(select(TestResult.status)).scalars().all() == ["error"]
    finally:
        engine.dispose()
    # Cut between scenarios: no result shows it, and the warning says so.
    (tmp_path / "between.ndjson").write_bytes(CUT_OFF + (
        b'{"testStepFinished":{"testCaseStartedId":"a1","testStepId":"t2","testStepResult":{"status":"PASSED"}}}\n'
        b'{"testCaseFinished":{"testCaseStartedId":"a1","willBeRetried":false}}\n'))
    assert main(["results", "import", str(tmp_path / "between.ndjson"), "--project", "pay", "--database-url",
                 database_url, "--output", "json"]) == 0
    assert capsys.readouterr().err == (f"warning: {tmp_path / 'between.ndjson'}: the stream ends before its "
                                       "testRunFinished: the run was cut off (the run failed outside its tests; no "
                                       "scenario's result shows it)\n")
