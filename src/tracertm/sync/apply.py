"""Apply: execute a plan inside the caller's transaction. The only stage that writes.

Writes are batched with Core statements (executemany / insertmanyvalues): one statement per kind and shape, never
one round trip per row. Updates guard on the version they read, so a row changed underneath us is a conflict,
never a silent overwrite. Database-owned columns are not in any statement here.
"""

from __future__ import annotations

import datetime as dt
import uuid
from collections import defaultdict
from collections.abc import Iterable
from dataclasses import dataclass
from typing import Any

from sqlalchemy import Table, bindparam, insert, update
from sqlalchemy.orm import Session

from tracertm.errors import ConflictError
from tracertm.git import CommitInfo
from tracertm.models import ADR, Base, Contract, Feature, Scenario
from tracertm.models.types import utcnow
from tracertm.parsers.common import json_safe
from tracertm.sync.plan import REVISION_ACTIONS, Operation, Plan

TABLES: dict[str, Table] = {
    kind: Base.metadata.tables[model.__tablename__]
    for kind, model in (("adr", ADR), ("contract", Contract), ("feature", Feature), ("scenario", Scenario))
}
REVISIONS = Base.metadata.tables["spec_revisions"]
SOURCE_FILES = Base.metadata.tables["source_files"]
# Insert parents before children.
_ORDER = ("adr", "contract", "feature", "scenario")


@dataclass(frozen=True)
class Provenance:
    """Where this sync's content comes from: a commit (with author) or a work tree/index (None)."""

    commit: CommitInfo | None = None

    @property
    def sha(self) -> str | None:
        return self.commit.sha if self.commit else None


def apply(
    session: Session,
    project_id: uuid.UUID,
    plan: Plan,
    run_id: uuid.UUID,
    provenance: Provenance = Provenance(),
) -> None:
    """Write ``plan`` for ``project_id``; revisions point at ``run_id`` (a ``sync_runs`` row already inserted)."""
    conn = session.connection()
    feature_ids: dict[str, uuid.UUID] = {}
    for op in plan.operations:
        if op.kind == "feature" and op.current is not None:
            feature_ids[op.number] = op.current.id

    by_kind: dict[str, list[Operation]] = defaultdict(list)
    for op in plan.operations:
        by_kind[op.kind].append(op)

    revisions: list[dict[str, Any]] = []
    for kind in _ORDER:
        ops = by_kind.get(kind, [])
        if not ops:
            continue
        table = TABLES[kind]
        inserts: list[dict[str, Any]] = []
        writes: list[dict[str, Any]] = []
        deletes: list[dict[str, Any]] = []
        for op in ops:
            if op.action == "created":
                row_id = uuid.uuid4()
                if kind == "feature":
                    feature_ids[op.number] = row_id
                inserts.append(_row(kind, op, project_id, provenance, feature_ids) | {"id": row_id, "version": 1})
            elif op.action == "deleted":
                assert op.current is not None
                row_id = op.current.id
                deletes.append({"_id": row_id, "_old_version": op.current.version, "version": op.version})
            else:
                assert op.current is not None
                row_id = op.current.id
                row = _row(kind, op, project_id, provenance, feature_ids)
                row.pop("project_id", None)
                row.pop("feature_id", None)
                writes.append(row | {"_id": row_id, "_old_version": op.current.version, "version": op.version,
                                     "deleted_at": None})
            if op.action in REVISION_ACTIONS:
                revisions.append(_revision(kind, op, row_id, project_id, run_id, provenance))
        if inserts:
            conn.execute(insert(table), inserts)
        guarded = update(table).where(
            table.c.id == bindparam("_id"), table.c.version == bindparam("_old_version")
        )
        if writes:
            _execute_guarded(conn, guarded.values(updated_at=utcnow()), writes, kind)
        if deletes:
            _execute_guarded(conn, guarded.values(updated_at=utcnow(), deleted_at=utcnow()), deletes, kind)
    if revisions:
        conn.execute(insert(REVISIONS), revisions)
    _apply_files(session, project_id, plan, provenance)


def _row(
    kind: str, op: Operation, project_id: uuid.UUID, provenance: Provenance, feature_ids: dict[str, uuid.UUID]
) -> dict[str, Any]:
    assert op.record is not None
    row = dict(op.record.fields)
    row["source_path"] = op.path
    row["content_hash"] = op.record.content_hash
    row["source_commit"] = provenance.sha
    if kind == "scenario":
        assert op.parent is not None
        row["feature_id"] = feature_ids.get(op.parent) or op.parent_id
        row["position"] = op.position
    else:
        row["project_id"] = project_id
    return row


def _execute_guarded(conn: Any, statement: Any, params: list[dict[str, Any]], kind: str) -> None:
    result = conn.execute(statement, params)
    if result.rowcount != len(params):
        raise ConflictError(
            f"{len(params) - result.rowcount} {kind} row(s) changed in the database while this sync ran; "
            "nothing was written — run the sync again"
        )


def _revision(
    kind: str, op: Operation, entity_id: uuid.UUID, project_id: uuid.UUID, run_id: uuid.UUID, provenance: Provenance
) -> dict[str, Any]:
    snapshot: dict[str, Any] = json_safe(op.record.fields) if op.record is not None else {}
    if op.parent:
        snapshot["feature_number"] = op.parent
    commit = provenance.commit
    return {
        "id": uuid.uuid4(),
        "project_id": project_id,
        "entity_type": kind,
        "entity_id": entity_id,
        "number": op.number,
        "version": op.version,
        "change": op.action,
        "content_hash": op.record.content_hash if op.record is not None else (op.current.content_hash if op.current else None),
        "source_path": op.path,
        "snapshot": snapshot,
        "commit_sha": commit.sha if commit else None,
        "author_name": commit.author_name if commit else None,
        "author_email": commit.author_email if commit else None,
        "committed_at": commit.committed_at if commit else None,
        "sync_run_id": run_id,
    }


def _apply_files(session: Session, project_id: uuid.UUID, plan: Plan, provenance: Provenance) -> None:
    conn = session.connection()
    table = SOURCE_FILES
    now = dt.datetime.now(dt.timezone.utc)
    inserts: list[dict[str, Any]] = []
    updates: list[dict[str, Any]] = []
    for fop in plan.files:
        if fop.scanned is None:
            assert fop.existing is not None
            updates.append({"_id": fop.existing.id, "kind": fop.kind, "blob_sha": fop.existing.blob_sha,
                            "size": fop.existing.size or 0, "mtime_ns": fop.existing.mtime_ns,
                            "parse_error": fop.parse_error, "last_commit": provenance.sha, "deleted_at": now})
            continue
        values = {
            "kind": fop.kind,
            "blob_sha": fop.scanned.blob_sha,
            "size": fop.scanned.size or 0,
            "mtime_ns": fop.scanned.mtime_ns,
            "parse_error": fop.parse_error,
            "last_commit": provenance.sha,
            "deleted_at": None,
        }
        if fop.existing is None:
            inserts.append(values | {"id": uuid.uuid4(), "project_id": project_id, "path": fop.path})
        else:
            updates.append(values | {"_id": fop.existing.id})
    if inserts:
        conn.execute(insert(table), inserts)
    if updates:
        conn.execute(
            update(table).where(table.c.id == bindparam("_id")).values(updated_at=utcnow()), updates
        )


def iter_chunks(items: Iterable[Any], size: int = 900) -> Iterable[list[Any]]:
    """Split IN-lists so no statement exceeds a database's bound-parameter limit."""
    chunk: list[Any] = []
    for item in items:
        chunk.append(item)
        if len(chunk) >= size:
            yield chunk
            chunk = []
    if chunk:
        yield chunk
