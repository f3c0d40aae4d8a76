"""The batched writer: the plans of many commits written as a few statements.

The writes of a batch are collapsed: one insert or one version-guarded update per row touched, however many
commits touched it, and every revision and file-index change in one statement each. Rows and revisions are built
by ``engine.apply``'s own builders (``build_row``, ``build_revision``) from each commit's plan and provenance, so
what lands is what ``apply`` would have written commit by commit (calling ``apply`` per commit spent half of a
backfill's time in statement overhead).
"""

from __future__ import annotations

import datetime as dt
import uuid
from collections.abc import Sequence
from contextlib import nullcontext
from dataclasses import dataclass
from typing import TYPE_CHECKING, Any

from tracertm import git
from tracertm.engine.plan import REVISION_ACTIONS, FileOp, Operation, Plan
from tracertm.engine.renumber import renumber
from tracertm.history.results import CommitError
from tracertm.history.state import NewIds
from tracertm.kinds import RECORD_KINDS

if TYPE_CHECKING:
    from sqlalchemy.orm import Session

    from tracertm.models import SyncRun

PLACEHOLDER = uuid.UUID(int=0)  # project and run ids, filled in when a batch is written
KINDS = RECORD_KINDS  # parents first


def deletion_time(commit: git.CommitInfo) -> dt.datetime:
    """When a record deleted by ``commit`` was deleted: the commit's author date (when the change was written), else
    its commit date; now when git has neither (``git.log.iso_date``), as ``mark_deleted`` dates a deletion: a row
    without ``deleted_at`` is no deleted one."""
    return commit.authored_at or commit.committed_at or dt.datetime.now(dt.UTC)


def date_deletions(conn: Any, project_id: uuid.UUID, run_id: uuid.UUID) -> None:
    """The records a ``sync --ref`` run deleted (a merge's final sync: ``backfill.reconcile_head``) dated as the
    replay dates its deletions (``deletion_time``): by the author date of the commit their ``deleted`` revision
    names, else its commit date, where the sync wrote its own time (``apply`` marks every deletion now)."""
    from sqlalchemy import and_, func, select, update

    from tracertm.engine.apply import REVISIONS, TABLES

    rev = REVISIONS.c
    for kind, table in TABLES.items():
        deleted = and_(rev.project_id == project_id, rev.sync_run_id == run_id, rev.entity_type == kind,
                       rev.change == "deleted")
        when = (select(func.coalesce(rev.authored_at, rev.committed_at)).where(deleted, rev.entity_id == table.c.id)
                .limit(1).scalar_subquery())
        conn.execute(update(table).where(table.c.id.in_(select(rev.entity_id).where(deleted)),
                                         table.c.deleted_at.is_not(None))
                     .values(deleted_at=func.coalesce(when, table.c.deleted_at)))


def open_run(session: Session, project_id: uuid.UUID, ref: str, commit: str,
             committed_at: dt.datetime | None = None) -> SyncRun:
    """A ``sync_runs`` row (trigger ``backfill``) for one written batch, flushed so revisions can point at it.
    ``committed_at``: the commit date of ``commit``, when the caller knows it (``BatchWriter.flush`` records it
    for a commit of its batch)."""
    from tracertm.models import SyncRun
    from tracertm.models.types import database_now

    run = SyncRun(id=uuid.uuid4(), project_id=project_id, trigger="backfill", ref=ref, commit_sha=commit,
                  committed_at=committed_at, started_at=database_now(session), status="running")
    session.add(run)
    session.flush()
    return run


def close_run(session: Session, run: SyncRun, commits: int, counts: dict[str, dict[str, int]],
              errors: Sequence[CommitError]) -> None:
    """Finish a batch's ``sync_runs`` row: its counts and the spec errors of its commits."""
    from tracertm.models.types import database_now

    run.finished_at = database_now(session)
    run.status = "errors" if errors else "ok"
    run.counts = {"commits": commits, **counts}
    run.errors = [e.as_dict() for e in errors]
    session.flush()


_ABSENT: Any = object()


def _same(old: Any, new: Any) -> bool:
    """Whether a column already holds ``new`` (strictly: ``1 == True`` and ``1 == 1.0`` are not the same value)."""
    return type(old) is type(new) and old == new


@dataclass
class _RowWrite:
    kind: str
    row_id: uuid.UUID
    insert: bool
    old_version: int
    op: Operation  # the last operation on the row: what an error names
    values: dict[str, Any] | None = None
    source: Operation | None = None  # the last operation that wrote ``values`` (a deletion writes none)
    version: int = 1
    deleted_at: dt.datetime | None = None


class BatchWriter:
    """The writes of a batch of commits: ``add`` each commit's plan in order, then ``flush`` them in one go."""

    def __init__(self, written: dict[uuid.UUID, dict[str, Any]] | None = None) -> None:
        # Column values of the rows this run wrote (``HistoryState.written``): read to leave unchanged columns out
        # of an update, and kept up to date by ``flush``.
        self.written: dict[uuid.UUID, dict[str, Any]] = {} if written is None else written
        self.steps = 0
        self.rows: dict[uuid.UUID, _RowWrite] = {}
        self.files: dict[str, tuple[bool, uuid.UUID, dict[str, Any], FileOp]] = {}
        self.revisions: list[dict[str, Any]] = []
        self.revision_ops: list[Operation] = []
        # Scenario rows renumbered in place (``Plan.renumbered``: ids an earlier tracertm made of a name as
        # written), by row: their ids are written first, as ``apply`` does (rows may trade them).
        self.renumbered: dict[uuid.UUID, str] = {}
        self.committed: dict[str, dt.datetime | None] = {}  # commit → its commit date, for the run's ``committed_at``

    def add(self, commit: git.HistoryCommit, the_plan: Plan, ids: NewIds) -> None:
        """Collapse one commit's plan into the batch (``ids``: the rows it creates)."""
        from tracertm.engine.apply import (
            Provenance,
            build_revision,
            build_row,
            encode_fields,
            forget_encoded,
            json_columns,
        )

        self.steps += 1
        self.committed[commit.sha] = commit.info.committed_at
        provenance = Provenance(commit.info)
        when = deletion_time(commit.info)
        self.renumbered.update(the_plan.renumbered)
        for op in the_plan.operations:
            cur = op.current
            row_id = cur.id if cur is not None else ids[(op.kind, op.parent or "", op.number)]
            write = self.rows.get(row_id)
            if write is None:
                write = self.rows[row_id] = _RowWrite(op.kind, row_id, cur is None, cur.version if cur else 0, op)
            write.op = op
            # JSON fields as text, for the row and its revision: encoded by the parse worker (``replay.
            # prepare_records``) and kept on the record, or here for a record made in this process (a dated ADR).
            encoded = encode_fields(op.record) if op.record is not None else None
            if op.action != "deleted":
                parents = {} if op.parent_id or not op.parent else {op.parent: ids[("feature", "", op.parent)]}
                values = build_row(op.kind, op, PLACEHOLDER, provenance, parents)
                if encoded is not None:
                    values = encoded.bind_columns(values, json_columns(op.kind))
                if not write.insert:
                    values.pop("project_id", None)
                    values.pop("feature_id", None)
                write.values = values if write.values is None else {**write.values, **values}
                write.source = op
            write.version = op.version
            write.deleted_at = when if op.action == "deleted" else None
            if op.action in REVISION_ACTIONS:
                self.revisions.append(build_revision(op.kind, op, row_id, PLACEHOLDER, PLACEHOLDER, provenance,
                                                     as_text=True, encoded=encoded))
                self.revision_ops.append(op)
            # The row and revision hold the texts now; the record stays in the replay's parse cache (for a revert),
            # where they would only cost memory (27 MB on the real-size history): a reuse encodes them again here.
            forget_encoded(op.record)
        for fop in the_plan.files:
            if fop.scanned is None:
                old = fop.existing
                assert old is not None
                values = {"kind": fop.kind, "blob_sha": old.blob_sha, "size": old.size or 0, "mtime_ns": old.mtime_ns,
                          "parse_error": fop.parse_error, "last_commit": commit.sha, "deleted_at": when}
            else:
                values = {"kind": fop.kind, "blob_sha": fop.scanned.blob_sha, "size": fop.scanned.size or 0,
                          "mtime_ns": fop.scanned.mtime_ns, "parse_error": fop.parse_error, "last_commit": commit.sha,
                          "deleted_at": None}
            known = self.files.get(fop.path)
            if fop.same_bytes:
                # The commit changed the file's row, not the file: it keeps the commit that did (this batch's, or
                # the database's: no ``last_commit`` to write).
                del values["last_commit"]
                if known is not None and "last_commit" in known[2]:
                    values["last_commit"] = known[2]["last_commit"]
            if known is not None:
                self.files[fop.path] = (known[0], known[1], values, fop)
            elif fop.existing is not None:
                self.files[fop.path] = (False, fop.existing.id, values, fop)
            else:
                self.files[fop.path] = (True, ids[("file", "", fop.path)], values, fop)

    def flush(self, session: Session, project_id: uuid.UUID, run_id: uuid.UUID) -> None:
        """Write the batch in the caller's transaction; a row changed by another writer is a ``ConflictError``, a
        row the database refuses a ``DatabaseError`` naming its record and file (``engine.apply``'s executors).
        The run's commit date (``sync_runs.committed_at``) is set when its commit is one of the batch's."""
        from sqlalchemy import bindparam, insert, update

        from tracertm.engine.apply import (
            SOURCE_FILES, TABLES, execute_batch, execute_guarded, insert_revisions, json_columns,
        )
        from tracertm.models import SyncRun
        from tracertm.models.types import utcnow
        from tracertm.search.deferred import DEFER_INDEX_AT, deferred_index

        run = session.get(SyncRun, run_id)  # open_run's row, already in the session
        if run is not None and run.committed_at is None:
            run.committed_at = self.committed.get(run.commit_sha or "")
        conn = session.connection()
        renumber(conn, list(self.renumbered.items()))
        # A large batch indexes its rows for search once, at the end (SQLite; see tracertm.search.deferred).
        with deferred_index(conn) if len(self.rows) >= DEFER_INDEX_AT else nullcontext():
            for kind in KINDS:
                table = TABLES[kind]
                binds = json_columns(kind, conn.dialect.name)
                inserts: dict[tuple[str, ...], list[_RowWrite]] = {}
                writes: dict[tuple[str, ...], list[_RowWrite]] = {}
                rows: dict[uuid.UUID, dict[str, Any]] = {}
                database_keys = self._database_keys(conn, kind)
                for w in self.rows.values():
                    if w.kind != kind:
                        continue
                    if w.insert:
                        assert w.values is not None
                        # The batch's own dict, completed in place: a copy per row cost a first commit of
                        # 26,000 records 17 MB more at its peak.
                        row = w.values
                        row.update(id=w.row_id, version=w.version, deleted_at=w.deleted_at)
                        if kind != "scenario":
                            row["project_id"] = project_id
                        inserts.setdefault(tuple(row), []).append(w)
                    else:  # an update, or a deletion only (no values): the version and deleted_at
                        values = {**(w.values or {}), "version": w.version, "deleted_at": w.deleted_at}
                        if w.row_id in database_keys:
                            _keep_database_keys(values, kind, database_keys[w.row_id])
                        before = self.written.get(w.row_id)
                        if before is not None:  # what the row holds already is not written again
                            values = {k: v for k, v in values.items() if not _same(before.get(k, _ABSENT), v)}
                        row = {**values, "_id": w.row_id, "_old_version": w.old_version}
                        writes.setdefault(tuple(row), []).append(w)
                    rows[w.row_id] = row
                # Updates first: a record renamed with its file (engine.moves) frees its old number, which a file
                # created later in the batch may take.
                guarded = update(table).where(table.c.id == bindparam("_id"),
                                              table.c.version == bindparam("_old_version"))
                for group in writes.values():
                    first = rows[group[0].row_id]
                    execute_guarded(conn, guarded.values(updated_at=utcnow(), **binds.present(first)),
                                    [rows[w.row_id] for w in group], kind, [w.op for w in group], backfill=True)
                for group in inserts.values():
                    first = rows[group[0].row_id]
                    execute_batch(conn, insert(table).values(binds.present(first)), [rows[w.row_id] for w in group],
                                  [w.op for w in group])
                # Written (the caller commits, or the run stops with the error). A row of an insert whose shape has
                # no ``_`` parameter is kept as it is (the statements only read it), not copied.
                plain = {w.row_id for shape, group in inserts.items()
                         if not any(k.startswith("_") for k in shape) for w in group}
                for row_id, row in rows.items():
                    known = self.written.get(row_id)
                    values = row if row_id in plain else {k: v for k, v in row.items() if not k.startswith("_")}
                    self.written[row_id] = values if known is None else known | values
        for start in range(0, len(self.revisions), 2000):
            chunk = self.revisions[start : start + 2000]
            rows_ = [r | {"project_id": project_id, "sync_run_id": run_id} for r in chunk]
            insert_revisions(conn, rows_, self.revision_ops[start : start + 2000])
        new_files = [(v | {"id": i, "project_id": project_id, "path": p}, f)
                     for p, (new, i, v, f) in self.files.items() if new]
        if new_files:
            execute_batch(conn, insert(SOURCE_FILES), [r for r, _ in new_files], [f for _, f in new_files])
        statement = update(SOURCE_FILES).where(SOURCE_FILES.c.id == bindparam("_id")).values(updated_at=utcnow())
        for with_commit in (True, False):  # apart: executemany binds the columns of its first row
            changed_files = [(v | {"_id": i}, f) for new, i, v, f in self.files.values()
                             if not new and ("last_commit" in v) == with_commit]
            if changed_files:
                execute_batch(conn, statement, [r for r, _ in changed_files], [f for _, f in changed_files])
        # Written: what a later batch needs is in ``written``; the rest goes now, before the caller derives the links
        # in the same transaction (their memory is reused there).
        self.rows.clear()
        self.files.clear()
        self.revisions.clear()
        self.revision_ops.clear()

    def _database_keys(self, conn: Any, kind: str) -> dict[uuid.UUID, dict[str, Any]]:
        """The ``<model>_metadata`` keys of ``kind``'s updated rows that database-side edits put there, which sync
        keeps when it rewrites a record from its file (``apply.database_metadata``: git owns what the parser
        produces, the database the rest; neither overwrites the other) — found by the same helper, so that a
        backfill into a synced project keeps them as its ``sync --ref`` of each commit would. A key one of the
        batch's commits had in the file is git's from then on: a later commit that drops it drops it from the row,
        as the sync of that commit does (the database's revisions predate the batch)."""
        from tracertm import kinds
        from tracertm.engine.apply import database_metadata

        ops = [w.source for w in self.rows.values() if w.kind == kind and not w.insert and w.source is not None]
        found = database_metadata(conn, kind, ops)
        if not found:
            return {}
        column = kinds.KINDS[kind].metadata_column
        for op in self.revision_ops:
            kept = found.get(op.current.id) if op.current is not None else None
            if kept and op.record is not None:
                for key in op.record.fields.get(column) or ():
                    kept.pop(key, None)
        return {row_id: kept for row_id, kept in found.items() if kept}


def _keep_database_keys(values: dict[str, Any], kind: str, kept: dict[str, Any]) -> None:
    """Merge the database's ``kept`` metadata keys into an update's ``values`` (the file wins a clash, as in
    ``apply.write_batch``). The column is bound as JSON text there (``encode_fields``): decoded, merged, encoded
    the way ``bind_columns`` encodes a value."""
    import json

    from tracertm import kinds
    from tracertm.db import json_numbers
    from tracertm.engine.bulk import JSON_SUFFIX
    from tracertm.parsers.common import json_safe

    key = kinds.KINDS[kind].metadata_column + JSON_SUFFIX
    if key in values:
        text = values[key]
        from_file = json.loads(text) if isinstance(text, str | bytes) else dict(text or {})
        values[key] = json_numbers.dumps(json_safe(kept | dict(from_file or {})))
