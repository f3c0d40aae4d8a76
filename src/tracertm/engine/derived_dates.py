"""The date an ADR takes from git (README "ADR dates"), kept by the writes that rewrite its row from the same content.

An ADR whose file has no date gets the date of the commit that created it from the backfill
(``history.replay._with_dates``) and from a backfill's merge (``history.merge._fill_adr_dates``). Its content hash
stays the file's own, so the date belongs to no content: a sync, which knows no history, parses ``date = None``.
Where a sync rewrites such a row without a change of content (a refresh in place: another version of the parsers,
a new hash scheme, a presentation-only edit of the file; a move; a restore of the same content) it wrote that None
over the derived date, without a version or a revision to say so, and the next backfill saw nothing to merge.

The content is the row's own there, and a date written in the file is content (its hash differs: ``updated``, the
file's date wins), so a date on the row the file does not have is the derived one: the write keeps it, in the row
and in the snapshot of its revision (a move's, a restore's), as a backfill from scratch writes both.

A real edit of the content (``updated``; a move or a restore with other content) of a file without a date of its
own — also one whose edit removed its date — takes the date the history gives it (``from_history``): the creating
commit's, which an edit does not change, as the replay gives every later state of the ADR (``adr_created``). Not the
row's date, which may be the file's own from before the edit: the committer date of the commit of the ADR's one
``created`` revision, when a backfill recorded the history there, so that revision is the history's own. A sync of
the creating commit itself cannot know that it is (a first sync of older files, a commit no hook synced, a file
brought back), and a wrong date would stay: a backfill's merge dates only what has none. That is left undated, as
is every ADR the history does not tell (several creations, one from the work tree, a date git cannot read): the next
backfill dates them.
"""

from __future__ import annotations

import datetime as dt
from collections.abc import Mapping
from dataclasses import replace
from typing import TYPE_CHECKING, Any

from tracertm import git
from tracertm.parsers.records import SpecRecord
from tracertm.engine.plan import Operation, Plan

if TYPE_CHECKING:
    from tracertm.engine.scan import Snapshot

__all__ = ["from_history", "keep_derived_dates", "with_date"]


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


def from_history(project: Any, snapshot: Snapshot, the_plan: Plan) -> Plan:
    """``the_plan`` of a sync of ``snapshot`` (``project``: the row it writes, in the sync's session) with each ADR
    whose content it changes, in a file without a date, dated as the history dates it (see the module docs); the plan
    itself when there is none, or no project or repository."""
    from sqlalchemy.orm import object_session

    from tracertm.history.checkpoint import CHECKPOINT_KEY  # (the hook's path imports no history module)

    edited = [op for op in the_plan.operations if _edited_undated(op)]
    top = snapshot.location.top
    if not edited or project is None or top is None:
        return the_plan
    recorded = (project.metadata_ or {}).get(CHECKPOINT_KEY)
    last = recorded.get("last_commit") if isinstance(recorded, Mapping) else None
    tip = snapshot.commit if snapshot.source == "commit" else git.head_commit(top)
    if not isinstance(last, str) or tip is None:
        return the_plan  # (no backfill recorded the history: nothing tells where an ADR began)
    session = object_session(project)
    assert session is not None
    created = _creating_commits(session.connection(), [op.current.id for op in edited if op.current is not None])
    if not created:
        return the_plan
    chain = {sha: i for i, sha in enumerate(git.first_parent_chain(top, tip))}
    if last not in chain:
        return the_plan  # the history that backfill recorded is not this commit's (rewritten, another branch)
    # Only a creation the backfill recorded: at or before its last commit, on the chain of the commit synced.
    shas = {row_id: sha for row_id, sha in created.items() if chain.get(sha, len(chain)) <= chain[last]}
    with git.BlobReader(top) as reader:
        dates = git.commit_dates(reader, shas.values())  # the committer date, as the replay's ``commit.date``
    by_row = {row_id: dates[sha] for row_id, sha in shas.items() if sha in dates}
    if not by_row:
        return the_plan
    return replace(the_plan, operations=[_dated(op, by_row) if _edited_undated(op) else op
                                         for op in the_plan.operations])


def _edited_undated(op: Operation) -> bool:
    """Whether ``op`` writes another content into an ADR's existing row from a file without a date."""
    return (op.kind == "adr" and op.current is not None and op.record is not None and op.content_changed
            and op.action in ("updated", "moved", "restored") and op.record.fields.get("date") is None)


def _creating_commits(conn: Any, ids: list[Any]) -> dict[Any, str]:
    """Each ADR row of ``ids`` that has exactly one ``created`` revision, and that from a commit → that commit
    (several: not certain, as ``history.synced._undated_adrs``; none from a commit: the work tree's, dated by the next
    backfill). By the row: its revisions are its history, under whatever numbers (``HistoryState.renumber``)."""
    from sqlalchemy import select

    from tracertm.engine.apply import REVISIONS, iter_chunks

    rev = REVISIONS.c
    found: dict[Any, list[str | None]] = {}
    for chunk in iter_chunks(ids):
        for r in conn.execute(select(rev.entity_id, rev.commit_sha).where(
                rev.entity_type == "adr", rev.entity_id.in_(chunk), rev.change == "created")):
            found.setdefault(r.entity_id, []).append(r.commit_sha)
    return {row_id: shas[0] for row_id, shas in found.items() if len(shas) == 1 and shas[0] is not None}
