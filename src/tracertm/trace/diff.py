"""``tracertm diff REF1 [REF2]``: what changed in the specs between two commits, record by record.

Two ways to know, same answer:

- **history**: when a complete backfill of the project covers both commits (first-parent), the state at each commit
  is the newest revision of every record at or before it (or the one a ``sync --ref`` of a commit at or before it
  found standing, when a revision names a commit off that history: ``history.standing``) — no file is read; a file
  that did not parse at either commit is known from the errors the backfill's runs kept (each names its commit);
- **parse**: otherwise both trees are scanned and only the files whose blob differs are parsed (no database, but for
  a renamed file: which ids deleted records hold at the first commit, which the files cannot tell, is the history
  method's reading of that commit, when a complete backfill covers it).

A change is ``created``, ``deleted``, ``updated`` (with the fields that changed; reformatting is not a change) or
``moved`` (same identity at a new path, possibly updated too). A file that does not parse at one of the commits is
reported, and its records are left out rather than guessed: those it holds where it parses, and those sync keeps for
it where it does not (its last version that parsed; a gone file's while a new file of its kind does not parse). The
other files' changes are reported as always; a file both commits hold alike changed nothing, broken or not. An id
two files claim is the file's that keeps it, as sync decides (``trace.claims``); the other file's error is reported
where that file differs, and only at a commit where it still lost the id.
"""

from __future__ import annotations

import datetime as dt
import os
from collections.abc import Callable, Iterable, Mapping, Sequence
from dataclasses import dataclass, field
from typing import TYPE_CHECKING, Any

from tracertm.errors import ConfigError, DatabaseError, Diagnostic, GitError, UsageError, refuse_jobs
from tracertm.history.names import field_names
from tracertm.parsers.common import canonical_json, content_hash

if TYPE_CHECKING:
    from tracertm.config import Settings
    from tracertm.engine.scan import Location
    from tracertm.kinds import FileKind

# Fields that say where a record is, not what it says (the path is reported as a move instead; a number that
# differs between two records compared is one taken from a renamed file's name).
_NOT_CONTENT = frozenset({"file_path", "gherkin_text", "feature_number", "contract_number"})


@dataclass(frozen=True)
class Change:
    """One record's change between the two commits."""

    action: str  # created | deleted | updated | moved
    kind: str
    id: str  # ADR-0001, FEATURE/SCENARIO ...
    path: str
    from_path: str | None = None
    fields: tuple[str, ...] = ()

    def as_dict(self) -> dict[str, Any]:
        out: dict[str, Any] = {"action": self.action, "kind": self.kind, "id": self.id, "path": self.path}
        if self.from_path is not None:
            out["from_path"] = self.from_path
        if self.fields:
            out["fields"] = list(self.fields)
        return out


@dataclass
class DiffResult:
    """Every change, in kind then id order, how it was found, and the files that did not parse."""

    ref1: str
    ref2: str
    commit1: str
    commit2: str
    method: str  # history | parse
    changes: list[Change] = field(default_factory=list)
    errors: list[Diagnostic] = field(default_factory=list)

    def as_dict(self) -> dict[str, Any]:
        return {
            "from": {"ref": self.ref1, "commit": self.commit1},
            "to": {"ref": self.ref2, "commit": self.commit2},
            "method": self.method,
            "changes": [c.as_dict() for c in self.changes],
            "errors": [d.as_dict() for d in self.errors],
        }


@dataclass(frozen=True)
class _Rec:
    path: str
    fields: Mapping[str, Any]
    content_hash: str | None
    deleted: bool = False


Key = tuple[str, str]  # (kind, id)


def diff(
    path: str | os.PathLike[str] | None,
    ref1: str,
    ref2: str = "HEAD",
    *,
    method: str = "auto",
    project: str | None = None,
    database_url: str | None = None,
    jobs: int | None = None,
) -> DiffResult:
    """Compare the specs of ``ref1`` and ``ref2`` in the repository at ``path``. ``method``: ``auto`` (history when
    a backfill covers both commits, else parse), ``history`` or ``parse``."""
    from tracertm import git
    from tracertm.config import load_settings
    from tracertm.engine.scan import Location

    if method not in ("auto", "history", "parse"):
        raise UsageError(f"--method {method}: use auto, history or parse")
    refuse_jobs(jobs)
    location = Location.find(path)
    if location.top is None:
        raise UsageError(f"diff: {location.root} is not a git repository; diff compares commits")
    # resolve_commit's own line: a repository (or a branch) with no commit yet is told so, not "fetch it".
    commits = [git.resolve_commit(location.top, ref, "diff:") for ref in (ref1, ref2)]
    settings = load_settings(location.root)
    places = [location, location]  # where the specs are at each commit
    if project is not None and location.prefix == "":
        # ``--project`` run from the repository's top: the project's own folder at each commit, its files and
        # configuration (a project synced from a sub-folder, ``tracertm sync svc/b``; one moved since).
        places = _project_locations(location, settings, project, commits, database_url)
        if places[1].root != location.root:
            location = places[1]
            settings = load_settings(location.root) if location.root.is_dir() else settings
    result = DiffResult(ref1, ref2, commits[0], commits[1], "parse")
    if method != "parse":
        found = _history_states(places, settings, commits, project, database_url, required=method == "history",
                                refs=[ref1, ref2])
        if found is not None:
            before, after, errors = found
            result.method = "history"
            result.changes = compare(before, after)
            result.errors = errors
            return result
    at, unread = _settings_at(places, settings, commits)

    def deleted_at_first() -> set[Key]:
        """The ids deleted records hold at the first commit, as the database's revisions tell them (the history
        method's reading of that commit; none without a complete backfill that covers it)."""
        found = _history_states([places[0]] * 2, settings, [commits[0]] * 2, project, database_url, required=False)
        return set() if found is None else {key for key, rec in found[0].items() if rec.deleted}

    before, after, errors = _parsed_states(places, at, commits, jobs, deleted_at_first)
    result.changes = compare(before, after)
    result.errors = unread + errors
    return result


def _settings_at(places: Sequence[Location], settings: Settings,
                 commits: list[str]) -> tuple[list[Settings], list[Diagnostic]]:
    """The configuration the parse method reads each commit with, as a backfill reads the history
    (``history.settings``): the work tree's (``settings``, as ``sync`` reads it) where the commit's own configuration
    reads as HEAD's does, and the commit's own where it differs — an ADR folder moved with its ``.adr-dir``, a new
    ``feature_id_pattern`` — so that its files are the specs they were there (read with the work tree's folders, an
    ADR of the old folder was no spec at the older commit: ``created`` at the newer one, not ``moved``). One that
    does not load at a commit is reported, and the work tree's read instead. ``places``: the spec folder at each
    commit; one the work tree no longer has (a project's folder moved since) is read with the commit's own."""
    from tracertm import git
    from tracertm.config import Settings
    from tracertm.history.settings import config_diagnostic, reads_alike
    from tracertm.staged_config import committed_settings

    def committed(location: Location, commit: str) -> Settings | Diagnostic:
        try:
            return committed_settings(location, commit)
        except ConfigError as exc:  # (it names the file in the work tree: as the commit's, from the spec root)
            found = config_diagnostic(ConfigError(str(exc).replace(f"{location.root}{os.sep}", "", 1)))
            return Diagnostic(found.path, found.line, found.column, f"at {commit[:12]}: {found.message}; that "
                              "commit is read with the work tree's configuration")

    location = places[1]
    assert location.top is not None  # (``diff`` compares commits of a repository)
    try:
        head = committed(location, git.resolve_commit(location.top, "HEAD"))
    except GitError:  # an orphan branch with no commit yet: nothing to tell the work tree's configuration from
        return [settings for _ in commits], []
    out: list[Settings] = []
    errors: list[Diagnostic] = []
    for place, commit in zip(places, commits):
        own = committed(place, commit)
        if isinstance(own, Diagnostic):
            errors.append(own)
        elif (isinstance(head, Settings) and not reads_alike(own, head)) or place.root != location.root:
            out.append(own)
            continue
        out.append(settings)
    return out, errors


def _project_locations(location: Location, settings: Any, project: str, commits: list[str],
                       database_url: str | None) -> list[Location]:
    """The folder of ``location``'s repository holding the specs of the project named ``project`` at each of
    ``commits`` (``project_root.spec_roots_at``), as ``Location``s; ``location`` where the database does not know
    the project or cannot be read (the parse method needs none), or the project is not found in the repository."""
    from tracertm import db
    from tracertm.engine import state as db_state
    from tracertm.engine.scan import Location
    from tracertm.project_root import spec_roots_at
    from tracertm.trace.store import existing_engine

    top = location.top
    assert top is not None  # (``diff`` compares commits of a repository)
    try:
        engine, _why = existing_engine(database_url, settings.database_url)
    except (DatabaseError, ConfigError):
        return [location, location]  # the history method, when asked for, says why
    if engine is None:
        return [location, location]
    try:
        with db.session(engine) as session:
            found = db_state.find_project(session, project)
            roots = spec_roots_at(top, session, found, commits) if found is not None else [None, None]
    finally:
        engine.dispose()
    return [location if root is None else Location(root, top) for root in roots]


def compare(before: Mapping[Key, _Rec], after: Mapping[Key, _Rec]) -> list[Change]:
    """Record-by-record changes from ``before`` to ``after`` (deleted records may be present, marked deleted)."""
    changes: list[Change] = []
    for key in sorted(set(before) | set(after), key=lambda k: (_ORDER.get(k[0], 9), k[1])):
        old, new = before.get(key), after.get(key)
        old = None if old is None or old.deleted else old
        new = None if new is None or new.deleted else new
        if old is None and new is None:
            continue
        kind, ident = key
        if old is None:
            assert new is not None
            changes.append(Change("created", kind, ident, new.path))
        elif new is None:
            changes.append(Change("deleted", kind, ident, old.path))
        else:
            # Compared under the stored names (the content hash's), shown as the read models name them (metadata).
            fields = tuple(sorted(field_names(kind, _changed_fields(kind, old, new))))
            if old.path != new.path:
                changes.append(Change("moved", kind, ident, new.path, old.path, fields))
            elif fields:
                changes.append(Change("updated", kind, ident, new.path, None, fields))
    return changes


_ORDER = {"adr": 0, "contract": 1, "feature": 2, "scenario": 3}


def _changed_fields(kind: str, old: _Rec, new: _Rec) -> tuple[str, ...]:
    """The fields whose meaning differs, compared as the content hash sees them (prose with its whitespace
    collapsed, positions left out): a stored snapshot keeps the text of its last revision, so a re-wrap or a line
    shift that wrote no revision since must not show as a change of the next commit that did."""
    if old.content_hash is not None and old.content_hash == new.content_hash:
        return ()
    names = (set(old.fields) | set(new.fields)) - _NOT_CONTENT
    return tuple(sorted(n for n in names if canonical_json({n: old.fields.get(n)}, kind)
                        != canonical_json({n: new.fields.get(n)}, kind)))


# ---------------------------------------------------------------------------------------------------- parse


def _parsed_states(
    places: Sequence[Location], at: Sequence[Settings], commits: list[str], jobs: int | None,
    deleted: Callable[[], Iterable[Key]],
) -> tuple[dict[Key, _Rec], dict[Key, _Rec], list[Diagnostic]]:
    """The state at each commit from its files in its spec folder (``places``), each commit read with its
    configuration (``at``: ``_settings_at``); ``deleted()``: the ids deleted records hold at the first commit
    (``trace.renames``)."""
    from tracertm.engine.parse import default_jobs, hash_records, parse_files
    from tracertm.engine.scan import scan
    from tracertm.history.settings import reads_alike
    from tracertm.parsers.records import ParseResult
    from tracertm.trace.claims import claims_of, other_claimants, settle
    from tracertm.trace.renames import follow_renames, is_ancestor

    snaps = [scan(place, settings, ref=c) for place, settings, c in zip(places, at, commits)]
    try:
        a, b = snaps[0].files, snaps[1].files
        # Parsed alike at both commits, a file both hold alike says the same at both; parsed with other options
        # (a new ``feature_id_pattern``), it may not: every file is read then, as a backfill reads them all again.
        alike = reads_alike(*at)
        differing = sorted(p for p in set(a) | set(b)
                           if p not in a or p not in b or a[p].blob_sha != b[p].blob_sha or not alike)
        outcomes: list[dict[str, Any]] = []
        broken_at: list[set[str]] = []  # the differing files that do not parse, at each commit
        errors: list[Diagnostic] = []
        workers = jobs if jobs is not None else default_jobs()
        for snap, commit, settings in zip(snaps, commits, at):
            readable = [p for p in differing if p in snap.files and snap.files[p].error is None]
            broken = {p for p in differing if p in snap.files and snap.files[p].error is not None}
            contents = snap.read(readable)
            work = [(p, snap.files[p].kind, contents[p]) for p in readable]
            parsed = parse_files(work, settings.parser, workers, prepare=hash_records)
            for p, outcome in parsed.items():
                if not isinstance(outcome, ParseResult):
                    broken.add(p)
                    errors += [Diagnostic(d.path, d.line, d.column, f"at {commit[:12]}: {d.message}", d.severity)
                               for d in outcome.diagnostics]
            outcomes.append(parsed)
            broken_at.append(broken)
        # An id a differing file claims may be claimed by a file both commits hold alike too: who keeps it at each
        # commit is sync's rule, and the records of the files that lost it are not theirs.
        wanted = {key for parsed in outcomes for outcome in parsed.values() for key, _ in claims_of(outcome)}
        # (read at the second commit: with ``differing`` every file when the commits parse differently)
        others = other_claimants(places[1], at[1], commits, snaps, differing, wanted, workers)
        kept, lost = settle(places, commits, outcomes, others, set(differing))
        errors += lost
        states = [_state({**parsed, **others}, keepers) for parsed, keepers in zip(outcomes, kept)]
        follow_renames(states[0], states[1], snaps, outcomes[1], lambda: is_ancestor(places[1], *commits), deleted)
        # What sync keeps of a file that does not parse at a commit (and what the history method therefore finds
        # there): the records of its last version that parsed.
        withheld: set[Key] = set()
        for place, snap, commit, broken, settings in zip(places, snaps, commits, broken_at, at):
            for p in sorted(broken):
                kind = snap.files[p].kind
                found = _last_parsed(place, settings, commit, p, kind)
                # Broken too long to look back: any record of its kind found on one side only may be one of its.
                withheld |= _one_sided_of(states, kind) if found is None else found
        withheld |= _held(states, snaps, broken_at)
    finally:
        for snap in snaps:
            snap.close()
    _say_nothing_of(states, broken_at[0] | broken_at[1], withheld)
    return states[0], states[1], errors


def _state(parsed: Mapping[str, Any], keepers: Mapping[Key, str]) -> dict[Key, _Rec]:
    """The records of the files that parsed (``parsed``), each of an id claimed twice from the file that keeps it
    (``keepers``), a feature's scenarios with it."""
    from tracertm.parsers.records import ParseResult

    state: dict[Key, _Rec] = {}
    for p, outcome in parsed.items():
        if not isinstance(outcome, ParseResult):
            continue
        for rec in outcome.records:
            if keepers.get((rec.kind, rec.number), p) != p:
                continue
            state[(rec.kind, rec.number)] = _Rec(p, rec.fields, rec.content_hash)
            for child in rec.children:
                state[(child.kind, f"{rec.number}/{child.number}")] = _Rec(p, child.fields, child.content_hash)
    return state


def _say_nothing_of(states: list[dict[Key, _Rec]], broken: set[str], withheld: set[Key] | None = None) -> None:
    """A file that does not parse on one side: its records are unknown there, so say nothing about them — those it
    holds on the side where it parses, and ``withheld`` (the records sync keeps for it where it does not). Records
    of other files are reported as any others."""
    keys = set(withheld or ())
    for state in states:
        keys |= {k for k, r in state.items() if r.path in broken}
    for key in keys:
        for state in states:
            state.pop(key, None)


# How many older versions of a file that does not parse are read to find its last one that did.
LOOK_BACK = 20


def _last_parsed(location: Any, settings: Any, commit: str, path: str, kind: FileKind) -> set[Key] | None:
    """The records (keys) of the newest version of ``path`` at or before ``commit`` (first parent, as a backfill
    walks) that parses: what sync keeps of the file while it does not. Empty when no version of it parsed since it
    last appeared; None when the last ``LOOK_BACK`` versions do not parse."""
    from tracertm import git
    from tracertm.engine.parse import parse_files
    from tracertm.parsers.records import ParseResult

    name = location.prefix + path
    # A literal pathspec (``git.pathspecs``): ``a[bc].yaml`` as a glob names ``ab.yaml`` and ``ac.yaml``, not itself.
    log = git.run(location.top, "rev-list", "--first-parent", f"--max-count={LOOK_BACK + 1}", commit, "--",
                  *git.pathspecs((name,)), check=False).decode().split()
    for sha in log:
        blob = git.run(location.top, "rev-parse", "--verify", "-q", f"{sha}:{name}", check=False).decode().strip()
        if not blob:
            return set()  # the file is new since: sync keeps nothing of it
        content = git.run(location.top, "cat-file", "blob", blob)
        outcome = parse_files([(path, kind, content)], settings.parser, 1).get(path)
        if isinstance(outcome, ParseResult):
            keys: set[Key] = set()
            for rec in outcome.records:
                keys.add((rec.kind, rec.number))
                keys |= {(child.kind, f"{rec.number}/{child.number}") for child in rec.children}
            return keys
    return set() if len(log) <= LOOK_BACK else None


def _one_sided_of(states: list[dict[Key, _Rec]], kind: str) -> set[Key]:
    """The records of the file kind ``kind`` found on one side only."""
    return {k for k in set(states[0]) ^ set(states[1]) if _file_kind(k[0]) == _file_kind(kind)}


def _held(states: list[dict[Key, _Rec]], snaps: list[Any], broken_at: list[set[str]]) -> set[Key]:
    """The records of a file on one side only, while the other side has a new file of its kind that does not parse
    (only there): it may be that file renamed, and sync keeps the records while it does not parse
    (``engine.plan._unborn``)."""
    out: set[Key] = set()
    for side, other in ((0, 1), (1, 0)):
        new_broken = {_file_kind(snaps[other].files[p].kind) for p in broken_at[other]
                      if p not in snaps[side].files}
        if not new_broken:
            continue
        for key, rec in states[side].items():
            if (key not in states[other] and rec.path not in snaps[other].files
                    and _file_kind(key[0]) in new_broken):
                out.add(key)
    return out


def _file_kind(kind: str) -> str:
    from tracertm.kinds import KINDS

    return KINDS[kind].parent or kind


# -------------------------------------------------------------------------------------------------- history


def _history_states(
    places: Sequence[Any], settings: Any, commits: list[str], project_option: str | None, database_url: str | None,
    *, required: bool, refs: list[str] | None = None,
) -> tuple[dict[Key, _Rec], dict[Key, _Rec], list[Diagnostic]] | None:
    """The state at each commit from revisions, when a complete backfill covers both, and the files that did not
    parse at either commit (as the parse method reports them; ``places``: the spec folder at each commit); None
    otherwise (or an error when ``required``)."""
    from sqlalchemy import and_, func, select
    from sqlalchemy.orm import aliased

    from tracertm import db
    from tracertm.engine import state as db_state
    from tracertm.engine.naming import project_name
    from tracertm import git
    from tracertm.history.checkpoint import CHECKPOINT_KEY
    from tracertm.history.merge import GAPS_KEY, in_gap
    from tracertm.history.reread import content_places
    from tracertm.kinds import RECORD_KINDS
    from tracertm.models import SpecRevision, SyncRun
    from tracertm.text import quoted_command
    from tracertm.trace.store import existing_engine

    def backfill(project: Any) -> str:
        """The backfill command to suggest: the project's, naming it and its folder, once it is known."""
        from tracertm.repositories.projects import folder_command

        return "tracertm backfill" if project is None else folder_command("backfill", project)

    def unavailable(why: str, project: Any = None, *, backfill_helps: bool = True) -> None:
        if required:
            fix = f"run {quoted_command(backfill(project))} or use --method parse" if backfill_helps \
                else "use --method parse"
            if backfill_helps and git.is_shallow(location.top):  # where a backfill is refused: what it needs first
                fix = f"run 'git fetch --unshallow', then {quoted_command(backfill(project))}, or use --method parse"
            raise UsageError(f"diff --method history: {why}; {fix}")

    location = places[1]
    try:
        engine, why = existing_engine(database_url, settings.database_url)
    except DatabaseError:
        if required:
            raise
        return None  # auto: a database we cannot reach is no reason not to diff; parse instead
    if engine is None:
        unavailable(why)
        return None
    try:
        with db.session(engine) as session:
            found = db_state.find_project(session, project_name(location, settings, project_option))
            checkpoint = dict((found.metadata_ or {}).get(CHECKPOINT_KEY) or {}) if found is not None else {}
            last = checkpoint.get("last_commit")
            if found is None or not checkpoint.get("complete") or not isinstance(last, str):
                unavailable("no complete backfill of this project", found)
                return None
            try:
                chain = git.first_parent_chain(location.top, last)
            except GitError:  # a clone without the commit the backfill ended at (a force-push), or another repository
                unavailable(f"the backfill's last commit {last[:12]} is not in this repository", found)
                return None
            order = {c: i for i, c in enumerate(chain)}
            outside = [ref for ref, c in zip(refs or commits, commits) if c not in order]
            if outside:
                if required:  # a commit of a merged branch, or one after the backfill: no backfill of it helps
                    raise UsageError(
                        f"diff --method history: {outside[0]} is not in the first-parent history of "
                        f"{last[:12]} the backfill recorded (a commit of a merged branch, or one after it); use "
                        f"--method parse, or run {quoted_command(backfill(found))} for a later commit of the main "
                        "line")
                return None
            limits = [order[c] for c in commits]
            gaps = (found.metadata_ or {}).get(GAPS_KEY)
            gap = next(filter(None, (in_gap(gaps, order, limit) for limit in limits)), None)
            if gap is not None:
                unavailable(f"commit {gap[:12]} changed specs that no sync recorded, between two that syncs did, and "
                            "the backfill merged around it: the revisions hold an older state than the files there",
                            found, backfill_helps=False)
                return None
            best: list[dict[Any, Any]] = [{}, {}]
            made = aliased(SyncRun)
            revisions = session.execute(
                select(SpecRevision.entity_id, SpecRevision.entity_type, SpecRevision.number, SpecRevision.version,
                       SpecRevision.change, SpecRevision.content_hash, SpecRevision.source_path,
                       SpecRevision.snapshot, SpecRevision.seq,
                       func.coalesce(SpecRevision.commit_sha, SyncRun.commit_sha).label("at"),
                       func.coalesce(made.started_at, SpecRevision.created_at).label("started"),
                       func.coalesce(made.finished_at, SpecRevision.created_at).label("finished"))
                # A revision a sync of a clean work tree wrote is dated by the HEAD its run recorded (as ``show
                # --at`` dates it; a backfill merged onto those rows leaves them so).
                .outerjoin(SyncRun, and_(SyncRun.id == SpecRevision.sync_run_id, SyncRun.ref.is_(None)))
                # The run that wrote it: when (``history.standing``).
                .outerjoin(made, made.id == SpecRevision.sync_run_id)
                # Database-side edits (annotated) are not what the files said at a commit, and neither are the
                # records no file holds: a results import's test cases, whose revisions name no commit and no sync
                # run, read as "changed in uncommitted files" and made every diff of a project with results parse.
                .where(SpecRevision.project_id == found.id, SpecRevision.change != "annotated",
                       SpecRevision.entity_type.in_(RECORD_KINDS))
            ).all()
            cut = git.cut_short(location.top, chain)
            if cut is not None and any(rev.at is not None and rev.at not in order for rev in revisions):
                # A shallow clone: revisions of commits before its boundary (or of commits it lacks) cannot be placed
                # in the history, and a record whose revisions all came before would read as created after.
                if required:
                    raise UsageError(
                        f"diff --method history: this clone is shallow (its history stops at {cut[:12]}) and the "
                        "recorded revisions name commits it does not hold, so which of them come before "
                        f"{(refs or commits)[0]} cannot be told; run 'git fetch --unshallow' or use --method parse")
                return None
            failed = _backfill_errors(session, found.id)
            # A revision of bytes its predecessor read too (a new parser's re-read) changed nothing at its commit.
            place = content_places(location.top, location.prefix, revisions, order)
            undated: dict[Any, list[int]] = {}  # versions synced from uncommitted files, by record
            dated: dict[Any, list[tuple[int, int]]] = {}  # (place in the chain, version), by record
            for rev in revisions:
                if rev.at is None:
                    undated.setdefault(rev.entity_id, []).append(rev.version)
                    continue
                at = place(rev)
                if at is None:
                    continue
                dated.setdefault(rev.entity_id, []).append((at, rev.version))
                for side, limit in enumerate(limits):
                    current = best[side].get(rev.entity_id)
                    if at <= limit and (current is None or (at, rev.version) > (current[0], current[1].version)):
                        best[side][rev.entity_id] = (at, rev)
            _seen_by_runs(session, found.id, revisions, order, limits, best)
            moot = next(((entity, side) for entity, versions in undated.items() for side, limit in enumerate(limits)
                         if _undated_between(best[side].get(entity), dated.get(entity, []), limit, versions)), None)
            if moot is not None:
                # No backfill dates such a revision (it keeps the rows a sync wrote): only parsing can tell.
                entity, side = moot
                rev = next(r for r in revisions if r.entity_id == entity)
                unavailable(f"{_record_name(rev)} has a revision synced from uncommitted files (a work tree or index "
                            "that differed from HEAD), which no commit dates, so the revisions cannot tell its state "
                            f"at {(refs or commits)[side]}", backfill_helps=False)
                return None
            gone = _gone_scenarios(session, best) if limits[0] <= limits[1] else {}
    finally:
        engine.dispose()
    # A record is its row: one renamed with its file (a number taken from the file name) is known by its id at the
    # second commit on both sides, so that it is a move, as sync and backfill recorded it. One the second commit
    # no longer holds keeps the id it had at the first, as the parse method names it (which sees no rename on the
    # way to a deletion): not its deleted revision's, which may be an id the first commit never had. A scenario
    # among them whose feature is still there went with it when the second commit descends from the first (the
    # parse method's ``trace.renames``): under the feature's id there.
    later = {entity: _record_name(rev) for entity, (_, rev) in best[1].items() if rev.change != "deleted"}
    for entity, (feature, number) in gone.items():
        if feature in later:
            later[entity] = f"{later[feature]}/{number}"
    states: list[dict[Key, _Rec]] = []
    for newest in best:
        state: dict[Key, _Rec] = {}
        for entity, (_, rev) in newest.items():
            key = (rev.entity_type, later.get(entity) or _record_name(rev))
            if key not in state or state[key].deleted:  # a scenario's two rows of one id today: the live one
                state[key] = _Rec(rev.source_path or "", _file_fields(rev), rev.content_hash,
                                  deleted=rev.change == "deleted")
        states.append(state)
    broken: set[str] = set()
    errors: list[Diagnostic] = []
    # A file both commits hold alike holds the same records at both, whatever they are: nothing of it changed (the
    # parse method reads only the files that differ).
    differing = _differing(places, commits, failed)
    for place, commit, newest in zip(places, commits, best):
        holders = {(rev.entity_type, _record_name(rev)): rev.source_path
                   for _, rev in newest.values() if rev.change != "deleted"}
        for path, found_errors in _broken_at(place, commit, failed).items():
            if path not in differing:
                continue
            standing = [d for d in found_errors if _stands(d, path, holders)]
            # A file that lost an id to another one parsed: its records are what the revisions say, the id the
            # other file's (a conflict the revisions show resolved is no error there).
            if any(not _lost_id(d) for d in standing):
                broken.add(path)
            errors += [Diagnostic(d.path, d.line, d.column, f"at {commit[:12]}: {d.message}", d.severity)
                       for d in standing]
    _say_nothing_of(states, broken)
    return states[0], states[1], errors


def _seen_by_runs(session: Any, project_id: Any, revisions: Sequence[Any], order: Mapping[str, int],
                  limits: list[int], best: list[dict[Any, Any]]) -> None:
    """The state a run at a commit of the history recorded without a revision (``history.standing``), where it is
    newer than the revisions dated there (``best``, updated: each record's (place, revision) at each commit), as
    ``show --at`` reads it. Asked only of the records with a revision dated by a commit outside the history up to
    that commit (a merged branch's, one amended away, a later one): else each state is dated by the commit that
    made it."""
    from tracertm.history.standing import Standing, aware, runs_since

    strays: list[dict[Any, dt.datetime]] = [{}, {}]  # by side, each record's first such revision's end
    since: dt.datetime | None = None
    for rev in revisions:
        at = order.get(rev.at) if rev.at is not None else -1
        for side, limit in enumerate(limits):
            if at is None or at > limit:
                ends = strays[side]
                ends[rev.entity_id] = min(ends.get(rev.entity_id, aware(rev.finished)), aware(rev.finished))
                since = min(since or aware(rev.started), aware(rev.started))
    if since is None:
        return
    runs = runs_since(session, project_id, since)
    by_record: dict[Any, list[Any]] = {}
    for rev in revisions:
        if rev.entity_id in strays[0] or rev.entity_id in strays[1]:
            by_record.setdefault(rev.entity_id, []).append(rev)
    for entity, revs in by_record.items():
        standing = Standing((rev.finished, rev) for rev in revs)
        for side, limit in enumerate(limits):
            if entity not in strays[side]:
                continue
            seen = standing.best(runs, order, limit, strays[side][entity])
            current = best[side].get(entity)
            if seen is not None and (current is None or seen[:2] > (current[0], current[1].version)):
                best[side][entity] = (seen[0], seen[2])


def _undated_between(best: tuple[int, Any] | None, dated: list[tuple[int, int]], limit: int,
                     versions: list[int]) -> bool:
    """Whether one of a record's undated ``versions`` may be its state at the commit at ``limit`` in the chain: one
    newer than its newest revision dated there (``best``) and older than every revision dated after it."""
    low = best[1].version if best is not None else 0
    high = min((version for at, version in dated if at > limit), default=None)
    return any(low < v and (high is None or v < high) for v in versions)


def _record_name(rev: Any) -> str:
    """A record as a message names it, from one of its revisions: ``ADR-0001``, a scenario ``FEAT-1/SC-2`` by
    today's id (a title re-spaced under an earlier rule made two rows of one scenario: one name, as parse has)."""
    if rev.entity_type != "scenario":
        return str(rev.number)
    return f"{(rev.snapshot or {}).get('feature_number')}/{' '.join(rev.number.split())}"


def _file_fields(rev: Any) -> dict[str, Any]:
    """A revision's fields as its file held them: an ADR whose file had no date has in its snapshot the date a
    backfill filled in (the creating commit's; README "ADR dates"), which its content hash leaves out — compared as
    such, a date the file gains or loses (the very date filled in, an ambiguous one) would be no change, where the
    parse method reports one. Told by the hash: the snapshot's own is not the revision's, the one without the date
    is."""
    fields = dict(rev.snapshot or {})
    if rev.entity_type == "scenario" and isinstance(fields.get("scenario_number"), str):
        fields["scenario_number"] = " ".join(fields["scenario_number"].split())
    if (rev.entity_type == "adr" and fields.get("date") is not None and rev.content_hash
            and content_hash("adr", fields) != rev.content_hash
            and content_hash("adr", {**fields, "date": None}) == rev.content_hash):
        fields["date"] = None
    return fields


def _gone_scenarios(session: Any, best: list[dict[Any, Any]]) -> dict[Any, tuple[Any, str]]:
    """The scenarios live at the first commit and not at the second (``best``: the newest revision of each record
    at each), each with its feature's row id and its number at the first (as ``_record_name`` names it)."""
    from sqlalchemy import select

    from tracertm.engine.apply import iter_chunks
    from tracertm.models import Scenario

    numbers = {entity: rev.number for entity, (_, rev) in best[0].items() if rev.entity_type == "scenario"
               and rev.change != "deleted" and (entity not in best[1] or best[1][entity][1].change == "deleted")}
    t = Scenario.__table__.c
    out: dict[Any, tuple[Any, str]] = {}
    for chunk in iter_chunks(list(numbers)):
        for row in session.execute(select(t.id, t.feature_id).where(t.id.in_(chunk))):
            out[row.id] = (row.feature_id, " ".join(numbers[row.id].split()))
    return out


def _backfill_errors(session: Any, project_id: Any) -> dict[str, dict[str, list[Diagnostic]]]:
    """The spec errors the backfill met, by file and by the commit that made the file so (``sync_runs.errors`` of
    its runs: each names its commit). A file's findings at a commit are one set, the newest run's that lists them:
    a merge's run lists every error of the history again (its run stands for it, ``Checkpoints.errors_in``), and
    a backfill after a rewrite (an amend) merges, so the runs of the commits both histories share list theirs twice
    (and a later release may word them otherwise)."""
    from sqlalchemy import select

    from tracertm.models import SyncRun

    out: dict[str, dict[str, list[Diagnostic]]] = {}
    for errors in session.execute(select(SyncRun.errors).where(
            SyncRun.project_id == project_id, SyncRun.trigger == "backfill")
            .order_by(SyncRun.started_at, SyncRun.finished_at)).scalars():
        found: dict[str, dict[str, list[Diagnostic]]] = {}  # this run's
        for e in errors or ():
            if isinstance(e, dict) and e.get("commit") and e.get("path") and e.get("severity", "error") == "error":
                diag = Diagnostic(str(e["path"]), int(e.get("line") or 0), int(e.get("column") or 0),
                                  str(e.get("message") or ""), "error")
                found.setdefault(diag.path, {}).setdefault(str(e["commit"]), []).append(diag)
        for path, by_commit in found.items():
            out.setdefault(path, {}).update(by_commit)
    return out


def _differing(places: Sequence[Any], commits: list[str], paths: Iterable[str]) -> set[str]:
    """Those of ``paths`` whose content differs between the two commits (or that only one of them has), each
    read in the spec folder there (``places``: a project's folder may have moved between them)."""
    from tracertm import git

    names = {p: [f"{commit}:{place.prefix}{p}" for commit, place in zip(commits, places)] for p in paths}
    blobs = git.object_ids(places[1].top, [name for pair in names.values() for name in pair])
    return {p for p, (old, new) in names.items() if blobs.get(old) != blobs.get(new)}


def _lost_id(error: Diagnostic) -> bool:
    """Whether ``error`` says its file lost an id to another file (``engine.plan.conflict``)."""
    from tracertm.engine.plan import conflict_claim

    return conflict_claim(error.message) is not None


def _stands(error: Diagnostic, path: str, holders: Mapping[Key, str | None]) -> bool:
    """Whether ``error``, met by the backfill in ``path`` at the last commit that changed it, is still the file's at
    a later commit where ``holders`` hold the records (kind, id → file). An error of the file's own content is; that
    it lost an id to another file (``engine.plan.conflict``) only while the id is not its own: once the other file
    went away (deleted, renamed, renumbered), the backfill gave it the id, though it did not change."""
    from tracertm.engine.plan import conflict_claim

    claim = conflict_claim(error.message)
    return claim is None or holders.get(claim) != path


def _broken_at(location: Any, commit: str, failed: Mapping[str, Mapping[str, list[Diagnostic]]]
               ) -> dict[str, list[Diagnostic]]:
    """The files that do not parse at ``commit``: those whose last change at or before it (first parent, as the
    backfill walked the history) is one the backfill met an error in."""
    from tracertm import git

    out: dict[str, list[Diagnostic]] = {}
    for path, by_commit in failed.items():
        # Literal (``git.pathspecs``): as a glob, ``a[bc].yaml`` is ``ab.yaml``'s last change, not its own.
        last = git.run(location.top, "rev-list", "-1", "--first-parent", commit, "--",
                       *git.pathspecs((location.prefix + path,))).decode().strip()
        if last in by_commit:
            out[path] = by_commit[last]
    return out
