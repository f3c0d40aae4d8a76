"""What a watch daemon counts and records: its counters, each committed sync, and the failure state behind its
retries (``tracertm.watcher.daemon``)."""

from __future__ import annotations

import logging
import uuid
from dataclasses import asdict, dataclass
from pathlib import Path
from typing import Any

__all__ = ["Health", "SyncRecord", "WatchStats"]


@dataclass
class WatchStats:
    """Counters of a running daemon (read them from any thread)."""

    repositories: int = 0
    events_seen: int = 0  # file-system events delivered by the observers
    events_recorded: int = 0  # of which meant something (a spec file, git HEAD/refs, configuration)
    syncs: int = 0  # committed syncs: path batches and reconciles
    reconciles: int = 0  # of which full reconciles
    failures: int = 0  # failed sync attempts (each is retried)
    held: int = 0  # times a due batch waited for a git command that held the index (a checkout in progress)
    watch_limit_reached: bool = False

    def as_dict(self) -> dict[str, Any]:
        return asdict(self)


@dataclass(frozen=True)
class SyncRecord:
    """One committed sync, as logged. Times are ``time.monotonic()`` values."""

    repository: str
    project: str
    reconcile: bool
    paths: int | None
    counts: dict[str, int]
    events: int
    first_event: float
    started: float
    committed: float

    @property
    def latency(self) -> float:
        """Seconds from the batch's first event to the commit."""
        return self.committed - self.first_event

    def log(self, root: Path, run_id: uuid.UUID | None, level: int) -> None:
        """The one line (``sync``) of this sync: what it synced in ``root`` (the repository's folder) and how long
        it took; ``run_id``: the run it wrote."""
        from tracertm.watcher.logs import LOGGER

        verb = "reconciled" if self.reconcile else "synced"
        scope = "all" if self.paths is None else str(self.paths)
        logging.getLogger(LOGGER).log(
            level,
            "%s %s [%s] paths=%s %s events=%d latency_ms=%d sync_ms=%d",
            verb,
            self.project,
            root,
            scope,
            " ".join(f"{a}={n}" for a, n in self.counts.items()),
            self.events,
            round(self.latency * 1000),
            round((self.committed - self.started) * 1000),
            extra={
                "fields": {
                    "event": "sync",
                    "repository": self.repository,
                    "project": self.project,
                    "reconcile": self.reconcile,
                    "paths": self.paths,
                    "counts": self.counts,
                    "events": self.events,
                    "latency_ms": round(self.latency * 1000, 1),
                    "sync_ms": round((self.committed - self.started) * 1000, 1),
                    "run_id": str(run_id) if run_id else None,
                }
            },
        )


@dataclass
class Health:
    """Failure state of a database (by URL) or a repository: retries back off, logging happens on transitions."""

    down: bool = False
    failures: int = 0
    since: float = 0.0
    retry_at: float = 0.0
    message: str | None = None
    # A repository whose sync failed in a way no retry mends (``failures.waits_for_change``): its next sync, after
    # a change, is a full reconcile (the failed batch was dropped, not kept).
    parked: bool = False
    # The events the batch had when its sync took it, of the last sync that failed because a file changed while it
    # read (``failures.retried_when_quiet``): the same failure with no event since is retried with backoff instead.
    quiet_retry: int | None = None
