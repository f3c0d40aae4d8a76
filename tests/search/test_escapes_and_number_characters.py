"""Search finds the same words on SQLite and PostgreSQL (vector version 3, migration 0028):

- a contract condition's or a scenario step's word after a newline, tab, carriage return or other control character:
  PostgreSQL's vector read the lists' JSON text, whose escape letter ('\\n' -> 'n') joined the next word
  ('nsettlement'), so the word itself was found on SQLite only;
- a word holding a number character that is no digit ('m²', '2⁵', 'H₂O', '½', '①'): one word on SQLite; PostgreSQL's
  parser dropped the character, so that 'm²' was the word 'm' ('m' and 'm³' found it there, not on SQLite)."""

from __future__ import annotations

import pytest
from sqlalchemy import text

from conftest import GitRepo, run_cli
from search_adrs import adr_engine
from specs import feature
from tracertm import db
from tracertm.models import ADR, Contract, Project
from tracertm.repositories import Records, kind
from tracertm.schemas.filters import ListFilter
from tracertm.search.engine import search

# A YAML block keeps the newline; the double-quoted scalar holds a tab, a carriage return, a control character and a
# backslash followed by 'nb' (not an escape: the word after it is 'nb').
CONTRACT = """id: CTR-0001
title: Refund service
type: service
status: approved
preconditions:
  - id: pre-1
    description: |
      the payment was captured
      settlement already happened
    condition: "p.captured"
  - id: pre-2
    description: "tabbed\\tneedle here, returns\\rcarriage, bell\\u0007ringer, back\\\\nb"
    condition: "p.captured"
postconditions:
  - id: post-1
    description: "first line\\nsecondline word"
    condition: "p.refunded"
"""


def _hits(session, query: str, plural: str) -> list[str]:  # type: ignore[no-untyped-def]
    return sorted(h["number"] for h in search(session, query, kinds=[kind(plural)], limit=100))


def _listed(session, plural: str, query: str) -> list[str]:  # type: ignore[no-untyped-def]
    project = session.query(Project).one()
    listed = Records(session, kind(plural).name).list(project, ListFilter(text=query)).rows
    return sorted(str(getattr(r, kind(plural).number)) for r, _ in listed)


def test_words_after_control_characters_are_found_on_both_databases(
    git_repo: GitRepo, database_url: str,
) -> None:
    git_repo.write("contracts/c.yaml", CONTRACT)
    git_repo.write("features/f.feature", feature(1, "Typing", {
        "typed": ["Given the user types\ttabword now", "When it is\u0007sent", "Then all\u001fis well"]}))
    git_repo.commit()
    synced = run_cli("sync", str(git_repo.path), "--database-url", database_url)
    assert synced.returncode == 0, synced.stderr
    engine = db.make_engine(database_url)
    try:
        with db.session(engine) as session:
            wrong = [(q, found, listed) for q in ("settlement", "needle", "carriage", "ringer", "nb", "secondline")
                     if (found := _hits(session, q, "contracts")) != ["CTR-0001"]
                     or (listed := _listed(session, "contracts", q)) != ["CTR-0001"]]
            wrong += [(q, found, []) for q in ("tabword", "sent", "is well")
                      if (found := _hits(session, q, "scenarios")) != ["SC-1"]]
            # The escape's letter joined to the word is no word of the record.
            wrong += [(q, found, []) for q in ("nsettlement", "tneedle", "rcarriage", "ttabword", "u0007ringer")
                      if (found := _hits(session, q, "contracts") + _hits(session, q, "scenarios"))]
        assert wrong == []
    finally:
        engine.dispose()


NUMBERED = [("ADR-0001", "Area", "Area in m² units."), ("ADR-0002", "Plain", "Plain m value."),
            ("ADR-0003", "Power", "Power 2⁵ only."), ("ADR-0004", "Marks", "Water is H₂O, take ½ and step ① first.")]


@pytest.mark.parametrize(("query", "expected"), [
    ("m²", ["ADR-0001"]), ("m", ["ADR-0002"]), ("m³", []), ("m2", []), ("2⁵", ["ADR-0003"]), ("2", []),
    ("H₂O", ["ADR-0004"]), ("h", []), ("½", ["ADR-0004"]), ("①", ["ADR-0004"]), ("②", []),
    ('"m² units"', ["ADR-0001"]),
])
def test_a_word_with_a_number_character_is_one_word_on_both_databases(
    database_url: str, query: str, expected: list[str],
) -> None:
    with adr_engine(database_url, NUMBERED) as engine, db.session(engine) as session:
        assert (_hits(session, query, "adrs"), _listed(session, "adrs", query)) == (expected, expected)


def test_the_snippet_marks_a_word_with_a_number_character(database_url: str) -> None:
    with adr_engine(database_url, NUMBERED) as engine, db.session(engine) as session:
        [hit] = search(session, "m²")
        assert "Area in <mark>m²</mark> units." in hit["snippet"], hit["snippet"]


def test_the_migration_rebuilds_existing_vectors(empty_database_url: str) -> None:
    """Records written before migration 0028 are found by these words after it; its downgrade restores version 2."""
    engine = db.make_engine(empty_database_url)
    try:
        db.upgrade(engine, "0027")
        with db.session(engine) as session:
            project = Project(name="p")
            session.add(project)
            session.flush()
            session.add(ADR(project_id=project.id, adr_number="ADR-0001", title="Area", status="accepted",
                            context="Area in m² units."))
            session.add(Contract(project_id=project.id, contract_number="CTR-0001", title="Refunds",
                                 status="approved", preconditions=[
                                     {"id": "pre-1", "description": "captured\nsettlement happened"}]))
            session.commit()
        db.upgrade(engine)
        with db.session(engine) as session:
            assert _hits(session, "settlement", "contracts") == ["CTR-0001"]
            assert (_hits(session, "m²", "adrs"), _hits(session, "m", "adrs")) == (["ADR-0001"], [])
        db.downgrade(engine, "0027")
        if engine.dialect.name == "postgresql":  # version 2 again: the escape's letter joined to the word
            with engine.connect() as conn:
                assert conn.execute(text("SELECT count(*) FROM contracts WHERE search_vector @@ "
                                         "to_tsquery('english', 'nsettlement')")).scalar() == 1
    finally:
        engine.dispose()

