"""Row ids that ascend: time-ordered UUIDs (the layout of RFC 9562's version 7) for the rows a sync creates.

A random (version 4) id lands anywhere in the primary-key B-tree and in every index that holds ids (a revision's
``entity_id``, a scenario's ``feature_id``, a link's ``source_id`` and ``target_id``): each insert touches a random
page. Ids that ascend in creation order make those inserts appends to the right-most pages. On SQLite a cold sync
of the large benchmark corpus spends about a fifth less CPU in its inserts with them (26,000 records, 26,000
revisions, 54,000 links: ~1.9 s → ~1.5 s, the same statements replayed).

Layout: 48 bits of Unix time in milliseconds, the version (7), 74 bits that start at a random value each
millisecond and count up within it, and the variant. Within a process each id is greater than the one before (the
counter carries on when the clock stalls or steps back), so a batch's ids ascend; across processes they differ by
their random bits as version 4 ids do. An id is still a ``uuid.UUID``, stored and compared as before.
"""

from __future__ import annotations

import os
import threading
import time
import uuid

_LOW_BITS = 74  # 12 bits of "rand_a" and 62 of "rand_b"
_HEADROOM = 1 << (_LOW_BITS - 1)  # a millisecond's counter starts below half of its range: it cannot run over
_lock = threading.Lock()
_last = [0, 0]  # the last (millisecond, counter) handed out


def new_id() -> uuid.UUID:
    """A new row id, greater than every id this process made before."""
    now = time.time_ns() // 1_000_000
    with _lock:
        ms, counter = _last
        if now > ms:
            ms, counter = now, int.from_bytes(os.urandom(10), "big") % _HEADROOM
        else:  # same millisecond (or the clock went back): count on from the last id
            counter += 1
            if counter >> _LOW_BITS:  # not reachable in practice (2**73 ids in one millisecond)
                ms, counter = ms + 1, 0
        _last[0], _last[1] = ms, counter
    rand_a, rand_b = counter >> 62, counter & ((1 << 62) - 1)
    return uuid.UUID(int=(ms << 80) | (0x7 << 76) | (rand_a << 64) | (0b10 << 62) | rand_b)


__all__ = ["new_id"]
