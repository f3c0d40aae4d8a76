"""The in-memory view of what the database holds for a project during a backfill.

Planning a commit needs the current rows of the records and files it touches. A backfill keeps them here, in step
with every plan it writes (``absorb``), instead of querying the database once per commit.
"""

from __future__ import annotations

import datetime as dt
import uuid
from collections.abc import Mapping
from dataclasses import dataclass, field, replace
from typing import TYPE_CHECKING, Any, cast

from tracertm import git
from tracertm.engine.plan import Current, FileRow, Plan, must_reparse
from tracertm.engine.scan import ScannedFile
from tracertm.parsers.records import RecordKind

if TYPE_CHECKING:
    from sqlalchemy.orm import Session

# Ids of the rows a commit's plan creates, by (kind, feature number or "", number); files by ("file", "", path).
NewIds = Mapping[tuple[str, str, str], uuid.UUID]


@dataclass
class HistoryState:
    """What the database holds for the project (as far as planning needs it), kept in step with every apply."""

    files: dict[str, FileRow] = field(default_factory=dict)
    current: dict[tuple[str, str], Current] = field(default_factory=dict)
    scenarios: dict[uuid.UUID, dict[str, Current]] = field(default_factory=dict)
    by_path: dict[str, set[tuple[str, str]]] = field(default_factory=dict)
    # ADR number → the date of its creating commit (None: a commit whose date git cannot give, which dates nothing)
    adr_created: dict[str, dt.date | None] = field(default_factory=dict)
    lost: set[str] = field(default_factory=set)  # files that lost an identity to another file (plan.must_reparse)
    # Files the last plan held (``Plan.held``), planned again at every commit until they are not: path → the file
    # as it was then (None: gone).
    held: dict[str, ScannedFile | None] = field(default_factory=dict)
    # Per record row this run wrote: the column values it holds now (``history.writer``). A later update then
    # sets only the columns that change, so the indexes and the search index of the others are left alone. Rows
    # this run has not written (resume, merge) are not here: their first update sets every column.
    written: dict[uuid.UUID, dict[str, Any]] = field(default_factory=dict)

    def absorb(self, the_plan: Plan, ids: NewIds) -> None:
        """Mirror what ``apply`` wrote for ``the_plan`` (``ids``: the rows it inserted)."""
        if the_plan.renumbered:
            self._renumber_scenarios(the_plan.renumbered)
        for op in the_plan.operations:
            cur = op.current
            parent: uuid.UUID | None = None
            if op.kind == "scenario":
                parent = cur.parent_id if cur is not None else (
                    op.parent_id or self.current[("feature", op.parent or "")].id
                )
            row_id = cur.id if cur is not None else ids[(op.kind, op.parent or "", op.number)]
            deleted = op.action == "deleted"
            content_hash: str | None
            if op.record is not None:  # hashed by this run's parse: the current scheme
                content_hash, fresh = op.record.content_hash, True
            else:
                content_hash, fresh = (cur.content_hash, cur.current_scheme) if cur else (None, False)
            path = (cur.source_path if cur is not None else op.path) if deleted else op.path
            new = Current(row_id, op.kind, op.number, op.version, content_hash, path, deleted, parent, fresh)
            if op.kind == "scenario":
                assert parent is not None
                self.scenarios.setdefault(parent, {})[op.number] = new
                continue
            key = (op.kind, op.number)
            if cur is not None and cur.source_path:
                self.by_path.get(cur.source_path, set()).discard(key)
            if path:
                self.by_path.setdefault(path, set()).add(key)
            self.current[key] = new
        for fop in the_plan.files:
            if fop.scanned is None:
                old = fop.existing
                assert old is not None
                row = FileRow(old.id, old.path, old.kind, old.blob_sha, fop.parse_error, True, old.size, old.mtime_ns)
            else:
                file_id = fop.existing.id if fop.existing is not None else ids[("file", "", fop.path)]
                row = FileRow(file_id, fop.path, fop.kind, fop.scanned.blob_sha, fop.parse_error, False,
                              fop.scanned.size or 0, fop.scanned.mtime_ns)
            self.files[fop.path] = row
            if must_reparse(row):
                self.lost.add(fop.path)
            else:
                self.lost.discard(fop.path)

    def _renumber_scenarios(self, renumbered: list[tuple[uuid.UUID, str]]) -> None:
        """Scenario rows renumbered in place (``Plan.renumbered``), kept under their new ids only: else the row
        stayed under its former id too, and the next commit's plan deleted it as a scenario its file no longer
        holds."""
        new_numbers = dict(renumbered)
        moved: list[tuple[dict[str, Current], Current]] = []
        for rows in self.scenarios.values():
            for number, cur in list(rows.items()):
                if cur.id in new_numbers:
                    del rows[number]
                    moved.append((rows, cur))
        for rows, cur in moved:
            rows[new_numbers[cur.id]] = replace(cur, number=new_numbers[cur.id])

    def renumber(self, kind: str, old: str, new: str) -> None:
        """A record whose identity follows its file name was moved (``engine.moves``): keep it under ``new``."""
        cur = replace(self.current.pop((kind, old)), number=new)
        self.current[(kind, new)] = cur
        if cur.source_path:
            keys = self.by_path.setdefault(cur.source_path, set())
            keys.discard((kind, old))
            keys.add((kind, new))
        if kind == "adr" and old in self.adr_created:
            self.adr_created[new] = self.adr_created.pop(old)

    def final(self, kind: str, parent: str, number: str) -> Current:
        """The current state of one record (``parent``: a scenario's feature number)."""
        if kind == "scenario":
            feature = self.current[("feature", parent)]
            return self.scenarios[feature.id][number]
        return self.current[(kind, number)]


def load_state(session: Session, project_id: uuid.UUID, reader: git.BlobReader) -> HistoryState:
    """The whole current state of a project, in a handful of queries (resume, merge)."""
    from sqlalchemy import select

    from tracertm.engine import state as db_state

    out = HistoryState(files=db_state.load_files(session, project_id))
    out.lost = {path for path, row in out.files.items() if must_reparse(row)}
    conn = session.connection()
    for kind, model in db_state.TOP_MODELS.items():
        t = model.__table__.c
        number = t[db_state.NUMBER_ATTR[kind]]
        for r in conn.execute(
            select(t.id, number.label("number"), t.version, t.content_hash, t.source_path, t.deleted_at).where(
                t.project_id == project_id
            )
        ):
            deleted = r.deleted_at is not None
            out.current[(kind, r.number)] = Current(
                r.id, cast(RecordKind, kind), r.number, r.version, r.content_hash, r.source_path, deleted
            )
            if r.source_path:
                out.by_path.setdefault(r.source_path, set()).add((kind, r.number))
    out.scenarios = db_state.load_scenarios(session, [c.id for (k, _), c in out.current.items() if k == "feature"])
    adrs = {c.id: number for (kind, number), c in out.current.items() if kind == "adr"}
    created = _creations(session, project_id, adrs)
    dates = git.commit_dates(reader, [sha for sha, _ in created.values() if sha])
    for number, (sha, when) in created.items():
        out.adr_created[number] = dates.get(sha or "", when.date() if when is not None else None)
    return out


# A creation: the commit that wrote it (None: a sync of the work tree) and its time (the commit's, else the sync's;
# None: a commit whose date git cannot give, as the replay leaves it).
_Creation = tuple[str | None, dt.datetime | None]


def _creations(session: Session, project_id: uuid.UUID, rows: Mapping[uuid.UUID, str]) -> dict[str, _Creation]:
    """The creation that dates each ADR row of ``rows`` (id → its number now), by that number: what the replay's
    ``adr_created`` holds for it, where a backfill from scratch would have come by then.

    The row's own first creation by a commit: the replay moves that date with the record when its file is renamed
    (``HistoryState.renumber``: ``use-x`` became ``use-y``), so the date is the row's, not its number's — keyed by
    the number the revision was written under, the renamed ADR had none and a later edit was dated by its commit.
    Else the first creation of its number by a commit (an id created twice: its file renamed, a new file under the
    old name synced from the work tree, which a history without that sync reads as the same record), else the work
    tree's, dated by that sync. Numbers no row has now (renamed away) are left out, as ``renumber`` pops them."""
    from sqlalchemy import select

    from tracertm.models import SpecRevision

    rev = SpecRevision.__table__.c
    by_row: dict[uuid.UUID, _Creation] = {}
    by_number: dict[str, _Creation] = {}
    first: dict[str, _Creation] = {}
    # Commit dates first (the date README promises: the commit that created the ADR); NULLs last explicitly (SQLite
    # sorts them first, PostgreSQL last), and ``seq``, ``id`` settle ties: one answer on both.
    for c in session.connection().execute(
        select(rev.entity_id, rev.number, rev.commit_sha, rev.committed_at, rev.created_at)
        .where(rev.project_id == project_id, rev.entity_type == "adr", rev.change == "created")
        .order_by(rev.committed_at.nulls_last(), rev.created_at, rev.seq.nulls_last(), rev.id)
    ):
        creation = (c.commit_sha, c.committed_at if c.commit_sha else c.created_at)
        first.setdefault(c.number, creation)
        if c.committed_at is not None:
            by_row.setdefault(c.entity_id, creation)
            by_number.setdefault(c.number, creation)
    out: dict[str, _Creation] = {}
    for row_id, number in rows.items():
        found = by_row.get(row_id) or by_number.get(number) or first.get(number)
        if found is not None:
            out[number] = found
    return out
