"""An ADR's date written as a section (``## Date`` over ``2024-03-10``) or in its heading (``## Date: 2024-03-10``).

Both were no date at all, without a word, and the heading with the date in it was not even kept among the sections
(its section had no other text). The date is read as a ``Date:`` line's is — unreadable or ambiguous ones warned
about at their line, an impossible time an error of the file — and the section's other text is kept under its
heading. A ``## Date`` section over prose is a section like any other. Parsed, and synced into SQLite and
PostgreSQL.
"""

from __future__ import annotations

import datetime as dt

import pytest
from sqlalchemy import select

from conftest import GitRepo
from tracertm import db
from tracertm.engine.sync import sync
from tracertm.errors import ParseError
from tracertm.models import ADR
from tracertm.parsers.adr import parse

SECTION = """# 7. Use Kafka

## Date

10 March 2024

Agreed at the architecture review.

## Status

Accepted

## Context

Events.
"""
HEADING = """# Use Avro

## **Date**: 2024-03-10

## Status

Accepted
"""


def _fields(text: str) -> tuple[dict[str, object], list[str]]:
    result = parse("docs/adr/0007-x.md", text.encode())
    return result.records[0].fields, [str(w) for w in result.warnings]


def test_a_date_section_is_the_date_and_its_other_text_is_kept() -> None:
    fields, warnings = _fields(SECTION)
    assert (fields["date"], warnings) == (dt.date(2024, 3, 10), [])
    assert fields["adr_metadata"]["sections"] == {"Date": "Agreed at the architecture review."}  # type: ignore[index]


def test_a_date_in_the_heading_is_the_date() -> None:
    fields, warnings = _fields(HEADING)
    assert (fields["date"], warnings) == (dt.date(2024, 3, 10), [])


def test_an_ambiguous_or_impossible_date_there_is_said_at_its_line() -> None:
    fields, warnings = _fields(SECTION.replace("10 March 2024", "10/03/2024"))
    assert fields["date"] is None
    assert warnings == ["docs/adr/0007-x.md:5:1: warning: ambiguous date '10/03/2024' in ## Date section: day/month "
                        "or month/day? Write it as YYYY-MM-DD, or set date_format = \"DD/MM/YYYY\" "
                        "(or \"MM/DD/YYYY\") in .tracertm.toml (or [tool.tracertm] in pyproject.toml)"]
    with pytest.raises(ParseError, match=r"^docs/adr/0007-x\.md:3:1: date '2024-03-10 25:00' in ## Date heading has "
                                         r"an impossible time '25:00'"):
        parse("docs/adr/0007-x.md", HEADING.replace("2024-03-10", "2024-03-10 25:00").encode())


@pytest.mark.parametrize("heading", ["## Date\n\nWe met twice, in spring.", "## Dates and deadlines\n\nSoon.",
                                     "## Database\n\nPostgreSQL."])
def test_other_sections_stay_sections(heading: str) -> None:
    fields, warnings = _fields(f"# 7. Use Kafka\n\n{heading}\n\n## Status\n\nAccepted\n")
    title, text = heading.split("\n\n")
    assert (fields["date"], warnings) == (None, [])
    assert fields["adr_metadata"]["sections"] == {title[3:]: text}  # type: ignore[index]


def test_a_key_list_date_comes_first() -> None:
    fields, _warnings = _fields(SECTION.replace("# 7. Use Kafka\n", "# 7. Use Kafka\n\nDate: 2024-01-02\n"))
    assert fields["date"] == dt.date(2024, 1, 2)


def test_synced_the_date_is_stored(git_repo: GitRepo, database_url: str) -> None:
    git_repo.write("docs/adr/0007-use-kafka.md", SECTION)
    git_repo.write("docs/adr/0008-use-avro.md", HEADING)
    git_repo.commit("adrs")
    assert not sync(git_repo.path, ref="HEAD", database_url=database_url, project="p").errors
    engine = db.make_engine(database_url)
    try:
        with db.session(engine) as session:
            rows = session.execute(select(ADR.adr_number, ADR.date).order_by(ADR.adr_number)).all()
    finally:
        engine.dispose()
    assert [tuple(r) for r in rows] == [("ADR-0007", dt.date(2024, 3, 10)), ("ADR-0008", dt.date(2024, 3, 10))]
