"""Spec files a writer still holds open after changing them.

A file written in place in more than one step — an editor that truncates it and then writes it, a slow copy, a
tool that writes in chunks — is half-written between the steps, however long the pause. Synced then, an empty
feature or contract loses its records and the next sync restores them (a ``deleted`` and a ``restored`` revision,
two versions no sync before and after the save shows), and a half-written file logs an error it never had. The
kernel says when the writer is done: every write is an ``IN_MODIFY`` event (watchdog's ``modified``), and closing
a file opened for writing is an ``IN_CLOSE_WRITE`` (``closed``). So a batch holding a file modified and not closed
since waits for the close, at most ``WRITE_WAIT_S`` after the first unclosed write (a writer that keeps its file
open — or a write through ``mmap`` or ``truncate(2)`` on the path, which no close follows — delays the sync that
long, no longer). Where the observer reports no closes (not inotify), nothing waits.
"""

from __future__ import annotations

import logging
import threading
from collections.abc import Callable, Iterable

from tracertm.watcher.logs import LOGGER

# How long a batch waits at most for the writer of one of its files to close it, from the file's first write that
# no close followed. Only a bound: the wait ends at the close, a moment after the writer's last step.
WRITE_WAIT_S = 10.0

log = logging.getLogger(LOGGER)


class OpenWrites:
    """Per repository, the spec files (root-relative) modified and not closed since, with when that began.
    ``note`` runs on the observer threads, ``holding`` on the daemon's loop: a lock guards both."""

    def __init__(self, clock: Callable[[], float], wait_s: float = WRITE_WAIT_S) -> None:
        self._clock, self.wait_s = clock, wait_s if _reports_closes() else 0.0
        self._open: dict[str, dict[str, float]] = {}
        self._told: set[tuple[str, str]] = set()  # (repository, path) whose wait was logged
        self._lock = threading.Lock()

    def note(self, key: str, event_type: str, is_directory: bool, paths: Iterable[str]) -> None:
        """An event about spec files ``paths`` of repository ``key``: a write opens them (the first write's time
        is kept), a close, deletion or rename ends them (a file gone has nothing left to wait for)."""
        if is_directory or event_type not in ("modified", "closed", "deleted", "moved"):
            return
        now = self._clock()
        with self._lock:
            files = self._open.setdefault(key, {})
            for path in paths:
                if event_type == "modified":
                    files.setdefault(path, now)
                else:
                    files.pop(path, None)
                    self._told.discard((key, path))

    def holding(self, key: str, paths: Iterable[str] | None) -> bool:
        """Whether a batch of repository ``key`` syncing ``paths`` (None: every file, a reconcile) should wait:
        one of them is still open for writing, and its first unclosed write is less than ``wait_s`` old. Logs
        the wait once per file (``-v``)."""
        now = self._clock()
        with self._lock:
            files = self._open.get(key, {})
            for path in [p for p, since in files.items() if now - since >= self.wait_s]:
                del files[path]  # waited for long enough: synced as it is (a later write waits anew)
                self._told.discard((key, path))
            waiting = sorted(files.keys() if paths is None else set(paths) & files.keys())
            for path in waiting:
                if (key, path) not in self._told:
                    self._told.add((key, path))
                    log.debug("%s: %s is still open for writing: waiting for its writer to close it (at most %g s)",
                              key, path, self.wait_s)
            return bool(waiting)

    def forget(self, key: str) -> None:
        """A repository no longer watched."""
        with self._lock:
            self._open.pop(key, None)
            self._told = {told for told in self._told if told[0] != key}


def _reports_closes() -> bool:
    """Whether watchdog's observer on this system reports a writer closing a file (inotify's IN_CLOSE_WRITE)."""
    from watchdog.observers import Observer

    try:
        from watchdog.observers.inotify import InotifyObserver
    except (ImportError, OSError):  # no inotify on this system
        return False
    return bool(Observer is InotifyObserver)


__all__ = ["WRITE_WAIT_S", "OpenWrites"]
