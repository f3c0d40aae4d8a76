"""Valid JSON that is no test report — another tool's JSON list (ESLint's), a ``package.json`` detected as a
Cucumber Messages stream — is refused as one error naming the file and line, and imports nothing (it was stored as
an empty run). Empty reports that are reports (``[]``, a stream of Cucumber messages that ran no test) still
import. On SQLite and PostgreSQL where storage is involved."""

from __future__ import annotations

import pytest
from sqlalchemy import func, select

from conftest import GitRepo
from tracertm import db
from tracertm.cli import main
from tracertm.engine.sync import sync
from tracertm.errors import ParseError
from tracertm.models import TestCase, TestRun
from tracertm.results import import_results
from tracertm.results.formats import parse_report

NOT_REPORTS = [
    (b'{"name": "my-app", "version": "1.0.0", "private": true}\n', 1, "not a Cucumber Messages stream"),
    (b'\n{"level": "info", "msg": "started"}\n{"level": "info", "msg": "done"}\n', 2,
     "not a Cucumber Messages stream"),
    (b'[{"filePath": "/src/a.js", "messages": [], "errorCount": 0}]', 1,
     "feature #1 has none of a Cucumber feature's fields"),
    (b'[\n  {"uri": "features/a.feature", "elements": []},\n  {}\n]', 3,
     "feature #2 has none of a Cucumber feature's fields"),
]


@pytest.mark.parametrize(("data", "line", "message"), NOT_REPORTS)
def test_json_that_is_no_report_is_refused_at_its_line(data: bytes, line: int, message: str) -> None:
    with pytest.raises(ParseError) as caught:
        parse_report("other.json", data)
    text = str(caught.value)
    assert text.startswith(f"other.json:{line}:") and message in text and "\n" not in text
    assert "nothing was imported" in text


@pytest.mark.parametrize("data", [
    b"[]",
    b'[{"uri": "features/a.feature", "keyword": "Feature", "name": "A"}]',  # Go formatter: no scenarios, no elements
    b'{"meta": {"protocolVersion": "22.0.0"}}\n{"testRunStarted": {}}\n{"testRunFinished": {}}\n',
    b'{"meta": {}}\n{"someFutureMessage": {}}\n',  # a newer protocol's kind among known ones
])
def test_reports_that_ran_no_test_still_parse(data: bytes) -> None:
    assert parse_report("r.json", data).cases == ()


def test_no_report_imports_nothing(git_repo: GitRepo, database_url: str) -> None:
    git_repo.write("features/a.feature", "Feature: A\n\n  Scenario: One\n    Given a step\n")
    git_repo.commit("a")
    assert not sync(git_repo.path, ref="HEAD", database_url=database_url, project="p").errors
    for data, _line, message in NOT_REPORTS:
        with pytest.raises(ParseError, match=message):
            import_results(database_url, "p", [("other.json", data)])
    engine = db.make_engine(database_url)
    try:
        with db.session(engine) as session:
            counts = (session.execute(select(func.count()).select_from(TestRun)).scalar_one(),
                      session.execute(select(func.count()).select_from(TestCase)).scalar_one())
    finally:
        engine.dispose()
    assert counts == (0, 0), "no empty run of another tool's JSON"


def test_the_cli_refuses_a_package_json_in_one_line(
    git_repo: GitRepo, database_url: str, capsys: pytest.CaptureFixture[str],
) -> None:
    git_repo.write("features/a.feature", "Feature: A\n\n  Scenario: One\n    Given a step\n")
    git_repo.commit("a")
    assert not sync(git_repo.path, ref="HEAD", database_url=database_url, project="p").errors
    package = git_repo.write("package.json", '{"name": "my-app", "version": "1.0.0"}\n')
    code = main(["results", "import", str(package), "--database-url", database_url, "--project", "p",
                 "--commit", git_repo.head()])
    err = capsys.readouterr().err
    assert code == 1
    assert err.count("\n") == 1 and "Traceback" not in err
    assert f"{package}:1:0: not a Cucumber Messages stream" in err
