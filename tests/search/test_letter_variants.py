"""Letters SQLite's index folds into another letter and PostgreSQL's lower() kept (the Greek final sigma 'ς', the
symbol forms of Greek letters, the long s) are one word on both databases (vector version 4, migration 0034). An
upper-case Greek heading 'ΠΛΗΡΩΜΗΣ' is 'πληρωμησ' to both; the same word in a sentence, 'πληρωμης', was another
word on PostgreSQL only, so that a query found the sentence or the heading there, and both on SQLite (and the
PostgreSQL snippet of a heading it found marked nothing). Real databases."""

from __future__ import annotations

import pytest
from sqlalchemy import text

from search_adrs import adr_engine
from tracertm import db
from tracertm.models import ADR, Project
from tracertm.repositories import Records
from tracertm.schemas.filters import ListFilter
from tracertm.search.engine import search

GREEK = [("ADR-0001", "ΣΥΣΤΗΜΑ ΠΛΗΡΩΜΗΣ", "Heading only."),
         ("ADR-0002", "Sentence", "Ο τρόπος πληρωμης αλλάζει."),
         ("ADR-0003", "Symbols", "The ϑ angle and the Congreſs."),
         ("ADR-0004", "Other", "Nothing Greek here.")]


def _found(session, query: str) -> tuple[list[str], list[str]]:  # type: ignore[no-untyped-def]
    """What search and the list's text filter find."""
    found = sorted(h["number"] for h in search(session, query, limit=100))
    project = session.query(Project).one()
    listed = sorted(str(r.adr_number) for r, _ in Records(session, "adr").list(project, ListFilter(text=query)).rows)
    return found, listed


@pytest.mark.parametrize(("query", "expected"), [
    ("πληρωμης", ["ADR-0001", "ADR-0002"]), ("ΠΛΗΡΩΜΗΣ", ["ADR-0001", "ADR-0002"]),
    ("πληρωμησ", ["ADR-0001", "ADR-0002"]), ('"συστημα πληρωμης"', ["ADR-0001"]), ("τροπος", []),
    ("τρόπος", ["ADR-0002"]), ("ΤΡΌΠΟΣ", ["ADR-0002"]), ("θ", ["ADR-0003"]), ("ϑ", ["ADR-0003"]),
    ("congress", ["ADR-0003"]), ("congreſs", ["ADR-0003"]),
])
def test_a_letter_and_its_variant_are_one_on_both_databases(
    database_url: str, query: str, expected: list[str],
) -> None:
    with adr_engine(database_url, GREEK) as engine, db.session(engine) as session:
        assert _found(session, query) == (expected, expected), query


def test_the_snippet_marks_the_word_in_either_form(database_url: str) -> None:
    with adr_engine(database_url, GREEK) as engine, db.session(engine) as session:
        snippets = {h["number"]: h["snippet"] for h in search(session, "πληρωμης")}
        assert "<mark>ΠΛΗΡΩΜΗΣ</mark>" in snippets["ADR-0001"], snippets
        assert "<mark>πληρωμης</mark>" in snippets["ADR-0002"], snippets


def test_the_migration_recomputes_existing_rows(empty_database_url: str) -> None:
    """Records written before migration 0034 are found in either form after it; its downgrade restores version 3
    (PostgreSQL's vector holds the final sigma again), and writes after either reach the index."""
    engine = db.make_engine(empty_database_url)

    def vector_holds(word: str) -> list[str]:
        with engine.connect() as conn:
            return sorted(conn.execute(text(
                "SELECT adr_number FROM adrs WHERE search_vector @@ to_tsquery('english', :w)"), {"w": word}).scalars())

    try:
        db.upgrade(engine, "0033")
        with db.session(engine) as session:
            project = Project(name="p")
            session.add(project)
            session.flush()
            session.add(ADR(project_id=project.id, adr_number="ADR-0002", title="πληρωμης", status="accepted"))
            session.commit()
        db.upgrade(engine)
        with db.session(engine) as session:
            project = session.query(Project).one()
            session.add(ADR(project_id=project.id, adr_number="ADR-0001", title="ΠΛΗΡΩΜΗΣ", status="accepted"))
            session.commit()
            assert _found(session, "πληρωμης") == (["ADR-0001", "ADR-0002"],) * 2
        if engine.dialect.name != "postgresql":
            return  # SQLite's index is not touched by 0034
        assert vector_holds("πληρωμησ") == ["ADR-0001", "ADR-0002"]
        db.downgrade(engine, "0033")
        assert (vector_holds("πληρωμησ"), vector_holds("πληρωμης")) == (["ADR-0001"], ["ADR-0002"])
    finally:
        engine.dispose()
