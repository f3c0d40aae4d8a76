"""The date an ADR takes from git (README "ADR dates"), kept by the writes that rewrite its row from the same content.

An ADR whose file has no date gets the date of the commit that created it from the backfill
(``history.replay._with_dates``) and from a backfill's merge (``history.merge._fill_adr_dates``). Its content hash
stays the file's own, so the date belongs to no content: a sync, which knows no history, parses ``date = None``.
Where a sync rewrites such a row without a change of content (a refresh in place: another version of the parsers,
a new hash scheme, a presentation-only edit of the file; a move; a restore of the same content) it wrote that None
over the derived date, without a version or a revision to say so, and the next backfill saw nothing to merge.

The content is the row's own there, and a date written in the file is content (its hash differs: ``updated``, the
file's date wins), so a date on the row the file does not have is the derived one: the write keeps it, in the row
and in the snapshot of its revision (a move's, a restore's), as a backfill from scratch writes both. A real edit of
the content is left as it was: a sync writes no date, and the next backfill dates it (the creating commit's date,
not the one the row had, which may be the file's own from before the edit).
"""

from __future__ import annotations

import datetime as dt
from collections.abc import Mapping
from dataclasses import replace
from typing import Any

from tracertm.parsers.records import SpecRecord
from tracertm.engine.plan import Operation

__all__ = ["keep_derived_dates", "with_date"]


def with_date(record: SpecRecord, date: dt.date | None) -> SpecRecord:
    """``record`` with ``date`` in its fields and the content hash of its file's own fields (without that date;
    None: a commit whose date git could not read, as the replay gives it)."""
    dated = replace(record, fields={**record.fields, "date": date})
    dated.__dict__["content_hash"] = record.content_hash  # the cached_property: the file's own hash
    return dated


def keep_derived_dates(conn: Any, ops: list[Operation]) -> list[Operation]:
    """``ops`` (one kind's operations of a plan) with each ADR rewritten from its row's content whose file has no
    date dated by its row's date, when the row has one (one query, for those ADRs only)."""
    undated = [op for op in ops if _same_undated(op)]
    if not undated:
        return ops
    dates = _row_dates(conn, [op.current.id for op in undated if op.current is not None])
    if not dates:
        return ops
    return [_dated(op, dates) if _same_undated(op) else op for op in ops]


def _same_undated(op: Operation) -> bool:
    """Whether ``op`` rewrites an ADR's existing row from the same content, parsed without a date."""
    return (op.kind == "adr" and op.current is not None and op.record is not None and not op.content_changed
            and op.action in ("refresh", "moved", "restored") and op.record.fields.get("date") is None)


def _dated(op: Operation, dates: Mapping[Any, dt.date]) -> Operation:
    assert op.current is not None and op.record is not None
    date = dates.get(op.current.id)
    return op if date is None else op._replace(record=with_date(op.record, date))


def _row_dates(conn: Any, ids: list[Any]) -> dict[Any, dt.date]:
    """The date of each ADR row of ``ids`` that has one."""
    from sqlalchemy import select

    from tracertm.engine.apply import TABLES, iter_chunks

    t = TABLES["adr"].c
    found: dict[Any, dt.date] = {}
    for chunk in iter_chunks(ids):
        found.update((r.id, r.date) for r in conn.execute(select(t.id, t.date).where(t.id.in_(chunk),
                                                                                      t.date.is_not(None))))
    return found
