"""The commit a revision holds the state of, as SQL: the one rule every reader of revisions by commit dates them by.

A revision synced from a commit (``sync --ref``, a backfill) names it (``commit_sha``, ``committed_at``). A plain
``tracertm sync`` of a work tree whose spec files were exactly HEAD's writes revisions that name no commit, and
records HEAD and its commit date on its run (``sync_runs.commit_sha``/``committed_at``, ``ref`` NULL): those
revisions are HEAD's state, dated by the run's commit — not rewritten. A revision synced from files that differed
from HEAD (a dirty work tree; the index, whose run's ``ref`` is ``INDEX``) has no commit either way.

Outer-join ``SyncRun`` (or an alias of it) on ``clean_run`` and read ``dated_commit`` and ``dated_time``: ``show
--at`` and ``diff`` (``history.at``), ``changed_since`` (``repositories.changed_since``), ``coverage``'s stale rule
(``results.queries``) and a results upload's lines at its commit (``results.scenario_reads``).
"""

from __future__ import annotations

from typing import TYPE_CHECKING, Any

if TYPE_CHECKING:
    import datetime as dt

    from sqlalchemy.sql.elements import ColumnElement

__all__ = ["clean_run", "dated_commit", "dated_time"]


def clean_run(run: Any) -> ColumnElement[bool]:
    """The join condition of a ``SpecRevision`` with ``run`` (``SyncRun`` or an alias of it) when that run dates
    it: the revision names no commit of its own and was written by a sync of the work tree (``ref`` NULL) — whose
    ``commit_sha`` is HEAD when the synced files were exactly HEAD's, else NULL."""
    from sqlalchemy import and_

    from tracertm.models import SpecRevision

    return and_(run.id == SpecRevision.sync_run_id, run.ref.is_(None), SpecRevision.commit_sha.is_(None))


def dated_commit(run: Any) -> ColumnElement[str | None]:
    """The commit a ``SpecRevision`` holds the state of, with ``run`` joined on ``clean_run``: its own, else its
    clean work tree's run's HEAD; NULL for one synced from uncommitted files."""
    from sqlalchemy import func

    from tracertm.models import SpecRevision

    found: ColumnElement[str | None] = func.coalesce(SpecRevision.commit_sha, run.commit_sha)
    return found


def dated_time(run: Any) -> ColumnElement[dt.datetime | None]:
    """The commit date of ``dated_commit`` (NULL for no commit, and for a run recorded before migration 0019)."""
    from sqlalchemy import func

    from tracertm.models import SpecRevision

    found: ColumnElement[dt.datetime | None] = func.coalesce(SpecRevision.committed_at, run.committed_at)
    return found
