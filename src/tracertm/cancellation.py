"""Safe points inside a sync's parse, where a cancelled sync stops (the watch daemon's second signal).

A sync's own safe points (before the lock, while waiting for it, before COMMIT) come between its phases; a parse of
one large file (a feature of thousands of scenarios) runs for seconds between two of them. ``watching`` makes the
sync's ``cancel`` flag this thread's for the block, and the parse and plan work looks at it (``safe_point``) between
files, lines of a Gherkin file and records: there it raises ``Cancelled`` and nothing of the run is written (what its
transaction wrote, under the plan or a first sync's eager writes, is rolled back).

Loaded by every parser, on the hook path too: no module beyond the standard library's built-ins and
``tracertm.errors``. Outside ``watching`` (a CLI sync, ``check``, a parse worker process) a safe point costs one look
at an empty dict.
"""

from __future__ import annotations

import os
import time
from _thread import get_ident  # (``threading`` itself is not loaded on the hook path)
from collections.abc import Iterator
from contextlib import contextmanager
from typing import Protocol

from tracertm.errors import Cancelled

# How often a safe point looks at the flag, in seconds: the watch daemon's flag (``SyncGuard``) may stat every file
# the sync reads, and safe points come as often as a file's lines; a look 20 times a second at most, as
# ``engine.eager``'s.
LOOK_EVERY = 0.05


class Flag(Protocol):
    """What a sync's ``cancel`` is to a safe point (a ``threading.Event``, the daemon's ``SyncGuard``)."""

    def is_set(self) -> bool: ...


class _Watch:
    __slots__ = ("flag", "next_look")

    def __init__(self, flag: Flag) -> None:
        self.flag, self.next_look = flag, 0.0


# The flag of the sync each thread runs, by thread id (``watching``): empty while no cancellable sync runs. A forked
# child (a parse worker started with ``fork``) runs none of its parent's syncs, though its thread keeps the id of the
# one that forked it: it starts with none.
_watched: dict[int, _Watch] = {}
if hasattr(os, "register_at_fork"):  # (POSIX)
    os.register_at_fork(after_in_child=_watched.clear)


@contextmanager
def watching(flag: Flag | None) -> Iterator[None]:
    """Within the block, a safe point of this thread raises ``Cancelled`` once ``flag`` is set (None: never)."""
    if flag is None:
        yield
        return
    ident = get_ident()
    outer = _watched.get(ident)  # (a sync inside another's block: the outer flag comes back after it)
    _watched[ident] = _Watch(flag)
    try:
        yield
    finally:
        if outer is None:
            del _watched[ident]
        else:
            _watched[ident] = outer


def watched() -> bool:
    """Whether this thread runs a cancellable sync (``watching``): parse work with a cost per line of its own for
    safe points (``parsers.feature_scanner``) does it only then."""
    return bool(_watched) and get_ident() in _watched


def safe_point() -> None:
    """Raise ``Cancelled`` when the sync this thread runs was cancelled: nothing of it is written yet."""
    if not _watched:
        return
    watch = _watched.get(get_ident())
    if watch is None:
        return
    now = time.monotonic()
    if now < watch.next_look:
        return
    watch.next_look = now + LOOK_EVERY
    if watch.flag.is_set():
        raise Cancelled("sync cancelled; nothing was written")


__all__ = ["LOOK_EVERY", "Flag", "safe_point", "watched", "watching"]
