"""The watch daemon and the git commands that rewrite the work tree (checkout, merge, reset, stash, rebase): a batch
waits while git holds the index and, once git lets go, until git has moved HEAD (``checkout_done``); and a sync
that git overtakes — the command took the index after the daemon looked and rewrote files while the sync read them
— rolls back instead of committing a state half-way between two commits (``SyncGuard``)."""

from __future__ import annotations

import logging
import threading
from collections.abc import Iterable

from tracertm.errors import Cancelled
from tracertm.watcher.debounce import Batch
from tracertm.watcher.logs import LOGGER
from tracertm.watcher.repos import FileSignature, Repository

log = logging.getLogger(LOGGER)

__all__ = ["SyncGuard", "checkout_done", "moved_unseen"]


def checkout_done(
    repo: Repository, batch: Batch, held: dict[str, float | None], reconciled: str | None, ref_wait_s: float,
    now: float,
) -> bool:
    """A held batch, now that git has let go of the index: is the command complete? git writes the index first and
    moves HEAD after (checkout, merge, reset), and on a loaded machine (or with git's events still queued) that can
    be later than any quiet period. So the batch waits while the index disagrees with HEAD about its files, at most
    ``ref_wait_s`` after ``held`` (per repository: None while git held the index, then when it was first seen free)
    noted git gone — a git command seen holding the index again holds the batch while it runs, but does not start
    this wait again: under ``git add`` run again and again (which leaves the index unlike HEAD) it would never end;
    and when the refs moved since the last reconcile (``reconciled``), the batch becomes that reconcile (the ref
    events, however late, then find nothing new)."""
    released = held.get(batch.key)
    if released is None:
        released = held[batch.key] = now
    if now - released < ref_wait_s and repo.staged_differs(batch.paths, batch.dirs):
        return False
    del held[batch.key]
    refs = repo.ref_state()
    if not batch.reconcile and (refs is None or refs != reconciled):
        log.debug("%s: git moved HEAD or a branch: reconciling", batch.key)
        batch.reconcile = True
    return True


def moved_unseen(
    repo: Repository, batch: Batch, indexes: dict[str, tuple[int, ...] | None], reconciled: str | None
) -> bool:
    """A batch git was not seen holding: did a git command move HEAD or a branch since the last reconcile? One
    that ran whole between two looks at the index, its events still on their way on a loaded machine, leaves its
    first events (git deletes the old files before it writes the new ones) to come due as an ordinary edit: synced
    alone, they would record a state of neither commit (records deleted that the checkout wrote elsewhere). The
    batch then becomes that reconcile, as in ``checkout_done``. Such a command wrote a new index: the refs are read
    only when the index (``indexes``: per repository, as last seen with the refs as reconciled) is another."""
    index = repo.index_identity()
    if batch.reconcile or indexes.get(batch.key, ()) == index:
        return False
    refs = repo.ref_state()
    if refs is None or refs == reconciled:
        indexes[batch.key] = index
        return False
    log.debug("%s: git moved HEAD or a branch unseen: reconciling", batch.key)
    batch.reconcile = True
    return True


class SyncGuard(threading.Event):
    """The ``cancel`` flag of one sync of the daemon, which the sync reads at its safe points (before the write
    lock, while waiting for it, before COMMIT): set by the daemon's ``abort``, or once git, holding the index or
    having written a new one since the guard was made (before the daemon looked whether git holds it), has changed
    the spec files the sync reads. A checkout that began after that look rewrites the files while the sync reads
    them: committed, the sync would record a state of neither commit (records deleted that the checkout then writes
    back, where a sync before it and one after record a move). Then the sync rolls back and the daemon holds its
    batch as one that came due while git held the index (``overtook``). A git command that leaves the spec files
    alone (``git status`` or an editor refreshing the index, ``git add`` of what was read) does not stop the sync:
    under such commands run again and again it would never commit. Only ``is_set`` is meant for the sync: ``set``
    and ``wait`` are the plain event's."""

    def __init__(self, abort: threading.Event, repo: Repository) -> None:
        super().__init__()
        self._abort, self._repo = abort, repo
        self._index = repo.index_identity()
        self._listed: frozenset[str] | None = None
        self._read: dict[str, FileSignature] | None = None
        self._git = False

    def reading(self, read: dict[str, FileSignature], listed: Iterable[str] | None) -> None:
        """The work tree as the sync is about to read it: the signatures of the files it reads (``read``), taken
        before it reads them, and for a full reconcile the repository's spec files (``listed``: one that comes or
        goes changes what it reads; a sync of some paths reads those alone, and listing every file for it would
        cost what the repository's size does). Without them, any index git holds or writes stops the sync."""
        self._read, self._listed = read, None if listed is None else frozenset(listed)

    def is_set(self) -> bool:
        if not self._git:  # (for good once seen: the sync must not commit what it read)
            self._git = self._overtaken()
        return self._git or self._abort.is_set()

    def overtook(self, exc: BaseException) -> bool:
        """Whether the sync stopped (``exc``) because git took the index while it read, not for an abort."""
        return isinstance(exc, Cancelled) and self._git and not self._abort.is_set()

    def _overtaken(self) -> bool:
        busy, index = self._repo.git_busy(), self._repo.index_identity()
        if not busy and index == self._index:
            return False
        if self._read is None or not self._as_read():
            return True
        if not busy:  # that index left the spec files alone: only a newer one needs this look again
            self._index = index
        return False

    def _as_read(self) -> bool:
        """Whether the spec files are as the sync found them: none came or went, those it reads are unchanged."""
        root, read = self._repo.root, self._read or {}
        return ((self._listed is None or frozenset(self._repo.spec_files()) == self._listed)
                and all(signature.unchanged(root / rel) for rel, signature in read.items()))
