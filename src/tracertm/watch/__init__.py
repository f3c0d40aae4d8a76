"""``tracertm watch``: keep the database in sync with repositories as their files change.

``watch(targets, ...)`` runs the daemon until SIGINT/SIGTERM; ``Watcher`` is the daemon object (start/stop,
counters in ``stats``, committed syncs in ``history``). Modules: ``debounce`` (bursts → batches), ``repos``
(what to watch, what an event means), ``observe`` (watchdog observer and watches), ``daemon`` (loop, retries,
signals), ``logs`` (text/JSON lines).
"""

import sys
import types
from typing import Any

from tracertm.watch.daemon import SyncRecord, Watcher, WatchStats, watch
from tracertm.watch.debounce import Batch, Debouncer

__all__ = ["Batch", "Debouncer", "SyncRecord", "WatchStats", "Watcher", "watch"]


class _CallableModule(types.ModuleType):
    """Importing a submodule binds ``tracertm.watch`` to this package, shadowing the lazily exported function;
    calling the package calls the function, so ``tracertm.watch(...)`` works either way."""

    def __call__(self, *args: Any, **kwargs: Any) -> WatchStats:
        return watch(*args, **kwargs)


sys.modules[__name__].__class__ = _CallableModule
