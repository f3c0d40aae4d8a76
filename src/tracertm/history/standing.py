"""A record's state at a commit that a sync run recorded without writing a revision.

A run that read a whole commit X and ended well (``ok``, or ``errors``: a broken file keeps its records as they were)
found every record it wrote no revision of already in the state X holds: the record's newest revision as that run
ended. That is all that dates a state at a commit whose own change was recorded under another one — a reworded
amend (the revision names the commit amended away), a ``--no-ff`` merge of a branch a hook synced (the revision
names the branch's commit), a ``sync --ref`` of a commit after another clone synced its state. ``history.at``
(``show --at``, the API's ``at``) and ``diff``'s history method read it alike (``Standing``).

Runs are ordered by when they ended, as the write lock serializes them; a revision by its own run's end (its
``created_at`` when that run is gone). Only the runs since a record's first revision of another commit are read: one
range of the ``(project_id, status, started_at)`` index.
"""

from __future__ import annotations

import bisect
import datetime as dt
import uuid
from collections.abc import Iterable, Mapping, Sequence
from dataclasses import dataclass
from typing import TYPE_CHECKING, Generic, Protocol, TypeVar

if TYPE_CHECKING:
    from sqlalchemy.orm import Session

@dataclass(frozen=True)
class Run:
    """A run that read a whole commit and ended well: the commit, when it ended, and the files it could not read
    (an ``errors`` run kept their records as they were, whatever the commit holds: it saw nothing of them)."""

    commit: str
    finished: dt.datetime
    broken: frozenset[str] = frozenset()


def aware(when: dt.datetime) -> dt.datetime:
    """``when`` in UTC when it has no time zone (a database that dropped it)."""
    return when if when.tzinfo is not None else when.replace(tzinfo=dt.UTC)


def runs_since(session: Session, project_id: uuid.UUID, since: dt.datetime) -> list[Run]:
    """The runs of the project that started at or after ``since``, read a whole commit and ended well, by end.

    A ``sync --ref`` (the hook's too) or a backfill's final ``sync --ref`` of its ref (whose ref is that commit); not
    a sync of the work tree or the index (which may differ from the commit it names), nor a backfill's batch or
    merge row, whose commit is where its replay ended rather than what the rows hold (a merge keeps the rows a sync
    of other files wrote)."""
    from sqlalchemy import or_, select

    from tracertm.models import SyncRun

    rows = session.execute(
        select(SyncRun.commit_sha, SyncRun.finished_at, SyncRun.errors).where(
            SyncRun.project_id == project_id, SyncRun.status.in_(("ok", "errors")), SyncRun.started_at >= since,
            SyncRun.commit_sha.is_not(None), SyncRun.finished_at.is_not(None), SyncRun.ref.is_not(None),
            SyncRun.ref != "INDEX", or_(SyncRun.trigger != "backfill", SyncRun.ref == SyncRun.commit_sha),
        )
    ).all()
    return sorted((Run(r.commit_sha, aware(r.finished_at), _paths(r.errors)) for r in rows), key=lambda r: r.finished)


def _paths(errors: Sequence[object] | None) -> frozenset[str]:
    return frozenset(e["path"] for e in errors or () if isinstance(e, dict) and isinstance(e.get("path"), str))


class Revision(Protocol):
    """What ``Standing`` reads of a revision (an ORM ``SpecRevision`` or a row of its columns)."""

    @property
    def version(self) -> int: ...
    @property
    def change(self) -> str: ...
    @property
    def seq(self) -> int | None: ...


def history_place(revision: Revision) -> tuple[int, bool, int]:
    """Where ``revision`` stands in its record's history, as ``Records.history`` orders it (``_history_order``): by
    version; within one version (a pure move keeps it) the change that made it, then its moves as written
    (``seq``; a backfill merge renumbers the revisions it puts behind its grafted history)."""
    return revision.version, revision.change == "moved", revision.seq if revision.seq is not None else -1


R = TypeVar("R", bound=Revision)


class Standing(Generic[R]):
    """One record's revisions in the order they were written: which of them was its state when a run ended (the
    last in the history of those written by then: a backfill's merge writes older history later, numbered below;
    a pure move keeps the version, and is the state after the revision it moved)."""

    def __init__(self, revisions: Iterable[tuple[dt.datetime, R]]) -> None:
        ordered = sorted(((aware(w), r) for w, r in revisions), key=lambda x: x[0])
        self._ends = [w for w, _ in ordered]
        self._newest: list[tuple[int, R]] = []
        for _, revision in ordered:
            if not self._newest or history_place(revision) > history_place(self._newest[-1][1]):
                self._newest.append((revision.version, revision))
            else:
                self._newest.append(self._newest[-1])

    def at(self, when: dt.datetime) -> tuple[int, R] | None:
        """The record's newest revision (version, revision) written by ``when``; None before its first."""
        i = bisect.bisect_right(self._ends, when)
        return self._newest[i - 1] if i else None

    def best(self, runs: Sequence[Run], order: Mapping[str, int], limit: int, since: dt.datetime
             ) -> tuple[int, int, R] | None:
        """The state the newest of ``runs`` (ended at or after ``since``) at a commit at or before place ``limit``
        of ``order`` recorded: (the run's place, the version, the revision), the later place first, then the
        higher version; None when no such run saw the record."""
        found: tuple[int, int, R] | None = None
        for run in runs:
            place = order.get(run.commit)
            if place is None or place > limit or run.finished < since:
                continue
            seen = self.at(run.finished)
            if seen is not None and getattr(seen[1], "source_path", None) in run.broken:
                continue  # its file did not parse there: the run kept the record, it did not see it
            if seen is not None and (found is None or (place, seen[0]) > (found[0], found[1])):
                found = (place, seen[0], seen[1])
        return found
