"""The checkpoint of a backfill, and the guard against other writers.

The checkpoint lives in ``projects.project_metadata["backfill"]``: ``{"ref", "head", "last_commit", "commits_done",
"runs", "complete", "reconcile", "links", "eras", "version"}``, and beside it ``["backfill_runs"]``:
``{"after", "errors_in"}`` (the latest ``finished_at`` of the runs that had written, the runs that hold the
history's errors). It is written in the same transaction as each batch, so a kill leaves the database at a batch
boundary and the next run continues after ``last_commit``. (``eras``, ``version`` and ``backfill_runs`` let a later
run stand on the syncs recorded since instead of replaying the history: ``history.synced``.) ``runs`` is the number of
the project's ``sync_runs`` rows that wrote (status ``ok`` or ``errors``: a writer sets it in the transaction of its
writes) after that batch: if another sync wrote in between, the database no longer holds the history state of
``last_commit``, so the backfill stops (``ConflictError``, exit 75) and the next run merges instead. A sync that
registered its run (``running``) before the backfill looked and writes later is counted when it writes, so it is
caught too. (A checkpoint of an older release, without ``"counted": "writes"``, counted every row of the project:
it is checked that way.)
``links`` turns true in the transaction that derives the project's links: the last batch's own (or the final
``sync --ref`` of a merge's), so a complete history always has them. A checkpoint of an older release, which
derived them in a transaction after its last batch, may say ``complete`` with ``links`` false (killed between the
two): the next run finds the history complete and derives the links only.
"""

from __future__ import annotations

import datetime as dt
import uuid
from collections.abc import Mapping
from dataclasses import dataclass
from pathlib import Path
from typing import TYPE_CHECKING, Any

from tracertm import git
from tracertm.errors import ConflictError
from tracertm.timetext import json_time, json_time_or_none

if TYPE_CHECKING:
    from sqlalchemy.engine import Engine
    from sqlalchemy.orm import Session

    from tracertm.engine.identity import RepoIdentity
    from tracertm.models import Project

CHECKPOINT_KEY = "backfill"
RUNS_KEY = "backfill_runs"  # the runs the checkpoint counted (``Checkpoints.save``)


@dataclass(frozen=True)
class Target:
    """What a backfill writes: a project, from the first-parent chain of ``head`` (``ref`` as the user named it)."""

    engine: Engine
    top: Path
    name: str
    identity: RepoIdentity  # which repository the project's records come from (engine.identity)
    ref: str
    head: str
    chain: tuple[str, ...]  # first-parent commits of head, oldest first
    index: Mapping[str, int]  # commit → position in chain

    @classmethod
    def of(cls, engine: Engine, top: Path, name: str, identity: RepoIdentity, ref: str, head: str) -> Target:
        """The target with ``head``'s first-parent chain read from git. A clone whose remote still gives one of
        the project's former names (``engine.identity``) writes to the project under its current name."""
        from tracertm import db
        from tracertm.engine.identity import find, stale_remote

        with db.session(engine) as session:
            found = find(session, name, identity)
            if found is not None and found.name != name and stale_remote(found, identity):
                name = found.name
        chain = tuple(git.first_parent_chain(top, head))
        return cls(engine, top, name, identity, ref, head, chain, {sha: i for i, sha in enumerate(chain)})

    def project(self, session: Session) -> Project | None:
        """The project, if it exists (refused when it belongs to another repository: ``ProjectMismatchError``)."""
        from tracertm.engine import identity

        return identity.resolve(session, self.name, self.identity, write=False)


def links_pending(checkpoint: Mapping[str, Any]) -> bool:
    """Whether the run that wrote ``checkpoint`` stopped before it derived the project's links (a checkpoint of an
    older tracertm, without the flag, had them derived in its last batch's run)."""
    return checkpoint.get("links", True) is False


WROTE = ("ok", "errors")  # statuses of runs whose writes were committed
COUNTED = "writes"  # the checkpoint's ``runs`` counts the runs that wrote (older releases: every run row)


class Checkpoints:
    """Reads and writes ``target``'s checkpoint; remembers how many runs of the project had written when we last
    looked or wrote (``writes``)."""

    def __init__(self, target: Target) -> None:
        self.target = target
        self.runs: int | None = None  # every sync_runs row (None: the project did not exist when we looked)
        self.writes: int | None = None  # the runs that wrote (None: the project did not exist when we looked)
        self.eras: str | None = None  # how the run reads the history (``SettingsHistory.digest``), for ``save``
        # The runs whose ``errors``, in this order, are the errors of the history written (its batches'; a merge's
        # run holds those of the whole history it replayed); None: not known (a checkpoint of an older release).
        self.errors_in: list[str] | None = []
        self.recorded: dict[str, Any] = {}  # the ``RUNS_KEY`` entry ``read`` found
        # The version of the parsers (``parsers.common.PARSER_OUTPUT``) that made every record of the history written
        # so far, when one did (a backfill that wrote it all, or continues one that did): a run resuming it knows.
        self.parsed_by: int | None = None

    @staticmethod
    def count_writes(session: Session, project_id: uuid.UUID) -> int:
        """How many of the project's runs wrote: every writer's run turns ``ok`` or ``errors`` in the transaction
        of its writes (a run still waiting for the lock is ``running``, one that failed ``failed``)."""
        from sqlalchemy import func, select

        from tracertm.models import SyncRun

        session.flush()  # our own run's status, set through the ORM
        t = SyncRun.__table__.c
        query = select(func.count()).where(t.project_id == project_id, t.status.in_(WROTE))
        return int(session.connection().execute(query).scalar_one())

    @staticmethod
    def count_runs(session: Session, project_id: uuid.UUID) -> int:
        """How many ``sync_runs`` rows the project has (every writer adds one)."""
        from sqlalchemy import func, select

        from tracertm.models import SyncRun

        t = SyncRun.__table__.c
        return int(session.connection().execute(select(func.count()).where(t.project_id == project_id)).scalar_one())

    def read(self, session: Session, project: Project | None) -> dict[str, Any]:
        """The stored checkpoint ({} when none), noting how many runs the project has and how many wrote."""
        if project is None:
            return {}
        self.runs = self.count_runs(session, project.id)
        self.writes = self.count_writes(session, project.id)
        self.recorded = dict((project.metadata_ or {}).get(RUNS_KEY) or {})
        return dict((project.metadata_ or {}).get(CHECKPOINT_KEY) or {})

    def continues(self, checkpoint: Mapping[str, Any]) -> bool:
        """Whether ``checkpoint`` is a position in this history that no other sync has written over since."""
        if not checkpoint or checkpoint.get("last_commit") not in self.target.index:
            return False
        if checkpoint.get("counted") == COUNTED:
            return checkpoint.get("runs") == self.writes
        return checkpoint.get("runs") == self.runs  # a checkpoint of an older release: every run row

    def lock(self, session: Session, own: int = 0) -> Project:
        """The project row (created, or adopting this repository's identity, as sync does), inside a write
        transaction holding the project's lock; fails if another sync wrote since we last looked or wrote.
        ``own``: runs this backfill wrote since then itself (the final ``sync --ref`` of a merge)."""
        from tracertm.engine import identity

        project = identity.resolve(session, self.target.name, self.target.identity, write=True)
        assert project is not None
        expected = (self.writes or 0) + own
        writes = self.count_writes(session, project.id)
        if writes != expected:
            kinds = self.other_writers(session, project.id, writes - (self.writes or 0), own)
            who = " and ".join(f"another {kind}" for kind in kinds)
            raise ConflictError(
                f"{who} wrote to project {self.target.name} while the backfill ran; run 'tracertm backfill' "
                f"again: it merges the history with what {'they' if len(kinds) > 1 else 'that ' + kinds[0]} wrote"
            )
        return project

    @staticmethod
    def other_writers(session: Session, project_id: uuid.UUID, since: int, own: int) -> list[str]:
        """Who wrote the project's ``since`` latest writing runs, ``own`` of them this backfill's (its final
        ``sync --ref``, recorded as a backfill's): ``["backfill"]``, ``["sync"]`` or both."""
        from sqlalchemy import select

        from tracertm.models import SyncRun

        t = SyncRun.__table__.c
        triggers = list(session.connection().execute(
            select(t.trigger).where(t.project_id == project_id, t.status.in_(WROTE))
            .order_by(t.finished_at.desc().nulls_last(), t.started_at.desc()).limit(max(since, 0))
        ).scalars())
        for _ in range(own):  # ours is among them (the latest when nobody wrote after it)
            if "backfill" in triggers:
                triggers.remove("backfill")
        kinds = sorted({"backfill" if trigger == "backfill" else "sync" for trigger in triggers})
        return kinds or ["sync"]  # not known (a run removed meanwhile): the writer the backfill guards against most

    @staticmethod
    def links_built(project: Project) -> None:
        """Record, in the transaction that derived them, that the links of the checkpoint's history are derived."""
        meta = dict(project.metadata_ or {})
        checkpoint = meta.get(CHECKPOINT_KEY)
        if isinstance(checkpoint, dict):
            meta[CHECKPOINT_KEY] = {**checkpoint, "links": True}
            project.metadata_ = meta

    @staticmethod
    def last_finished(session: Session, project_id: uuid.UUID) -> dt.datetime | None:
        """The latest ``finished_at`` of the project's runs that wrote (None: none did): ``after`` beside the
        checkpoint. Every run that writes later is found after it (``written_since``) — a writer sets its time
        under the project's lock, which the backfill holds while it saves —, unless another machine's clock lags:
        then the runs found fall short of the count (``runs``) and a backfill replays."""
        from sqlalchemy import func, select

        from tracertm.models import SyncRun

        session.flush()  # our own run's status and time, set through the ORM
        t = SyncRun.__table__.c
        last: dt.datetime | None = session.connection().execute(
            select(func.max(t.finished_at)).where(t.project_id == project_id, t.status.in_(WROTE))).scalar_one()
        return last

    @staticmethod
    def written_since(session: Session, project_id: uuid.UUID, after: dt.datetime | None) -> dict[str, Any]:
        """The project's runs that wrote and finished after ``after`` (every one when None): their ids (``str``)
        → (started_at, finished_at). Reads those runs only, not the project's whole history of runs."""
        from sqlalchemy import select

        from tracertm.models import SyncRun

        t = SyncRun.__table__.c
        query = select(t.id, t.started_at, t.finished_at).where(t.project_id == project_id, t.status.in_(WROTE))
        if after is not None:
            query = query.where(t.finished_at > after)
        return {str(r.id): r for r in session.connection().execute(query)}

    @staticmethod
    def runs_by_id(session: Session, ids: list[str]) -> dict[str, Any]:
        """The ``sync_runs`` rows of ``ids``, as ``str`` id → row (what ``history.synced`` reads of them)."""
        from sqlalchemy import select

        from tracertm.models import SyncRun

        t = SyncRun.__table__.c
        out: dict[str, Any] = {}
        wanted = sorted({uuid.UUID(i) for i in ids})
        for start in range(0, len(wanted), 500):
            for r in session.connection().execute(
                    select(t.id, t.trigger, t.ref, t.commit_sha, t.status, t.errors, t.counts)
                    .where(t.id.in_(wanted[start:start + 500]))):
                out[str(r.id)] = r
        return out

    def save(self, session: Session, project: Project, last: str, *, complete: bool, reconcile: bool) -> None:
        """Record that the history up to ``last`` is written (in the caller's transaction)."""
        from tracertm import __version__
        from tracertm.models.types import database_now

        self.writes = self.count_writes(session, project.id)
        after = self.last_finished(session, project.id)
        meta = dict(project.metadata_ or {})
        meta[CHECKPOINT_KEY] = {
            "ref": self.target.ref,
            "head": self.target.head,
            "last_commit": last,
            "commits_done": self.target.index[last] + 1,
            "runs": self.writes,
            "counted": COUNTED,
            "complete": complete,
            "reconcile": reconcile,
            "links": False,  # the links are derived at the end of a run (``links_built``)
            # How this run read the history: a later run may stand on the syncs recorded since instead of
            # replaying it again when it reads it so too (``history.synced``).
            "eras": self.eras,
            "version": __version__,
            "parsed_by": self.parsed_by,
            "updated_at": json_time(dt.datetime.now(dt.UTC)),
        }
        # When the runs that had written ended, and which hold the errors of the history: kept beside the checkpoint
        # (a checkpoint says where a history is, the same for any run that wrote it).
        meta[RUNS_KEY] = {"after": json_time_or_none(after),
                          "errors_in": list(self.errors_in) if self.errors_in is not None else None}
        project.metadata_ = meta
        project.last_synced_commit = last
        project.last_synced_at = database_now(session)
