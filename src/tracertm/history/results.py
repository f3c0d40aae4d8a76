"""What a backfill reports: progress while it runs, and its result (with the spec errors of old commits)."""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any, Literal

from tracertm.errors import Diagnostic

# Commits per backfill batch, at most: ``--batch-size`` and ``$TRACERTM_BACKFILL_BATCH_SIZE`` alike (a batch is one
# transaction; a larger one is no batch at all). Here, not in ``backfill``: the command line reads it when it builds
# its parser.
MAX_BATCH_SIZE = 1_000_000

# full: an empty project; resumed: continued after a checkpoint; merged: a project synced before; up-to-date: nothing
# to do.
Mode = Literal["full", "resumed", "merged", "up-to-date"]


@dataclass(frozen=True)
class Progress:
    """Where a backfill is: ``done`` of ``total`` first-parent commits, after ``elapsed`` seconds."""

    done: int
    total: int
    revisions: int
    errors: int
    elapsed: float

    @property
    def rate(self) -> float:
        """Commits per second so far."""
        return self.done / self.elapsed if self.elapsed > 0 else 0.0

    @property
    def eta(self) -> float | None:
        """Seconds left at the current rate (None before the rate is known)."""
        rate = self.rate
        return (self.total - self.done) / rate if rate > 0 else None


ProgressCallback = Callable[[Progress], None]


@dataclass(frozen=True)
class CommitError:
    """A spec file that failed to parse (or conflicted) in one commit of the history."""

    commit: str
    diagnostic: Diagnostic

    def __str__(self) -> str:
        return f"{self.commit[:12]} {self.diagnostic}"

    def as_dict(self) -> dict[str, object]:
        """The diagnostic's fields plus the commit, for JSON output and ``sync_runs.errors``."""
        return {"commit": self.commit, **self.diagnostic.as_dict()}


@dataclass
class BackfillResult:
    """What one backfill did."""

    project: str
    root: Path
    ref: str
    head: str
    mode: Mode
    commits: int  # first-parent commits walked by this run
    commits_total: int  # first-parent commits of the ref
    revisions: int = 0
    batches: int = 0
    files_parsed: int = 0
    elapsed: float = 0.0
    errors: list[CommitError] = field(default_factory=list)
    head_errors: list[Diagnostic] = field(default_factory=list)  # files still broken at the ref
    # Said of the run itself, as sync's: the project followed to the folder it moved to (``engine.identity``).
    warnings: list[Diagnostic] = field(default_factory=list)
    # Commits an earlier backfill recorded that are not in this history (rewritten since, or another branch's):
    # their revisions are kept, and this run's are numbered after them (``history.merge.orphaned``).
    orphaned: int = 0
    # Commits a merge replayed in memory to graft onto the rows (none when the syncs since the last complete
    # backfill stood for them: ``history.synced``); not in ``as_dict``.
    replayed: int = 0

    def as_dict(self) -> dict[str, Any]:
        """The result as plain JSON-ready values (``--format json``)."""
        return {
            "project": self.project,
            "root": str(self.root),
            "ref": self.ref,
            "head": self.head,
            "mode": self.mode,
            "commits": self.commits,
            "commits_total": self.commits_total,
            "revisions": self.revisions,
            "batches": self.batches,
            "files_parsed": self.files_parsed,
            "elapsed": round(self.elapsed, 3),
            "errors": [e.as_dict() for e in self.errors],
            "head_errors": [d.as_dict() for d in self.head_errors],
            "warnings": [d.as_dict() for d in self.warnings],
            "orphaned": self.orphaned,
        }
