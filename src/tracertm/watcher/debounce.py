"""Debouncing: turn bursts of file-system events into one batch per repository.

A batch becomes due when its repository has been quiet for ``quiet`` seconds, or ``ceiling`` seconds after the
batch's window opened (so continuous writing still syncs every ``ceiling`` seconds), but never before its
``not_before`` time (set when a failed batch is put back to wait for a retry).

Thread-safe: watchdog's dispatcher thread calls ``add``; the daemon's loop calls ``pop_due`` / ``wait``. Every
method takes an optional ``now`` so tests can drive it with a fake clock.
"""

from __future__ import annotations

import threading
import time
from collections.abc import Callable, Iterable
from dataclasses import dataclass, field

DEFAULT_QUIET_S = 0.2
DEFAULT_CEILING_S = 2.0


@dataclass
class Batch:
    """What changed in one repository since its last sync.

    ``paths``: root-relative files that changed (absence at sync time means deletion); ``dirs``: folders that
    appeared (their spec files are listed at sync time); ``reconcile``: a full blob-gated sync is needed (git HEAD
    or refs moved, a folder vanished, a periodic or start-up reconcile), which makes ``paths`` redundant.
    ``first``: time of the first event (for the commit latency), ``window``: when this batch's window opened.
    """

    key: str
    first: float
    window: float
    last: float
    paths: set[str] = field(default_factory=set)
    dirs: set[str] = field(default_factory=set)
    reconcile: bool = False
    events: int = 0
    other_reconciles: int = 0  # reconciles asked for by something else than a git ref moving
    not_before: float = 0.0
    attempts: int = 0

    def merge(self, other: Batch) -> None:
        self.paths |= other.paths
        self.dirs |= other.dirs
        self.reconcile = self.reconcile or other.reconcile
        self.events += other.events
        self.other_reconciles += other.other_reconciles
        self.first = min(self.first, other.first)
        self.window = min(self.window, other.window)
        self.last = max(self.last, other.last)
        self.not_before = max(self.not_before, other.not_before)
        self.attempts = max(self.attempts, other.attempts)

    @property
    def refs_only(self) -> bool:
        """A reconcile that only git refs moving asked for, and no changed paths."""
        return self.reconcile and not self.other_reconciles and not self.paths and not self.dirs


class Debouncer:
    """Pending batches by repository key."""

    def __init__(
        self,
        quiet: float = DEFAULT_QUIET_S,
        ceiling: float = DEFAULT_CEILING_S,
        clock: Callable[[], float] = time.monotonic,
    ) -> None:
        if quiet < 0 or ceiling < quiet:
            raise ValueError(f"need 0 <= quiet ({quiet}) <= ceiling ({ceiling})")
        self.quiet = quiet
        self.ceiling = ceiling
        self.clock = clock
        self._pending: dict[str, Batch] = {}
        # An RLock: a signal handler running on the loop's thread may call wake() while the loop holds it.
        self._cond = threading.Condition(threading.RLock())
        self._closed = False

    # ------------------------------------------------------------------------------------------ producers

    def add(
        self,
        key: str,
        paths: Iterable[str] = (),
        *,
        dirs: Iterable[str] = (),
        reconcile: bool = False,
        refs: bool = False,
        now: float | None = None,
    ) -> bool:
        """Record one event for ``key`` (``refs``: a git ref moved). Returns False once the debouncer is closed (the
        event is not kept)."""
        t = self.clock() if now is None else now
        with self._cond:
            if self._closed:
                return False
            batch = self._pending.get(key)
            fresh = batch is None
            if batch is None:
                batch = self._pending[key] = Batch(key, first=t, window=t, last=t)
            batch.paths.update(paths)
            batch.dirs.update(dirs)
            batch.reconcile = batch.reconcile or reconcile
            batch.events += 1
            batch.other_reconciles += reconcile and not refs
            batch.last = max(batch.last, t)
            if fresh:
                # Later events only push a batch's due time back, so the loop needs waking for new keys only.
                self._cond.notify_all()
            return True

    def touch(self, key: str, now: float | None = None) -> None:
        """Activity that is not a change (git taking or releasing its index lock): a pending batch of ``key`` waits
        ``quiet`` seconds more, so the ref update that ends a checkout joins it. No batch is started."""
        t = self.clock() if now is None else now
        with self._cond:
            batch = self._pending.get(key)
            if batch is not None:
                batch.last = max(batch.last, t)

    def again_when_quiet(self, batch: Batch) -> None:
        """Put back a batch to look again after the quiet period, in a window of its own (the ceiling, for continuous
        editing, counts from now): a batch held for a half-done command or write, or retried as a fresh change."""
        now = self.clock()
        batch.window = now
        self.requeue(batch, now + self.quiet)

    def requeue(self, batch: Batch, not_before: float) -> None:
        """Put back a batch whose sync failed: it waits until ``not_before`` and merges with newer events."""
        batch.not_before = not_before
        with self._cond:
            existing = self._pending.get(batch.key)
            if existing is not None:
                existing.merge(batch)
            else:
                self._pending[batch.key] = batch
            self._cond.notify_all()

    # ------------------------------------------------------------------------------------------ consumer

    def ready_at(self, batch: Batch) -> float:
        return max(batch.not_before, min(batch.last + self.quiet, batch.window + self.ceiling))

    def pop_due(self, now: float | None = None) -> list[Batch]:
        """Remove and return the batches that are due, oldest first."""
        t = self.clock() if now is None else now
        with self._cond:
            due = [b for b in self._pending.values() if self.ready_at(b) <= t]
            for b in due:
                del self._pending[b.key]
        return sorted(due, key=lambda b: b.first)

    def next_due(self) -> float | None:
        """When the next batch becomes due (None: nothing pending)."""
        with self._cond:
            return min((self.ready_at(b) for b in self._pending.values()), default=None)

    def wait(self, timeout: float) -> None:
        """Block up to ``timeout`` seconds, or until a new key gets an event or ``wake`` is called; not at all
        once closed."""
        with self._cond:
            # ``close`` wakes a consumer that waits; one that was busy (a stop during a sync) would otherwise
            # sleep out its timeout after the sync before it saw the stop.
            if timeout > 0 and not self._closed:
                self._cond.wait(timeout)

    def wake(self) -> None:
        with self._cond:
            self._cond.notify_all()

    def close(self) -> None:
        """Stop accepting events (pending batches stay readable)."""
        with self._cond:
            self._closed = True
            self._cond.notify_all()

    def pending(self) -> dict[str, Batch]:
        """A copy of the pending batches (for status and tests)."""
        with self._cond:
            return dict(self._pending)

    def __len__(self) -> int:
        with self._cond:
            return len(self._pending)


__all__ = ["DEFAULT_CEILING_S", "DEFAULT_QUIET_S", "Batch", "Debouncer"]
