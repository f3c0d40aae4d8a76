"""The merge into an already-synced project.

A project that already has records (synced before, without a valid checkpoint) keeps them: the history up to the
commit the database was synced from is replayed in memory only (``simulate``); records the database knows keep their
rows (ids, database-owned fields, content) and receive the revisions of the history *before* their first recorded
revision (skipping commits already recorded), their ``version`` growing by the number of content changes added.
Records only the history knows (deleted before the first sync) get rows in their final (usually soft-deleted) state
with their full history (``graft``). Revisions written before the backfill keep the version numbers they were
written with. The caller then applies the commits after the synced one normally and finishes with an ordinary
``sync --ref`` that settles whatever the history cannot explain (a sync of a dirty work tree).
"""

from __future__ import annotations

import uuid
from dataclasses import dataclass, field
from typing import TYPE_CHECKING, Any

from tracertm import git
from tracertm.engine.plan import REVISION_ACTIONS, Operation, Plan
from tracertm.history.state import HistoryState, NewIds
from tracertm.history.writer import KINDS, PLACEHOLDER, deletion_time

if TYPE_CHECKING:
    from sqlalchemy.orm import Session


@dataclass
class Simulation:
    """History replayed in memory only: per virtual record, its revisions and final state. Use ``collect`` as the
    replay's sink."""

    keys: dict[uuid.UUID, tuple[str, str, str]] = field(default_factory=dict)  # (kind, feature number, number)
    revisions: dict[uuid.UUID, list[dict[str, Any]]] = field(default_factory=dict)
    last_op: dict[uuid.UUID, Operation] = field(default_factory=dict)  # the last operation carrying a record
    last_commit: dict[uuid.UUID, git.CommitInfo] = field(default_factory=dict)

    def collect(self, commit: git.HistoryCommit, the_plan: Plan, ids: NewIds) -> None:
        """Record what one commit's plan would write."""
        from tracertm.engine.apply import Provenance, build_revision

        provenance = Provenance(commit.info)
        for op in the_plan.operations:
            vid = op.current.id if op.current is not None else ids[(op.kind, op.parent or "", op.number)]
            self.keys[vid] = (op.kind, op.parent or "", op.number)
            self.last_commit[vid] = commit.info
            if op.record is not None:
                self.last_op[vid] = op
            if op.action in REVISION_ACTIONS:
                rev = build_revision(op.kind, op, vid, PLACEHOLDER, PLACEHOLDER, provenance)
                self.revisions.setdefault(vid, []).append(rev)


def graft(session: Session, project_id: uuid.UUID, run_id: uuid.UUID, sim: Simulation,
          state: HistoryState) -> dict[str, dict[str, int]]:
    """Write what the simulated history adds to the records the database already has (see the module docs);
    ``state`` is the replay's state at the end of the simulation. Returns the revisions written, by kind and change."""
    from sqlalchemy import bindparam, insert, update

    from tracertm.engine.apply import REVISIONS, TABLES, Provenance, build_row, execute_batch, execute_guarded

    conn = session.connection()
    rows = _rows(session, project_id)
    known = _revisions(session, project_id)
    feature_ids = {k[2]: v[0] for k, v in rows.items() if k[0] == "feature"}
    inserts: dict[str, list[tuple[dict[str, Any], Operation]]] = {}
    bumps: dict[str, list[dict[str, Any]]] = {}
    out: list[dict[str, Any]] = []
    counts: dict[str, dict[str, int]] = {}
    for vid in sorted(sim.revisions, key=lambda v: KINDS.index(sim.keys[v][0])):
        kind, parent, number = sim.keys[vid]
        history = sim.revisions[vid]
        found = rows.get((kind, parent, number))
        if found is not None:
            row_id, version = found
            existing = known.get(row_id, [])
            seen = {r.commit_sha for r in existing if r.commit_sha}
            cut = _graft_point(history, existing)
            written = [h for h in history[:cut] if h["commit_sha"] not in seen]
            if written and any(r.trigger != "backfill" for r in existing):
                steps = _version_steps(history)
                bump = sum(steps[i] for i, h in enumerate(history[:cut]) if h["commit_sha"] not in seen)
                if bump:
                    bumps.setdefault(kind, []).append({"_id": row_id, "_old_version": version, "version": version + bump})
        else:
            row_id = uuid.uuid4()
            written = history
            final = state.final(kind, parent, number)
            op = sim.last_op[vid]
            row = build_row(kind, op, project_id, Provenance(), feature_ids)
            last = sim.last_commit[vid]
            row.update(id=row_id, version=final.version, deleted_at=deletion_time(last) if final.deleted else None,
                       source_commit=last.sha)
            if final.deleted:
                row["source_path"] = final.source_path
            inserts.setdefault(kind, []).append((row, op))
            if kind == "feature":
                feature_ids[number] = row_id
        for h in written:
            out.append(h | {"id": uuid.uuid4(), "entity_id": row_id, "project_id": project_id, "sync_run_id": run_id})
            bucket = counts.setdefault(kind, {})
            bucket[h["change"]] = bucket.get(h["change"], 0) + 1
    for kind in KINDS:
        table = TABLES[kind]
        if inserts.get(kind):
            execute_batch(conn, insert(table), [r for r, _ in inserts[kind]], [op for _, op in inserts[kind]])
        if bumps.get(kind):
            guarded = update(table).where(table.c.id == bindparam("_id"), table.c.version == bindparam("_old_version"))
            execute_guarded(conn, guarded.values(version=bindparam("version")), bumps[kind], kind)
    _fill_adr_dates(session, project_id, state)
    if out:
        execute_batch(conn, insert(REVISIONS), out)
    return counts


def _rows(session: Session, project_id: uuid.UUID) -> dict[tuple[str, str, str], tuple[uuid.UUID, int]]:
    """Every record row of the project: (kind, feature number, number) → (id, version)."""
    from sqlalchemy import select

    from tracertm.engine.state import NUMBER_ATTR, TOP_MODELS
    from tracertm.models import Feature, Scenario

    conn = session.connection()
    rows: dict[tuple[str, str, str], tuple[uuid.UUID, int]] = {}
    for kind, model in TOP_MODELS.items():
        t = model.__table__.c
        for r in conn.execute(select(t.id, t[NUMBER_ATTR[kind]], t.version).where(t.project_id == project_id)):
            rows[(kind, "", r[1])] = (r[0], r[2])
    s, f = Scenario.__table__.c, Feature.__table__.c
    for r in conn.execute(
        select(s.id, f.feature_number, s.scenario_number, s.version)
        .select_from(Scenario.__table__.join(Feature.__table__))
        .where(f.project_id == project_id)
    ):
        rows[("scenario", r[1], r[2])] = (r[0], r[3])
    return rows


def _revisions(session: Session, project_id: uuid.UUID) -> dict[uuid.UUID, list[Any]]:
    """The revisions the database has, per record, with the trigger of the run that wrote them."""
    from sqlalchemy import outerjoin, select

    from tracertm.models import SpecRevision, SyncRun

    rev, runs = SpecRevision.__table__.c, SyncRun.__table__.c
    known: dict[uuid.UUID, list[Any]] = {}
    for r in session.connection().execute(
        select(rev.entity_id, rev.commit_sha, rev.content_hash, rev.version, rev.created_at, runs.trigger)
        .select_from(outerjoin(SpecRevision.__table__, SyncRun.__table__, rev.sync_run_id == runs.id))
        .where(rev.project_id == project_id)
    ):
        known.setdefault(r.entity_id, []).append(r)
    return known


def _fill_adr_dates(session: Session, project_id: uuid.UUID, state: HistoryState) -> None:
    """ADR rows without a date get the date of the commit that created them (a pre-synced project)."""
    from sqlalchemy import bindparam, update

    from tracertm.engine.apply import TABLES

    if not state.adr_created:
        return
    table = TABLES["adr"]
    params = [{"_number": n, "_date": d} for n, d in state.adr_created.items()]
    session.connection().execute(
        update(table)
        .where(table.c.project_id == project_id, table.c.adr_number == bindparam("_number"), table.c.date.is_(None))
        .values(date=bindparam("_date")),
        params,
    )


def _version_steps(history: list[dict[str, Any]]) -> list[int]:
    """By how much each revision raised the record's version."""
    steps: list[int] = []
    previous = 0
    for h in history:
        steps.append(int(h["version"]) - previous)
        previous = int(h["version"])
    return steps


def _graft_point(history: list[dict[str, Any]], existing: list[Any]) -> int:
    """How much of a record's history comes before what the database already recorded of it.

    The database's knowledge starts with its earliest revision not written by a backfill: at its commit when the
    history has one there, else at the latest history state with the same content. Without such a revision (only
    backfilled ones) the whole history counts, minus commits already recorded.
    """
    outside = [r for r in existing if r.trigger != "backfill"]
    if not outside:
        return len(history)
    first = min(outside, key=lambda r: (r.version, r.created_at))
    if first.commit_sha:
        for i, h in enumerate(history):
            if h["commit_sha"] == first.commit_sha:
                return i
    for i in range(len(history) - 1, -1, -1):
        if history[i]["content_hash"] == first.content_hash and history[i]["change"] != "deleted":
            return i
    return len(history)
