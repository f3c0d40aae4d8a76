"""A phrase's words are highlighted where they occur as the phrase, on PostgreSQL as on SQLite: PostgreSQL's
snippet marked each word of ``v1.2`` (the phrase "v1 2") wherever it stood alone ('v1' of 'v1.10', the '2' of
'2.0.0'), where SQLite marks only the phrase."""

from __future__ import annotations

import re

import pytest

from search_adrs import adr_engine
from tracertm import db
from tracertm.search.engine import search

TEXT = "Release v1.2 ships after v1.10; semver 2.0.0; the idempotency key and a key of idempotency."


@pytest.fixture
def records(database_url: str):  # type: ignore[no-untyped-def]
    with adr_engine(database_url, [("ADR-0001", "Versions", TEXT)]) as engine:
        yield engine


def _marked(snippet: str) -> list[str]:
    """The marked text, each mark's words (a mark may hold a whole phrase)."""
    return [w for m in re.findall(r"<mark>(.*?)</mark>", snippet) for w in re.findall(r"[^\W_]+", m)]


@pytest.mark.parametrize(
    ("query", "marked"),
    [("v1.2", ["v1", "2"]), ('"idempotency key"', ["idempotency", "key"]), ("v1.10", ["v1", "10"]),
     ("2.0", ["2", "0"]), ('"the idempotency key"', ["idempotency", "key"])],
)
def test_a_phrase_is_marked_where_it_occurs_as_the_phrase(  # type: ignore[no-untyped-def]
    records, query: str, marked: list[str]
) -> None:
    with db.session(records) as session:
        hits = search(session, query)
        snippet = hits[0]["snippet"] if hits else ""
        assert _marked(snippet) == marked, snippet


@pytest.mark.parametrize(
    ("query", "marks"),
    [('"idempotency key"', ["idempotency key"]), ("v1.2", ["v1.2"]), ("2.0", ["2.0"]),
     ("idempotency key", ["idempotency", "key"])],
)
def test_an_occurrence_is_one_mark_and_separate_words_are_not_joined(  # type: ignore[no-untyped-def]
    records, query: str, marks: list[str]
) -> None:
    """As SQLite marks them: a phrase's occurrence from its first word to its last (across a space too), each word
    of separate terms on its own (PostgreSQL joined any matched words between which stood only punctuation)."""
    with db.session(records) as session:
        snippet = search(session, query)[0]["snippet"]
        assert [m.lower() for m in re.findall(r"<mark>(.*?)</mark>", snippet)][:len(marks)] == marks, snippet


def test_markup_between_matched_words_stays_outside_the_marks(database_url: str) -> None:
    with adr_engine(database_url, [("ADR-0001", "Markup", "A title with <mark>mark</mark> in it.")]) as engine:
        with db.session(engine) as session:
            snippet = search(session, "mark")[0]["snippet"]
    assert "&lt;<mark>mark</mark>&gt;<mark>mark</mark>&lt;/<mark>mark</mark>&gt;" in snippet, snippet
