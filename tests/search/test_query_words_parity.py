"""A query means the same on SQLite and PostgreSQL where PostgreSQL's index leaves words out:

- common words at either end of a phrase (``"the ledger"``, ``the-ledger``) are left out on both, as README says of
  every query; SQLite looked for them, PostgreSQL (``phraseto_tsquery``) dropped them: one found the records
  holding "the ledger", the other every "ledger";
- a word that is a common word once its accents are folded (``à``, ``À``, ``İ``: 'a' and 'i' in both indexes) is
  one too: SQLite looked for 'a', PostgreSQL for nothing, and a PostgreSQL snippet of such a term failed (``à OR
  payment`` was a server error);
- a term of which PostgreSQL's parser keeps no word (``½``: a number sign SQLite indexes, PostgreSQL skips) matches
  nothing there, rather than vanishing from the query: ``½ payment`` found every "payment" on PostgreSQL, where
  SQLite (and the query) wants both."""

from __future__ import annotations

import pytest

from search_adrs import adr_engine
from tracertm import db
from tracertm.errors import UsageError
from tracertm.models import Project
from tracertm.repositories import Records
from tracertm.schemas.filters import ListFilter
from tracertm.search.engine import search


@pytest.fixture
def records(database_url: str):  # type: ignore[no-untyped-def]
    texts = (("ADR-0001", "Post to the ledger nightly."), ("ADR-0002", "Ledger balances."),
             ("ADR-0003", "A payment is due."), ("ADR-0004", "Nothing here."))
    with adr_engine(database_url, [(number, "Words", context) for number, context in texts]) as engine:
        yield engine


def _both(engine, query: str) -> tuple[list[str], list[str]]:  # type: ignore[no-untyped-def]
    """What search and the list's text filter find."""
    with db.session(engine) as session:
        found = sorted(h["number"] for h in search(session, query, limit=100))
        project = session.query(Project).one()
        listed = sorted(r.adr_number for r, _ in Records(session, "adr").list(project, ListFilter(text=query)).rows)
    return found, listed


@pytest.mark.parametrize("query", ['"the ledger"', '"ledger the"', "the-ledger", '"the ledger of"', "to-ledger"])
def test_common_words_at_a_phrase_end_are_left_out(records, query: str) -> None:  # type: ignore[no-untyped-def]
    assert _both(records, query) == (["ADR-0001", "ADR-0002"], ["ADR-0001", "ADR-0002"]), query


def test_common_words_inside_a_phrase_still_keep_it_a_phrase(records) -> None:  # type: ignore[no-untyped-def]
    assert _both(records, '"post to the ledger"') == (["ADR-0001"], ["ADR-0001"])
    assert _both(records, '"ledger the post"') == ([], [])


@pytest.mark.parametrize("query", ["½ payment", "payment ½", '"payment ½"'])
def test_a_term_postgresql_reads_no_word_in_does_not_vanish(  # type: ignore[no-untyped-def]
    records, query: str
) -> None:
    assert _both(records, query) == ([], []), query


def test_such_a_term_as_an_alternative_or_an_exclusion(records) -> None:  # type: ignore[no-untyped-def]
    assert _both(records, "½ OR payment") == (["ADR-0003"], ["ADR-0003"])
    assert _both(records, "payment -½") == (["ADR-0003"], ["ADR-0003"])


@pytest.mark.parametrize(("query", "found"), [
    ("à OR payment", ["ADR-0003"]), ("payment OR À", ["ADR-0003"]), ("payment -à", ["ADR-0003"]),
    ('"ledger à"', ["ADR-0001", "ADR-0002"]), ('"İ ledger"', ["ADR-0001", "ADR-0002"]),
    ("ledger-à", ["ADR-0001", "ADR-0002"]),
])
def test_a_word_common_once_its_accent_is_folded_is_left_out(  # type: ignore[no-untyped-def]
    records, query: str, found: list[str]
) -> None:
    assert _both(records, query) == (found, found), query


@pytest.mark.parametrize("query", ["à", "À", "İ", "à OR ì"])
def test_a_query_of_only_such_words_is_refused(records, query: str) -> None:  # type: ignore[no-untyped-def]
    with db.session(records) as session, pytest.raises(UsageError, match="other than common words"):
        search(session, query)
