"""JSON that is one document spread over several lines — a pretty-printed ``package.json``, mocha's
``--reporter json`` report, RSpec's ``--format json`` — starts with ``{`` and is detected as a Cucumber Messages
stream. Its first line, ``{`` alone, is no JSON: it was refused as "malformed message: Expecting property name
enclosed in double quotes" at line 1, column 2, which reads as a broken Cucumber report. It is refused as no
Cucumber Messages stream, in one line, and nothing is imported.

The mocha and RSpec reports are the empty ones of dorny/test-reporter's fixtures
(``__tests__/fixtures/empty/mocha-json.json`` and ``rspec-json.json``; MIT licence, Copyright (c) 2021 Michal Dorner).
"""

from __future__ import annotations

import pytest
from sqlalchemy import func, select

from conftest import GitRepo
from tracertm import db
from tracertm.cli import main
from tracertm.engine.sync import sync
from tracertm.errors import ParseError
from tracertm.models import TestRun
from tracertm.results.formats import parse_report

PACKAGE_JSON = b'{\n  "name": "my-app",\n  "version": "1.0.0",\n  "private": true\n}\n'
MOCHA_JSON = b"""{
  "stats": {
    "suites": 0,
    "tests": 0,
    "passes": 0,
    "pending": 0,
    "failures": 0,
    "start": "2021-03-08T20:01:44.391Z",
    "end": "2021-03-08T20:01:44.391Z",
    "duration": 0
  },
  "tests": [],
  "pending": [],
  "failures": [],
  "passes": []
}"""
RSPEC_JSON = b"""{
  "version": "3.13.0",
  "messages": [
    "No examples found."
  ],
  "examples": [
    
  ],
  "summary": {
    "duration": 0.002514266,
    "example_count": 0,
    "failure_count": 0,
    "pending_count": 0,
    "errors_outside_of_examples_count": 0
  },
  "summary_line": "0 examples, 0 failures"
}"""


@pytest.mark.parametrize("fmt", ["auto", "cucumber-messages"])
@pytest.mark.parametrize("data", [PACKAGE_JSON, MOCHA_JSON, RSPEC_JSON, b"\xef\xbb\xbf\n\n" + PACKAGE_JSON])
def test_one_json_document_over_several_lines_is_no_messages_stream(data: bytes, fmt: str) -> None:
    with pytest.raises(ParseError) as caught:
        parse_report("report.json", data, fmt)
    text = str(caught.value)
    assert "not a Cucumber Messages stream" in text, text
    assert "malformed message" not in text and "\n" not in text
    assert text.startswith("report.json:") and "nothing was imported" in text


def test_a_broken_stream_is_still_malformed_at_its_line() -> None:
    """Only a file that is one whole JSON document is read so: a stream whose first line is broken is malformed."""
    with pytest.raises(ParseError, match=r"^r\.ndjson:1:2: malformed message"):
        parse_report("r.ndjson", b'{\n{"meta": {}}\n')
    with pytest.raises(ParseError, match=r"^r\.ndjson:2:\d+: malformed message"):
        parse_report("r.ndjson", b'{"meta": {}}\n{"pickle": \n')


def test_the_cli_refuses_a_mocha_report_in_one_line(
    git_repo: GitRepo, database_url: str, capsys: pytest.CaptureFixture[str],
) -> None:
    git_repo.write("features/a.feature", "Feature: A\n\n  Scenario: One\n    Given a step\n")
    git_repo.commit("a")
    assert not sync(git_repo.path, ref="HEAD", database_url=database_url, project="p").errors
    report = git_repo.path / "mocha.json"
    report.write_bytes(MOCHA_JSON)
    code = main(["results", "import", str(report), "--database-url", database_url, "--project", "p",
                 "--commit", git_repo.head()])
    err = capsys.readouterr().err
    assert code == 1
    assert err.count("\n") == 1 and "Traceback" not in err
    assert f"{report}:1:0: not a Cucumber Messages stream" in err
    engine = db.make_engine(database_url)
    try:
        with db.session(engine) as session:
            assert session.execute(select(func.count()).select_from(TestRun)).scalar_one() == 0
    finally:
        engine.dispose()
