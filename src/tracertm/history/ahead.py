"""Moves a merge's history has not reached: a file renamed in the work tree (``git mv``) and synced before its commit.

A sync of that work tree that knew the old file pairs it with the new one (``engine.moves``) and moves its records
to the numbers the new name gives them. A sync that never saw the old file — the project's first — creates the
records under the new numbers instead, and the merge's simulated history, which ends at the commit that sync read,
has them under the old ones only: no number and no revision ties the two (``merge._rows_of``), and the graft would
write a second, live row of each old number that no later commit settles (its file is unknown to the database).
``unseen_moves`` pairs them as that sync would have, had it known the history: the files the history holds at its
end that the database never saw and that the next commit no longer has, with files the database holds that the
history does not, by the same rule (``similar_moves``, then ``pair_moves``).
"""

from __future__ import annotations

import uuid
from collections.abc import Callable, Collection, Mapping
from typing import Any, cast

from tracertm.engine.moves import document_order, pair_moves, similar_moves
from tracertm.errors import ParseError
from tracertm.history.state import HistoryState
from tracertm.kinds import FileKind, RecordKind
from tracertm.parsers.records import ParseResult, SpecRecord

Key = tuple[str, str, str]  # (kind, feature number, number), as ``merge._rows``
Reader = Callable[[list[str]], Mapping[str, bytes]]  # blob ids → the bytes of those git has


def unseen_moves(conn: Any, project_id: uuid.UUID, state: HistoryState, deleted_next: Collection[str] | None,
                 read: Reader | None, taken: Collection[uuid.UUID]) -> dict[Key, Key]:
    """The records of the simulated history (``state``, at its end) a work-tree sync moved to rows of other numbers
    before the history reached the move: record key → the key of its row (records of the top kinds only; their
    scenarios follow the feature).

    Only files the database never saw (no ``source_files`` row) that the commit after the history's end deletes
    (``deleted_next``, renames included; None when the history ends at the head): a file still there was not
    renamed by that commit, and the history goes on with it. Only rows not ``taken`` by records already found."""
    from sqlalchemy import select

    from tracertm.engine.apply import SOURCE_FILES

    gone = [p for p in deleted_next or () if p in state.files and not state.files[p].deleted]
    if not gone:  # (the next commit deletes no file: nothing to ask the database)
        return {}
    f = SOURCE_FILES.c
    db_files = {r.path: r for r in conn.execute(select(f.path, f.kind, f.blob_sha, f.deleted_at)
                                                 .where(f.project_id == project_id))}
    removed = {p: (state.files[p].kind, state.files[p].blob_sha) for p in gone if p not in db_files}
    if not removed:
        return {}
    added = {p: (r.kind, r.blob_sha) for p, r in db_files.items()
             if r.deleted_at is None and (p not in state.files or state.files[p].deleted)}
    rows = _live_rows(conn, project_id, added, taken)
    added = {p: k for p, k in added.items() if p in rows}
    if not added:
        return {}

    def read_new(paths: list[str]) -> dict[str, bytes]:
        blobs = read([added[p][1] for p in paths]) if read is not None else {}
        return {p: blobs[added[p][1]] for p in paths if added[p][1] in blobs}

    moves = similar_moves(removed, added, read, read_new)
    # The database's records of each new file as its parse would give them (only their numbers are read), in file
    # order: ``X``, ``X#2``, …
    parsed: dict[str, ParseResult | ParseError] = {
        new: ParseResult(new, cast(FileKind, added[new][0]), tuple(
            SpecRecord(cast(RecordKind, kind), number, {})
            for kind, number in sorted(rows[new], key=lambda r: document_order(r[1]))))
        for new in moves.values()}
    return {(kind, "", old): (kind, "", new) for kind, old, new in pair_moves(moves, parsed, state.current)}


def _live_rows(conn: Any, project_id: uuid.UUID, paths: Collection[str],
               taken: Collection[uuid.UUID]) -> dict[str, list[tuple[str, str]]]:
    """The live record rows (of the kinds a file holds) at ``paths`` that no record holds yet: path → [(kind,
    number)]. A file with a row taken is left out: it cannot be a renamed file of the history."""
    from sqlalchemy import select

    from tracertm.engine.state import NUMBER_ATTR, TOP_MODELS

    out: dict[str, list[tuple[str, str]]] = {}
    held: set[str] = set()
    if not paths:
        return out
    for kind, model in TOP_MODELS.items():
        t = model.__table__.c
        for r in conn.execute(select(t.id, t[NUMBER_ATTR[kind]], t.source_path).where(
                t.project_id == project_id, t.deleted_at.is_(None), t.source_path.in_(sorted(paths)))):
            if r[0] in taken:
                held.add(r[2])
            else:
                out.setdefault(r[2], []).append((kind, r[1]))
    return {p: records for p, records in out.items() if p not in held}


def moved_files(conn: Any, project_id: uuid.UUID, state: HistoryState, moved: Collection[Key]) -> None:
    """The file rows of the renamed files (of the ``moved`` records, ``unseen_moves``), deleted as the sync that
    moved their records would have deleted them, had it known them: with no commit (a file moved in the work tree
    keeps none).
    Without them the database would not know those files, which the commit after the history's end deletes."""
    import datetime as dt

    from sqlalchemy import insert

    from tracertm.engine.apply import SOURCE_FILES

    now = dt.datetime.now(dt.UTC)
    paths = {state.current[(kind, number)].source_path for kind, _, number in moved if kind != "scenario"}
    rows = [{"id": uuid.uuid4(), "project_id": project_id, "path": p, "kind": state.files[p].kind,
             "blob_sha": state.files[p].blob_sha, "size": state.files[p].size or 0,
             "mtime_ns": state.files[p].mtime_ns, "parse_error": state.files[p].parse_error, "last_commit": None,
             "deleted_at": now} for p in sorted(p for p in paths if p is not None)]
    if rows:
        conn.execute(insert(SOURCE_FILES), rows)
