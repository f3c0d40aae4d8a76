"""A search snippet is the record's text on both databases: a scenario's steps and a contract's conditions read as
their words, as SQLite's index holds them, never as the JSON of the lists they are stored in (PostgreSQL's snippet
used to show ``["a posting of …"] ["an operator <mark>corrects</mark> it"]``)."""

from __future__ import annotations

import html
import re

import pytest
from sample import sync_sample

from conftest import GitRepo
from tracertm import db
from tracertm.repositories import kind
from tracertm.search.engine import search


@pytest.fixture
def synced(git_repo: GitRepo, database_url: str):  # type: ignore[no-untyped-def]
    sync_sample(git_repo, database_url)
    engine = db.make_engine(database_url)
    yield engine
    engine.dispose()


def _fragments(snippet: str) -> list[list[str]]:
    """The snippet's fragments as word lists, marks and escapes gone."""
    plain = html.unescape(snippet.replace("<mark>", "").replace("</mark>", ""))
    return [re.findall(r"\w+", part) for part in plain.split("…") if part.strip()]


def _in_order(words: list[str], text: list[str]) -> bool:
    n = len(words)
    return any(text[i:i + n] == words for i in range(len(text) - n + 1))


def test_a_scenario_snippet_shows_the_steps_text(synced) -> None:  # type: ignore[no-untyped-def]
    steps = re.findall(r"\w+", "Corrections never update existing postings a posting of 12.00 EUR was booked to "
                               "the wrong merchant an operator corrects it a reversing entry and a new entry are "
                               'appended the number of updated rows in "postings" is 0')
    with db.session(synced) as session:
        for query in ("corrects", "postings", "merchant reversing"):
            [hit] = [h for h in search(session, query, kinds=[kind("scenarios")], limit=100) if h["number"] == "SC-9"]
            snippet = hit["snippet"]
            assert "[" not in snippet and "]" not in snippet and "\\" not in snippet, snippet
            assert "an operator <mark>corrects</mark> it" in snippet or query != "corrects", snippet
            for fragment in _fragments(snippet):
                assert _in_order(fragment, steps), (query, snippet)


def test_a_contract_snippet_shows_the_conditions_text(synced) -> None:  # type: ignore[no-untyped-def]
    with db.session(synced) as session:
        hits = search(session, "vault", kinds=[kind("contracts")])
        assert hits
        snippet = hits[0]["snippet"]
        assert "card is a <mark>vault</mark> token" in snippet, snippet
        assert "[" not in snippet and '"' not in snippet, snippet


def test_a_snippet_has_no_spaces_at_its_ends(database_url: str) -> None:
    """SQLite's snippet of a body whose first or last texts are empty (an ADR without a decision or consequences, a
    scenario without a description) began or ended with the spaces that join them (``"Forest rules.  "``);
    PostgreSQL's never did."""
    from search_adrs import adr_engine

    with adr_engine(database_url, [("ADR-0001", "Numbat", "Forest rules.")]) as engine, db.session(engine) as session:
        [hit] = search(session, "forest")
        assert hit["snippet"].endswith("<mark>Forest</mark> rules."), repr(hit["snippet"])  # PostgreSQL's: title too
