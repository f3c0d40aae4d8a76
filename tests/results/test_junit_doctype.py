"""A JUnit report with a DOCTYPE is refused, as README says ("entity declarations and external references are
refused"): an external DTD (``SYSTEM "file:///…"``) was ignored and the report imported, and an internal one's
``<!ATTLIST>`` default gave every ``<testcase>`` the attribute it declared — another classname, so another test id.
No JUnit writer known writes a DOCTYPE. Refused by the whole-tree parse, the incremental one the streamed import
uses, and the one for reports of 32 MiB or more, with the same error at the DOCTYPE's line; nothing is imported."""

from __future__ import annotations

import pytest
from sqlalchemy import func, select

from conftest import GitRepo
from tracertm import db
from tracertm.engine.sync import sync
from tracertm.errors import ParseError
from tracertm.models import TestRun
from tracertm.results import import_results, junit
from tracertm.results.formats import parse_report

SUITE = b'\n<testsuite name="s"><testcase classname="c" name="t"/></testsuite>\n'
REFUSED = ("refused unsafe XML (DTDForbidden: a DOCTYPE, entity declarations and external references are not "
           "allowed in test reports); regenerate the report with your test runner")
DOCTYPES = {
    "external": b'<!DOCTYPE testsuite SYSTEM "file:///tmp/evil.dtd">',
    "public": b'<!DOCTYPE testsuite PUBLIC "-//x//junit//EN" "http://example.com/junit.dtd">',
    "attribute default": b'<!DOCTYPE testsuite [<!ATTLIST testcase classname CDATA "INTERNAL">]>',
    "element declaration": b"<!DOCTYPE testsuite [<!ELEMENT testsuite ANY>]>",
    "bare": b"<!DOCTYPE testsuite>",
}


@pytest.mark.parametrize("declaration", ["", '<?xml version="1.0" encoding="UTF-8"?>\n'])
@pytest.mark.parametrize("doctype", list(DOCTYPES))
@pytest.mark.parametrize("capped", [False, True])
def test_a_doctype_is_refused_at_its_line_by_every_parse(
    doctype: str, declaration: str, capped: bool, monkeypatch: pytest.MonkeyPatch,
) -> None:
    if capped:  # the parser of reports of 32 MiB or more, without writing one
        monkeypatch.setattr(junit, "CAPPED_FROM", 0)
    data = declaration.encode() + DOCTYPES[doctype] + SUITE
    line = declaration.count("\n") + 1
    with pytest.raises(ParseError) as parsed:
        parse_report("r.xml", data)
    assert str(parsed.value) == f"r.xml:{line}:0: {REFUSED}"
    with pytest.raises(ParseError) as streamed:
        list(junit.stream("r.xml", data, [], [], []))
    assert str(streamed.value) == str(parsed.value)


def test_a_report_with_a_doctype_imports_nothing(git_repo: GitRepo, database_url: str) -> None:
    git_repo.write("features/f.feature", "Feature: F\n  Scenario: S\n    Given x\n")
    git_repo.commit("f")
    assert not sync(git_repo.path, ref="HEAD", database_url=database_url, project="p").errors
    with pytest.raises(ParseError, match="DTDForbidden"):
        import_results(database_url, "p", [("ok.xml", SUITE), ("dtd.xml", DOCTYPES["external"] + SUITE)],
                       commit=git_repo.head())
    engine = db.make_engine(database_url)
    try:
        with db.session(engine) as session:
            assert session.execute(select(func.count()).select_from(TestRun)).scalar_one() == 0
    finally:
        engine.dispose()
