"""The no-op fast path of ``tracertm sync`` and ``tracertm hook sync``: prove that nothing changed, at git's speed.

Most syncs change nothing (a hook after a commit that touched no spec, a CI step, a habit). The full engine needs
SQLAlchemy's ORM, the models and a migration check before it can even look; that start-up costs more than the
whole answer. This module answers "nothing changed" with the scan the engine itself uses (git's index and
``git ls-files``; ``engine.scan`` imports nothing heavy) and a few reads through the database driver (``sqlite3``
or ``psycopg``), then records the run — the ``sync_runs`` row and the project's ``last_synced_*`` columns, exactly
what a no-op of the full engine writes — in the same short transaction, under the same per-project write lock.

Correctness first: the fast path answers only when it has proven that the full engine would write nothing but the
run itself. Every condition under which the engine writes more (or reports a finding, or might) makes it give up
with a :class:`Miss` naming the reason, and the caller runs the full engine, which then does exactly what it
always did. The conditions, in the order they are checked:

- options the fast path does not serve: ``--full`` (the CLI never asks), ``--format json`` with stored warnings;
  a plain folder (its stat cache may need refreshing); ``$TRACERTM_FASTPATH=0``.
- the configuration names a glob that matches nothing (a warning to print);
- the scan found a file it cannot use (a symlink out of the tree, an unreadable or oversized file);
- the database: not a SQLite file or PostgreSQL URL this module can open, missing, unreachable, not at
  ``db.SCHEMA_HEAD`` (the full engine migrates or refuses it);
- the project: absent (created, or renamed after its remote, by the engine; a name derived from the folder that
  is no project's finds the one project that records this work tree and folder and has this repository's root
  commit, which the engine follows here, ``engine.identity.moved_here``: none, several or another root give way),
  without a root commit (adopted; not by a shallow clone, whose root is unknown), of another repository (refused;
  a shallow clone lacking the stored root cannot be told apart and is accepted, as by the engine), with another
  ``origin`` URL (updated), synced from another folder of the repository or with no folder recorded
  (``engine.identity``: refused, or the project moved and the engine records its new folder);
- links never built for the project, or step links never built, or matched by an older step matcher
  (``engine.step_sync.STEP_MATCHER``), while there are step files (the engine builds or re-matches them once);
- parser options (``Settings.parser_digest``: date format, id patterns...) other than those of the last sync, or
  never recorded (the engine re-parses every file, or records them);
- records made by another version of the parsers (``parsers.common.PARSER_OUTPUT``, or none recorded: an upgrade;
  the engine parses every file again once);
- another run of the project still registered as ``running`` (the engine marks abandoned ones ``failed``), or
  the write lock taken by another writer (the engine waits for it; the fast path never waits);
- the file index differs from the scan in any way: a new, changed, removed, restored or re-classified file, or
  a stat-cache entry (mtime) that moved;
- a file with stored errors (reported again, exit 1; a file that lost an identity is also re-read), or errors the
  newest finished run found in a file with no row (a held new file that does not parse: ``status`` lists them).
"""

from __future__ import annotations

import datetime as dt
import json
import os
from dataclasses import dataclass, field
from pathlib import Path
from typing import TYPE_CHECKING, Any

from tracertm import git
from tracertm.config import PARSER_OPTIONS_KEY, Settings, load_settings
from tracertm.errors import Diagnostic, TracertmError
from tracertm.kinds import FILE_KINDS, KINDS, RECORD_KINDS

if TYPE_CHECKING:
    import uuid

    from tracertm.engine.scan import Location, Snapshot

# Environment switch: "0" turns the fast path off (the full engine answers every sync; benchmarks compare both).
ENV_SWITCH = "TRACERTM_FASTPATH"
# Facts owned by heavier modules, mirrored here so that this module does not import them (tests keep them equal):
# the project metadata keys that say links (``engine.links``) and step links (``engine.sync``) were built, and by
# which step matcher (``engine.step_sync``).
LINKS_FORMAT_KEY = "links_format"
LINKS_FORMAT = 4
STEP_TYPES_KEY = "step_parameter_types"
STEP_MATCHER_KEY = "step_matcher"
STEP_MATCHER = 12
# ``engine.parsed_by``: the version of the parsers the project's records were made by.
PARSER_OUTPUT_KEY = "parser_output"
PARSER_OUTPUT = 38
# ``engine.identity.SPEC_ROOT_KEY``: the folder the project was last synced from, as a path from the top of the work
# tree ("." for the top).
SPEC_ROOT_KEY = "spec_root"
# ``engine.identity.WORK_TREE_KEY``: the work tree (the absolute path of its top) the project was last synced from.
WORK_TREE_KEY = "work_tree"
# The columns of ``sync_runs.counts`` per kind, as ``engine.sync`` writes them.
ACTIONS = ("created", "updated", "deleted", "restored", "moved", "unchanged", "errors")
# How long the fast path waits for SQLite's write lock before leaving the wait to the full engine.
_SQLITE_BUSY_S = 0.05


@dataclass(frozen=True)
class Scanned:
    """What the fast path read of the repository before it gave up: ``engine.sync.sync(scanned=)`` starts from it
    instead of reading it all again. A sync that changes something read it twice (five git commands: the top of the
    work tree, the origin URL, the index, the work tree's status, the hashes of modified files — and on a large
    repository most of the scan's time). The engine scans before it takes the project's write lock anyway; this
    scan is only the few milliseconds of the fast path's database reads older."""

    location: Location
    settings: Settings
    origin: str | None
    snapshot: Snapshot


@dataclass(frozen=True)
class Miss:
    """The fast path gave up: the full engine must run. ``reason`` says why (for tests and ``--traceback``-style
    debugging; it is never an error)."""

    reason: str
    # An error the full engine would report only after the same wait (a PostgreSQL server that accepts and never
    # answers: its connection timeout): raise it rather than run the engine, which would wait that long again.
    error: TracertmError | None = None
    # The scan, when the fast path gave up after it (the files or the database said "changed"); None when it gave up
    # before scanning or on an error, which the engine then meets and reports itself.
    scanned: Scanned | None = None


@dataclass
class NoopSync:
    """A sync proven to change nothing, shaped like ``engine.sync.SyncResult`` for the CLI's output functions."""

    project: str
    root: Path
    source: str
    commit: str | None
    dry_run: bool
    counts: dict[str, dict[str, int]]
    files_scanned: int
    run_id: uuid.UUID | None
    warnings: list[Diagnostic] = field(default_factory=list)
    files_parsed: int = 0
    errors: list[Diagnostic] = field(default_factory=list)
    links: list[Diagnostic] = field(default_factory=list)
    operations: list[Any] = field(default_factory=list)
    findings: list[tuple[str, str]] = field(default_factory=list)  # (no file's stored findings change)

    @property
    def changed(self) -> bool:
        return False

    def as_dict(self) -> dict[str, Any]:
        """The same JSON as ``SyncResult.as_dict`` of the full engine's no-op."""
        return {
            "project": self.project,
            "root": str(self.root),
            "source": self.source,
            "commit": self.commit,
            "dry_run": self.dry_run,
            "counts": self.counts,
            "files": {"scanned": self.files_scanned, "parsed": 0, "findings": []},
            "errors": [],
            "warnings": [d.as_dict() for d in self.warnings],
            "operations": [],
            "run_id": str(self.run_id) if self.run_id else None,
            "links": [],
        }


class _Give(Exception):
    """Internal: leave the fast path with this reason."""


class _Timeout(Exception):
    """Internal: the database server did not answer within the connection timeout (its driver's first line)."""


class _Unreachable(Exception):
    """Internal: leave the fast path with the error the engine would give after the same timeout."""

    def __init__(self, error: TracertmError) -> None:
        super().__init__(str(error))
        self.error = error


def attempt(
    path: str | os.PathLike[str] | None = None,
    *,
    ref: str | None = None,
    staged: bool = False,
    project: str | None = None,
    database_url: str | None = None,
    dry_run: bool = False,
    trigger: str | None = None,
    warnings_ok: bool = True,
) -> NoopSync | Miss:
    """``sync(path, ref=, staged=, project=, database_url=, dry_run=, trigger=)`` when it would change nothing:
    the run is recorded (unless ``dry_run``) and a :class:`NoopSync` returned. Anything else — including any error
    the full engine would report — is a :class:`Miss`: nothing was written, run the full engine.
    ``warnings_ok=False``: give up when files have stored warnings (the caller would have to print them)."""
    if os.environ.get(ENV_SWITCH, "1") == "0":
        return Miss("disabled by $TRACERTM_FASTPATH=0")
    if ref and staged:
        return Miss("--ref with --staged")
    if ref is not None and not ref.strip():
        return Miss("an empty --ref (the engine refuses it)")
    job = _Attempt(path, ref, staged, project, database_url, dry_run, trigger, warnings_ok)
    try:
        return job.run()
    except _Give as give:
        return Miss(str(give), scanned=job.scanned)
    except _Unreachable as gone:
        return Miss(f"database: {gone.error}", gone.error)
    except TracertmError as exc:  # the full engine reports it, in its own words
        return Miss(f"error: {exc}")
    except Exception as exc:  # noqa: BLE001 - e.g. a stored value of an unexpected shape: the engine decides
        return Miss(f"unexpected {type(exc).__name__}: {exc}")


@dataclass
class _Attempt:
    path: str | os.PathLike[str] | None
    ref: str | None
    staged: bool
    project_option: str | None
    database_url: str | None
    dry_run: bool
    trigger: str | None
    warnings_ok: bool
    scanned: Scanned | None = None  # (set once the scan is done: ``Miss.scanned``)

    def run(self) -> NoopSync:
        from tracertm.engine.scan import Location, scan

        location = Location.find(self.path)
        if location.top is None:
            raise _Give("a plain folder (stat cache)")
        if self.staged:  # (what the commit will hold decides which files are specs, as in ``sync``)
            from tracertm.staged_config import staged_sync_settings

            settings = staged_sync_settings(location)
        else:
            settings = load_settings(location.root)
        origin = git.origin_url(location.top)
        name, derived = _project_name(location.root, location.top, origin, settings, self.project_option)
        snapshot = scan(location, settings, ref=self.ref, staged=self.staged)
        self.scanned = Scanned(location, settings, origin, snapshot)
        try:
            if settings.unmatched(snapshot.files):
                raise _Give("a configured glob matches nothing (a warning)")
            # An unusable .adr-dir, a spec folder that is a symbolic link: warnings the no-op prints as the engine.
            notes = ([settings.adr_dir_warning] if settings.adr_dir_warning is not None else []) + snapshot.linked
            if notes and not self.warnings_ok:
                raise _Give("a warning about the configuration or a linked spec folder")
            broken = sorted(p for p, f in snapshot.files.items() if f.error is not None)
            if broken:
                raise _Give(f"{broken[0]}: cannot be used ({snapshot.files[broken[0]].error})")
        finally:
            snapshot.close()
        url, source = _database_url(self.database_url, settings)
        try:
            db = _open(url)
        except _Timeout as timeout:
            raise _Unreachable(_unreachable(url, source, str(timeout))) from None
        try:
            with db:
                name, counts, run_id, warnings = self._check_and_record(db, location.top, name, derived, origin,
                                                                        snapshot, settings.parser_digest)
        except db.errors as exc:
            first = (str(exc).strip().splitlines() or [""])[0]
            raise _Give(f"database: {type(exc).__name__}: {first}") from None
        return NoopSync(name, location.root, snapshot.source, snapshot.commit, self.dry_run, counts,
                        len(snapshot.files), run_id, notes + warnings)

    def _check_and_record(self, db: _Driver, top: Path, name: str, derived: bool, origin: str | None,
                          snapshot: Any, options: str
                          ) -> tuple[str, dict[str, dict[str, int]], uuid.UUID | None, list[Diagnostic]]:
        """Under the write lock (a read transaction for a dry run): prove the no-op, then record the run. Returns
        the project's name: another than ``name`` for a project followed here (``_follow``)."""
        db.begin(write=not self.dry_run, name=name)
        found = db.project(name)
        if found is None and derived:
            name = self._follow(db, top, name, _spec_root(snapshot.location.prefix))
            found = db.project(name)
        if found is None:
            raise _Give(f"project {name!r} not in the database")
        project_id, root_commit, repo_url, metadata = found
        if root_commit is None and not git.root_unknown(top):  # (a shallow clone adopts no root: nothing to write)
            raise _Give("project has no root commit yet")
        if origin and repo_url != origin:
            raise _Give("origin URL changed")
        if not isinstance(metadata, dict) or metadata.get(LINKS_FORMAT_KEY) != LINKS_FORMAT:
            raise _Give("links never built in this format")
        if metadata.get(SPEC_ROOT_KEY) != _spec_root(snapshot.location.prefix):
            raise _Give("synced from another folder of the repository, or no folder recorded")
        if STEP_TYPES_KEY not in metadata and _has_step_files(snapshot):
            raise _Give("step links never built")  # (without step files there is nothing to build)
        if metadata.get(STEP_MATCHER_KEY) != STEP_MATCHER and _has_step_files(snapshot):
            raise _Give("step links matched by an older step matcher")  # (an upgrade: the engine re-matches once)
        if metadata.get(PARSER_OPTIONS_KEY) != options:
            raise _Give("parser options changed since the last sync, or never recorded")
        if metadata.get(PARSER_OUTPUT_KEY) != PARSER_OUTPUT:
            raise _Give("records parsed by an older version of the parsers")  # (an upgrade: parsed again once)
        if db.running(project_id):
            raise _Give("another run of the project is registered as running")
        warnings = _compare(snapshot.files, db.files(project_id))
        if db.unrowed_errors(project_id):
            raise _Give("the last sync found errors in files with no row (held, or not UTF-8 named)")
        if warnings and not self.warnings_ok:
            raise _Give("files with stored warnings")
        # A shallow clone lacking the stored root cannot disprove it and is accepted, as the engine does; its check
        # (a ``rev-parse``, a walk of the short history) runs only when the lookup fails.
        if root_commit is not None and not git.has_commit(top, root_commit) and not git.root_unknown(top):
            raise _Give("project belongs to another repository")
        # The engine records which clone synced a project (read verbs tell two clones synced as two projects apart
        # by it), once: a no-op from another clone (CI runners sharing a server, each its own checkout) stays here.
        if WORK_TREE_KEY not in metadata:
            raise _Give("no work tree recorded")
        live = db.live_counts(project_id)
        counts: dict[str, dict[str, int]] = {
            k: {a: (live.get(k, 0) if a == "unchanged" else 0) for a in ACTIONS} for k in RECORD_KINDS
        }
        run_id: uuid.UUID | None = None
        if not self.dry_run:
            import uuid  # only a recorded run needs an id

            run_id = uuid.uuid4()
            synced: str | None | bool = False  # False: leave last_synced_commit alone (index syncs)
            if snapshot.source == "commit":
                synced = snapshot.commit
            elif snapshot.source == "worktree":
                synced = git.head_commit(top)
            # The commit's own date (HEAD's for the index), as the engine records it (``sync_runs.committed_at``;
            # ``git.commit_info`` would import the history module, which a no-op does not need).
            committed = None
            if snapshot.commit:
                shown = git.run(top, *git.NO_SIGNATURES, "show", "-s", "--format=%cI", snapshot.commit)
                date = shown.decode().strip()
                committed = git.iso_date(date)  # None for a date git cannot read (``%cI`` printed as it is)
            db.record(project_id, run_id, _trigger(self.trigger), self._ref_label(), snapshot.commit, committed,
                      counts, synced)
        db.commit()
        return name, counts, run_id, warnings

    def _follow(self, db: _Driver, top: Path, name: str, spec_root: str) -> str:
        """The name of the project a sync of this folder follows, ``name`` (derived from the folder) being no
        project's: the one ``engine.identity.moved_here`` finds as "followed here before" (``_recorded_here``) — the
        one project that records this work tree and this folder, of this repository's history (the root commit
        the engine compares, not only one it holds: a project of a history merged into this one is not followed).
        Anything else (none, several, a folder moved just now: the engine's note) gives way. Taken under that
        project's write lock too (the engine's sync takes it by that name), and found again under it."""
        here = db.recorded_here(top, spec_root)
        if here is None:
            raise _Give(f"project {name!r} not in the database, and no one project followed to this folder")
        if not self.dry_run:
            db.lock(here[0])
            if db.recorded_here(top, spec_root) != here:
                raise _Give("the project followed to this folder changed meanwhile")
        if here[1] is None or git.root_commit(top) != here[1]:  # (None too in a shallow clone: the engine's root)
            raise _Give(f"project {here[0]!r} followed to this folder is of another history, or of an unknown root")
        return here[0]

    def _ref_label(self) -> str | None:
        return self.ref or ("INDEX" if self.staged else None)


def _has_step_files(snapshot: Any) -> bool:
    """Whether the scan found a step-definition file (only then are there step links to build or re-match)."""
    return any(f.kind == "step_definition" for f in snapshot.files.values())


def _project_name(
    root: Path, top: Path, origin: str | None, settings: Settings, option: str | None
) -> tuple[str, bool]:
    """The project name as ``engine.naming.project_name`` derives it (a project renamed after a new remote is not
    found under the new name: the full engine renames it), in NFC as that stores it (``text.name_form``); and
    whether it is the folder's name (no option, configuration or remote: a project moved here may be followed)."""
    from tracertm.text import name_form

    if option:
        return name_form(option), False
    if settings.project:
        return name_form(settings.project), False
    if top == root:
        remote = git.remote_name(origin)
        if remote:
            return name_form(remote), False
    return name_form(root.name), True


def _spec_root(prefix: str) -> str:
    """The spec root as ``engine.identity.spec_root_of`` records it, from ``Location.prefix``."""
    return prefix[:-1] if prefix else "."


def _trigger(trigger: str | None) -> str:
    if trigger:
        return trigger
    return "ci" if os.environ.get("CI") else "cli"


def _compare(scanned: dict[str, Any], stored: dict[str, tuple[str, str, Any, int | None]]) -> list[Diagnostic]:
    """Give up unless the file index holds exactly the scanned files, and none with a stored error; returns the
    stored warnings (what the engine's no-op reports again)."""
    if len(stored) != len(scanned):
        raise _Give("a file was added or removed")
    warnings: list[Diagnostic] = []
    for path in sorted(scanned):
        f = scanned[path]
        row = stored.get(path)
        if row is None:
            raise _Give(f"{path}: not in the file index (new, restored or renamed)")
        kind, blob, findings, mtime_ns = row
        if blob != f.blob_sha or kind != f.kind:
            raise _Give(f"{path}: changed")
        if f.mtime_ns is not None and mtime_ns != f.mtime_ns:
            raise _Give(f"{path}: stat cache out of date")
        if findings:
            for item in [findings] if isinstance(findings, dict) else findings:
                if not isinstance(item, dict) or item.get("severity", "error") != "warning" or item.get("conflict"):
                    raise _Give(f"{path}: has stored errors")
                warnings.append(Diagnostic(path, int(item.get("line", 0)), int(item.get("column", 0)),
                                           str(item.get("message", "")), "warning"))
    return warnings


def _database_url(option: str | None, settings: Settings) -> tuple[str, str]:
    from tracertm.db import resolve_database_url

    return resolve_database_url(option, settings.database_url)


# ------------------------------------------------------------------------------------------------- drivers


class _Driver:
    """A few statements through the DB-API driver; SQL uses ``?`` placeholders (rewritten for psycopg)."""

    paramstyle_pg = False

    def __init__(self, conn: Any, errors: type[Exception]) -> None:
        self.conn = conn
        self.cur = conn.cursor()
        self.errors = errors  # the driver's base error: any of them means "give up", never a crash

    def __enter__(self) -> _Driver:
        return self

    def __exit__(self, *exc: object) -> None:
        # Rolled back before the close, not by it: a ROLLBACK is answered once the server has released the
        # transaction's advisory lock, where a close returns at once and PostgreSQL's backend releases the lock only
        # when it has seen the connection end — the next fast path (or sync) a moment later found the project's
        # lock still held by a fast path that had given way.
        try:
            self.conn.rollback()
        except self.errors:
            pass  # (a connection gone: nothing of it to roll back)
        finally:
            self.conn.close()

    def q(self, sql: str, params: tuple[Any, ...] = ()) -> list[tuple[Any, ...]]:
        self.cur.execute(sql.replace("?", "%s") if self.paramstyle_pg else sql, params)
        return list(self.cur.fetchall()) if self.cur.description else []

    def begin(self, *, write: bool, name: str) -> None:
        raise NotImplementedError

    def lock(self, name: str) -> None:
        """Take the write lock of the project ``name`` too (SQLite's ``BEGIN IMMEDIATE`` holds the whole file)."""

    def commit(self) -> None:
        self.conn.commit()

    def _json(self, value: Any) -> Any:
        return json.loads(value) if isinstance(value, (str, bytes)) else value

    def schema(self) -> None:
        from tracertm.db import SCHEMA_HEAD

        rows = self.q("SELECT version_num FROM alembic_version")
        if [r[0] for r in rows] != [SCHEMA_HEAD]:
            raise _Give("schema not at head")

    def project(self, name: str) -> tuple[Any, str | None, str | None, Any] | None:
        rows = self.q("SELECT id, root_commit, repo_url, project_metadata FROM projects WHERE name = ?", (name,))
        if not rows:
            return None
        pid, root, url, metadata = rows[0]
        return pid, root, url, self._json(metadata)

    def recorded_here(self, top: Path, spec_root: str) -> tuple[str, str | None] | None:
        """(name, root commit) of the one project that records ``top`` as its work tree and ``spec_root`` as its
        folder (``engine.identity``'s keys); None for none or several. Every project's metadata is read: a
        database holds few, and the JSON operators differ between SQLite and PostgreSQL."""
        found = []
        for name, root, metadata in self.q("SELECT name, root_commit, project_metadata FROM projects"):
            metadata = self._json(metadata)
            tree = metadata.get(WORK_TREE_KEY) if isinstance(metadata, dict) else None
            if isinstance(tree, str) and Path(tree) == top and metadata.get(SPEC_ROOT_KEY) == spec_root:
                found.append((name, root))
        return found[0] if len(found) == 1 else None

    def running(self, project_id: Any) -> bool:
        return bool(self.q("SELECT 1 FROM sync_runs WHERE project_id = ? AND status = 'running' LIMIT 1",
                           (project_id,)))

    def files(self, project_id: Any) -> dict[str, tuple[str, str, Any, int | None]]:
        """The live rows of the file index: path → (kind, blob id, stored findings, mtime_ns)."""
        rows = self.q(
            "SELECT path, kind, blob_sha, parse_error, mtime_ns FROM source_files "
            "WHERE project_id = ? AND deleted_at IS NULL",
            (project_id,),
        )
        return {r[0]: (r[1], r[2], self._json(r[3]) if r[3] is not None else None, r[4]) for r in rows}

    def unrowed_errors(self, project_id: Any) -> bool:
        """Whether the newest finished run found errors though no live row holds one (``_compare`` gave up on those
        that do): ``status`` lists them (``repositories.projects._unrowed``: a held new file that does not parse),
        and a no-op run, recording none, would clear them; the engine tells whether the files still have them."""
        newest: tuple[Any, ...] | None = None
        for status in ("ok", "errors"):  # an indexed search each, by (project, status): not a walk of its runs
            rows = self.q("SELECT trigger, errors, started_at FROM sync_runs WHERE project_id = ? AND status = ? "
                          "ORDER BY started_at DESC LIMIT 1", (project_id, status))
            if rows and (newest is None or rows[0][2] > newest[2]):
                newest = rows[0]
        return newest is not None and newest[0] != "backfill" and bool(self._json(newest[1]))

    def live_counts(self, project_id: Any) -> dict[str, int]:
        """Live records per kind, as ``engine.state.count_live`` counts them, in one statement.

        In a database holding one project (the embedded default's usual case) every ADR, contract, feature and
        scenario is that project's: they are counted from their ``deleted_at`` indexes alone instead of visiting
        every row (20,000 scenarios are most of a no-op's database time). Step definitions may belong to no
        project (a shared library) and are always counted by project."""
        only = self.q("SELECT count(*) FROM projects")[0][0] == 1
        parts: list[str] = []
        params: list[Any] = []
        for kind in FILE_KINDS:
            table = KINDS[kind].table
            if only and kind != "step_definition":
                parts.append(f"(SELECT count(*) FROM {table} WHERE deleted_at IS NULL)")
            else:
                parts.append(f"(SELECT count(*) FROM {table} WHERE project_id = ? AND deleted_at IS NULL)")
                params.append(project_id)
        if only:
            parts.append("(SELECT count(*) FROM scenarios WHERE deleted_at IS NULL)")
        else:
            parts.append(
                "(SELECT count(*) FROM scenarios s JOIN features f ON s.feature_id = f.id "
                "WHERE f.project_id = ? AND s.deleted_at IS NULL)"
            )
            params.append(project_id)
        row = self.q("SELECT " + ", ".join(parts), tuple(params))[0]
        return dict(zip([*FILE_KINDS, "scenario"], (int(n) for n in row)))

    def record(
        self, project_id: Any, run_id: uuid.UUID, trigger: str, ref: str | None, commit: str | None,
        committed: dt.datetime | None, counts: dict[str, dict[str, int]], synced: str | None | bool,
    ) -> None:
        """The run's ``sync_runs`` row (status ``ok``) and the project's ``last_synced_*``, as the engine writes
        them for a no-op. Dated by the database's clock, as the engine dates runs (``models.types.clock``)."""
        started = self.q("SELECT " + self._clock)[0][0]  # in the form the column stores
        self.q(
            "INSERT INTO sync_runs (id, project_id, trigger, ref, commit_sha, committed_at, started_at, finished_at, "
            "status, counts, errors) VALUES (?, ?, ?, ?, ?, ?, ?, ?, 'ok', ?, ?)",
            (self._uuid(run_id), project_id, trigger, ref, commit,
             None if committed is None else self._time(committed), started, started,
             self._dump(counts), self._dump([])),
        )
        if synced is False:
            self.q(f"UPDATE projects SET last_synced_at = ?, updated_at = {self._now} WHERE id = ?",
                   (started, project_id))
        else:
            self.q(
                f"UPDATE projects SET last_synced_commit = ?, last_synced_at = ?, updated_at = {self._now} "
                "WHERE id = ?",
                (synced, started, project_id),
            )

    _now = "CURRENT_TIMESTAMP"
    _clock = "CURRENT_TIMESTAMP"  # models.types.clock

    def _uuid(self, value: uuid.UUID) -> Any:
        return value

    def _time(self, value: dt.datetime) -> Any:
        return value

    def _dump(self, value: Any) -> Any:
        return json.dumps(value)


class _SQLite(_Driver):
    # The values SQLAlchemy stores (models/types.py): Uuid as 32 hex digits, naive UTC text, JSON text; the
    # ``utcnow()`` server default's millisecond timestamp.
    _now = _clock = "(strftime('%Y-%m-%d %H:%M:%f', 'now'))"

    def begin(self, *, write: bool, name: str) -> None:
        import sqlite3

        # As the engine's connections (db/engines.py): WAL is the file's own mode; a commit needs no fsync in WAL
        # mode.
        self.conn.execute("PRAGMA synchronous=NORMAL")
        try:
            self.conn.execute("BEGIN IMMEDIATE" if write else "BEGIN")
        except sqlite3.OperationalError as exc:
            raise _Give(f"database busy ({exc})") from None
        self.schema()

    def _uuid(self, value: uuid.UUID) -> Any:
        return value.hex

    def _time(self, value: dt.datetime) -> Any:
        return value.astimezone(dt.timezone.utc).replace(tzinfo=None).strftime("%Y-%m-%d %H:%M:%S.%f")


class _Postgres(_Driver):
    paramstyle_pg = True
    _now = "now()"
    _clock = "clock_timestamp()"

    def begin(self, *, write: bool, name: str) -> None:
        if write:
            self.lock(name)
        self.schema()

    def lock(self, name: str) -> None:
        from tracertm.db import project_lock_key

        got = self.q("SELECT pg_try_advisory_xact_lock(?)", (project_lock_key(name),))
        if not got or not got[0][0]:
            raise _Give("another writer holds the project's lock")

    def _dump(self, value: Any) -> Any:
        from psycopg.types.json import Jsonb

        return Jsonb(value)


def _open(url: str) -> _Driver:
    """A driver connection for ``url``, or give up (anything unusual is the full engine's to handle)."""
    scheme, sep, rest = url.partition("://")
    if not sep:
        raise _Give("not a database URL")
    if scheme in ("sqlite", "sqlite+pysqlite"):
        return _open_sqlite(rest)
    if scheme in ("postgresql", "postgres", "postgresql+psycopg", "postgresql+psycopg2"):
        return _open_postgres("postgresql://" + rest)
    raise _Give(f"database scheme {scheme!r}")


def _open_sqlite(rest: str) -> _Driver:
    import sqlite3
    from urllib.parse import quote

    # sqlite:///relative/path or sqlite:////absolute/path; no host, no query, no in-memory database.
    if not rest.startswith("/") or "?" in rest or "%" in rest or rest in ("/", "/:memory:"):
        raise _Give("SQLite URL form")
    database = rest[1:]
    if database.startswith("file:") or not Path(database).is_file():
        raise _Give("no SQLite file yet")
    try:
        conn = sqlite3.connect(
            f"file:{quote(database)}?mode=rw", uri=True, timeout=_SQLITE_BUSY_S, isolation_level=None
        )
    except sqlite3.Error as exc:
        raise _Give(f"cannot open SQLite file ({exc})") from None
    return _SQLite(conn, sqlite3.Error)


def _open_postgres(conninfo: str) -> _Driver:
    try:
        import psycopg
    except ImportError:
        raise _Give("psycopg not installed") from None
    try:
        # Bounded as db.engines bounds it (PG_CONNECT_TIMEOUT_S), unless the URL says how long (a keyword argument
        # would override the URL's own: the fast path waited 10 s where the user asked for less, or more).
        if "connect_timeout=" in conninfo.partition("?")[2]:
            conn = psycopg.connect(conninfo, client_encoding="utf8")
        else:
            conn = psycopg.connect(conninfo, connect_timeout=10, client_encoding="utf8")
    except psycopg.Error as exc:
        first = (str(exc).strip().splitlines() or [""])[0]
        if isinstance(exc, psycopg.OperationalError) and "timeout expired" in first:
            raise _Timeout(first) from None
        raise _Give(f"cannot connect ({type(exc).__name__})") from None
    return _Postgres(conn, psycopg.Error)


def _unreachable(url: str, source: str, first: str) -> TracertmError:
    """The engine's line for a database it cannot connect to (``db.failures.database_unavailable``)."""
    from tracertm.db.urls import parse_url, redact
    from tracertm.errors import DatabaseError

    return DatabaseError(f"cannot use database {redact(parse_url(url, source))}: {first}; check {source}")


__all__ = ["ENV_SWITCH", "Miss", "NoopSync", "attempt"]
