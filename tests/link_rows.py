"""The links of a project as tuples of the columns a test compares (the trace tests' one query)."""

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
