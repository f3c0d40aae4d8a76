"""SIGINT/SIGTERM for a watch daemon run by ``watch()``: a first signal stops accepting events and lets the sync in
flight commit; a second one rolls it back (``Watcher.abort``). The handlers run on the main thread, which only waits
for the daemon's thread: nothing is raised into a sync.

Once a signal has stopped the daemon, SIGINT/SIGTERM stay ignored (``SIG_IGN``) after it: the process is on its way
out, and a repeated signal must not kill it by the default action (exit 143) while it exits."""

from __future__ import annotations

import logging
import signal
from types import FrameType
from typing import TYPE_CHECKING, Any

from tracertm.watcher.logs import LOGGER

if TYPE_CHECKING:
    from tracertm.watcher.daemon import Watcher

__all__ = ["StopOnSignal"]

log = logging.getLogger(LOGGER)


class StopOnSignal:
    """While in its ``with`` block (and ``enabled``: only the main thread can set handlers), SIGINT and SIGTERM stop
    ``watcher``, and abort it when it is stopping already."""

    SIGNALS = (signal.SIGINT, signal.SIGTERM)

    def __init__(self, watcher: Watcher, *, enabled: bool = True) -> None:
        self.watcher = watcher
        self.enabled = enabled
        self.received: list[int] = []
        self._previous: dict[int, Any] = {}

    def _on_signal(self, signum: int, _frame: FrameType | None) -> None:
        # Runs on the main thread, which only waits for the daemon's thread: nothing is raised into a sync.
        watcher = self.watcher
        self.received.append(signum)
        name = signal.Signals(signum).name
        if watcher.stopping:
            if not watcher.aborted:
                log.info(
                    "%s received again: rolling back the sync in flight",
                    name,
                    extra={"fields": {"event": "signal", "signal": name, "abort": True}},
                )
                watcher.abort()
            return
        log.info(
            "%s received: stopping after the sync in flight (send it again to roll that sync back)",
            name,
            extra={"fields": {"event": "signal", "signal": name}},
        )
        watcher.stop()

    def __enter__(self) -> StopOnSignal:
        if self.enabled:
            for sig in self.SIGNALS:
                self._previous[sig] = signal.signal(sig, self._on_signal)
        return self

    def __exit__(self, *exc: object) -> None:
        for signum, handler in self._previous.items():
            # Stopped by a signal: the process is on its way out, and a repeated signal (a second SIGTERM a moment
            # later, often after the daemon has already stopped, while the interpreter shuts down) is the same
            # request, not a reason to die by the default action (exit 143 instead of 0). Ignored from here on:
            # SIG_IGN, since the interpreter puts SIG_DFL back in place of any Python handler as it finalizes.
            # Stopped otherwise: the caller's handler is back.
            signal.signal(signum, signal.SIG_IGN if self.received else handler)
