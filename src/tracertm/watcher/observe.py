"""The watchdog side: one observer, the folders it watches, and which repository listens to which watch.

Handlers do nothing but pass the event on (``sink``); the daemon classifies and records it. Two spec roots of one
git repository share the git-directory watches, so a watch is unscheduled only when its last listener goes.
A folder that was deleted and recreated gets a new watch (an inotify watch dies with its folder): told apart by its
inode, or by the old watch having reported its folder's deletion (the new folder may get the old inode number).
"""

from __future__ import annotations

import errno
import logging
import os
from collections.abc import Callable
from dataclasses import dataclass, field
from pathlib import Path
from typing import TYPE_CHECKING

from watchdog.events import (
    DirCreatedEvent,
    DirDeletedEvent,
    DirMovedEvent,
    FileClosedEvent,
    FileCreatedEvent,
    FileDeletedEvent,
    FileModifiedEvent,
    FileMovedEvent,
    FileSystemEvent,
    FileSystemEventHandler,
)

from tracertm.watcher.repos import WatchSpec

if TYPE_CHECKING:
    from watchdog.observers.api import ObservedWatch

# Reads (open, close-without-write, access) are not asked for: the daemon's own scans must not wake it up.
EVENT_TYPES: list[type[FileSystemEvent]] = [
    FileCreatedEvent,
    FileModifiedEvent,
    FileDeletedEvent,
    FileMovedEvent,
    FileClosedEvent,
    DirCreatedEvent,
    DirDeletedEvent,
    DirMovedEvent,
]

Sink = Callable[[str, WatchSpec, FileSystemEvent], None]


class _Handler(FileSystemEventHandler):
    def __init__(self, sink: Sink, key: str, spec: WatchSpec) -> None:
        self._sink, self._key, self._spec = sink, key, spec
        self.watched: _Watched | None = None  # (set once scheduled)

    def dispatch(self, event: FileSystemEvent) -> None:
        if (event.event_type == "deleted" and self.watched is not None
                and os.fsdecode(event.src_path) == os.fsdecode(self.watched.watch.path)):
            # The watched folder itself is gone, and its watch with it (watchdog ends it after this event): one made
            # again at the path needs a new watch, even with the inode number the old one freed (ext4 reuses it).
            # Marked before the daemon hears of it, so the look at the folders to watch that it asks for sees it.
            self.watched.inode = None
        self._sink(self._key, self._spec, event)


class _FolderHandler(FileSystemEventHandler):
    def __init__(self, sink: Callable[[], None]) -> None:
        self._sink = sink

    def dispatch(self, event: FileSystemEvent) -> None:
        if event.is_directory:
            self._sink()


@dataclass
class _Watched:
    watch: ObservedWatch
    inode: tuple[int, int] | None  # None: the folder was deleted, its watch ended
    handlers: dict[str, FileSystemEventHandler] = field(default_factory=dict)


def _inode(path: Path) -> tuple[int, int] | None:
    try:
        st = os.stat(path)
    except OSError:
        return None
    return (st.st_dev, st.st_ino)


class WatchSet:
    """``on_error(path, exc)`` is told about folders that could not be watched (e.g. the inotify limit)."""

    def __init__(self, on_error: Callable[[Path, OSError], None]) -> None:
        from watchdog.observers import Observer

        self._observer = Observer()
        self._on_error = on_error
        self._watched: dict[tuple[str, bool], _Watched] = {}
        self._uses: dict[str, set[tuple[str, bool]]] = {}

    def start(self) -> None:
        self._observer.start()

    def stop(self, timeout: float = 5.0) -> None:
        self._observer.stop()
        self._observer.join(timeout)

    def apply(self, key: str, specs: list[WatchSpec], sink: Sink) -> bool:
        """Make repository ``key`` listen to exactly ``specs`` (folders that do not exist are skipped); whether it
        listens to a folder it did not listen to before."""
        added = False
        desired = {(str(s.path), s.recursive): s for s in specs}
        uses = self._uses.setdefault(key, set())
        for watch_key in list(uses):
            watched = self._watched.get(watch_key)
            if (
                watch_key not in desired
                or watched is None
                or key not in watched.handlers
                or _inode(Path(watch_key[0])) != watched.inode
            ):
                uses.discard(watch_key)
                self._release(watch_key, key)
        for watch_key, spec in desired.items():
            if watch_key in uses:
                continue
            inode = _inode(spec.path)
            if inode is None:
                continue
            handler = _Handler(sink, key, spec)
            watched = self._watched.get(watch_key)
            if watched is not None and watched.inode == inode:
                self._observer.add_handler_for_watch(handler, watched.watch)
            else:
                if watched is not None:  # the folder was replaced: its old watch is dead
                    self._unschedule(watch_key)
                try:
                    watch = self._observer.schedule(
                        handler, str(spec.path), recursive=spec.recursive, event_filter=EVENT_TYPES
                    )
                except OSError as exc:
                    self._on_error(spec.path, exc)
                    continue
                watched = self._watched[watch_key] = _Watched(watch, inode)
            watched.handlers[key] = handler
            handler.watched = watched
            uses.add(watch_key)
            added = True
        return added

    def release_all(self, key: str) -> None:
        for watch_key in self._uses.pop(key, set()):
            self._release(watch_key, key)

    def add_folder(self, path: Path, on_change: Callable[[], None]) -> None:
        """Watch a workspace folder (not recursively) for repositories appearing or vanishing."""
        try:
            self._observer.schedule(
                _FolderHandler(on_change),
                str(path),
                recursive=False,
                event_filter=[DirCreatedEvent, DirDeletedEvent, DirMovedEvent],
            )
        except OSError as exc:
            self._on_error(path, exc)

    def _release(self, watch_key: tuple[str, bool], key: str) -> None:
        watched = self._watched.get(watch_key)
        if watched is None:
            return
        handler = watched.handlers.pop(key, None)
        if not watched.handlers:
            self._unschedule(watch_key)
        elif handler is not None:
            self._observer.remove_handler_for_watch(handler, watched.watch)

    def _unschedule(self, watch_key: tuple[str, bool]) -> None:
        watched = self._watched.pop(watch_key)
        try:
            self._observer.unschedule(watched.watch)
        except KeyError:
            pass




class OverflowHook(logging.Filter):
    """watchdog reports a kernel queue overflow only as a log warning; turn it into a reconcile of everything."""

    def __init__(self, callback: Callable[[], None]) -> None:
        super().__init__()
        self._callback = callback

    def filter(self, record: logging.LogRecord) -> bool:
        if "overflow" in record.getMessage().lower():
            self._callback()
        return True


def read_limit(name: str) -> str:
    """An inotify limit of this machine (``/proc/sys/fs/inotify/<name>``), "?" where it cannot be read."""
    try:
        return Path(f"/proc/sys/fs/inotify/{name}").read_text().strip()
    except OSError:
        return "?"


def log_limit_reached(path: Path, setting: str, reconcile_every: float) -> None:
    """The one line (``watch_limit``) for an inotify limit reached while watching ``path``: which setting to raise
    and how, and what happens until then."""
    from tracertm.watcher.logs import LOGGER

    current = read_limit(setting)
    logging.getLogger(LOGGER).error(
        "inotify limit reached watching %s: raise fs.inotify.%s (now %s), e.g. "
        "'sudo sysctl fs.inotify.%s=524288' and persist it in /etc/sysctl.d/; until then changes there are "
        "only picked up by the periodic reconcile (every %g s)",
        path, setting, current, setting, reconcile_every,
        extra={"fields": {"event": "watch_limit", "setting": f"fs.inotify.{setting}", "current": current}},
    )


def log_watch_failed(path: Path, exc: OSError) -> None:
    """The line (``watch_failed``) for a folder that cannot be watched for another reason than a limit."""
    from tracertm.watcher.logs import LOGGER

    logging.getLogger(LOGGER).warning(
        "%s: cannot watch (%s); relying on the periodic reconcile", path, exc.strerror or exc,
        extra={"fields": {"event": "watch_failed", "path": str(path), "error": str(exc.strerror or exc)}},
    )


def log_watch_error(path: Path, exc: OSError, logged: set[int], reconcile_every: float) -> bool:
    """Log a folder that could not be watched: an inotify limit (``watch_limit``) once per limit (``logged``: the
    errnos already logged), another error (``watch_failed``) each time. Whether it was a limit."""
    limits = {errno.ENOSPC: "max_user_watches", errno.EMFILE: "max_user_instances"}
    setting = limits.get(exc.errno or 0)
    if setting is None:
        log_watch_failed(path, exc)
        return False
    if exc.errno not in logged:
        logged.add(exc.errno or 0)
        log_limit_reached(path, setting, reconcile_every)
    return True


__all__ = ["EVENT_TYPES", "OverflowHook", "Sink", "WatchSet", "log_limit_reached", "log_watch_error",
           "log_watch_failed", "read_limit"]
