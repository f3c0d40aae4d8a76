"""The merge into an already-synced project.

A project that already has records (synced before, without a valid checkpoint) keeps them: the history up to the
commit the database was synced from is replayed in memory only (``simulate``); records the database knows (by their
number, or by one they had: ``_rows_of``) keep their rows (ids, database-owned fields, content) and receive the
revisions of the history *before* their first recorded revision (skipping commits already recorded), their
``version`` growing by the number of content changes added.
Records only the history knows (deleted before the first sync) get rows in their final (usually soft-deleted) state
with their full history (``graft``). Revisions written before the backfill move behind the older history: their
versions grow by as much as it adds, the first of them takes the change the history shows at its state (and the
commit, people, dates and snapshot that made it), and links reviewed at them follow (``_before``), so that versions
stay 1..n with one revision per increment. The caller then applies the commits after the synced one normally and
finishes with an ordinary ``sync --ref`` that settles whatever the history cannot explain (a sync of a dirty work
tree).
A project an earlier backfill wrote from a history since rewritten (``orphaned``) keeps the revisions of the commits
no longer on the branch; the graft adds nothing before them (that backfill recorded the shared history), and the
caller starts at the fork, so the rewritten commits are applied after them (no graft when none is shared).
"""

from __future__ import annotations

import datetime as dt
import uuid
from collections.abc import Collection, Mapping
from dataclasses import dataclass, field
from typing import TYPE_CHECKING, Any

from tracertm import git
from tracertm.engine.plan import REVISION_ACTIONS, Operation, Plan
from tracertm.history.ahead import Key, Reader, moved_files, unseen_moves
from tracertm.history.state import HistoryState, NewIds
from tracertm.history.writer import KINDS, PLACEHOLDER, deletion_time

if TYPE_CHECKING:
    from sqlalchemy.orm import Session

# Revisions given their history's provenance and snapshot per statement (``_renumber``).
PROVENANCE_CHUNK = 2000


@dataclass
class Simulation:
    """History replayed in memory only: per virtual record, its revisions and final state. Use ``collect`` as the
    replay's sink."""

    keys: dict[uuid.UUID, tuple[str, str, str]] = field(default_factory=dict)  # (kind, feature number, number)
    revisions: dict[uuid.UUID, list[dict[str, Any]]] = field(default_factory=dict)
    last_op: dict[uuid.UUID, Operation] = field(default_factory=dict)  # the last operation carrying a record
    last_commit: dict[uuid.UUID, git.CommitInfo] = field(default_factory=dict)
    # The last commit that wrote the record's fields (a deletion writes none, nor a refresh of the same bytes: its
    # ``Operation.same_blob``): its row's ``source_commit``.
    last_written: dict[uuid.UUID, git.CommitInfo] = field(default_factory=dict)
    file_commit: dict[str, git.CommitInfo] = field(default_factory=dict)  # path → the last commit changing the file
    order: dict[str, int] = field(default_factory=dict)  # every replayed commit → its place in the replay
    # The first-parent history being backfilled (every commit, not only those replayed): a revision an earlier
    # backfill wrote for a commit outside it is one of a history since rewritten (``graft``). Empty: not known.
    chain: Mapping[str, int] = field(default_factory=dict)
    # The paths the commit after the last one replayed deletes (None: that one is the head), and a reader of the
    # blobs git has: to pair a rename synced before its commit (``history.ahead``).
    deleted_next: frozenset[str] | None = None
    read: Reader | None = None

    def collect(self, commit: git.HistoryCommit, the_plan: Plan, ids: NewIds) -> None:
        """Record what one commit's plan would write."""
        from tracertm.engine.apply import Provenance, build_revision

        provenance = Provenance(commit.info)
        for op in the_plan.operations:
            vid = op.current.id if op.current is not None else ids[(op.kind, op.parent or "", op.number)]
            self.keys[vid] = (op.kind, op.parent or "", op.number)
            self.last_commit[vid] = commit.info
            if op.action != "deleted" and not op.same_blob:
                self.last_written[vid] = commit.info
            if op.record is not None:
                self.last_op[vid] = op
            if op.action in REVISION_ACTIONS:
                rev = build_revision(op.kind, op, vid, PLACEHOLDER, PLACEHOLDER, provenance)
                self.revisions.setdefault(vid, []).append(rev)
        for fop in the_plan.files:
            if not fop.same_bytes:  # (a row rewritten for its findings keeps the commit that changed the file)
                self.file_commit[fop.path] = commit.info


def graft(session: Session, project_id: uuid.UUID, run_id: uuid.UUID, sim: Simulation,
          state: HistoryState) -> tuple[dict[str, dict[str, int]], int, list[Gap]]:
    """Write what the simulated history adds to the records the database already has (see the module docs);
    ``state`` is the replay's state at the end of the simulation. Returns the revisions written, by kind and
    change, how many commits an earlier backfill recorded that are not in ``sim.chain`` (``orphaned``), and the
    changes the graft leaves out (``unwritten``)."""
    from sqlalchemy import bindparam, insert, update

    from tracertm.engine.apply import TABLES, Provenance, build_row, execute_batch, execute_guarded, insert_revisions
    from tracertm.results.match_keys import key_columns

    conn = session.connection()
    rows = _rows(session, project_id)
    known = _revisions(session, project_id)
    keys = _final_keys(sim, state)
    split = _taken_over(keys, sim, rows, known)
    _drop(conn, known, split)
    orphans = orphaned(known, sim.chain)
    feature_ids = {k[2]: v[0] for k, v in rows.items() if k[0] == "feature"}
    inserts: dict[str, list[tuple[dict[str, Any], Operation]]] = {}
    bumps: dict[str, list[dict[str, Any]]] = {}
    renumbered: list[_Renumbered] = []  # (record, its first revision, shift, change, provenance)
    behind: list[Any] = []  # the database's own revisions of the records that get older history before them
    sources: dict[str, list[dict[str, Any]]] = {}  # rows holding the history's final state: its last commit
    out: list[dict[str, Any]] = []
    counts: dict[str, dict[str, int]] = {}
    gaps: set[Gap] = set()
    read = read_by_syncs(session, project_id)
    held = _rows_of(keys.values(), rows, known)
    moves = unseen_moves(conn, project_id, state, sim.deleted_next, sim.read, {i for i, _ in held.values()})
    ahead = _moved_rows(keys.values(), moves, rows, held)
    held |= ahead
    feature_ids |= {number: row_id for (kind, _, number), (row_id, _) in held.items() if kind == "feature"}
    spaced = _spaced_apart(rows)
    for vid in sorted(sim.revisions, key=lambda v: KINDS.index(keys[v][0])):
        kind, parent, number = keys[vid]
        history = sim.revisions[vid]
        found = held.get((kind, parent, number))
        if found is not None:
            row_id, version = found
            existing = known.get(row_id, [])
            if kind == "scenario":
                history = _after_predecessor(history, existing, spaced.get(row_id, ()), known, sim.order)
            theirs = _as_numbered(history, existing, number) if kind == "scenario" else history
            written, renumber = (_before(theirs, existing, sim.order, sim.chain, (kind, parent, number) in ahead,
                                         row_id in split) if not orphans else ([], None))
            if not orphans and (kind, parent, number) not in ahead:
                gaps.update(unwritten(theirs, existing, sim.order, sim.chain, read))
            if theirs is not history:  # written with the hashes of today's id
                back = {t["content_hash"]: h["content_hash"] for t, h in zip(theirs, history)}
                written = [w | {"content_hash": back[w["content_hash"]]} for w in written]
            if renumber is not None:
                renumbered.append((row_id, *renumber))
            if written:
                behind += [r for r in existing if r.trigger != "backfill"]
            # The record's version: its own revisions', moved, or the highest one grafted (a record the database
            # knows only from an earlier, interrupted backfill gets its later history here).
            top = max([version + (renumber[1] if renumber else 0), *(int(h["version"]) for h in written)])
            if top != version:
                bumps.setdefault(kind, []).append({"_id": row_id, "_old_version": version, "version": top})
            final = state.final(kind, parent, number)
            if not final.deleted and final.content_hash:
                sources.setdefault(kind, []).append({"_id": row_id, "_hash": final.content_hash, "_path":
                                                     final.source_path, "_commit": sim.last_written[vid].sha})
        else:
            row_id = uuid.uuid4()
            written = history
            final = state.final(kind, parent, number)
            op = sim.last_op[vid]
            row = build_row(kind, op, project_id, Provenance(), feature_ids)
            if kind == "scenario":  # ``op`` names the feature by its number then, which a move may have changed
                row["feature_id"] = feature_ids.get(parent, row["feature_id"])
            last = sim.last_commit[vid]
            row.update(id=row_id, version=final.version, deleted_at=deletion_time(last) if final.deleted else None,
                       source_commit=sim.last_written[vid].sha)
            if final.deleted:
                row["source_path"] = final.source_path
                row.update(key_columns(kind, row))  # the file key follows the path
            inserts.setdefault(kind, []).append((row, op))
            if kind == "feature":
                feature_ids[number] = row_id
        for h in written:
            out.append(h | {"id": uuid.uuid4(), "entity_id": row_id, "project_id": project_id, "sync_run_id": run_id})
            bucket = counts.setdefault(kind, {})
            bucket[h["change"]] = bucket.get(h["change"], 0) + 1
    for kind in KINDS:
        table = TABLES[kind]
        if inserts.get(kind):
            execute_batch(conn, insert(table), [r for r, _ in inserts[kind]], [op for _, op in inserts[kind]])
        if bumps.get(kind):
            guarded = update(table).where(table.c.id == bindparam("_id"),
                                          table.c.version == bindparam("_old_version"))
            execute_guarded(conn, guarded.values(version=bindparam("version")), bumps[kind], kind, backfill=True)
    _renumber(conn, renumbered)
    _provenance(conn, project_id, sources, sim, state)
    moved_files(conn, project_id, state, ahead)
    _fill_adr_dates(session, project_id, state, {new: state.adr_created[old] for (kind, _, old), (_, _, new)
                                                 in moves.items() if kind == "adr" and old in state.adr_created})
    if out:
        insert_revisions(conn, out)  # numbered in write order (SQLite), before ``_written_after`` numbers the rest
    _written_after(conn, behind)
    return counts, len(orphans), sorted(gaps, key=lambda gap: sim.order[gap[0]])


# A change of a record's history the graft did not write: (its commit, the next commit a revision of the record
# names after it, or None when none does).
Gap = tuple[str, "str | None"]
GAPS_KEY = "backfill_gaps"  # ``projects.project_metadata``: the gaps of every merge so far, as [commit, until] pairs


def sync_read(project_id: uuid.UUID) -> list[Any]:
    """The conditions of the project's ``sync_runs`` that read a commit and finished (a ``sync --ref``'s, a clean
    work tree's HEAD): at that commit the records' revisions hold their state, written then or found standing
    (``history.standing``)."""
    from tracertm.models import SyncRun

    return [SyncRun.project_id == project_id, SyncRun.trigger != "backfill", SyncRun.commit_sha.is_not(None),
            SyncRun.status.in_(("ok", "errors"))]


def read_by_syncs(session: Session, project_id: uuid.UUID) -> set[str]:
    """The commits the project's syncs read (``sync_read``)."""
    from sqlalchemy import select

    from tracertm.models import SyncRun

    return set(session.scalars(select(SyncRun.commit_sha).distinct().where(*sync_read(project_id))))


def unwritten(history: list[dict[str, Any]], existing: list[Any], order: dict[str, int],
              chain: Mapping[str, int], read: Collection[str]) -> list[Gap]:
    """The changes of a known record's ``history`` after the state its first revision of the database's own stands
    for (``_graft_point``) at commits no revision of the record names and no sync ``read``: a spec commit no sync
    read between two that syncs did (a hook skipped while the database was out of reach). The graft writes history
    before that revision only, so from such a commit until the next one a sync read, the record's revisions hold an
    older state than the files: ``show --at`` and ``diff`` do not answer from them there (``history.at``,
    ``trace.diff``)."""
    outside = [r for r in existing if r.trigger != "backfill"]
    if not outside:
        return []
    named = {c for r in existing if (c := r.commit_sha or getattr(r, "run_commit", None))} | set(read)
    places = sorted(order[c] for c in named if c in order)
    at_place = {i: c for c, i in order.items()}
    gaps: list[Gap] = []
    for h in history[_graft_point(history, existing, order, chain) + 1:]:
        commit = h["commit_sha"]
        if commit in named or commit not in order:
            continue
        until = next((p for p in places if p > order[commit]), None)
        gaps.append((commit, None if until is None else at_place[until]))
    return gaps


def in_gap(gaps: object, order: Mapping[str, int], place: int, since: int = -1) -> str | None:
    """The commit of a gap (``GAPS_KEY``'s pairs) whose span holds the commit at ``place`` of ``order`` (a
    first-parent chain's places, oldest first), after ``since`` (the place of the revision read); None when none
    does."""
    for gap in gaps if isinstance(gaps, list) else []:  # (the metadata is JSON anyone may have edited)
        commit, until = gap if isinstance(gap, list) and len(gap) == 2 else (None, None)
        if not isinstance(commit, str) or commit not in order or not since < order[commit] <= place:
            continue
        if not isinstance(until, str) or until not in order or order[until] > place:
            return commit
    return None


def _final_keys(sim: Simulation, state: HistoryState) -> dict[uuid.UUID, tuple[str, str, str]]:
    """``sim.keys`` with each scenario under the number its feature ends with: a key names the feature as it was
    numbered at the scenario's last operation, and a feature whose number follows its file name may have been
    renamed since (``engine.moves``) while that scenario, deleted before, changed no more."""
    features = {cur.id: number for (kind, number), cur in state.current.items() if kind == "feature"}
    keys = dict(sim.keys)
    for feature_id, scenarios in state.scenarios.items():
        for number, cur in scenarios.items():
            if cur.id in keys and feature_id in features:
                keys[cur.id] = ("scenario", features[feature_id], number)
    return keys


def _rows_of(keys: Collection[tuple[str, str, str]], rows: Mapping[tuple[str, str, str], tuple[uuid.UUID, int]],
             known: Mapping[uuid.UUID, list[Any]]) -> dict[tuple[str, str, str], tuple[uuid.UUID, int]]:
    """The database's row of each simulated record's final key (``_final_keys``): the row with that number, else
    the row that had it last (``_former_numbers``). A sync of a work tree where a file was renamed before the commit
    (``git mv``) moved the record to the new number, which the simulated history, ending before that commit, does not
    know yet: matched by its current number only, the record would get a second, live row of its old number, which
    its file (deleted already) never settles. A scenario's key names its feature by the feature's number in the
    history, so the feature's row is found first and the scenario looked up under that row's number."""
    former = _former_numbers(rows, known)
    now = {row_id: key[2] for key, (row_id, _) in rows.items() if key[0] == "feature"}
    features = {number: now[former[("feature", "", number)][1]] for kind, _, number in keys
                if kind == "feature" and ("feature", "", number) not in rows and ("feature", "", number) in former}
    direct: dict[tuple[str, str, str], tuple[uuid.UUID, int]] = {}
    renamed: dict[uuid.UUID, tuple[int, tuple[str, str, str]]] = {}  # row → (seq, the key it had last)
    earlier: dict[tuple[str, str, str], tuple[uuid.UUID, int]] | None = None
    for kind, parent, number in keys:
        row_key = (kind, features.get(parent, parent) if kind == "scenario" else parent, number)
        if row_key in rows:
            direct[(kind, parent, number)] = rows[row_key]
            continue
        if kind == "scenario":
            if earlier is None:
                earlier = _earlier_scenario_rows(rows)
            if row_key in earlier:  # the same scenario: the sync after the merge renumbers its row in place
                direct[(kind, parent, number)] = earlier[row_key]
                continue
        if row_key in former:
            seq, row_id = former[row_key]
            if row_id not in renamed or seq > renamed[row_id][0]:
                renamed[row_id] = (seq, (kind, parent, number))
    # One record per row: a row a record of the history names by its current number is that record's, whatever
    # other record ends with one of its former numbers; of several such records, the one it had the number of last.
    taken = {row_id for row_id, _ in direct.values()}
    versions = {row_id: version for row_id, version in rows.values()}
    return direct | {key: (row_id, versions[row_id]) for row_id, (_, key) in renamed.items() if row_id not in taken}


def _taken_over(keys: Mapping[uuid.UUID, Key], sim: Simulation, rows: Mapping[Key, tuple[uuid.UUID, int]],
                known: Mapping[uuid.UUID, list[Any]]) -> dict[uuid.UUID, list[Any]]:
    """The rows a sync moved onto the name of a record deleted before it (``a.feature`` renamed to ``c.feature``
    after ``c.feature`` was removed), which the history, knowing ``c``, restores instead while it deletes ``a``
    (``engine.moves``): syncs that never saw ``c`` (a first one after its deletion) wrote ``a`` moved to ``c``.
    The row is the history's ``c`` (the record its current number names); its own revisions before the move are
    ``a``'s, states the history has too (``a`` gets its row with its whole history, as one only the history knows).
    Each such row, and each of its scenarios', → those earlier revisions (``_drop``); the revisions kept then begin
    where the history's ``c`` is at the move's commit (``_before``'s ``split``)."""
    histories = {key: sim.revisions.get(vid, []) for vid, key in keys.items()}
    out: dict[uuid.UUID, list[Any]] = {}
    moved_at: dict[str, int] = {}  # feature number → the seq of the move onto it
    for (kind, _, number), (row_id, _) in rows.items():
        own = sorted((r for r in known.get(row_id, []) if r.trigger != "backfill"), key=lambda r: r.seq)
        move = next((r for r in reversed(own) if r.change == "moved" and r.number == number), None)
        earlier = [r for r in own if move is not None and r.seq < move.seq]
        if kind == "scenario" or not earlier or earlier[-1].number == number:
            continue
        old = earlier[-1].number
        theirs = histories.get((kind, "", number))
        if move is not None and theirs and (kind, "", old) in histories and all(h["number"] != old for h in theirs):
            out[row_id] = earlier
            if kind == "feature":
                moved_at[number] = move.seq
    for (kind, parent, _), (row_id, _) in rows.items():
        if kind == "scenario" and parent in moved_at:  # (a sync writes a feature's revisions before its scenarios')
            earlier = [r for r in known.get(row_id, []) if r.trigger != "backfill" and r.seq < moved_at[parent]]
            if earlier:
                out[row_id] = earlier
    return out


def _drop(conn: Any, known: dict[uuid.UUID, list[Any]], split: Mapping[uuid.UUID, list[Any]]) -> None:
    """Delete the revisions ``_taken_over`` found (from the database and from ``known``): a sync's record of states
    of another record, which its history, grafted whole, holds under the commits that made them."""
    from sqlalchemy import delete

    from tracertm.engine.apply import REVISIONS

    gone = {r.id for revisions in split.values() for r in revisions}
    if not gone:
        return
    for row_id in split:
        known[row_id] = [r for r in known[row_id] if r.id not in gone]
    conn.execute(delete(REVISIONS).where(REVISIONS.c.id.in_(list(gone))))


def _earlier_scenario_rows(rows: Mapping[Key, tuple[uuid.UUID, int]]) -> dict[Key, tuple[uuid.UUID, int]]:
    """The scenario rows whose id an earlier tracertm made of the name as written (``add  an item``), by the key of
    the id the name makes now (``add an item``, as ``engine.plan`` pairs them): not another row's key."""
    out: dict[Key, tuple[uuid.UUID, int]] = {}
    for (kind, parent, number), row in rows.items():
        now = " ".join(number.split())
        if kind == "scenario" and now != number and (kind, parent, now) not in rows:
            out.setdefault((kind, parent, now), row)
    return out


def _spaced_apart(rows: Mapping[Key, tuple[uuid.UUID, int]]) -> dict[uuid.UUID, list[uuid.UUID]]:
    """Each scenario row → the other rows of its feature whose ids name the same scenario today, made by an
    earlier tracertm of the name as written (``add  an item`` beside ``add an item``): a title re-spaced under the
    earlier rule deleted one of them and created the other."""
    alike: dict[Key, list[uuid.UUID]] = {}
    for (kind, parent, number), (row_id, _) in rows.items():
        if kind == "scenario":
            alike.setdefault((kind, parent, " ".join(number.split())), []).append(row_id)
    return {row_id: [other for other in group if other != row_id]
            for group in alike.values() if len(group) > 1 for row_id in group}


def _after_predecessor(history: list[dict[str, Any]], existing: list[Any], others: Collection[uuid.UUID],
                       known: Mapping[uuid.UUID, list[Any]], order: Mapping[str, int]) -> list[dict[str, Any]]:
    """A scenario's simulated ``history`` without the states another row of it (``others``: ``_spaced_apart``)
    recorded before the row's own first revision: where today's id sees one scenario, the earlier rule saw the
    re-spaced title delete one and create another, and up to that commit the deleted row holds the history. Given
    to the live row too, its creation went back to where the deleted one was live: twice there (``show --at``)."""
    def place(r: Any) -> int | None:  # of the commit a revision is dated by (a work-tree sync's: its clean HEAD)
        return order.get(r.commit_sha or getattr(r, "run_commit", None) or "")

    outside = [r for r in existing if r.trigger != "backfill"]
    start = place(_first_own(outside)) if outside and others else None
    places = [[p for r in known.get(other, []) if (p := place(r)) is not None] for other in others]
    ends = [max(of_one) for of_one in places if of_one]
    before = [end for end in ends if start is not None and end <= start]
    return [h for h in history if order.get(h["commit_sha"], len(order)) >= max(before)] if before else history


def _moved_rows(keys: Collection[Key], moves: Mapping[Key, Key], rows: Mapping[Key, tuple[uuid.UUID, int]],
                held: Mapping[Key, tuple[uuid.UUID, int]]) -> dict[Key, tuple[uuid.UUID, int]]:
    """The rows of the records a work-tree sync moved before the history reached the move (``history.ahead``),
    of the keys not ``held`` already: a top record's by its move, a scenario's under its moved feature's row."""
    taken = {row_id for row_id, _ in held.values()}
    features = {old: new for (kind, _, old), (_, _, new) in moves.items() if kind == "feature"}
    out: dict[Key, tuple[uuid.UUID, int]] = {}
    for key in keys:
        kind, parent, number = key
        row_key = ("scenario", features[parent], number) if kind == "scenario" and parent in features \
            else moves.get(key)
        row = rows.get(row_key) if row_key is not None else None
        if key not in held and row is not None and row[0] not in taken:
            out[key] = row
            taken.add(row[0])
    return out


def _former_numbers(rows: Mapping[tuple[str, str, str], tuple[uuid.UUID, int]],
                    known: Mapping[uuid.UUID, list[Any]]) -> dict[tuple[str, str, str], tuple[int, uuid.UUID]]:
    """The numbers the rows had before their current one (their revisions' numbers: a ``moved`` revision renames),
    each as a key of ``rows`` (a scenario under its feature's current number) → the latest revision written under it
    (``seq``) and its row: the row that had it last. Numbers a row has now are left out."""
    by_id = {row_id: key for key, (row_id, _) in rows.items()}
    last: dict[tuple[str, str, str], tuple[int, uuid.UUID]] = {}
    for row_id, revisions in known.items():
        if row_id not in by_id:
            continue
        kind, parent, _ = by_id[row_id]
        for r in revisions:
            key = (kind, parent, r.number)
            if key not in rows and (key not in last or r.seq > last[key][0]):
                last[key] = (r.seq, row_id)
    return last


def orphaned(known: Mapping[uuid.UUID, list[Any]], chain: Mapping[str, int]) -> set[str]:
    """The commits an earlier backfill recorded that are not in ``chain``: the history it replayed was rewritten
    since (an amend, a rebase, a reset and new commits) or was another branch's.

    Their revisions stay (the trail is what the database observed, and a record's ``version`` counts them), so the
    simulated history cannot go *before* them the way ``_before`` puts it: numbered from 1, its commits after the
    fork would take the versions of the revisions they replaced. Nor does it need to: that backfill recorded the
    history up to the fork already. So with any such commit the graft writes nothing for the records the database
    knows; what the branch changed after the fork is applied as commits against the database's state (the
    backfill starts at the fork: ``_Backfill.fork``), numbered after the revisions kept, or settled by the final
    ``sync --ref``."""
    if not chain:
        return set()
    return {r.commit_sha for revs in known.values() for r in revs
            if r.trigger == "backfill" and r.commit_sha and r.commit_sha not in chain}


def _as_numbered(history: list[dict[str, Any]], existing: list[Any], number: str) -> list[dict[str, Any]]:
    """A scenario's simulated ``history`` with each state's content hash as the database's own revisions of its row
    hash it, when an earlier tracertm numbered it by the name as written (``add  an item``; the hash covers the
    id): else the merge found none of the history's contents among them — a state a work-tree sync recorded was
    grafted before it a second time, a new version (``_before``). ``history`` itself otherwise."""
    from tracertm.parsers.common import content_hash

    outside = [r for r in existing if r.trigger != "backfill"]
    former = _first_own(outside).number if outside else None
    if former is None or former == number or " ".join(former.split()) != number:
        return history

    def hashed(h: dict[str, Any]) -> str:
        fields = {k: v for k, v in (h.get("snapshot") or {}).items() if k != "feature_number"}
        return content_hash("scenario", {**fields, "scenario_number": former})

    return [h | {"content_hash": hashed(h)} if h["change"] != "deleted" else h for h in history]


def _rows(session: Session, project_id: uuid.UUID) -> dict[tuple[str, str, str], tuple[uuid.UUID, int]]:
    """Every record row of the project: (kind, feature number, number) → (id, version)."""
    from sqlalchemy import select

    from tracertm.engine.state import NUMBER_ATTR, TOP_MODELS
    from tracertm.models import Feature, Scenario

    conn = session.connection()
    rows: dict[tuple[str, str, str], tuple[uuid.UUID, int]] = {}
    for kind, model in TOP_MODELS.items():
        t = model.__table__.c
        for r in conn.execute(select(t.id, t[NUMBER_ATTR[kind]], t.version).where(t.project_id == project_id)):
            rows[(kind, "", r[1])] = (r[0], r[2])
    s, f = Scenario.__table__.c, Feature.__table__.c
    for r in conn.execute(
        select(s.id, f.feature_number, s.scenario_number, s.version)
        .select_from(Scenario.__table__.join(Feature.__table__))
        .where(f.project_id == project_id)
    ):
        rows[("scenario", r[1], r[2])] = (r[0], r[3])
    return rows


def _revisions(session: Session, project_id: uuid.UUID) -> dict[uuid.UUID, list[Any]]:
    """The revisions the database has, per record, with the trigger and commit of the run that wrote them (a
    work-tree sync's run names HEAD when the synced files were exactly HEAD's: ``sync._clean_head``)."""
    from sqlalchemy import outerjoin, select

    from tracertm.models import SpecRevision, SyncRun

    rev, runs = SpecRevision.__table__.c, SyncRun.__table__.c
    known: dict[uuid.UUID, list[Any]] = {}
    for r in session.connection().execute(
        select(rev.id, rev.entity_id, rev.number, rev.commit_sha, rev.content_hash, rev.source_path, rev.version,
               rev.change, rev.seq, runs.trigger, runs.commit_sha.label("run_commit"))
        .select_from(outerjoin(SpecRevision.__table__, SyncRun.__table__, rev.sync_run_id == runs.id))
        .where(rev.project_id == project_id)
    ):
        known.setdefault(r.entity_id, []).append(r)
    return known


def _provenance(conn: Any, project_id: uuid.UUID, sources: Mapping[str, list[dict[str, Any]]], sim: Simulation,
                state: HistoryState) -> None:
    """The commit that made the state, as a backfill from scratch records it: ``source_commit`` of each row that
    holds the history's final state (its content, at its path, live), ``source_files.last_commit`` of each file
    the history left as the database has it (the last commit that changed the file: ``FileOp.same_bytes``), and the
    file rows of the files the history deleted, which the database never saw. A sync of the work tree recorded no
    commit; a ``sync --ref`` the later commit it read. A row or file in another state (synced from uncommitted files)
    keeps its own, and a live file the database lacks gets no row (it would hide the file from the final
    ``sync --ref``, which settles both)."""
    from sqlalchemy import bindparam, insert, select, update

    from tracertm.engine.apply import SOURCE_FILES, TABLES

    for kind, params in sources.items():
        t = TABLES[kind].c
        conn.execute(update(TABLES[kind]).where(
            t.id == bindparam("_id"), t.content_hash == bindparam("_hash"), t.source_path == bindparam("_path"),
            t.deleted_at.is_(None)).values(source_commit=bindparam("_commit")), params)
    f = SOURCE_FILES.c
    known = set(conn.execute(select(f.path).where(f.project_id == project_id)).scalars())
    updates: dict[bool, list[dict[str, Any]]] = {False: [], True: []}
    inserts: list[dict[str, Any]] = []
    for path, row in state.files.items():
        info = sim.file_commit.get(path)
        if info is None:
            continue
        if path in known:
            updates[row.deleted].append({"_path": path, "_blob": row.blob_sha, "_commit": info.sha})
        elif row.deleted:
            inserts.append({"id": uuid.uuid4(), "project_id": project_id, "path": path, "kind": row.kind,
                            "blob_sha": row.blob_sha, "size": row.size or 0, "mtime_ns": row.mtime_ns,
                            "parse_error": row.parse_error, "last_commit": info.sha,
                            "deleted_at": deletion_time(info)})
    for deleted, params in updates.items():
        if params:
            conn.execute(update(SOURCE_FILES).where(
                f.project_id == project_id, f.path == bindparam("_path"), f.blob_sha == bindparam("_blob"),
                f.deleted_at.is_not(None) if deleted else f.deleted_at.is_(None),
            ).values(last_commit=bindparam("_commit")), params)
    if inserts:
        conn.execute(insert(SOURCE_FILES), inserts)


def _fill_adr_dates(session: Session, project_id: uuid.UUID, state: HistoryState,
                    moved: Mapping[str, dt.date | None]) -> None:
    """ADR rows without a date get the date of the commit that created them (a pre-synced project), and so do the
    snapshots of the revisions a sync wrote of an ADR without a date (``fill_snapshot_dates``); ``moved``: the
    dates of ADRs a sync moved before the history did (``history.ahead``), by their row's number."""
    from sqlalchemy import bindparam, update

    from tracertm.engine.apply import TABLES

    # A creating commit whose date git cannot give dates nothing (None), as the replay leaves it.
    dates = {n: d for n, d in {**state.adr_created, **moved}.items() if d is not None}
    if not dates:
        return
    table = TABLES["adr"]
    params = [{"_number": n, "_date": d} for n, d in dates.items()]
    session.connection().execute(
        update(table)
        .where(table.c.project_id == project_id, table.c.adr_number == bindparam("_number"), table.c.date.is_(None))
        .values(date=bindparam("_date")),
        params,
    )
    fill_snapshot_dates(session.connection(), project_id, dates)


def undated_snapshots(conn: Any, project_id: uuid.UUID, numbers: Collection[str] | None = None) -> list[Any]:
    """The ADR revisions of a file without a date: those of a content change (every field of the ADR) whose
    snapshot has no date (``numbers``: of those ADRs only): (id, number, snapshot).

    Only content changes: an ``annotated`` revision holds just the fields a database-side edit changed (and is
    never updated), and a deletion holds none — a backfill from scratch dates neither (``replay._with_dates`` dates
    parsed records)."""
    from sqlalchemy import select, text

    from tracertm.engine.apply import REVISIONS
    from tracertm.models.sync import CONTENT_CHANGES

    rev = REVISIONS.c
    query = select(rev.id, rev.number, rev.snapshot).where(rev.project_id == project_id, rev.entity_type == "adr",
                                                           text(CONTENT_CHANGES))
    if numbers is not None:
        query = query.where(rev.number.in_(list(numbers)))
    return [r for r in conn.execute(query) if isinstance(r.snapshot, dict) and r.snapshot.get("date") is None]


def fill_snapshot_dates(conn: Any, project_id: uuid.UUID, dates: Mapping[str, dt.date]) -> None:
    """The revisions a sync wrote of an ADR without a date in its file hold none in their snapshot; a backfill from
    scratch gives each the date of the commit that created the ADR (``replay._with_dates``), as the merge gives
    the row: so do theirs."""
    from sqlalchemy import bindparam, update

    from tracertm.engine.apply import REVISIONS

    if not dates:
        return
    params = [{"_id": r.id, "_snapshot": {**r.snapshot, "date": dates[r.number].isoformat()}}
              for r in undated_snapshots(conn, project_id, dates) if r.number in dates]
    if params:
        conn.execute(update(REVISIONS).where(REVISIONS.c.id == bindparam("_id"))
                     .values(snapshot=bindparam("_snapshot")), params)


# The fields of a revision that say which commit made its state, who and when (``_before`` adds its snapshot).
PROVENANCE = ("commit_sha", "author_name", "author_email", "authored_at", "committer_name", "committer_email",
              "committed_at")
_Renumber = tuple[Any, int, str, "dict[str, Any] | None"]  # see ``_before``
_Renumbered = tuple[uuid.UUID, Any, int, str, "dict[str, Any] | None"]  # the record's id, then as ``_Renumber``


def _before(history: list[dict[str, Any]], existing: list[Any], order: dict[str, int],
            chain: Mapping[str, int] | None = None, moved: bool = False, split: bool = False
            ) -> tuple[list[dict[str, Any]], _Renumber | None]:
    """What of a known record's simulated ``history`` goes before the revisions the database has of it: the
    revisions to write (numbered to follow each other), and how the database's own revisions move behind them
    (``(the first of them, by how much their versions grow, the change it stands for, the commit, people and dates
    of that state when the first one holds its content under another commit or none)``, or None).

    The database's first revision of its own (not a backfill's) stands for the history's state at the graft point
    (``_graft_point``: the same commit or content); what comes before it is written, except commits the database
    already recorded. Those recorded by an earlier backfill keep their numbers (the same history numbered them);
    those the database recorded itself (a ``sync --ref`` of an older commit after a newer one) give their increment
    back, so that the numbers have no gap. The first revision of its own takes the version and change of the state
    it stands for (a sync's "created" of a record the history created earlier becomes the history's "updated" or
    "moved" there; with no such state, a change after the history's last one), and every later one, and the record,
    grow by as much. So the versions stay 1..n with one revision per increment (an unchanged move shares its
    version, as in any sync).

    A record the database has only from a sync that moved it before the history did (``moved``: its row has
    another number, ``history.ahead``) has all of its history before that sync's first revision, which stands for
    the move after it (that sync could not know it moved: it wrote the record as created). One whose revisions
    before a move onto its number were another record's (``split``: ``_taken_over``) takes the history's change
    there (``restored``, a scenario's ``created``), not the ``moved`` the sync wrote."""
    outside = [r for r in existing if r.trigger != "backfill"]
    cut = len(history) if moved else _graft_point(history, existing, order, chain or {})
    by_backfill = {r.commit_sha for r in existing if r.commit_sha and r.trigger == "backfill"}
    # A revision of a work-tree sync whose run names a clean HEAD holds that commit's state: the commit is
    # recorded as much as one a ``sync --ref`` named (else its change went before the first revision a second time,
    # also when that revision came from uncommitted files older than the commit).
    by_itself = {r.commit_sha or getattr(r, "run_commit", None) for r in outside} - {None}
    written: list[dict[str, Any]] = []
    version = previous = 0
    for h in history[:cut]:
        step, previous = int(h["version"]) - previous, int(h["version"])
        if h["commit_sha"] in by_itself:
            continue
        before, version = version, max(version + step, 1)  # a first state kept after the one it moved from: 1
        if h["commit_sha"] not in by_backfill:
            first = not written and before == 0  # nothing before it in the trail: where the record begins
            written.append(h | {"version": version, "change": "created"} if first else h | {"version": version})
    if not outside:
        return written, None
    first_own = _first_own(outside)
    if cut < len(history):
        stands = history[cut]
        version += int(stands["version"]) - previous
        change = stands["change"]
    elif moved:  # the move of an unchanged record shares its version (``engine.moves``)
        version += int(history[-1]["content_hash"] != first_own.content_hash)
        change = "moved"
    else:
        version += 1
        change = "restored" if history and history[-1]["change"] == "deleted" else "updated"
    shift = version - first_own.version
    # The state it stands for was made by a commit the sync did not know (a work tree's sync records none; a sync
    # of a later ref names that ref): the same content, so the same commit, people and dates, as a backfill from
    # scratch would give it — else ``history`` lost that commit and ``show --at`` it answered the state before —
    # and that commit's snapshot: the same content, but its positions (lines) and an undated ADR's date (the
    # creating commit's, which the sync did not know), else ``show --at`` that commit answered the lines of the
    # synced files.
    # Only a commit whose tree holds that content at that path (the content hash leaves the path out: a file moved
    # in the work tree holds the same content elsewhere), and one no other revision of the record names (a
    # ``sync --ref`` of it recorded it already: each commit at most once per record).
    stands_for = history[cut] if cut < len(history) else None
    recorded = {r.commit_sha or getattr(r, "run_commit", None) for r in outside if r is not first_own}
    provenance = ({f: stands_for[f] for f in (*PROVENANCE, "snapshot")} if stands_for is not None
                  and stands_for["content_hash"] == first_own.content_hash
                  and stands_for["source_path"] == first_own.source_path
                  and stands_for["commit_sha"] != first_own.commit_sha
                  and stands_for["commit_sha"] not in recorded else None)
    if split:
        return written, (first_own, shift, change, provenance)
    if shift < 0 or (shift == 0 and provenance is None and not (written and first_own.change == "created")):
        return written, None  # already behind the history (a merge ran before), or nothing older to put before it
    return written, (first_own, shift, change if first_own.change == "created" else first_own.change, provenance)


def _renumber(conn: Any, renumbered: list[_Renumbered]) -> None:
    """Move the database's own revisions of each record behind its grafted history (``_before``), and the
    links to that record with them (and parked reviews of links to it): a link reviewed at the version the sync
    wrote stays reviewed at that same state, now numbered higher (else the merge alone would make every link to an
    older record suspect). The first of them takes the change, and the commit, people, dates and snapshot, of the
    state it stands for."""
    from sqlalchemy import bindparam, update

    from tracertm.engine.apply import REVISIONS, iter_chunks
    from tracertm.engine.links import LINKS
    from tracertm.engine.parked import PARKED

    rev, link, parked = REVISIONS.c, LINKS.c, PARKED.c
    params = [{"_entity": row_id, "_from": first.version, "_shift": shift}
              for row_id, first, shift, _, _ in renumbered if shift]
    if params:
        conn.execute(update(REVISIONS).where(rev.entity_id == bindparam("_entity"), rev.version >= bindparam("_from"))
                     .values(version=rev.version + bindparam("_shift")), params)
        for column in (link.reviewed_version, link.target_version):
            conn.execute(update(LINKS).where(link.target_id == bindparam("_entity"), column >= bindparam("_from"))
                         .values({column.name: column + bindparam("_shift")}), params)
        # (The reviews of a deleted record's links wait for it: ``engine.parked``.)
        conn.execute(update(PARKED).where(parked.target_id == bindparam("_entity"),
                                          parked.reviewed_version >= bindparam("_from"))
                     .values(reviewed_version=parked.reviewed_version + bindparam("_shift")), params)
    if renumbered:
        conn.execute(update(REVISIONS).where(rev.id == bindparam("_first")).values(change=bindparam("_change")),
                     [{"_first": first.id, "_change": change} for _, first, _, change, _ in renumbered])
    given_to = [(first.id, given) for _, first, _, _, given in renumbered if given is not None]
    if given_to:
        statement = update(REVISIONS).where(rev.id == bindparam("_first")).values(
            {k: bindparam(f"_{k}") for k in (*PROVENANCE, "snapshot")})
        # In chunks: each row carries a snapshot, which the driver's parameters hold encoded as JSON; all at once,
        # a first commit of 26,000 records merged onto a sync's rows peaked 55-60 MB higher (464 → 401-411 MB).
        for chunk in iter_chunks(given_to, PROVENANCE_CHUNK):
            conn.execute(statement, [{"_first": first, **{f"_{k}": v for k, v in given.items()}}
                                     for first, given in chunk])


def _written_after(conn: Any, revisions: list[Any]) -> None:
    """Give the database's own ``revisions`` of the records the graft wrote older history for the next numbers of
    the write order (``spec_revisions.seq``), keeping their order: the history orders the moves of one version as
    written, and the moves grafted into the version of a sync's revision, written now, came before it (as
    ``_renumber`` puts their versions behind). PostgreSQL: numbers drawn from the column's sequence, as another
    writer's would be. SQLite: the table's next rowids, moved with them, since a new row takes the largest rowid
    plus one, which the writers take as its number (``engine.apply.write_order_from``)."""
    from sqlalchemy import bindparam, text, update

    from tracertm.engine.apply import REVISIONS
    from tracertm.models.sync import WRITE_ORDER_SEQUENCE
    from tracertm.models.types import GUID

    if not revisions:
        return
    ids = [r.id for r in sorted(revisions, key=lambda r: r.seq)]
    if conn.dialect.name == "postgresql":
        numbers = sorted(conn.execute(text(f"SELECT nextval('{WRITE_ORDER_SEQUENCE}') FROM generate_series(1, :n)"),
                                      {"n": len(ids)}).scalars())
        conn.execute(update(REVISIONS).where(REVISIONS.c.id == bindparam("_id")).values(seq=bindparam("_seq")),
                     [{"_id": i, "_seq": n} for i, n in zip(ids, numbers, strict=True)])
        return
    top = conn.execute(text("SELECT coalesce(max(rowid), 0) FROM spec_revisions")).scalar_one()
    conn.execute(text("UPDATE spec_revisions SET rowid = :seq, seq = :seq WHERE id = :id")
                 .bindparams(bindparam("id", type_=GUID)),
                 [{"id": i, "seq": top + n} for n, i in enumerate(ids, 1)])


def _first_own(outside: list[Any]) -> Any:
    """The database's first revision of its own of a record: the lowest version, the one written first in it
    (``seq``; ``created_at`` ties between the revisions of one transaction, and PostgreSQL's is when it began)."""
    return min(outside, key=lambda r: (r.version, r.seq))


def _graft_point(history: list[dict[str, Any]], existing: list[Any], order: dict[str, int],
                 chain: Mapping[str, int]) -> int:
    """How much of a record's history comes before what the database already recorded of it.

    The database's knowledge starts with its earliest revision not written by a backfill: at its commit when the
    history has one there; a work-tree sync's revision (no commit of its own) whose run names a clean HEAD stands for
    the history's state at that commit (its last revision at or before it, in the replay's ``order``: the change
    may be older than the sync); else at the latest history state with the same content (the work tree's state
    matches no commit, or a commit the replay did not reach), at the same path if one is. Without such a revision
    (only backfilled ones) the whole history counts, minus commits already recorded.
    """
    outside = [r for r in existing if r.trigger != "backfill"]
    if not outside:
        return len(history)
    first = _first_own(outside)
    at = first.commit_sha or getattr(first, "run_commit", None)
    if at:
        for i, h in enumerate(history):
            if h["commit_sha"] == at:
                return i
        if not first.commit_sha and at in order:
            reached = [i for i, h in enumerate(history) if order.get(h["commit_sha"], len(order)) <= order[at]]
            if reached and history[reached[-1]]["change"] != "deleted":
                return reached[-1]
        if first.change == "deleted" and at in chain:
            # A ``sync --ref`` of a later commit found the record gone: the commit that deleted it was not synced.
            # Its deletion stands for that one (the same content gone), as a backfill from scratch records it.
            reached = [i for i, h in enumerate(history) if chain.get(h["commit_sha"], len(chain)) <= chain[at]]
            if reached and history[reached[-1]]["change"] == "deleted" \
                    and history[reached[-1]]["content_hash"] == first.content_hash:
                return reached[-1]
    # The latest state with that content at the path the sync saw it at: the content hash leaves the path out, and
    # a later move of the same content (a merged branch's) is not the state a sync before it recorded.
    same = [i for i, h in enumerate(history) if h["content_hash"] == first.content_hash and h["change"] != "deleted"]
    there = [i for i in same if history[i]["source_path"] == first.source_path]
    return (there or same or [len(history)])[-1]
