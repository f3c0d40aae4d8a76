"""Reads of the database state a plan needs: the file index and the records touched by this run.

Everything is read in a handful of set-based queries (chunked IN-lists), never one query per file or record.
"""

from __future__ import annotations

import uuid
from collections.abc import Iterable
from typing import Any

from sqlalchemy import func, select
from sqlalchemy.orm import Session

from tracertm import kinds
from tracertm.models import Feature, Project, Scenario, SourceFile
from tracertm.engine.apply import iter_chunks
from tracertm.engine.plan import Current, FileRow

# Kinds a file holds at its top level → model / identity column (derived from tracertm.kinds; kept for importers).
TOP_MODELS: dict[str, Any] = {kind: kinds.model(kind) for kind in kinds.FILE_KINDS}
NUMBER_ATTR: dict[str, str] = {kind: kinds.NUMBER_COLUMN[kind] for kind in kinds.FILE_KINDS}


def find_project(session: Session, name: str) -> Project | None:
    return session.execute(select(Project).where(Project.name == name)).scalar_one_or_none()


def get_or_create_project(session: Session, name: str, repo_url: str | None) -> Project:
    """The project row; created on first sync (callers hold the project lock, so two syncs cannot both create)."""
    project = find_project(session, name)
    if project is None:
        project = Project(name=name, repo_url=repo_url)
        session.add(project)
        session.flush()
    return project


def load_files(session: Session, project_id: uuid.UUID) -> dict[str, FileRow]:
    """The project's file index, path → row (deleted files included)."""
    t = SourceFile.__table__.c
    # The columns in ``FileRow``'s order, ``deleted`` as the database's boolean (no time parsed to test for NULL):
    # each row becomes a ``FileRow`` as it is.
    rows = session.connection().execute(
        select(t.id, t.path, t.kind, t.blob_sha, t.parse_error, t.deleted_at.is_not(None), t.size, t.mtime_ns)
        .where(t.project_id == project_id)
    )
    make = FileRow._make
    return {r[1]: make(r) for r in rows}


def load_current(
    session: Session, project_id: uuid.UUID, numbers: dict[str, set[str]], paths: set[str]
) -> dict[tuple[str, str], Current]:
    """Records (live or soft-deleted) of each kind whose number was parsed or whose file was parsed or removed."""
    conn = session.connection()
    out: dict[tuple[str, str], Current] = {}
    for kind, model in TOP_MODELS.items():
        t = model.__table__.c
        number_col = t[NUMBER_ATTR[kind]]
        cols = (t.id, number_col.label("number"), t.version, t.content_hash, t.source_path, t.deleted_at)
        conditions = [number_col.in_(chunk) for chunk in iter_chunks(sorted(numbers.get(kind, ())))]
        conditions += [t.source_path.in_(chunk) for chunk in iter_chunks(sorted(paths))]
        for condition in conditions:
            for r in conn.execute(select(*cols).where(t.project_id == project_id, condition)):
                out[(kind, r.number)] = Current(
                    r.id, kind, r.number, r.version, r.content_hash, r.source_path,  # type: ignore[arg-type]
                    r.deleted_at is not None,
                )
    return out


def load_shared(
    session: Session, project_id: uuid.UUID, numbers: dict[str, set[str]]
) -> dict[tuple[str, str], str | None]:
    """Live records of each kind of :data:`~tracertm.kinds.SHARED_KINDS` whose number was parsed in another of
    them: (kind, number) → its file (``plan``'s ``elsewhere``). A query per kind (chunked), none without such ids."""
    conn = session.connection()
    out: dict[tuple[str, str], str | None] = {}
    for kind in kinds.SHARED_KINDS:
        wanted = {n for other in kinds.SHARED_KINDS if other != kind for n in numbers.get(other, ())}
        t = TOP_MODELS[kind].__table__.c
        number_col = t[NUMBER_ATTR[kind]]
        for chunk in iter_chunks(sorted(wanted)):
            rows = conn.execute(select(number_col.label("number"), t.source_path).where(
                t.project_id == project_id, t.deleted_at.is_(None), number_col.in_(chunk)))
            for r in rows:
                out[(kind, r.number)] = r.source_path
    return out


def load_scenarios(session: Session, feature_ids: Iterable[uuid.UUID]) -> dict[uuid.UUID, dict[str, Current]]:
    conn = session.connection()
    t = Scenario.__table__.c
    out: dict[uuid.UUID, dict[str, Current]] = {}
    for chunk in iter_chunks(feature_ids):
        rows = conn.execute(
            select(
                t.id, t.scenario_number, t.version, t.content_hash, t.source_path, t.deleted_at, t.feature_id
            ).where(t.feature_id.in_(chunk))
        )
        for r in rows:
            out.setdefault(r.feature_id, {})[r.scenario_number] = Current(
                r.id, "scenario", r.scenario_number, r.version, r.content_hash, r.source_path,
                r.deleted_at is not None, r.feature_id,
            )
    return out


def count_live(session: Session, project_id: uuid.UUID) -> dict[str, int]:
    """Live (not soft-deleted) records per kind."""
    conn = session.connection()
    counts: dict[str, int] = {}
    for kind, model in TOP_MODELS.items():
        t = model.__table__.c
        counts[kind] = conn.execute(
            select(func.count()).where(t.project_id == project_id, t.deleted_at.is_(None))
        ).scalar_one()
    s, f = Scenario.__table__.c, Feature.__table__.c
    counts["scenario"] = conn.execute(
        select(func.count()).select_from(Scenario.__table__.join(Feature.__table__)).where(
            f.project_id == project_id, s.deleted_at.is_(None)
        )
    ).scalar_one()
    return counts


def is_empty(session: Session, project_id: uuid.UUID) -> bool:
    """Whether the project holds no file index entry and no record (live or soft-deleted) of any kind: its next
    sync is its first, and every record it parses is new (see ``engine.eager``)."""
    conn = session.connection()
    tables = [SourceFile.__table__, *(model.__table__ for model in TOP_MODELS.values())]
    for table in tables:
        if conn.execute(select(table.c.id).where(table.c.project_id == project_id).limit(1)).first() is not None:
            return False
    return True
