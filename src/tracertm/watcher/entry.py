"""``watch()``: the watch daemon's blocking entry point (``tracertm watch`` and ``tracertm.watch()`` call it).
It owns how a ``Watcher`` runs for its caller: on a thread of its own while the main thread waits and handles
SIGINT/SIGTERM/SIGHUP (``signals.StopOnSignal``), or on the caller's thread when that is not the main thread, and
what the caller gets back (the daemon's counters, or the error that stopped it)."""

from __future__ import annotations

import os
import threading
from collections.abc import Sequence
from typing import Any

from tracertm.errors import refuse_blank_path
from tracertm.watcher.daemon import DEFAULT_DEBOUNCE_MS, DEFAULT_RECONCILE_S, Watcher
from tracertm.watcher.signals import StopOnSignal
from tracertm.watcher.stats import WatchStats

__all__ = ["watch"]


def watch(
    targets: Sequence[str | os.PathLike[str]] = (),
    *,
    database_url: str | None = None,
    debounce_ms: float = DEFAULT_DEBOUNCE_MS,
    reconcile_every: float = DEFAULT_RECONCILE_S,
    handle_signals: bool = True,
    **options: Any,
) -> WatchStats:
    """Keep the database in sync with the repositories in ``targets`` (default: the current folder) until
    SIGINT/SIGTERM/SIGHUP (or ``KeyboardInterrupt``). Returns the daemon's counters.

    A first signal stops accepting events and lets the sync in flight commit; a second SIGINT/SIGTERM rolls it
    back (``watcher.signals``). Once a signal has stopped it, the three are ignored (``SIG_IGN``) after it returns:
    a repeated signal must not kill the process by the default action (exit 143) while it exits.
    ``options`` go to ``Watcher`` (``ceiling_s``, ``retry_base``, ``retry_cap``, ``discover_every``,
    ``ref_wait_s``).
    """
    for target in [targets] if isinstance(targets, str) else targets:  # ("": no target, the current folder)
        refuse_blank_path(target, "targets", "or leave targets empty for the current folder")
    watcher = Watcher(
        list(targets) or ["."],
        database_url=database_url,
        debounce_ms=debounce_ms,
        reconcile_every=reconcile_every,
        **options,
    )
    main = threading.current_thread() is threading.main_thread()
    with StopOnSignal(watcher, enabled=handle_signals and main):
        try:
            if not main:
                watcher.run()
            else:
                # The daemon runs on its own thread; this one waits, so that signal handlers run promptly and
                # never inside the daemon's database calls.
                watcher.start()
                while watcher._thread is not None and watcher._thread.is_alive():
                    watcher._thread.join(0.2)
        except KeyboardInterrupt:  # signal handling off (handle_signals=False): stop and roll back
            watcher.abort()
            watcher.join(60)
    if watcher._error is not None:  # stopped by an error no retry helps (``SchemaError``): the command's exit 2
        raise watcher._error
    return watcher.stats

