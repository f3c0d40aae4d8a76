"""The progress ``tracertm backfill`` reports on stderr while it replays a history."""

from __future__ import annotations

from typing import Any

__all__ = ["BackfillProgress"]


class BackfillProgress:
    """Progress on stderr: a bar redrawn in place on a terminal, a plain line every few seconds otherwise."""

    def __init__(self, stream: Any) -> None:
        self.stream = stream
        self.tty = bool(getattr(stream, "isatty", lambda: False)())
        self.last = 0.0
        self.last_done = -1
        self.last_revisions = -1
        self.drawn = False

    def __call__(self, p: Any) -> None:
        import time

        now = time.monotonic()
        final = p.done >= p.total
        # Once done, a report with more revisions is news (a merge's final sync --ref writes after the last commit).
        repeated = p.done == self.last_done and (not final or p.revisions == self.last_revisions)
        if repeated or (not final and now - self.last < (0.1 if self.tty else 5.0)):
            return
        self.last, self.last_done, self.last_revisions = now, p.done, p.revisions
        eta = "-" if p.eta is None else f"{int(p.eta) // 60}:{int(p.eta) % 60:02d}"
        counts = f"{p.done}/{p.total} commits  {p.rate:.1f}/s  ETA {eta}  {p.revisions} revisions"
        if self.tty:
            width = 28
            filled = int(width * p.done / p.total) if p.total else width
            self.stream.write(f"\r[{'#' * filled}{'.' * (width - filled)}] {counts}\x1b[K")
            self.drawn = True
        else:
            percent = 100 * p.done // p.total if p.total else 100
            self.stream.write(f"backfill: {counts} ({percent}%)\n")
        self.stream.flush()

    def close(self) -> None:
        """End a bar drawn in place with its line."""
        if self.drawn:
            self.stream.write("\n")
            self.stream.flush()
            self.drawn = False
