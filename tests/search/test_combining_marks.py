"""Words holding combining marks (Devanagari and Tamil vowel signs, Arabic harakat, a decomposed 'é') are found and
highlighted alike on SQLite and PostgreSQL: a query word keeps its marks (PostgreSQL indexes 'हिन्दी' as one word,
where a query split at the marks looked for the phrase 'ह न द' and found nothing), and a PostgreSQL snippet marks
the whole word, its accent included (it marked 'cafe' of 'cafe\u0301' and left the accent outside the mark)."""

from __future__ import annotations

import pytest

from search_adrs import adr_engine
from tracertm import db
from tracertm.models import Project
from tracertm.repositories import Records
from tracertm.schemas.filters import ListFilter
from tracertm.search.engine import search

HINDI = "हिन्दी भाषा में भुगतान"
TAMIL = "தமிழ் மொழி"
ARABIC = "الدفع مُحَمَّد الإلكتروني"
DECOMPOSED = "Decomposed cafe\u0301 here"


@pytest.fixture
def records(database_url: str):  # type: ignore[no-untyped-def]
    texts = (("ADR-0001", HINDI), ("ADR-0002", TAMIL), ("ADR-0003", ARABIC), ("ADR-0004", DECOMPOSED),
             ("ADR-0005", "nothing here"))
    with adr_engine(database_url, [(number, "Words", context) for number, context in texts]) as engine:
        yield engine


@pytest.mark.parametrize(
    ("query", "number"),
    [("हिन्दी", "ADR-0001"), ("भाषा", "ADR-0001"), ('"हिन्दी भाषा"', "ADR-0001"), ("தமிழ்", "ADR-0002"),
     ("மொழி", "ADR-0002"), ("مُحَمَّد", "ADR-0003"), ("cafe\u0301", "ADR-0004"), ("café", "ADR-0004")],
)
def test_words_with_combining_marks_are_found_on_both_databases(  # type: ignore[no-untyped-def]
    records, query: str, number: str
) -> None:
    with db.session(records) as session:
        assert [h["number"] for h in search(session, query)] == [number], query
        project = session.query(Project).one()
        listed = [r.adr_number for r, _ in Records(session, "adr").list(project, ListFilter(text=query)).rows]
        assert listed == [number], query


def test_a_snippet_marks_the_whole_word_with_its_accent(records) -> None:  # type: ignore[no-untyped-def]
    with db.session(records) as session:
        (hit,) = search(session, "cafe")
        assert "<mark>cafe\u0301</mark>" in hit["snippet"], hit["snippet"]
