"""A database holding one project ``p`` with the accepted ADRs a search test names: the set-up the search tests
share (the rows through the models, so the search index is written as a sync writes it)."""

from __future__ import annotations

from collections.abc import Iterable, Iterator
from contextlib import contextmanager

from sqlalchemy.engine import Engine

from tracertm import db
from tracertm.models import ADR, Project


@contextmanager
def adr_engine(database_url: str, adrs: Iterable[tuple[str, str, str]]) -> Iterator[Engine]:
    """An engine on ``database_url`` whose project ``p`` holds an accepted ADR per ``(number, title, context)``;
    disposed of at the end."""
    engine = db.make_engine(database_url)
    try:
        with db.session(engine) as session:
            project = Project(name="p")
            session.add(project)
            session.flush()
            for number, title, context in adrs:
                session.add(ADR(project_id=project.id, adr_number=number, title=title, status="accepted",
                                context=context))
            session.commit()
        yield engine
    finally:
        engine.dispose()
