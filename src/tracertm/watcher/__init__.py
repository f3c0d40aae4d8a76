"""``tracertm watch``: keep the database in sync with repositories as their files change.

``watch(targets, ...)`` runs the daemon until SIGINT/SIGTERM/SIGHUP; ``Watcher`` is the daemon object (start/stop,
counters in ``stats``, committed syncs in ``history``). Modules: ``debounce`` (bursts → batches), ``repos``
(what to watch, what an event means), ``observe`` (watchdog observer and watches), ``daemon`` (loop, retries),
``entry`` (``watch()``, with ``signals``), ``logs`` (text/JSON lines).
"""

from tracertm.watcher.daemon import SyncRecord, Watcher, WatchStats
from tracertm.watcher.debounce import Batch, Debouncer
from tracertm.watcher.entry import watch

__all__ = ["Batch", "Debouncer", "SyncRecord", "WatchStats", "Watcher", "watch"]
