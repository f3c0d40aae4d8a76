"""Private-use characters (U+E000..U+F8FF: an icon font's glyphs in Markdown, such as '\\uf09b' before 'GitHub')
separate words on both databases (SQLite index version 2, migration 0029). PostgreSQL's parser and the query's words
read each as a separator; SQLite's unicode61 tokenizer read it as part of the word it touches, so that 'github'
found the heading "\\uf09bGitHub" on PostgreSQL only, and 'ledger' neither "ledger\\ue000entry" there. An audit found
it; real databases."""

from __future__ import annotations

import pytest

from search_adrs import adr_engine
from tracertm import db
from tracertm.models import ADR, Project
from tracertm.repositories import Records, kind
from tracertm.schemas.filters import ListFilter
from tracertm.search.engine import search

GLYPHS = [("ADR-0001", "\uf09bGitHub mirror", "Push to the \ue000ledger\uf8ffentry log."),
          ("ADR-0002", "Plain", "A ledger entry without glyphs."),
          ("ADR-0003", "Icon alone", "See \ue001 yonder.")]


def _hits(session, query: str) -> list[str]:  # type: ignore[no-untyped-def]
    return sorted(h["number"] for h in search(session, query, kinds=[kind("adrs")], limit=100))


def _listed(session, query: str) -> list[str]:  # type: ignore[no-untyped-def]
    project = session.query(Project).one()
    listed = Records(session, kind("adrs").name).list(project, ListFilter(text=query)).rows
    return sorted(str(r.adr_number) for r, _ in listed)


@pytest.mark.parametrize(("query", "expected"), [
    ("github", ["ADR-0001"]), ("\uf09bgithub", ["ADR-0001"]), ('"github mirror"', ["ADR-0001"]),
    ("ledger", ["ADR-0001", "ADR-0002"]), ('"ledger entry"', ["ADR-0001", "ADR-0002"]), ("entry log", ["ADR-0001"]),
    ("yonder", ["ADR-0003"]), ('"see yonder"', ["ADR-0003"]),
])
def test_a_private_use_character_separates_words_on_both_databases(
    database_url: str, query: str, expected: list[str],
) -> None:
    with adr_engine(database_url, GLYPHS) as engine, db.session(engine) as session:
        assert (_hits(session, query), _listed(session, query)) == (expected, expected)


def test_the_snippet_marks_the_word_beside_the_glyph(database_url: str) -> None:
    with adr_engine(database_url, GLYPHS) as engine, db.session(engine) as session:
        [hit] = search(session, "github")
        assert "\uf09b<mark>GitHub</mark>" in hit["snippet"], hit["snippet"]


def test_the_migration_reindexes_existing_rows(empty_database_url: str) -> None:
    """Records written before migration 0029 are found by the word beside a glyph after it; its downgrade restores
    SQLite's version 1 (the glyph joined to the word), and writes after either still reach the index."""
    engine = db.make_engine(empty_database_url)
    try:
        db.upgrade(engine, "0028")
        with db.session(engine) as session:
            project = Project(name="p")
            session.add(project)
            session.flush()
            session.add(ADR(project_id=project.id, adr_number="ADR-0001", title="\uf09bGitHub", status="accepted"))
            session.commit()
        db.upgrade(engine)
        with db.session(engine) as session:
            assert _hits(session, "github") == ["ADR-0001"]
        db.downgrade(engine, "0028")
        with db.session(engine) as session:
            assert _hits(session, "github") == ([] if engine.dialect.name == "sqlite" else ["ADR-0001"])
        db.upgrade(engine)
        with db.session(engine) as session:
            project = session.query(Project).one()
            session.add(ADR(project_id=project.id, adr_number="ADR-0002", title="\ue000GitHub", status="accepted"))
            session.commit()
            assert _hits(session, "github") == ["ADR-0001", "ADR-0002"]
    finally:
        engine.dispose()
