"""The links of a project as tuples of the columns a test compares (the trace tests' one query), and the stored
step matches of a database (the outline-fill tests')."""

from __future__ import annotations

from typing import Any

from sqlalchemy import select

from tracertm.engine.links import LINKS
from tracertm.models import Project


def adr_links(engine: Any, project: str, *columns: str) -> set[tuple[Any, ...]]:
    """``columns`` of every link of ``project`` to an ADR, one tuple per link; ``resolved`` stands for whether the
    link has a target (``target_id is not None``)."""
    t = LINKS.c
    with engine.connect() as conn:
        pid = conn.execute(select(Project.id).where(Project.name == project)).scalar_one()
        rows = conn.execute(select(t).where(t.project_id == pid, t.target_kind == "adr")).mappings().all()
    return {tuple(r["target_id"] is not None if c == "resolved" else r[c] for c in columns) for r in rows}


def stored_step_matches(database_url: str) -> list[tuple[str, str, str | None]]:
    """Every stored step match (``steps.packed.match_rows``) as (step text, status, the live definition's pattern),
    sorted."""
    from tracertm import db
    from tracertm.models import StepDefinition
    from tracertm.steps.packed import match_rows

    engine = db.make_engine(database_url)
    try:
        with db.session(engine) as session:
            live = select(StepDefinition).where(StepDefinition.deleted_at.is_(None))
            defs = {d.id: d.pattern for d in session.scalars(live)}
            return sorted((r.step_text, r.status, defs.get(r.step_definition_id)) for r in match_rows(session))
    finally:
        engine.dispose()
