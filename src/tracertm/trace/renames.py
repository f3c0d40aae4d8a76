"""``diff``'s parse method and a renamed file: its records are paired as sync pairs them (``engine.moves``).

Sync pairs against the database's records, deleted ones included: an id a deleted record holds is never taken over.
The files at the two commits cannot tell which ids those are; the database's revisions can (``trace.diff`` reads
them as its history method does, when a complete backfill covers the first commit).
"""

from __future__ import annotations

from collections.abc import Callable, Iterable, Mapping
from typing import TYPE_CHECKING, Any, cast

if TYPE_CHECKING:
    from tracertm.kinds import RecordKind
    from tracertm.trace.diff import _Rec

Key = tuple[str, str]  # (kind, id)


def follow_renames(
    before: dict[Key, _Rec], after: Mapping[Key, _Rec], snaps: list[Any], parsed_after: Mapping[str, Any],
    forward: Callable[[], bool], deleted: Callable[[], Iterable[Key]],
) -> None:
    """Re-key in ``before`` the records of a renamed file that take their id from its name (an untagged feature, a
    contract without ``id``, its ``#2`` documents, a step file's ``file::function`` definitions) under the ids the new
    file gives them, so that the rename is a move — paired exactly as sync pairs them: the files by
    ``engine.moves.similar_moves`` (the same blob, or similar content), their records by ``engine.moves.pair_moves``
    (by position, or by function name). A record not paired keeps its id: it was deleted or created. An id a deleted
    record holds (``deleted()``, asked only when a pair is found) is never taken over: the rename is a deletion and
    that record's return, as sync records it.

    A scenario follows its feature when it is on both sides. One only ``before`` has went with its feature when the
    ``after`` commit descends from the ``before`` one (``forward()``: deleted on the way, as sync records it under the
    feature's new id); otherwise it was created after the ``after`` commit and never had that id."""
    import uuid

    from tracertm.engine.moves import named_candidates, pair_moves, similar_moves
    from tracertm.engine.plan import Current

    old_files, new_files = snaps[0].files, snaps[1].files
    removed = {p: (f.kind, f.blob_sha) for p, f in old_files.items() if p not in new_files}
    added = {p: (f.kind, f.blob_sha) for p, f in new_files.items() if p not in old_files}
    if not removed or not added:
        return
    # The records of ``before`` as sync's pairing sees the database's: the files' own records (scenarios follow
    # their feature), live, at their paths.
    current: dict[tuple[str, str], Current] = {
        key: Current(uuid.UUID(int=0), cast("RecordKind", key[0]), key[1], 0, rec.content_hash, rec.path, False)
        for key, rec in before.items() if key[0] != "scenario"
    }
    at_path: dict[str, list[str]] = {}
    for (_, number), cur in current.items():
        at_path.setdefault(cur.source_path or "", []).append(number)
    removed, added = named_candidates(removed, added, parsed_after, lambda p: at_path.get(p, ()))
    if not removed:
        return
    path_of = {blob: p for p, (_kind, blob) in removed.items()}

    def read_old(blobs: list[str]) -> dict[str, bytes]:
        contents = snaps[0].read([path_of[b] for b in blobs])
        return {b: contents[path_of[b]] for b in blobs if path_of[b] in contents}

    follows: bool | None = None  # whether scenarios only ``before`` has follow their feature (asked once)
    moves = similar_moves(removed, added, read_old, snaps[1].read)
    pairs = pair_moves(moves, parsed_after, current)
    if pairs:
        # Sync's pairing sees the deleted rows too (``pair_moves`` takes no id ``current`` holds): the files do not
        # tell which ids deleted records hold, the database's revisions do.
        gone = uuid.UUID(int=0)
        for kind, number in set(deleted()) - set(current):
            if kind != "scenario":
                current[(kind, number)] = Current(gone, cast("RecordKind", kind), number, 0, None, None, True)
        pairs = pair_moves(moves, parsed_after, current)
    for kind, old, new in pairs:
        record = before.pop((kind, old))
        before[(kind, new)] = record
        # Its scenarios: in its file, under its id (``x/u/s`` — not those of a feature ``x/u/w`` of another file).
        for key in [k for k, r in before.items() if kind == "feature" and k[0] == "scenario"
                    and k[1].startswith(old + "/") and r.path == record.path]:
            moved = ("scenario", new + key[1][len(old):])
            if moved not in after and follows is None:
                follows = forward()
            if moved in after or follows:
                before[moved] = before.pop(key)


def is_ancestor(location: Any, older: str, newer: str) -> bool:
    """Whether ``older`` is an ancestor of ``newer`` (or the same commit)."""
    from tracertm import git

    return git.run(location.top, "merge-base", older, newer, check=False).decode().strip() == older
