"""A record's revision at a commit without the repository (a server far from it): by the commits and dates the
database records, as ``Records.at`` answers when no clone is at hand to follow the commit's history.

Revisions are dated as ``show --at`` dates them (``history.dated``): their own commit, else the HEAD a clean work
tree's sync recorded on its run and that commit's date — not when the sync ran, which is after its commit (that
commit answered the revision before it). An ``annotated`` revision (a database-side edit) is never the answer: it
changes no file, and its snapshot holds only the fields it set. Where dates mislead (commit dates that go
backwards), the order a backfill wrote a history in tells which commits came first (``_in_its_run``).
"""

from __future__ import annotations

import datetime as dt
import uuid
from typing import Any

from sqlalchemy import exists, func, or_, select, true
from sqlalchemy.orm import Session, aliased

from tracertm.history.dated import clean_run, dated_commit, dated_time
from tracertm.models import SpecRevision, SyncRun

__all__ = ["revision_by_dates"]


def revision_by_dates(session: Session, entity_id: uuid.UUID, project_id: uuid.UUID, sha: str, when: dt.datetime,
                      newest_first: list[Any]) -> SpecRevision | None:
    """The revision of the record ``entity_id`` at commit ``sha`` (its full id), committed at ``when``: the one of
    that very commit, else the newest dated at or before it, or written before it by the run that wrote that
    commit's (``_in_its_run``), whichever was written later. ``newest_first``: the order that breaks ties, the
    last in ``history``'s order first (by version, then as written), not by ``created_at``, which the moves one
    backfill writes share."""
    revisions = select(SpecRevision).outerjoin(SyncRun, clean_run(SyncRun)).where(
        SpecRevision.entity_id == entity_id, SpecRevision.change != "annotated")
    exact = session.execute(
        revisions.where(dated_commit(SyncRun) == sha).order_by(*newest_first).limit(1)).scalar_one_or_none()
    if exact is not None:
        return exact
    date = func.coalesce(dated_time(SyncRun), SpecRevision.created_at)
    before = or_(date < when, _written_before(session, project_id, sha))
    by_date = session.execute(
        revisions.where(date <= when, before, ~_in_its_run(sha, after=True))
        .order_by(date.desc(), *newest_first).limit(1)).scalar_one_or_none()
    by_run = session.execute(revisions.where(_in_its_run(sha, after=False))
                             .order_by(SpecRevision.seq.desc()).limit(1)).scalar_one_or_none()
    if by_run is None:
        return by_date
    if by_date is None:
        return by_run
    if by_date.seq is None or by_run.seq is None:  # written before the write order was recorded: dates, as before
        return by_date
    # Both: the later written. A revision of the commit's run written before it is of an older commit of its
    # history, newer than one written earlier; one dated before it and written later is a later sync's (a hook's,
    # or a sync's a backfill merged its history behind), which the dates place before it.
    return by_run if by_date.seq < by_run.seq else by_date


def _in_its_run(sha: str, *, after: bool) -> Any:
    """Whether a revision was written by a run that wrote revisions of ``sha`` (its own commit), ``after`` them or
    before: a backfill writes a first-parent history oldest commit first, in one run per batch, so the revision is
    of a later or an older commit of ``sha``'s history, however the commits' dates go (they may go backwards: a
    rebase, an import, a wrong clock)."""
    own = aliased(SpecRevision)
    order = own.seq < SpecRevision.seq if after else own.seq > SpecRevision.seq
    return exists(select(1).where(own.sync_run_id == SpecRevision.sync_run_id, own.commit_sha == sha, order))


def _written_before(session: Session, project_id: uuid.UUID, sha: str) -> Any:
    """Whether a revision of another commit of the same second as ``sha`` is before it: git dates have one-second
    resolution, and a rebased branch's commits share theirs, so dates cannot tell them apart. Syncs record commits in
    their order (a hook's after each commit, a backfill's in turn): it was written before the commit's own revisions
    of any record (``seq``, the write order), else — the commit changed no spec file, and only runs record it — by a
    run started no later than the last run that recorded the commit. Without either, every one, as dates say."""
    own = session.execute(select(func.max(SpecRevision.seq)).outerjoin(SyncRun, clean_run(SyncRun)).where(
        SpecRevision.project_id == project_id, dated_commit(SyncRun) == sha)).scalar()
    if own is not None:
        return or_(SpecRevision.seq.is_(None), SpecRevision.seq < own)
    started = session.execute(select(func.max(SyncRun.started_at)).where(
        SyncRun.project_id == project_id, SyncRun.commit_sha == sha)).scalar()
    if started is None:
        return true()
    writer = aliased(SyncRun)
    return ~exists(select(1).where(writer.id == SpecRevision.sync_run_id, writer.started_at > started))
