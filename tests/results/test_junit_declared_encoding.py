"""A JUnit report whose XML declaration names an encoding the XML parser cannot use (unknown, not a text encoding,
or multi-byte such as Shift_JIS, which expat does not read) is refused as one error naming the file and line — on
both readers (``junit.parse``, ``junit.stream``) and from ``results import`` — never an internal error. Found by the
soak's report fuzz (``bench/soak.py``, section c)."""

from __future__ import annotations

import shutil
from pathlib import Path

import pytest

from conftest import GitRepo
from tracertm.cli import main
from tracertm.errors import ParseError
from tracertm.results import junit
from tracertm.results.formats import parse_report

HERE = Path(__file__).parent

UNREADABLE = ["UTF-X", "Shift_JIS", "utf-32", "big5", "utf-7", "rot13", "zlib", "idna", "punycode", "x" * 300]


def _report(encoding: str) -> bytes:
    return (f'<?xml version="1.0" encoding="{encoding}"?>\n'
            '<testsuite name="s"><testcase classname="c" name="n\u00e9"/></testsuite>\n').encode()


@pytest.mark.parametrize("encoding", UNREADABLE)
def test_an_unreadable_declared_encoding_is_a_parse_error_on_both_readers(encoding: str) -> None:
    data = _report(encoding)
    for read in (lambda: parse_report("r.xml", data), lambda: list(junit.stream("r.xml", data, [], [], []))):
        with pytest.raises(ParseError) as caught:
            read()
        error = caught.value
        assert (error.path, error.line, error.column) == ("r.xml", 1, 31)
        assert "\n" not in str(error) and len(str(error)) < 400
        assert error.message.startswith(f"the XML declaration's encoding '{encoding[:39]}")
        assert error.message.endswith("save the report as UTF-8")


@pytest.mark.parametrize("encoding", ["UTF-8", "ISO-8859-1", "windows-1252"])
def test_an_encoding_the_parser_reads_still_imports(encoding: str) -> None:
    data = _report(encoding)
    assert [c.name for c in parse_report("r.xml", data).cases] == [b"n\xc3\xa9".decode(encoding)]
    assert [c.name for c in junit.stream("r.xml", data, [], [], [])] == [b"n\xc3\xa9".decode(encoding)]


def test_results_import_refuses_it_as_one_line(git_repo: GitRepo, database_url: str,
                                               monkeypatch: pytest.MonkeyPatch,
                                               capsys: pytest.CaptureFixture[str]) -> None:
    shutil.copytree(HERE / "project" / "features", git_repo.path / "features", ignore=shutil.ignore_patterns("steps"))
    git_repo.commit("cart")
    monkeypatch.chdir(git_repo.path)
    monkeypatch.setenv("TRACERTM_DATABASE_URL", database_url)
    assert main(["sync", "--ref", "HEAD"]) == 0
    report = git_repo.path / "junit.xml"
    report.write_bytes(_report("Shift_JIS"))
    capsys.readouterr()
    assert main(["results", "import", str(report), "--commit", "HEAD"]) == 1
    err = capsys.readouterr().err.strip()
    assert err.count("\n") == 0 and "internal error" not in err, err
    assert f"{report}:1:31: the XML declaration's encoding 'Shift_JIS' cannot be read" in err, err
    assert main(["results", "runs", "--output", "json"]) == 0
    assert capsys.readouterr().out.strip() in ("[]", '{"runs": []}'), "nothing was imported"
