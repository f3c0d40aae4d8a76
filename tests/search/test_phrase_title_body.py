"""A phrase is found within a record's title or within the rest of it, not across the two, on both databases.
SQLite's index holds them as two columns; PostgreSQL's vector numbered the body's words on from the title's, so that
the title's last word and the body's first made a phrase there only ('"habitat forest"' of the ADR "Numbat habitat"
whose context starts "Forest"). Since vector version 4 (migration 0034) a word no query holds stands between them,
further away than any phrase of a query reaches. Real databases."""

from __future__ import annotations

import pytest

from search_adrs import adr_engine
from tracertm import db
from tracertm.models import Contract, Project
from tracertm.repositories import Records
from tracertm.schemas.filters import ListFilter
from tracertm.search.engine import search


@pytest.mark.parametrize(("query", "found"), [
    ('"habitat forest"', []), ('"habitat the forest"', []), ('"habitat forest rules"', []),
    ('"numbat habitat"', ["ADR-0001"]), ('"forest rules"', ["ADR-0001", "ADR-0002"]), ("habitat forest", ["ADR-0001"]),
])
def test_a_phrase_does_not_span_the_title_and_the_body(database_url: str, query: str, found: list[str]) -> None:
    texts = [("ADR-0001", "Numbat habitat", "Forest rules."), ("ADR-0002", "Other", "Forest rules apply.")]
    with adr_engine(database_url, texts) as engine, db.session(engine) as session:
        assert sorted(h["number"] for h in search(session, query)) == found, query
        project = session.query(Project).one()
        listed = sorted(str(r.adr_number) for r, _ in Records(session, "adr").list(project, ListFilter(text=query)).rows)
        assert listed == found, query


def test_a_phrase_does_not_span_a_contracts_title_and_its_conditions(database_url: str) -> None:
    with adr_engine(database_url, []) as engine, db.session(engine) as session:
        project = session.query(Project).one()
        session.add(Contract(project_id=project.id, contract_number="CTR-0001", title="Refund window",
                             contract_type="interface", status="draft",
                             preconditions=[{"description": "Closes after thirty days"}]))
        session.commit()
        assert [h["number"] for h in search(session, '"window closes"')] == []
        assert [h["number"] for h in search(session, '"closes after"')] == ["CTR-0001"]
