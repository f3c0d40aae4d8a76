"""Revisions that changed no file content: the commit whose state they hold is the one their file last changed at.

A new release whose parsers read a file otherwise re-reads every file once (README, "How sync decides"), and a
record that reads differently gets a version then — dated at the HEAD that sync recorded (or at the commit a
backfill continued with), which did not touch the file. ``show`` and ``history`` list that revision as it is (the
audit trail); ``diff`` compares what the specs said at two commits, and such a revision said, of the same bytes,
what its predecessor did: it holds the state from its predecessor's commit on, or the commit it is dated by would
show a change no commit made (and the parse method, which reads both commits with today's parsers, none).
"""

from __future__ import annotations

from collections.abc import Callable, Mapping, Sequence
from pathlib import Path
from typing import Any

from tracertm.models.sync import FILE_READ_CHANGES

__all__ = ["content_places"]


def content_places(top: Path, prefix: str, revisions: Sequence[Any],
                   order: Mapping[str, int]) -> Callable[[Any], int | None]:
    """The place in the first-parent chain (``order``: commit → place) of the state each of ``revisions`` holds:
    that of the commit it is dated by (``at``), or, for an ``updated`` revision whose file (``source_path``, under
    ``prefix`` in the repository at ``top``) is the very blob its predecessor's commit held, its predecessor's
    place. Each revision reads ``entity_id``, ``version``, ``seq``, ``change``, ``source_path`` and ``at``."""
    from tracertm import git

    pairs = _candidates(revisions, order)
    names = {f"{rev.at}:{prefix}{rev.source_path}" for pair in pairs for rev in pair}
    blobs = git.object_ids(top, names)
    moved: dict[tuple[Any, int], int] = {}
    for prev, rev in pairs:  # in version order: a re-read of a re-read holds the first one's state's place
        old = blobs.get(f"{prev.at}:{prefix}{prev.source_path}")
        if old is not None and old == blobs.get(f"{rev.at}:{prefix}{rev.source_path}"):
            moved[(rev.entity_id, rev.version)] = moved.get((prev.entity_id, prev.version), order[prev.at])

    def place(rev: Any) -> int | None:
        at = order.get(rev.at) if rev.at is not None else None
        return moved.get((rev.entity_id, rev.version), at) if rev.change == "updated" else at

    return place


def _candidates(revisions: Sequence[Any], order: Mapping[str, int]) -> list[tuple[Any, Any]]:
    """Each ``updated`` revision with the revision before it, where both read the same path at commits of the
    chain, the earlier first: the pairs whose blobs may be the same."""
    by_record: dict[Any, list[Any]] = {}
    for rev in revisions:
        by_record.setdefault(rev.entity_id, []).append(rev)
    pairs: list[tuple[Any, Any]] = []
    for revs in by_record.values():
        # A move that changed no content keeps its version: the write order tells it from the one before.
        revs.sort(key=lambda r: (r.version, r.seq if r.seq is not None else -1))
        for prev, rev in zip(revs, revs[1:]):
            if (rev.change == "updated" and prev.change in FILE_READ_CHANGES and prev.source_path == rev.source_path
                    and rev.source_path and prev.at in order and rev.at in order and order[prev.at] < order[rev.at]):
                pairs.append((prev, rev))
    return pairs
