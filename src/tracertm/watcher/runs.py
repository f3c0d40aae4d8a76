"""The sync run the daemon last committed per repository, and whether the database still holds it as its project's
newest run: a sync of some paths brings only those files up to date, which keeps the database equal to the work
tree only while the rest is as the daemon left it. A database dropped and created again, a backup restored in place
(the same SQLite file: no ``database_reopened``), or another writer's sync (a CLI sync, a hook, another daemon) breaks
that; the daemon then reconciles instead (``Watcher._process``), which is cheap: unchanged files are skipped by their
stored blob hashes. A reconcile after another writer's run writes a run of its own, the newest, so the next batch is
a sync of its paths again: nothing loops.
"""

from __future__ import annotations

import uuid
from typing import TYPE_CHECKING

if TYPE_CHECKING:
    from sqlalchemy.engine import Engine

__all__ = ["LastRuns"]


class LastRuns:
    """Per repository key, the id of the run its last committed sync wrote (loop thread only)."""

    def __init__(self) -> None:
        self._runs: dict[str, uuid.UUID] = {}

    def note(self, key: str, run_id: uuid.UUID | None) -> None:
        """Remember the run a sync of ``key`` just committed."""
        if run_id is None:
            self._runs.pop(key, None)
        else:
            self._runs[key] = run_id

    def forget(self, key: str) -> None:
        """Nothing known of what ``key``'s project holds (its next batch is a reconcile)."""
        self._runs.pop(key, None)

    def holds(self, key: str, engine: Engine) -> bool:
        """Whether the database still holds the run the daemon last committed for ``key`` as its project's newest
        run. False when no run is known, when that run (or its project) is gone, when another run came after it,
        and when the database cannot be read (the sync that follows meets that error, or the missing schema)."""
        last = self._runs.get(key)
        if last is None:
            return False
        from sqlalchemy import select

        from tracertm import db
        from tracertm.models import SyncRun

        # Two index look-ups: the run by its primary key, the project's runs by (project_id, started_at).
        project = select(SyncRun.project_id).where(SyncRun.id == last).scalar_subquery()
        newest = select(SyncRun.id).where(SyncRun.project_id == project).order_by(SyncRun.started_at.desc()).limit(1)
        try:
            with db.session(engine) as session:
                return bool(session.execute(newest).scalar() == last)
        except Exception:  # noqa: BLE001 - unreadable now: reconciling is the safe side, and the sync says why
            return False
