"""Every link naming a live record carries its id, and only those: through the life of a target (missing, created,
deleted, restored) — with the trace graph around a live record, a missing one and a requirement. (A lookup of
links by target could then go by ``target_id`` for resolved links and by reference among unresolved ones only:
docs/performance.md, stop 24.)"""

from __future__ import annotations

from typing import Any

from sqlalchemy import select

from conftest import GitRepo
from specs import adr
from test_trace_links import FEATURE, seed
from tracertm import db
from tracertm.engine.links import TARGET_MODELS
from tracertm.engine.sync import sync
from tracertm.kinds import NUMBER_COLUMN
from tracertm.models import Link, Project
from tracertm.trace.graph import build


def _unresolved_to_live(engine: Any) -> list[tuple[str, str]]:
    """Links with no target id that name a live record (none may exist: nothing would find them)."""
    out = []
    with engine.connect() as conn:
        for kind, model in TARGET_MODELS.items():
            table = model.__table__
            number = table.c[NUMBER_COLUMN[kind]]
            live = {r[0] for r in conn.execute(select(number).where(table.c.deleted_at.is_(None)))}
            out += [(r.source_ref, r.target_ref) for r in conn.execute(
                select(Link.source_ref, Link.target_ref).where(Link.target_kind == kind, Link.target_id.is_(None)))
                if r.target_ref in live]
    return out


def _edges(engine: Any, ident: str) -> set[tuple[Any, ...]]:
    with db.session(engine) as session:
        project = session.execute(select(Project)).scalar_one()
        return {(e.source, e.target, e.type, e.state) for e in build(session, project, ident, depth=2).edges}


def test_links_to_live_records_are_resolved_and_the_graph_finds_both_kinds(git_repo: GitRepo, engine: Any) -> None:
    seed(git_repo)
    git_repo.write("features/refunds.feature", FEATURE.replace("@ADR-0003", "@ADR-0009"))
    git_repo.commit("a dangling reference")
    sync(git_repo.path, engine=engine)
    assert _unresolved_to_live(engine) == []
    # A missing record and a requirement: their links are unresolved, and found by reference.
    assert (("scenario", "FEAT-1/SC-1"), ("adr", "ADR-0009"), "implements", "dangling") in _edges(engine, "ADR-0009")
    assert {e[0] for e in _edges(engine, "REQ-7")} >= {("feature", "FEAT-1"), ("contract", "CTR-0001")}
    # A live record: its incoming links are found by its id.
    incoming = {e[0] for e in _edges(engine, "ADR-0003") if e[1] == ("adr", "ADR-0003")}
    assert ("contract", "CTR-0001") in incoming

    git_repo.write("docs/adr/0009-later.md", adr(9, "Later"))  # the target appears: its links resolve
    git_repo.remove("docs/adr/0003-use-queues.md")  # a target goes: its links are unresolved again
    git_repo.commit("ADR-9 appears, ADR-3 goes")
    sync(git_repo.path, engine=engine)
    assert _unresolved_to_live(engine) == []
    assert (("scenario", "FEAT-1/SC-1"), ("adr", "ADR-0009"), "implements", "ok") in _edges(engine, "ADR-0009")
    assert ("contract", "CTR-0001") in {e[0] for e in _edges(engine, "ADR-0003")}  # now by reference

    git_repo.write("docs/adr/0003-use-queues.md", adr(3, "Use queues"))  # restored
    git_repo.commit("ADR-3 back")
    sync(git_repo.path, engine=engine, full=True)
    assert _unresolved_to_live(engine) == []
    assert ("contract", "CTR-0001") in {e[0] for e in _edges(engine, "ADR-0003")}

