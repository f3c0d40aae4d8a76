"""What a watch daemon counts and records: its counters, each committed sync, and the failure state behind its
retries (``tracertm.watcher.daemon``)."""

from __future__ import annotations

from dataclasses import asdict, dataclass
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
