"""Words holding combining marks (Devanagari and Tamil vowel signs, Arabic harakat, a decomposed 'é') are found and
highlighted alike on SQLite and PostgreSQL: a query word keeps its marks (PostgreSQL indexes 'हिन्दी' as one word,
where a query split at the marks looked for the phrase 'ह न द' and found nothing), and a PostgreSQL snippet marks
the whole word, its accent included (it marked 'cafe' of 'cafe\u0301' and left the accent outside the mark)."""

from __future__ import annotations

import pytest

from search_adrs import adr_engine
from tracertm import db
from tracertm.models import ADR, Project
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


# A combining mark is part of the word it follows on SQLite too (index version 3, migration 0042): unicode61 read
# every mark but its Latin diacritics as a separator, so that 'लाख' found 'लिखा' ('ल' and 'ख' left), a snippet marked
# 'लिख' of 'लिखा', and 'kar\u0338ma6' was 'kar' and 'ma6' there and 'karma6' on PostgreSQL. A format character (soft
# hyphen, word joiner, U+FEFF) is ignored inside a word on both; a zero-width space separates words.
MARKED = [("ADR-0001", "Hindi", "हिन्दी भाषा में लिखा गया"),
          ("ADR-0002", "soft\u00adhyphen", "ba\u2060r kar\u0338ma6 Z\u0324\u0354\u0367\u0311\u0313a\u0308lgo "
                                           "fee\ufeffdback zero\u200bwidth \u200eleft\u200f"),
          ("ADR-0003", "Thai and others", "กิน שָׁלוֹם বাংলা தமிழ் Café")]


@pytest.mark.parametrize(("query", "expected"), [
    ("लाख", []), ("ह", []), ("हि", []), ("न्", []), ("भा", []), ("लिखा", ["ADR-0001"]), ("में", ["ADR-0001"]),
    ('"भाषा में लिखा"', ["ADR-0001"]), ("karma6", []), ("kar\u0338ma6", ["ADR-0002"]), ("Z", []),
    ("softhyphen", ["ADR-0002"]), ("soft\u00adhyphen", ["ADR-0002"]), ("soft", []), ("bar", ["ADR-0002"]),
    ("feedback", ["ADR-0002"]), ("left", ["ADR-0002"]), ("zero", ["ADR-0002"]), ("width", ["ADR-0002"]),
    ("zerowidth", []), ("ก", []), ("กิน", ["ADR-0003"]), ("שלום", []), ("שָׁלוֹם", ["ADR-0003"]),
    ("বাংলা", ["ADR-0003"]), ("cafe", ["ADR-0003"]),
])
def test_marks_belong_to_their_word_and_format_characters_are_ignored_on_both_databases(
    database_url: str, query: str, expected: list[str]
) -> None:
    with adr_engine(database_url, MARKED) as engine, db.session(engine) as session:
        assert [h["number"] for h in search(session, query)] == expected, query
        project = session.query(Project).one()
        listed = [r.adr_number for r, _ in Records(session, "adr").list(project, ListFilter(text=query)).rows]
        assert listed == expected, query


@pytest.mark.parametrize(("query", "marked"), [
    ("लिखा", "<mark>लिखा</mark>"), ("में", "<mark>में</mark>"), ("kar\u0338ma6", "<mark>kar\u0338ma6</mark>"),
])
def test_a_snippet_marks_the_whole_word_with_its_marks(database_url: str, query: str, marked: str) -> None:
    with adr_engine(database_url, MARKED) as engine, db.session(engine) as session:
        (hit,) = search(session, query)
        assert marked in hit["snippet"], hit["snippet"]


def test_a_snippet_does_not_cut_a_word_at_its_edge(database_url: str) -> None:
    """A fragment ends after a word's last mark: SQLite ended 'लंबा' before its vowel sign ('लंब…')."""
    words = ["अंत"] + ["लंबा"] * 20
    with adr_engine(database_url, [("ADR-0001", "Long", " ".join(words))]) as engine, db.session(engine) as session:
        (hit,) = search(session, "अंत")
        assert hit["snippet"].endswith(" लंबा…"), hit["snippet"]


def test_the_migration_reindexes_marks_and_format_characters(empty_database_url: str) -> None:
    """Records written before migration 0042 are found by a word holding marks or a format character after it; its
    downgrade restores the old index (on SQLite the mark a separator again)."""
    engine = db.make_engine(empty_database_url)
    try:
        db.upgrade(engine, "0041")
        with db.session(engine) as session:
            project = Project(name="p")
            session.add(project)
            session.flush()
            session.add(ADR(project_id=project.id, adr_number="ADR-0001", title="soft\u00adhyphen",
                            status="accepted", context="हिन्दी भाषा में लिखा गया"))
            session.commit()
        db.upgrade(engine)
        with db.session(engine) as session:
            assert [[h["number"] for h in search(session, q)] for q in ("softhyphen", "लाख")] == [["ADR-0001"], []]
        db.downgrade(engine, "0041")
        with db.session(engine) as session:
            sqlite = engine.dialect.name == "sqlite"
            assert [h["number"] for h in search(session, "लाख")] == (["ADR-0001"] if sqlite else [])
        db.upgrade(engine)
        with db.session(engine) as session:
            project = session.query(Project).one()
            session.add(ADR(project_id=project.id, adr_number="ADR-0002", title="ba\u2060r", status="accepted"))
            session.commit()
            assert [h["number"] for h in search(session, "bar")] == ["ADR-0002"]
    finally:
        engine.dispose()
