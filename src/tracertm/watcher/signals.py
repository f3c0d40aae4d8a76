"""SIGINT/SIGTERM/SIGHUP for a watch daemon run by ``watch()``: a first signal stops accepting events and lets the
sync in flight commit; a second SIGINT or SIGTERM rolls it back (``Watcher.abort``). The handlers run on the main
thread, which only waits for the daemon's thread: nothing is raised into a sync.

SIGHUP (the terminal closed, or a ``kill -HUP``) stops the daemon as SIGTERM does: its default action killed it
mid-sync. It is no reload: the daemon reads a changed configuration file by itself. A repeated SIGHUP is the same
hang-up (the shell passes the terminal's on to its jobs), never a request to roll back; and a daemon started with
SIGHUP ignored (``nohup``) keeps ignoring it.

Once a signal has stopped the daemon, the three stay ignored (``SIG_IGN``) after it: the process is on its way
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

# SIGHUP is POSIX's: absent on Windows, where the daemon stops on SIGINT/SIGTERM only.
_HANGUP: int | None = getattr(signal, "SIGHUP", None)


class StopOnSignal:
    """While in its ``with`` block (and ``enabled``: only the main thread can set handlers), SIGINT, SIGTERM and
    SIGHUP stop ``watcher``; a SIGINT or SIGTERM aborts it when it is stopping already."""

    SIGNALS = tuple(sig for sig in (signal.SIGINT, signal.SIGTERM, _HANGUP) if sig is not None)

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
            if signum != _HANGUP and not watcher.aborted:
                log.info(
                    "%s received again: rolling back the sync in flight",
                    name,
                    extra={"fields": {"event": "signal", "signal": name, "abort": True}},
                )
                watcher.abort()
            return
        again = "SIGTERM" if signum == _HANGUP else "it again"  # (a second hang-up rolls nothing back)
        log.info(
            "%s received: stopping after the sync in flight (send %s to roll that sync back)",
            name,
            again,
            extra={"fields": {"event": "signal", "signal": name}},
        )
        watcher.stop()

    def __enter__(self) -> StopOnSignal:
        if self.enabled:
            for sig in self.SIGNALS:
                if sig == _HANGUP and signal.getsignal(sig) == signal.SIG_IGN:
                    continue  # started by nohup (or a caller that ignores hang-ups): it outlives the terminal
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
