"""Plan: compare parsed records with the database state and decide what to do. Pure: no I/O.

The result is a list of operations (like Alembic's diff), which ``--dry-run`` prints and ``apply`` executes.
"""

from __future__ import annotations

import re
import uuid
from collections import defaultdict
from collections.abc import Iterable, Mapping, Sequence, Set as AbstractSet
from dataclasses import dataclass, field
from typing import Any, Literal, NamedTuple

from tracertm.cancellation import safe_point
from tracertm.errors import Diagnostic, ParseError
from tracertm.kinds import FILE_KINDS, SHARED_KINDS, FileKind, RecordKind, shared_id
from tracertm.parsers.common import previous_scheme_hashes
from tracertm.parsers.records import ParseResult, SpecRecord
from tracertm.engine.scan import ScannedFile, name_error, shown_path

Action = Literal["created", "updated", "deleted", "restored", "moved", "refresh"]
# Actions that write a revision. "refresh" rewrites positions/source text of an unchanged record, silently.
REVISION_ACTIONS = ("created", "updated", "deleted", "restored", "moved")
TOP_KINDS: tuple[FileKind, ...] = FILE_KINDS


def plan_order(kind: str, path: str | None, line: int | None, ref: str) -> tuple[int, str, bool, int, str]:
    """Where a record comes in a plan's operations: by kind (``TOP_KINDS``), then by file, a feature before its
    scenarios, a file's records by line. ``links.rebuild`` numbers new links in this order, not the order the
    database reads rows in (PostgreSQL's followed how a backfill's batches wrote them: other numbers each run)."""
    rank = TOP_KINDS.index("feature" if kind == "scenario" else kind)
    return (rank, path or "", kind == "scenario", line or 0, ref)


@dataclass(frozen=True)
class Current:
    """What the database holds for one record (only what planning needs, not the whole row)."""

    id: uuid.UUID
    kind: RecordKind
    number: str
    version: int
    content_hash: str | None
    source_path: str | None
    deleted: bool
    parent_id: uuid.UUID | None = None  # a scenario's feature
    # The hash is known to be of the current scheme (a backfill's in-memory rows, written by this run): a differing
    # hash is then a change, with no need to compute the earlier schemes' hashes (a third of a backfill's planning).
    current_scheme: bool = False


class FileRow(NamedTuple):
    """A ``source_files`` row; ``parse_error`` is the stored list of the file's diagnostics (see
    ``file_findings``). A named tuple, made straight from the query's row (``state.load_files``): every sync reads
    the whole file index, twice (before and under the lock), and a frozen dataclass's ``__init__`` cost a third of
    the read on 6,000 files."""

    id: uuid.UUID
    path: str
    kind: str
    blob_sha: str
    parse_error: Any
    deleted: bool
    size: int | None = None
    mtime_ns: int | None = None


class Operation(NamedTuple):
    """One record's change in a plan. A named tuple rather than a frozen dataclass: a first sync of the large
    benchmark corpus makes 52,000 of them (the eager writer's and the plan's), and a frozen dataclass's
    ``__init__`` (a ``object.__setattr__`` per field) costs about five times a tuple's."""

    action: Action
    kind: RecordKind
    number: str
    path: str
    record: SpecRecord | None = None
    current: Current | None = None
    parent: str | None = None  # a scenario's feature number
    position: int = 0
    parent_id: uuid.UUID | None = None  # a scenario's feature row, when the feature already exists
    content_changed: bool = True  # for "moved": whether the content changed too (else the version stays)
    # For "refresh": the file's bytes are those the row was made from (a new version of the parsers, a new hash
    # scheme), so no commit wrote the record and its row keeps the ``source_commit`` of the one that did.
    same_blob: bool = False

    @property
    def version(self) -> int:
        """The version after this operation: +1 when the content changed, was deleted or came back."""
        if self.current is None:
            return 1
        bump = self.action in ("updated", "deleted", "restored") or (self.action == "moved" and self.content_changed)
        return self.current.version + (1 if bump else 0)

    def as_dict(self) -> dict[str, Any]:
        out: dict[str, Any] = {"action": self.action, "kind": self.kind, "number": self.number, "path": self.path}
        if self.parent:
            out["feature"] = self.parent
        out["version"] = self.version
        if self.current is not None and self.current.source_path != self.path:
            out["from_path"] = self.current.source_path
        return out


@dataclass(frozen=True)
class FileOp:
    path: str
    kind: str
    scanned: ScannedFile | None  # None: the file is gone
    parse_error: list[dict[str, Any]] | None  # every diagnostic of the file, as stored (see ``file_findings``)
    existing: FileRow | None

    @property
    def same_bytes(self) -> bool:
        """Whether the file is there, with the bytes its live row was made from: the row changes (its findings, its
        mtime, its kind) but no commit changed the file, so it keeps the ``last_commit`` of the one that did."""
        return (self.scanned is not None and self.existing is not None and not self.existing.deleted
                and self.existing.blob_sha == self.scanned.blob_sha)

    @property
    def findings_change(self) -> str | None:
        """How the file's stored findings (``source_files.parse_error``: what ``status`` lists) change: "set" (none
        stored), "cleared" (none left: the file parses, or is gone), "changed", or None (the same as stored). A
        drift the records alone do not show: a file fixed back to the bytes of its records makes no operation."""
        live = self.existing is not None and not self.existing.deleted
        before = _as_list(self.existing.parse_error) if live and self.existing is not None else None
        after = self.parse_error if self.scanned is not None else None
        if before == after:
            return None
        return "set" if before is None else "cleared" if after is None else "changed"


@dataclass
class Plan:
    operations: list[Operation] = field(default_factory=list)
    files: list[FileOp] = field(default_factory=list)
    errors: list[Diagnostic] = field(default_factory=list)
    warnings: list[Diagnostic] = field(default_factory=list)
    # Files whose rows this plan leaves as they are while a new file of their kind does not parse (``_unborn``): the
    # removed files whose records are kept, and the new broken files. A backfill plans them again at every commit
    # (a full sync finds them again by itself: one is gone from the index, the other has no row; a sync of some
    # paths does not read the gone file, so the watcher syncs them together: ``SyncResult.held``).
    held: set[str] = field(default_factory=set)
    # Scenario rows whose id this plan changes in place, without a version (row id, new id): ids an earlier
    # tracertm made of a name as written (``engine.renumber`` writes them before the operations).
    renumbered: list[tuple[uuid.UUID, str]] = field(default_factory=list)

    def counts(self) -> dict[str, dict[str, int]]:
        out: dict[str, dict[str, int]] = {}
        for op in self.operations:
            if op.action != "refresh":
                bucket = out.setdefault(op.kind, {})
                bucket[op.action] = bucket.get(op.action, 0) + 1
        return out


def plan(
    files: Mapping[str, ScannedFile],
    in_scope: Any,
    db_files: Mapping[str, FileRow],
    parsed: Mapping[str, ParseResult | ParseError],
    current: Mapping[tuple[str, str], Current],
    scenarios: Mapping[uuid.UUID, Mapping[str, Current]],
    changed_blobs: frozenset[str],
    elsewhere: Mapping[tuple[str, str], str | None] | None = None,
    occupied: AbstractSet[str] = frozenset(),
    *,
    restyle: bool = False,
    earlier_ids: bool = False,
) -> Plan:
    """Decide every operation of one sync.

    ``files``: the scanned source; ``in_scope(path)``: whether absence of ``path`` means deletion; ``db_files``: the
    file index; ``parsed``: the files read this run (a result or the error); ``current``: database records keyed by
    (kind, number) covering every number parsed and every record located in a parsed or removed file;
    ``scenarios``: live and deleted scenarios of those features, by feature id; ``changed_blobs``: paths whose bytes
    differ from the database's (records there get their presentation refreshed); ``elsewhere``: live database
    records (kind, number) → file, of each kind in :data:`~tracertm.kinds.SHARED_KINDS`, whose number was parsed
    in another of them (a file not read this run that shares an id with a parsed one: see :func:`_shared_ids`);
    ``occupied``: of the files of deleted records in ``current`` not read this run, those holding a live record (a
    file that still holds records does not block the ids it gave up while it parsed, broken or not); ``restyle``:
    the records were made by another version of the parsers (``engine.parsed_by``), so those of every parsed file
    get their presentation refreshed as if its bytes had changed (the same bytes may parse to other positions), with
    the commit that wrote them kept (``Operation.same_blob``); ``earlier_ids``: they were made by parsers that
    numbered an untagged scenario by its name as written (``parsers.scenario_ids``), whose ids pair the rows.
    """
    result = Plan()
    # A file whose name is not UTF-8 is never stored (see ``_plan_files``), so it defines nothing either (a backfill
    # parses every file its history names).
    ok = {p: r for p, r in parsed.items() if isinstance(r, ParseResult) and name_error(p) is None}
    removed = {p for p, row in db_files.items() if not row.deleted and p not in files and in_scope(p)}
    # Identities a parsed file lost to another file: errors of that file, stored with it until resolved (and ids it
    # shares with a record of another kind: warnings, stored alike, so that the file is read again until resolved).
    # Each with the file it lost to (stored, so that a sync of some paths knows whom to read again: ``claimants``).
    lost: dict[str, list[tuple[Diagnostic, str | None]]] = defaultdict(list)
    kept: dict[tuple[str, str], tuple[str, int]] = {}  # (kind, number) → the parsed file defining it, its line
    unborn = _unborn(files, db_files, parsed) if removed else {}  # they only matter when a file went away
    held: dict[str, str] = {}  # removed file whose records stay → the new file that may be it (``_unborn``)

    released = removed | set(ok)  # files whose records may go: gone, or read again
    of_kind: dict[str, list[str]] = defaultdict(list)  # the parsed files of each kind, in path order
    for path in sorted(ok):
        of_kind[ok[path].kind].append(path)
    for kind in TOP_KINDS:
        claims: dict[str, list[tuple[str, SpecRecord]]] = defaultdict(list)
        for path in of_kind.get(kind, ()):
            for rec in ok[path].records:
                claims[rec.number].append((path, rec))
        claimed: set[str] = set()
        for number, candidates in claims.items():
            safe_point()  # (a cancelled sync stops here: nothing of it is written yet, or its transaction rolls back)
            cur = current.get((kind, number))
            winner = _winner(candidates, cur)
            for path, rec in candidates:
                if path != winner[0]:
                    lost[path].append((conflict(kind, number, path, rec.line, winner[0]), winner[0]))
            path, rec = winner
            if cur is not None and not cur.deleted and cur.source_path not in (path, None):
                # The record lives in another file that was not read this run: it keeps the identity unless that
                # file is gone (then this file takes it over: a move of the same record, not a delete).
                if cur.source_path not in removed and cur.source_path not in ok:
                    lost[path].append((conflict(kind, number, path, rec.line, cur.source_path), cur.source_path))
                    continue
            elif (cur is not None and cur.deleted and cur.source_path not in (path, None)
                  and cur.source_path not in occupied
                  and _unreadable(cur.source_path, files, db_files, parsed, in_scope)):
                # A deleted record whose file is back but cannot be read: it may define the record again once it
                # parses, so no other file takes the identity (and the record's content) meanwhile. Not a file that
                # still holds live records: it gave this id up while it parsed (another id, a removed document).
                lost[path].append((conflict(kind, number, path, rec.line, cur.source_path), cur.source_path))
                continue
            claimed.add(number)
            kept[(kind, number)] = (path, rec.line)
            changed = path in changed_blobs
            op = _record_op(kind, number, path, rec, cur, changed, restyle=restyle)
            if op is not None:
                result.operations.append(op)
            if kind == "feature":
                _plan_scenarios(result, rec, path, cur, scenarios, changed, deleted=False, restyle=restyle,
                                earlier_ids=earlier_ids)
        for (k, number), cur in sorted(current.items(), key=lambda kv: kv[0]):
            if k != kind or cur.deleted or number in claimed or cur.source_path not in released:
                continue
            if cur.source_path in removed and unborn.get(kind):
                held[cur.source_path] = unborn[kind][0]
                continue
            result.operations.append(Operation("deleted", kind, number, cur.source_path or "", None, cur))
            if kind == "feature":
                _plan_scenarios(result, None, cur.source_path or "", cur, scenarios, False, deleted=True)

    for path, diag, other in _shared_ids(kept, current, elsewhere or {}, set(ok) | removed):
        lost[path].append((diag, other))
    if held:
        kinds = {db_files[path].kind for path in held}
        result.held = set(held) | {p for kind in kinds for p in unborn.get(kind, ())}
    for path in sorted(held):
        # Every new broken file of the kind may be this one renamed: name them all (as printed, a name that is not
        # UTF-8 escaped), not a guess.
        news = [shown_path(p) for p in unborn[db_files[path].kind]]
        them = news[0] if len(news) == 1 else ", ".join(news[:-1]) + " or " + news[-1]
        result.warnings.append(Diagnostic(
            path, 0, 0, f"file is gone, but its records are kept while {them} does not parse (a rename?); fix "
            f"{'it' if len(news) == 1 else 'them'} and sync again (records of a file that is really gone are "
            "deleted then)", "warning"))
    _plan_files(result, files, db_files, parsed, lost, removed, changed_blobs, held)
    return result


def _shared_ids(
    kept: Mapping[tuple[str, str], tuple[str, int]], current: Mapping[tuple[str, str], Current],
    elsewhere: Mapping[tuple[str, str], str | None], read: set[str],
) -> list[tuple[str, Diagnostic, str]]:
    """``(path, warning, the file of the holder it names)`` for each parsed file that defines an id a record of
    another kind has too. Of the holders of one id, the one that keeps it without a warning: a file not read this
    run, else a record the database already held there, else the first by kind (ADRs, contracts, features), then by
    path — the file that took the id later carries the warning, as ``check`` blames the file changed since HEAD."""
    holders: dict[str, list[tuple[bool, bool, int, str, str, int]]] = defaultdict(list)
    for (kind, number), (path, line) in kept.items():
        if kind in SHARED_KINDS:
            cur = current.get((kind, number))
            old = cur is not None and not cur.deleted and cur.source_path == path
            holders[number].append((True, not old, SHARED_KINDS.index(kind), path, kind, line))
    for (kind, number), source in elsewhere.items():
        if kind in SHARED_KINDS and (kind, number) not in kept and source and source not in read:
            holders[number].append((False, False, SHARED_KINDS.index(kind), source, kind, 0))
    out: list[tuple[str, Diagnostic, str]] = []
    for number, found in sorted(holders.items()):
        if len(found) < 2:
            continue
        found.sort()
        *_, first, first_kind, _ = found[0]
        for is_read, _, _, path, kind, line in found[1:]:
            if is_read:
                diag = Diagnostic(path, line, 1, shared_id(kind, number, first_kind, first), "warning")
                out.append((path, diag, first))
    return out


def _unreadable(path: str, files: Mapping[str, ScannedFile], db_files: Mapping[str, FileRow],
                parsed: Mapping[str, ParseResult | ParseError], in_scope: Any) -> bool:
    """Whether ``path`` is there and cannot be read: read this run with an error, or, not read (unchanged; in a
    backfill's commit, outside what it touched), stored with one."""
    scanned = files.get(path)
    if scanned is not None:
        if scanned.error is not None or isinstance(parsed.get(path), ParseError):
            return True
        if path in parsed:
            return False
    row = db_files.get(path)
    if row is None or row.deleted or (scanned is None and in_scope(path)):
        return False
    # A stored conflict is a file that parsed (and lost an identity to another file), not one that cannot be read.
    return not must_reparse(row) and any(d.severity == "error" for d in file_findings(path, row.parse_error))


def _unborn(
    files: Mapping[str, ScannedFile], db_files: Mapping[str, FileRow], parsed: Mapping[str, ParseResult | ParseError]
) -> dict[str, list[str]]:
    """Files new to the index that cannot be read, by kind.

    While one exists, records of a file of that kind that went away are not deleted, and neither file's row changes
    (``held``): the new file may be the old one renamed and broken in the same change, and only a file that parses
    can be paired with the one it replaces (``engine.moves``). Deleting then would lose the records' history and
    database-owned fields for a file that is merely broken. Once it parses, the pair is a move as any other; a
    file really gone is deleted then."""
    out: dict[str, list[str]] = defaultdict(list)
    for path, scanned in files.items():
        existing = db_files.get(path)
        if (existing is None or existing.deleted) and (
            scanned.error is not None or isinstance(parsed.get(path), ParseError)
        ):
            out[scanned.kind].append(path)
    for paths in out.values():
        paths.sort()  # the first is the one the warning names
    return out


def file_findings(path: str, stored: Any) -> list[Diagnostic]:
    """The diagnostics stored in ``source_files.parse_error`` for ``path`` (a list of dicts; an old single dict
    is read as a one-item list)."""
    if not stored:
        return []
    items = [stored] if isinstance(stored, Mapping) else list(stored)
    return [
        Diagnostic(
            path, int(d.get("line", 0)), int(d.get("column", 0)), str(d.get("message", "")),
            str(d.get("severity", "error")),
        )
        for d in items
    ]


def must_reparse(row: FileRow) -> bool:
    """Whether a file must be read again although its bytes did not change: it lost an identity to another file,
    and whether it may take it over depends on the other file (which may be gone by now)."""
    stored = row.parse_error
    if not stored or row.deleted:
        return False
    items = [stored] if isinstance(stored, Mapping) else stored
    return any(isinstance(d, Mapping) and d.get("conflict") for d in items)


def claimants(db_files: Mapping[str, FileRow], paths: Iterable[str]) -> set[str]:
    """The stored files that lost an identity (``must_reparse``) to one of ``paths`` — directly, or to another such
    file — which a sync of ``paths`` alone (the watcher's) must read again: when the winner went away, was renamed
    or renumbered, the loser takes the identity over in that same sync, as a full sync would have it. A conflict
    stored before its winner was recorded (no ``other``) counts as one of them."""
    losers: dict[str, set[str | None]] = {}
    for path, row in db_files.items():
        if must_reparse(row):
            stored = row.parse_error
            items = [stored] if isinstance(stored, Mapping) else stored
            losers[path] = {d.get("other") for d in items if isinstance(d, Mapping) and d.get("conflict")}
    wanted = set(paths)
    found: set[str] = set()
    grew = True
    while grew:  # a loser may itself hold an identity another file lost to it
        grew = False
        for path, others in losers.items():
            if path not in found and path not in wanted and (None in others or others & (wanted | found)):
                found.add(path)
                grew = True
    return found


def _stored(
    diagnostics: list[Diagnostic], conflicts: list[tuple[Diagnostic, str | None]]
) -> list[dict[str, Any]] | None:
    out: list[dict[str, Any]] = []
    for diag in diagnostics:
        out.append({"line": diag.line, "column": diag.column, "message": diag.message, "severity": diag.severity})
    for diag, other in conflicts:  # (an id shared with another kind is a warning, read again until resolved)
        item: dict[str, Any] = {"line": diag.line, "column": diag.column, "message": diag.message,
                                "severity": diag.severity, "conflict": True}
        if other:
            item["other"] = other  # the file it lost to (``claimants``)
        out.append(item)
    return out or None


def _winner(candidates: list[tuple[str, SpecRecord]], cur: Current | None) -> tuple[str, SpecRecord]:
    """Two files claiming one identity: the one the database already knows wins, else the first by path."""
    known = cur.source_path if cur is not None and not cur.deleted else None
    path = keeper([p for p, _ in candidates], known)
    return next(c for c in candidates if c[0] == path)


def keeper(claimants: Sequence[str], known: str | None) -> str:
    """Of the files claiming one identity, the one that keeps it: the file the database already knows (``known``)
    when it is one of them, else the first of ``claimants`` (a sync lists them by path; ``diff`` by the commit
    that added them). The one rule of a sync, a backfill and ``diff``."""
    return known if known is not None and known in claimants else claimants[0]


def conflict(kind: str, number: str, path: str, line: int, other: str | None) -> Diagnostic:
    """The error of ``path``, which lost ``kind`` ``number`` to the file ``other``."""
    return Diagnostic(
        path, line, 1, f"{kind} {number} is already defined in {other}; give one of them another id (kept {other})"
    )


# ``conflict``'s message (also as earlier releases wrote it, without the kept file), read back from a stored error.
_CONFLICT = re.compile(r"(?P<kind>[a-z_]+) (?P<number>.+?) is already defined in .+; give one of them another id"
                       r"(?: \(kept .+\))?", re.DOTALL)


def conflict_claim(message: str) -> tuple[str, str] | None:
    """``(kind, number)`` of the identity an error says its file lost to another (``conflict``); None for any other
    error. A backfill's runs keep their errors as text (``sync_runs.errors``)."""
    match = _CONFLICT.fullmatch(message)
    if match is None or match["kind"] not in FILE_KINDS:
        return None
    return match["kind"], match["number"]


def _record_op(
    kind: RecordKind, number: str, path: str, rec: SpecRecord, cur: Current | None, blob_changed: bool,
    parent: str | None = None, position: int = 0, parent_id: uuid.UUID | None = None, *, restyle: bool = False,
    same: bool | None = None,
) -> Operation | None:
    """The operation of one parsed record against its row ``cur`` (None: nothing to write). ``blob_changed``: its
    file's bytes differ from the database's; ``restyle``: records made by another version of the parsers, whose
    other fields are refreshed although the bytes are the same (``plan``); ``same``: whether the content is the
    row's, when the caller knows it better than the hashes' comparison (a row stored under its former id)."""
    if same is None:
        same = cur is not None and _same_content(cur, rec)
    if cur is None:
        action: Action = "created"
    elif cur.deleted:
        action = "restored"
    elif cur.source_path != path:
        action = "moved"
    elif not same:
        action = "updated"
    elif blob_changed or restyle or cur.content_hash != rec.content_hash or cur.number != number:
        action = "refresh"  # presentation only, a new hash scheme for the same content, or an id made anew
    else:
        return None
    return Operation(action, kind, number, path, rec, cur, parent, position, parent_id, content_changed=not same,
                     same_blob=action == "refresh" and not blob_changed)


def _same_content(cur: Current, rec: SpecRecord) -> bool:
    """Same content: the same hash, or the previous hash scheme's hash of this content (an upgrade of tracertm
    must not version unchanged specs)."""
    if cur.content_hash == rec.content_hash:
        return True
    if cur.current_scheme:
        return False
    return cur.content_hash in previous_scheme_hashes(rec.kind, rec.fields)


def _plan_scenarios(
    result: Plan,
    feature: SpecRecord | None,
    path: str,
    feature_cur: Current | None,
    scenarios: Mapping[uuid.UUID, Mapping[str, Current]],
    blob_changed: bool,
    deleted: bool,
    *,
    restyle: bool = False,
    earlier_ids: bool = False,
) -> None:
    existing = scenarios.get(feature_cur.id, {}) if feature_cur is not None else {}
    feature_number = feature.number if feature is not None else (feature_cur.number if feature_cur else "")
    seen: set[str] = set()
    # The feature's row id goes into each operation as it is made (a ``dataclasses.replace`` per scenario cost a
    # first sync of 20,000 scenarios about 0.05 s).
    parent_id = feature_cur.id if feature_cur else None
    if feature is not None and not deleted:
        rows = _rows_of_children(feature.children, existing, earlier_ids)
        for position, child in enumerate(feature.children):
            safe_point()  # (a feature of thousands of scenarios plans for a second: a cancelled sync stops here)
            cur, same = rows.get(position), None
            seen.add(child.number if cur is None else cur.number)
            if cur is not None and cur.number != child.number:  # the same record, renumbered in place
                # Its stored hash is of its fields under the former id (or under this one, a backfill's merge
                # having written it): the same content is no new version.
                as_stored = SpecRecord("scenario", cur.number, {**child.fields, "scenario_number": cur.number})
                same = _same_content(cur, child) or _same_content(cur, as_stored)
                result.renumbered.append((cur.id, child.number))
            op = _record_op(
                "scenario", child.number, path, child, cur, blob_changed, feature_number, position,
                parent_id, restyle=restyle, same=same,
            )
            if op is not None:
                result.operations.append(op)
        _vacate(result, rows, existing)
    for number, cur in sorted(existing.items()):
        if number not in seen and not cur.deleted:
            result.operations.append(
                Operation("deleted", "scenario", number, cur.source_path or path, None, cur, feature_number)
            )


def _rows_of_children(children: Sequence[SpecRecord], existing: Mapping[str, Current],
                      earlier_ids: bool) -> dict[int, Current]:
    """The row of each scenario (by its position in the file) that it continues. A row an earlier tracertm numbered
    by the name as written (``add  an item``) is the scenario that id names, first by the id the earlier rule gives
    each scenario (``SpecRecord.former_number``: so it is exact when two rows' ids collapse to one; only while the
    rows are the earlier rule's, ``earlier_ids``: ``dup name`` is then the second of ``dup  name`` and ``dup name``,
    and the first one today), then by today's id made of the row's (a title re-spaced since); such a row comes
    before a row that holds today's id but is deleted (the scenario that re-spacing its title deleted, before this
    rule) or another scenario's."""
    if not existing:
        return {}
    out: dict[int, Current] = {}
    claimed: set[str] = set()
    for position, child in enumerate(children):
        former = existing.get(child.former_number) if earlier_ids and child.former_number is not None else None
        if former is not None and not former.deleted:
            out[position] = former
            claimed.add(former.number)
    earlier: dict[str, str] | None = None  # live rows numbered by the earlier naming rule, by today's number
    for position, child in enumerate(children):
        if position in out:
            continue
        cur = existing.get(child.number)
        if cur is not None and cur.number in claimed:
            cur = None
        if cur is None or cur.deleted:
            if earlier is None:
                earlier = _earlier_numbers(existing)
            former_number = earlier.pop(child.number, None)
            if former_number is not None and former_number not in claimed:
                cur = existing[former_number]
        if cur is not None:
            out[position] = cur
            claimed.add(cur.number)
    return out


def _earlier_numbers(existing: Mapping[str, Current]) -> dict[str, str]:
    """The live scenarios whose stored id an earlier tracertm made of their name as written (``add  an item``), by
    the id the name makes now (``add an item``: whitespace runs are one space, ``parsers.feature``): such a row is
    the scenario the file still holds, renumbered where it is, so that an upgrade loses no history."""
    out: dict[str, str] = {}
    for number, cur in existing.items():
        now = " ".join(number.split())
        if now != number and not cur.deleted:
            out.setdefault(now, number)
    return out


def _vacate(result: Plan, rows: Mapping[int, Current], existing: Mapping[str, Current]) -> None:
    """A row renumbered to an id another row holds that is not renumbered itself (a deleted scenario, or one the
    file no longer holds) trades ids with it: the other row takes the id as written the renumbered one leaves, which
    no scenario is given any more (today's ids have no whitespace runs), and keeps its history under it."""
    moving = {cur.id: cur.number for cur in rows.values()}
    taken = {number for _, number in result.renumbered}
    for row_id, number in list(result.renumbered):
        holder = existing.get(number)
        if holder is not None and holder.id not in moving:
            left = moving[row_id]
            # (Unless another row takes that one, a collapsed id of the earlier rule: then one no file gives.)
            result.renumbered.append((holder.id, left if left not in taken else f"{number}  #{holder.id}"))


def _plan_files(
    result: Plan,
    files: Mapping[str, ScannedFile],
    db_files: Mapping[str, FileRow],
    parsed: Mapping[str, ParseResult | ParseError],
    lost: Mapping[str, list[tuple[Diagnostic, str | None]]],
    removed: set[str],
    changed_blobs: frozenset[str],
    held: Mapping[str, str],
) -> None:
    """The file index, and every finding of every file: those read this run, and the stored findings of files not
    read (so a no-op sync reports exactly what the first sync reported). A removed file whose records are ``held``
    and the new broken files holding them keep their rows as they are (none for the new ones: they are read again
    until they parse)."""
    unborn = set(held.values())
    unborn_kinds = {files[p].kind for p in unborn}
    for path, scanned in sorted(files.items()):
        unnamed = name_error(path)
        if unnamed is not None:
            # The database holds paths as UTF-8 text: such a file has no row to store its finding on. Reported on
            # every sync until renamed; it changes nothing.
            result.errors.append(unnamed)
            continue
        existing = db_files.get(path)
        outcome = parsed.get(path)
        if scanned.error is not None or outcome is not None:
            if scanned.error is not None:
                findings = [scanned.error]
            elif isinstance(outcome, ParseError):
                findings = list(outcome.diagnostics)
            else:
                findings = list(outcome.warnings)  # type: ignore[union-attr]
            conflicts = lost.get(path, [])
            error = _stored(findings, conflicts)
            reported = [*findings, *(diag for diag, _ in conflicts)]
        else:  # not read this run: its stored findings stand, and are reported again
            error = _as_list(existing.parse_error) if existing is not None and not existing.deleted else None
            reported = file_findings(path, error)
        for diag in reported:
            (result.warnings if diag.severity == "warning" else result.errors).append(diag)
        if scanned.kind in unborn_kinds and (existing is None or existing.deleted) and (
                scanned.error is not None or isinstance(outcome, ParseError)):
            continue
        if (
            existing is None
            or existing.deleted
            or path in changed_blobs
            or existing.blob_sha != scanned.blob_sha
            or (existing.parse_error or None) != error
            or (scanned.mtime_ns is not None and existing.mtime_ns != scanned.mtime_ns)
        ):
            result.files.append(FileOp(path, scanned.kind, scanned, error, existing))
    for path in sorted(removed):
        if path in held:
            continue
        row = db_files[path]
        result.files.append(FileOp(path, row.kind, None, _as_list(row.parse_error), row))


def _as_list(stored: Any) -> list[dict[str, Any]] | None:
    if not stored:
        return None
    return [dict(stored)] if isinstance(stored, Mapping) else [dict(d) for d in stored]
