"""Read-only queries behind ``tracertm status|list|show|history`` (usable from Python without the CLI)."""

from __future__ import annotations

import re
from typing import TYPE_CHECKING, Any

from sqlalchemy import func, literal, select
from sqlalchemy.orm import Session

from tracertm import kinds
from tracertm.errors import UsageError
from tracertm.models import Feature, Project, Scenario, SourceFile, SpecRevision, SyncRun
from tracertm.parsers.common import json_safe

if TYPE_CHECKING:
    from sqlalchemy.engine import Engine

KIND_ALIASES = {
    "adr": "adr", "adrs": "adr", "contract": "contract", "contracts": "contract",
    "feature": "feature", "features": "feature", "scenario": "scenario", "scenarios": "scenario",
}
MODELS: dict[str, Any] = {kind: kinds.model(kind) for kind in kinds.RECORD_KINDS}
NUMBER = kinds.NUMBER_COLUMN
TITLE = kinds.TITLE_COLUMN
# Columns that say what a row is about, not what it holds.
_BOOKKEEPING = {"id", "project_id", "feature_id", "content_hash"}


class NotFound(UsageError):
    """An id that names no record, or a project that does not exist."""


def resolve_project(session: Session, wanted: str | None, derived: str | None) -> Project:
    """``--project``, else the project named after the repository, else the database's only project."""
    if wanted:
        project = session.execute(select(Project).where(Project.name == wanted)).scalar_one_or_none()
        if project is None:
            raise NotFound(f"--project {wanted}: no such project in the database; {_known(session)}")
        return project
    if derived:
        project = session.execute(select(Project).where(Project.name == derived)).scalar_one_or_none()
        if project is not None:
            return project
    projects = session.execute(select(Project).order_by(Project.name).limit(2)).scalars().all()
    if len(projects) == 1:
        return projects[0]
    if not projects:
        raise NotFound("the database holds no project yet; run 'tracertm sync PATH' first")
    raise NotFound(f"several projects in the database; pick one with --project ({_known(session)})")


def _known(session: Session) -> str:
    names = session.execute(select(Project.name).order_by(Project.name)).scalars().all()
    return "known projects: " + (", ".join(names) if names else "none")


def status(session: Session, project: Project) -> dict[str, Any]:
    """Counts per kind (live and deleted), the last sync, and the files currently in error."""
    counts: dict[str, dict[str, int]] = {}
    for kind, model in MODELS.items():
        query = select(model.deleted_at.is_(None), func.count()).group_by(model.deleted_at.is_(None))
        if kind == "scenario":
            query = query.join(Feature, Scenario.feature_id == Feature.id).where(Feature.project_id == project.id)
        else:
            query = query.where(model.project_id == project.id)
        rows: dict[bool, int] = dict(session.execute(query.execution_options(include_deleted=True)).all())
        counts[kind] = {"live": rows.get(True, 0), "deleted": rows.get(False, 0)}
    last = session.execute(
        select(SyncRun).where(SyncRun.project_id == project.id).order_by(SyncRun.started_at.desc()).limit(1)
    ).scalar_one_or_none()
    broken = session.execute(
        select(SourceFile.path, SourceFile.parse_error)
        .where(SourceFile.project_id == project.id, SourceFile.deleted_at.is_(None), SourceFile.parse_error.is_not(None))
        .order_by(SourceFile.path)
    ).all()
    return {
        "project": project.name,
        "repo_url": project.repo_url,
        "last_synced_commit": project.last_synced_commit,
        "last_synced_at": project.last_synced_at.isoformat() if project.last_synced_at else None,
        "last_run": None
        if last is None
        else {"trigger": last.trigger, "status": last.status, "started_at": last.started_at.isoformat(), "ref": last.ref},
        "counts": counts,
        "files_in_error": _files_in_error(broken),
    }


def _files_in_error(rows: Any) -> list[dict[str, Any]]:
    """Files with at least one error, each with its first error (``line``, ``column``, ``message``) and every
    finding under ``diagnostics``."""
    from tracertm.engine.plan import file_findings

    out: list[dict[str, Any]] = []
    for path, stored in rows:
        findings = file_findings(path, stored)
        errors = [d for d in findings if d.severity == "error"]
        if errors:
            first = errors[0]
            out.append({"path": path, "line": first.line, "column": first.column, "message": first.message,
                        "diagnostics": [d.as_dict() for d in findings]})
    return out


def list_records(
    session: Session,
    project: Project,
    kind: str,
    *,
    status: str | None = None,
    tag: str | None = None,
    include_deleted: bool = False,
) -> list[dict[str, Any]]:
    """Summaries of the records of one kind, ordered by number (scenarios by feature, then position)."""
    model = MODELS[kind]
    if kind == "scenario":
        query = (
            select(Scenario, Feature.feature_number)
            .join(Feature, Scenario.feature_id == Feature.id)
            .where(Feature.project_id == project.id)
            .order_by(Feature.feature_number, Scenario.position)
        )
    else:
        query = select(model, literal(None)).where(model.project_id == project.id).order_by(getattr(model, NUMBER[kind]))
    if status:
        query = query.where(model.status == status)
    query = query.execution_options(include_deleted=include_deleted)
    out: list[dict[str, Any]] = []
    for row, extra in session.execute(query).all():
        tags = list(row.tags or [])
        if tag and tag.lstrip("@") not in tags:
            continue
        item = {
            "id": getattr(row, NUMBER[kind]),
            "title": getattr(row, TITLE[kind]),
            "status": str(row.status),
            "version": row.version,
            "path": row.source_path,
            "tags": tags,
            "deleted": row.deleted_at is not None,
        }
        if kind == "scenario":
            item["feature"] = extra
        out.append(item)
    return out


_ADR_ID = re.compile(r"^ADR-?(\d+)$", re.IGNORECASE)


def find_record(session: Session, project: Project, ident: str) -> tuple[str, Any]:
    """Resolve ``ADR-0003``, ``CTR-0001``, a feature number or a scenario number (``FEATURE/SCENARIO`` when a
    scenario number is not unique). Soft-deleted records are found too."""
    candidates: list[tuple[str, Any]] = []
    m = _ADR_ID.match(ident)
    wanted = f"ADR-{int(m.group(1)):04d}" if m else ident
    for kind in ("adr", "contract", "feature"):
        model = MODELS[kind]
        row = session.execute(
            select(model)
            .where(model.project_id == project.id, getattr(model, NUMBER[kind]).in_({ident, wanted}))
            .execution_options(include_deleted=True)
        ).scalar_one_or_none()
        if row is not None:
            candidates.append((kind, row))
    feature_part, _, scenario_part = ident.rpartition("/") if "/" in ident else ("", "", ident)
    query = (
        select(Scenario)
        .join(Feature, Scenario.feature_id == Feature.id)
        .where(Feature.project_id == project.id, Scenario.scenario_number == scenario_part)
        .execution_options(include_deleted=True)
    )
    if feature_part:
        query = query.where(Feature.feature_number == feature_part)
    candidates += [("scenario", s) for s in session.execute(query).scalars().all()]
    if not candidates:
        raise NotFound(f"{ident}: no ADR, contract, feature or scenario with this id in project {project.name}; see 'tracertm list'")
    if len(candidates) > 1:
        names = ", ".join(_qualified(kind, row) for kind, row in candidates)
        raise NotFound(f"{ident} is ambiguous ({names}); use one of those ids")
    return candidates[0]


def _qualified(kind: str, row: Any) -> str:
    if kind == "scenario":
        return f"scenario {row.feature.feature_number}/{row.scenario_number}"
    return f"{kind} {getattr(row, NUMBER[kind])}"


def record_fields(kind: str, row: Any) -> dict[str, Any]:
    """Every column of a record as JSON-safe values (metadata under ``metadata``)."""
    out: dict[str, Any] = {"kind": kind}
    for column in row.__table__.columns:
        if column.key in _BOOKKEEPING:
            continue
        key = "metadata" if column.key.endswith("_metadata") else column.key
        value = getattr(row, "metadata_" if key == "metadata" else column.key)
        out[key] = json_safe(value) if not hasattr(value, "value") else str(value)
    if row.deleted_at is not None:
        out["deleted"] = True
    if kind == "scenario":
        out["feature"] = row.feature.feature_number
        if row.feature.deleted_at is not None:
            out["feature_deleted"] = True
    return out


def history(session: Session, project: Project, kind: str, row: Any) -> list[dict[str, Any]]:
    """Every revision of one record, in version order (oldest first).

    ``version`` counts every write of the record: git changes (``created``/``updated``/``deleted``/``restored``/
    ``moved``, with commit and author) and database-side edits (``annotated``, with ``actor`` and the ``fields``
    changed); each increment has one revision. A move without a content change keeps its version."""
    revisions = session.execute(
        select(SpecRevision)
        .where(SpecRevision.project_id == project.id, SpecRevision.entity_id == row.id)
        .order_by(SpecRevision.version, func.coalesce(SpecRevision.committed_at, SpecRevision.created_at))
    ).scalars()
    return [
        {
            "version": r.version,
            "change": r.change,
            "commit": r.commit_sha,
            "author": r.author_name,
            "email": r.author_email,
            "date": (r.committed_at or r.created_at).isoformat(),
            "path": r.source_path,
            "actor": r.actor,
            "fields": list(r.changed_fields) if r.changed_fields is not None else None,
        }
        for r in revisions
    ]


def open_session(engine: Engine) -> Session:
    from tracertm import db

    return db.session(engine)
