"""The test reports of .NET runs (Reqnroll's and SpecFlow's, through ``dotnet test``) — Visual Studio TRX, NUnit 2
and 3, xUnit.net — are no JUnit, and no ``--format`` reads them: the error names the report and says how to get one
tracertm reads, rather than sending the user to ``--format`` (it did). The roots are as the runners write them
(dorny/test-reporter's ``__tests__/fixtures/dotnet-trx.trx`` and ``dotnet-nunit.xml``, EnricoMi/publish-unit-test-
result-action's ``python/test/files/xunit``, both MIT; cut to their root)."""

from __future__ import annotations

from pathlib import Path

import pytest

from conftest import GitRepo
from tracertm.cli import main
from tracertm.engine.sync import sync
from tracertm.errors import ParseError
from tracertm.results.formats import parse_report
from tracertm.results.junit import stream

HINT = ("which tracertm does not read; write JUnit XML (dotnet test --logger junit, with the JunitXml.TestLogger "
        "package) or, with Reqnroll 3, Cucumber Messages (its message formatter)")
REPORTS = [
    (b'<?xml version="1.0" encoding="utf-8"?>\n<TestRun id="4d2f2e5a-0c5b-4d5e-9b41-4d4b1f0e9a61" '
     b'name="@fv-az 2021-03-07 10:36:56" xmlns="http://microsoft.com/schemas/VisualStudio/TeamTest/2010">'
     b'<ResultSummary outcome="Failed"><Counters total="1" passed="0" failed="1" /></ResultSummary></TestRun>',
     "<TestRun>, a Visual Studio TRX report"),
    (b'<?xml version="1.0" encoding="utf-8" standalone="no"?>\n<test-run id="0" runstate="Runnable" testcasecount="1" '
     b'result="Failed" total="1" passed="0" failed="1"><test-suite type="Assembly" name="Shop.Specs.dll">'
     b'<test-case id="0-1001" name="AddAnItem" result="Failed" /></test-suite></test-run>',
     "<test-run>, an NUnit 3 report"),
    (b'<?xml version="1.0" encoding="utf-8" standalone="no"?>\n<test-results name="Shop.Specs.dll" total="1" '
     b'failures="1"><test-suite name="Shop.Specs.dll"><results><test-case name="AddAnItem" executed="True" '
     b'success="False" /></results></test-suite></test-results>', "<test-results>, an NUnit 2 report"),
    (b'<?xml version="1.0" encoding="utf-8"?>\n<assemblies timestamp="03/07/2021 10:36:56"><assembly '
     b'name="Shop.Specs.dll" total="1" passed="0" failed="1"><collection name="Cart" total="1"><test '
     b'name="Cart.AddAnItem" result="Fail" /></collection></assembly></assemblies>',
     "<assemblies>, an xUnit.net report"),
]


@pytest.mark.parametrize(("data", "what"), REPORTS)
def test_a_dotnet_report_is_named_and_the_way_to_a_readable_one_given(data: bytes, what: str) -> None:
    message = f"report.xml:2:1: not a JUnit report: the root element is {what}, {HINT}"
    with pytest.raises(ParseError) as info:
        parse_report("report.xml", data)
    assert str(info.value) == message
    with pytest.raises(ParseError) as info:
        list(stream("report.xml", data, [], [], []))
    assert str(info.value) == message


def test_the_cli_says_it_in_one_line(
    git_repo: GitRepo, tmp_path: Path, capsys: pytest.CaptureFixture[str], monkeypatch: pytest.MonkeyPatch,
) -> None:
    git_repo.write("features/a.feature", "Feature: A\n\n  Scenario: A\n    Given a step\n")
    git_repo.commit("a")
    url = f"sqlite:///{tmp_path / 'db.sqlite'}"
    assert not sync(git_repo.path, ref="HEAD", database_url=url, project="shop").errors
    monkeypatch.chdir(git_repo.path)
    (tmp_path / "report.trx").write_bytes(REPORTS[0][0])
    capsys.readouterr()
    assert main(["results", "import", str(tmp_path / "report.trx"), "--database-url", url, "--project", "shop"]) == 1
    out, err = capsys.readouterr()
    assert (out, err) == ("", f"tracertm: error: {tmp_path / 'report.trx'}:2:1: not a JUnit report: the root "
                              f"element is <TestRun>, a Visual Studio TRX report, {HINT}\n")


def test_other_xml_is_still_sent_to_format() -> None:
    with pytest.raises(ParseError, match=r"root element is <html>, expected <testsuites> or <testsuite>; pass "
                                         r"--format to pick another format$"):
        parse_report("report.xml", b"<html><body/></html>")
