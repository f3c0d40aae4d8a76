"""ADR errors an author causes in the front matter, each one line naming the file and the line to fix: an ``id`` too
long to be a database key (reported at its ``id:`` line, not at the H1), and a date whose time no clock shows
(``2018-01-01 25:00:00``, which YAML leaves a string and whose date part used to be read as if it were fine). Such a
file is an error of its own: a sync reports it and leaves the file's records as the database has them. And a key
written twice (``Status`` after ``status``: keys are read whatever their case, ``_`` or ``-``), a warning at the
second one: the last one wins, as for an exact repeat (the first did, and the second was dropped in silence)."""

from __future__ import annotations

from typing import Any

import pytest
from sqlalchemy import select

from conftest import GitRepo
from specs import dump
from tracertm import parsers
from tracertm.cli import main
from tracertm.engine.sync import sync
from tracertm.errors import ParseError
from tracertm.models import SourceFile
from tracertm.parsers.adr import parse

PATH = "docs/adr/0001-use-git.md"
LONG_ID = "x" * 2001


def _doc(front_matter: str, body: str = "# 1. Use git\n\n## Context\n\nWe need history.\n") -> bytes:
    return f"---\n{front_matter}\n---\n\n{body}".encode()


@pytest.mark.parametrize(
    ("front_matter", "line", "fragment"),
    [
        pytest.param(f"status: accepted\nid: {LONG_ID}", 3, "front matter id is 2001 bytes long", id="id"),
        pytest.param(f"number: ADR-{'9' * 12}{'x' * 2000}\nstatus: accepted", 2,
                     "front matter number is 2016 bytes long", id="number"),
        pytest.param(f"status: accepted\ntitle: T\nid: {'é' * 1001}", 4, "front matter id is 2002 bytes long",
                     id="id-counted-in-utf8-bytes"),
    ],
)
def test_an_id_over_the_limit_is_reported_at_its_front_matter_line(front_matter: str, line: int,
                                                                   fragment: str) -> None:
    for parser in (lambda data: parse(PATH, data), lambda data: parsers.parse("adr", PATH, data)):
        with pytest.raises(ParseError) as info:
            parser(_doc(front_matter))
        error = info.value
        assert (error.path, error.line) == (PATH, line), str(error)
        assert fragment in error.message and "over the 2000-byte limit for ids; shorten it" in error.message
        assert len(error.diagnostics) == 1 and "\n" not in str(error)
        assert str(error).startswith(f"{PATH}:{line}:")


def test_an_id_at_the_limit_is_still_an_id() -> None:
    result = parsers.parse("adr", PATH, _doc(f"status: accepted\nid: {'x' * 2000}"))
    assert result.records[0].number == "x" * 2000


@pytest.mark.parametrize(
    ("data", "line", "fragment"),
    [
        pytest.param(_doc("status: accepted\ndate: 2018-01-01 25:00:00"), 3,
                     "date '2018-01-01 25:00:00' in front matter has an impossible time '25:00:00'", id="hour-25"),
        pytest.param(_doc("date: 2018-01-01T10:61:00Z\nstatus: accepted"), 2,
                     "impossible time '10:61:00Z'", id="minute-61"),
        pytest.param(_doc("status: accepted\ndate: '2018-01-01 23:59:61'"), 3,
                     "impossible time '23:59:61'", id="second-61-quoted"),
        pytest.param(_doc("status: accepted\ndate: 2018-01-01 10:00:00 +25:00"), 3,
                     "impossible time '10:00:00 +25:00'", id="zone-offset-25h"),
        pytest.param(b"# 1. Use git\n\nDate: 2018-01-01 25:00\n\n## Status\n\nAccepted\n", 3,
                     "date '2018-01-01 25:00' in key list has an impossible time '25:00'", id="key-list"),
        pytest.param(_doc("status: accepted\ndate: 2018-01-01", "# 1. Use git\n\n**Date:** 2018-01-01 24:30\n"), 8,
                     "in key list has an impossible time '24:30'", id="second-declaration"),
    ],
)
def test_a_date_with_an_impossible_time_is_an_error_of_the_file(data: bytes, line: int, fragment: str) -> None:
    with pytest.raises(ParseError) as info:
        parsers.parse("adr", PATH, data)
    error = info.value
    assert (error.path, error.line) == (PATH, line), str(error)
    assert fragment in error.message, error.message
    assert "write a real time" in error.message and "YYYY-MM-DD" in error.message
    assert "\n" not in str(error) and str(error).startswith(f"{PATH}:{line}:")


@pytest.mark.parametrize(
    "value",
    ["2018-01-01 10:00:00", "2018-01-01T23:59:59Z", "2018-01-01 10:00:00.5 -05:00", "2018-01-01 24:00:00",
     "2018-01-01T23:59:60Z", "'2018-01-01 9:30'"],
)
def test_dates_with_real_times_keep_their_date(value: str) -> None:
    """A time a clock can show (ISO 8601's 24:00:00 end of day and a leap second included) is not an error; the
    date is kept, without a warning."""
    import datetime as dt

    result = parsers.parse("adr", PATH, _doc(f"status: accepted\ndate: {value}"))
    assert result.records[0].fields["date"] == dt.date(2018, 1, 1) and result.warnings == ()


def test_a_sync_reports_the_broken_stamp_and_keeps_the_records(git_repo: GitRepo, engine: Any) -> None:
    good = "---\nstatus: accepted\ndate: 2018-01-01 10:00:00\n---\n\n# 1. Use git\n\n## Context\n\nHistory.\n"
    git_repo.write(PATH, good)
    git_repo.commit("adr")
    assert sync(git_repo.path, engine=engine).errors == []
    before = {table: rows for table, rows in dump(engine, volatile=True).items() if table != "source_files"}

    git_repo.write(PATH, good.replace("10:00:00", "25:00:00").replace("History.", "Changed."))
    git_repo.commit("impossible time")
    result = sync(git_repo.path, engine=engine)
    assert [(e.path, e.line) for e in result.errors] == [(PATH, 3)]
    assert "impossible time '25:00:00'" in result.errors[0].message
    after = {table: rows for table, rows in dump(engine, volatile=True).items() if table != "source_files"}
    assert after == before, "the file's records stay as they were"
    with engine.connect() as conn:
        stored = conn.execute(select(SourceFile.parse_error).where(SourceFile.path == PATH)).scalar_one()
    assert [e["line"] for e in stored] == [3]


REPEATS = """\
status: accepted
Status: rejected
tags: [a]
Tags: [b]
supersedes: 1
Supersedes: 2
superseded_by: 5
superseded-by: 6
deciders: Ann
Deciders: Bob
deciders: Cy
Custom: x
custom: y"""


def test_a_key_spelled_twice_is_a_repeat_the_last_one_wins(git_repo: GitRepo, capsys: Any) -> None:
    result = parsers.parse("adr", "docs/adr/0003-three.md", _doc(REPEATS, "# 3. Three\n"))
    fields = result.records[0].fields
    assert (fields["status"], fields["tags"], fields["supersedes"], fields["superseded_by"]) == (
        "superseded", ["b"], "ADR-0002", "ADR-0006")  # (a successor makes it superseded, as ever)
    assert fields["stakeholders"] == ["Cy"]
    assert (fields["adr_metadata"]["Custom"], fields["adr_metadata"]["custom"]) == ("x", "y")  # keys read as written
    said = "keys are read whatever their case, '_' or '-'"
    assert [(w.line, w.column, w.message) for w in result.warnings] == [
        (3, 1, f"front matter key 'Status' is 'status' repeated ({said}); the last one wins"),
        (5, 1, f"front matter key 'Tags' is 'tags' repeated ({said}); the last one wins"),
        (7, 1, f"front matter key 'Supersedes' is 'supersedes' repeated ({said}); the last one wins"),
        (9, 1, f"front matter key 'superseded-by' is 'superseded_by' repeated ({said}); the last one wins"),
        (11, 1, f"front matter key 'Deciders' is 'deciders' repeated ({said}); the last one wins"),
        (12, 1, f"front matter key 'deciders' is 'Deciders' repeated ({said}); the last one wins"),
        (3, 1, "status 'rejected' but the ADR names a successor; using 'superseded'"),  # (the status kept)
    ]
    git_repo.write("docs/adr/0003-three.md", _doc("status: accepted\nStatus: rejected").decode())
    git_repo.commit("adr")
    assert main(["check", str(git_repo.path)]) == 0
    assert capsys.readouterr().out.splitlines()[0] == (
        f"docs/adr/0003-three.md:3:1: warning: front matter key 'Status' is 'status' repeated ({said}); the last one "
        "wins")
