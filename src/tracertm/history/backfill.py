"""``tracertm.backfill()``: replay the first-parent history of a ref into the database, one revision per change.

How it stays fast (see the README section "Backfill"):

- **One streaming git process** lists the whole history: ``git log --first-parent --reverse --raw -z
  --no-renames`` restricted to the spec folders by pathspecs. Only commits that touch a spec folder come out, each
  with the blob ids of the files it changed, so an unchanged file costs nothing.
- **Batched blob reads** through the one long-lived ``git cat-file --batch`` (``git.BlobReader.read_many``), and
  parsing proportional to changed blobs (results cached by (kind, path, blob id); large batches in worker processes).
- **The ordinary pipeline per commit**: the changed files of a commit are planned with ``sync.plan.plan`` against an
  in-memory view of the current state (kept in step with what is written, never re-queried), with that commit as
  provenance (sha, author, committed date) — so versions, moves, restores and parse-error handling are exactly the
  ordinary sync's.
- **Batches**: the plans of ``batch_size`` commits that touch specs are written in one transaction under the project
  lock, together with one ``sync_runs`` row (trigger ``backfill``) and the checkpoint. The writes are collapsed
  (``_Writer``): one insert or version-guarded update per row touched in the batch and one statement for all its
  revisions, built with ``sync.apply``'s own row and revision builders (calling ``apply`` per commit spent half of
  the run in statement overhead).

The checkpoint lives in ``projects.project_metadata["backfill"]``: ``{"ref", "head", "last_commit", "commits_done",
"runs", "complete", "reconcile"}``. It is written in the same transaction as the batch, so a kill leaves the
database at a batch boundary; the next run continues after ``last_commit`` (automatically, or explicitly with
``resume=True``) and ends in the state an uninterrupted run gives. ``runs`` is the number of ``sync_runs`` rows of
the project after that batch: if another sync wrote in between, the database no longer holds the history state of
``last_commit`` and the next run *merges* instead of continuing.

A project that already has records (synced before, without a valid checkpoint) is **merged**: the history up to the
commit the database was synced from is replayed in memory only; records the database knows keep their rows (ids,
database-owned fields, content); they receive the revisions of the history *before* their first recorded revision
(skipping commits already recorded), and their ``version`` grows by the number of content changes added. Records
only the history knows (deleted before the first sync) get rows in their final (usually soft-deleted) state with
their full history. Commits after the synced commit are then applied normally, and a final ``sync --ref REF``
reconciles whatever the history cannot explain (a sync of a dirty work tree). Revisions written before the backfill
keep the version numbers they were written with.

ADRs without a date in their file get the date of the commit that created them (their content hash is unchanged,
so this never creates a version).
"""

from __future__ import annotations

import datetime as dt
import os
import posixpath
import subprocess
import tempfile
import time
import uuid
from collections.abc import Callable, Iterable, Iterator, Mapping
from dataclasses import dataclass, field, replace
from pathlib import Path
from typing import IO, TYPE_CHECKING, Any, Literal, cast

from tracertm import git
from tracertm.config import Settings, load_settings
from tracertm.errors import ConflictError, Diagnostic, GitError, ParseError, UsageError
from tracertm.parsers.records import FileKind, ParseResult, ParserOptions, RecordKind
from tracertm.engine.parse import Outcome, default_jobs, parse_one
from tracertm.engine.plan import REVISION_ACTIONS, Current, FileRow, Operation, Plan, file_findings
from tracertm.engine.scan import Location, ScannedFile

if TYPE_CHECKING:
    from concurrent.futures import Executor

    from sqlalchemy.engine import Engine
    from sqlalchemy.orm import Session

    from tracertm.models import Project

__all__ = ["BackfillResult", "CommitError", "Progress", "backfill", "record_at", "revision_at"]

DEFAULT_BATCH_SIZE = 100
ENV_BATCH_SIZE = "TRACERTM_BACKFILL_BATCH_SIZE"
CHECKPOINT_KEY = "backfill"
_CACHE_LIMIT = 50_000  # parse results kept for reverts (by kind, path, blob id)
_ABSENT_MODES = ("000000", "160000")  # deleted, or a submodule (not a file)
_LINK_MODE = "120000"
_PARALLEL_THRESHOLD = 64  # parse jobs below which worker processes cost more than they save

Mode = Literal["full", "resumed", "merged", "up-to-date"]


# ============================================================================================== public results


@dataclass(frozen=True)
class Progress:
    """Where a backfill is: ``done`` of ``total`` first-parent commits, after ``elapsed`` seconds."""

    done: int
    total: int
    revisions: int
    errors: int
    elapsed: float

    @property
    def rate(self) -> float:
        """Commits per second so far."""
        return self.done / self.elapsed if self.elapsed > 0 else 0.0

    @property
    def eta(self) -> float | None:
        """Seconds left at the current rate (None before the rate is known)."""
        rate = self.rate
        return (self.total - self.done) / rate if rate > 0 else None


ProgressCallback = Callable[[Progress], None]


@dataclass(frozen=True)
class CommitError:
    """A spec file that failed to parse (or conflicted) in one commit of the history."""

    commit: str
    diagnostic: Diagnostic

    def __str__(self) -> str:
        return f"{self.commit[:12]} {self.diagnostic}"

    def as_dict(self) -> dict[str, object]:
        return {"commit": self.commit, **self.diagnostic.as_dict()}


@dataclass
class BackfillResult:
    """What one backfill did."""

    project: str
    root: Path
    ref: str
    head: str
    mode: Mode
    commits: int  # first-parent commits walked by this run
    commits_total: int  # first-parent commits of the ref
    revisions: int = 0
    batches: int = 0
    files_parsed: int = 0
    elapsed: float = 0.0
    errors: list[CommitError] = field(default_factory=list)
    head_errors: list[Diagnostic] = field(default_factory=list)  # files still broken at the ref

    def as_dict(self) -> dict[str, Any]:
        return {
            "project": self.project,
            "root": str(self.root),
            "ref": self.ref,
            "head": self.head,
            "mode": self.mode,
            "commits": self.commits,
            "commits_total": self.commits_total,
            "revisions": self.revisions,
            "batches": self.batches,
            "files_parsed": self.files_parsed,
            "elapsed": round(self.elapsed, 3),
            "errors": [e.as_dict() for e in self.errors],
            "head_errors": [d.as_dict() for d in self.head_errors],
        }


# ================================================================================================ git history


@dataclass(frozen=True)
class _Change:
    path: str  # relative to the spec root
    mode: str  # the new mode; "000000" when the path is gone
    sha: str


@dataclass(frozen=True)
class _Commit:
    info: git.CommitInfo
    changes: tuple[_Change, ...]

    @property
    def sha(self) -> str:
        return self.info.sha

    @property
    def date(self) -> dt.date:
        return self.info.committed_at.date()


def _pathspecs(prefix: str, settings: Settings) -> list[str]:
    specs = [prefix + p for p in settings.prefixes] or [prefix]
    return [f":(top,literal){p}" if p else ":(top)" for p in specs]


def _first_parent_chain(top: Path, head: str) -> list[str]:
    """Every first-parent commit of ``head``, oldest first."""
    return git.run(top, "rev-list", "--first-parent", "--reverse", head).decode().split()


def _tokens(stream: IO[bytes]) -> Iterator[bytes]:
    """NUL-separated tokens of a stream, as they arrive."""
    buf = b""
    while True:
        chunk = stream.read1(1 << 16)  # type: ignore[attr-defined]
        if not chunk:
            break
        buf += chunk
        parts = buf.split(b"\0")
        buf = parts.pop()
        yield from parts
    if buf:
        yield buf


def _parse_log(tokens: Iterator[bytes], prefix: str) -> Iterator[_Commit]:
    """``git log --raw -z --format=%x01%H%x00%an%x00%ae%x00%cI`` → commits with their changed files."""
    info: git.CommitInfo | None = None
    changes: list[_Change] = []
    for token in tokens:
        token = token.lstrip(b"\n")
        if token.startswith(b"\x01"):
            if info is not None:
                yield _Commit(info, tuple(changes))
            name, email, when = (next(tokens).decode("utf-8", "replace") for _ in range(3))
            info = git.CommitInfo(token[1:].decode(), name, email, dt.datetime.fromisoformat(when.strip()))
            changes = []
        elif token.startswith(b":"):
            meta = token[1:].split()
            path = next(tokens).decode("utf-8", "surrogateescape")
            if prefix:
                if not path.startswith(prefix):
                    continue
                path = path[len(prefix):]
            changes.append(_Change(path, meta[1].decode(), meta[3].decode()))
    if info is not None:
        yield _Commit(info, tuple(changes))


def _stream_history(top: Path, prefix: str, settings: Settings, revs: list[str]) -> Iterator[_Commit]:
    """The first-parent commits in ``revs`` that touch the spec folders, oldest first, from one git process."""
    args = [
        "git", "-C", str(top), "-c", "log.showRoot=true", "-c", "log.showSignature=false", "-c", "core.quotePath=false",
        "log", "--first-parent", "--diff-merges=first-parent", "--reverse", "--raw", "-z", "--no-renames",
        "--no-abbrev", "--no-color", "--no-ext-diff", "--encoding=UTF-8",
        "--format=%x01%H%x00%an%x00%ae%x00%cI", *revs, "--", *_pathspecs(prefix, settings),
    ]  # fmt: skip
    with tempfile.TemporaryFile() as errors:
        proc = subprocess.Popen(args, stdout=subprocess.PIPE, stderr=errors, env=git.git_env(top))
        assert proc.stdout is not None
        try:
            yield from _parse_log(_tokens(proc.stdout), prefix)
            if proc.wait() != 0:
                errors.seek(0)
                lines = errors.read().decode("utf-8", "replace").strip().splitlines()
                raise GitError(f"git log failed in {top}: {lines[-1] if lines else proc.returncode}")
        finally:
            if proc.poll() is None:
                proc.kill()
                proc.wait()
            proc.stdout.close()


def _commit_dates(reader: git.BlobReader, shas: Iterable[str]) -> dict[str, dt.date]:
    """Committer dates (in the committer's time zone) of commits, read from the commit objects."""
    out: dict[str, dt.date] = {}
    wanted = sorted(set(shas))
    for sha, raw in reader.read_many(wanted).items():
        for line in raw.split(b"\n"):
            if not line:
                break
            if line.startswith(b"committer "):
                stamp, offset = line.rsplit(b" ", 2)[1:]
                sign = -1 if offset.startswith(b"-") else 1
                minutes = sign * (int(offset[1:3]) * 60 + int(offset[3:5]))
                zone = dt.timezone(dt.timedelta(minutes=minutes))
                out[sha] = dt.datetime.fromtimestamp(int(stamp), zone).date()
    return out


# ============================================================================================ in-memory state


@dataclass
class _State:
    """What the database holds for the project (as far as planning needs it), kept in step with every apply."""

    files: dict[str, FileRow] = field(default_factory=dict)
    current: dict[tuple[str, str], Current] = field(default_factory=dict)
    scenarios: dict[uuid.UUID, dict[str, Current]] = field(default_factory=dict)
    by_path: dict[str, set[tuple[str, str]]] = field(default_factory=dict)
    adr_created: dict[str, dt.date] = field(default_factory=dict)

    def absorb(self, the_plan: Plan, ids: Mapping[tuple[str, str, str], uuid.UUID]) -> None:
        """Mirror what ``apply`` wrote for ``the_plan`` (``ids``: the rows it inserted)."""
        for op in the_plan.operations:
            cur = op.current
            parent: uuid.UUID | None = None
            if op.kind == "scenario":
                parent = cur.parent_id if cur is not None else (
                    op.parent_id or self.current[("feature", op.parent or "")].id
                )
            row_id = cur.id if cur is not None else ids[(op.kind, op.parent or "", op.number)]
            deleted = op.action == "deleted"
            content_hash = op.record.content_hash if op.record is not None else (cur.content_hash if cur else None)
            path = (cur.source_path if cur is not None else op.path) if deleted else op.path
            new = Current(row_id, op.kind, op.number, op.version, content_hash, path, deleted, parent)
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
                self.files[fop.path] = FileRow(old.id, old.path, old.kind, old.blob_sha, fop.parse_error, True,
                                               old.size, old.mtime_ns)
            else:
                file_id = fop.existing.id if fop.existing is not None else ids[("file", "", fop.path)]
                self.files[fop.path] = FileRow(file_id, fop.path, fop.kind, fop.scanned.blob_sha, fop.parse_error,
                                               False, fop.scanned.size or 0, fop.scanned.mtime_ns)


def _load_state(session: Session, project_id: uuid.UUID, reader: git.BlobReader) -> _State:
    """The whole current state of a project, in a handful of queries (resume, merge)."""
    from sqlalchemy import select

    from tracertm.models import SpecRevision
    from tracertm.engine import state as db_state

    out = _State(files=db_state.load_files(session, project_id))
    conn = session.connection()
    for kind, model in db_state.TOP_MODELS.items():
        t = model.__table__.c
        number = t[db_state.NUMBER_ATTR[kind]]
        for r in conn.execute(
            select(t.id, number.label("number"), t.version, t.content_hash, t.source_path, t.deleted_at).where(
                t.project_id == project_id
            )
        ):
            out.current[(kind, r.number)] = Current(
                r.id, cast(RecordKind, kind), r.number, r.version, r.content_hash, r.source_path, r.deleted_at is not None
            )
            if r.source_path:
                out.by_path.setdefault(r.source_path, set()).add((kind, r.number))
    out.scenarios = db_state.load_scenarios(session, [c.id for (k, _), c in out.current.items() if k == "feature"])
    rev = SpecRevision.__table__.c
    created: dict[str, tuple[str | None, dt.datetime]] = {}
    for c in conn.execute(
        select(rev.number, rev.commit_sha, rev.committed_at, rev.created_at)
        .where(rev.project_id == project_id, rev.entity_type == "adr", rev.change == "created")
        .order_by(rev.committed_at, rev.created_at)
    ):
        created.setdefault(c.number, (c.commit_sha, c.committed_at or c.created_at))
    dates = _commit_dates(reader, [sha for sha, _ in created.values() if sha])
    for number, (sha, when) in created.items():
        out.adr_created[number] = dates.get(sha or "", when.date())
    return out


# ================================================================================================= the runner


@dataclass
class _Simulation:
    """History replayed in memory only (merge mode): per virtual record, its revisions and final state."""

    keys: dict[uuid.UUID, tuple[str, str, str]] = field(default_factory=dict)  # (kind, feature number, number)
    revisions: dict[uuid.UUID, list[dict[str, Any]]] = field(default_factory=dict)
    last_op: dict[uuid.UUID, Operation] = field(default_factory=dict)  # the last operation carrying a record
    last_commit: dict[uuid.UUID, str] = field(default_factory=dict)


_PLACEHOLDER = uuid.UUID(int=0)  # project and run ids, filled in when a batch is written
_Batched = tuple[_Commit, dict[str, ScannedFile], frozenset[str]]
_Sink = Callable[[_Commit, Plan, Mapping[tuple[str, str, str], uuid.UUID]], None]


@dataclass
class _RowWrite:
    kind: str
    row_id: uuid.UUID
    insert: bool
    old_version: int
    values: dict[str, Any] | None = None
    version: int = 1
    deleted: bool = False


class _Writer:
    """The writes of a batch of commits, collapsed: one insert or one version-guarded update per row touched, however
    many commits touched it, and every revision and file-index change in one statement each.

    Rows and revisions are built by ``sync.apply``'s own builders (``build_row``, ``build_revision``) from each commit's plan
    and provenance, so what lands is what ``apply`` would have written commit by commit — with a few statements per
    batch instead of a few per commit (``apply`` per commit was half of a backfill's time).
    """

    def __init__(self) -> None:
        self.steps = 0
        self.rows: dict[uuid.UUID, _RowWrite] = {}
        self.files: dict[str, tuple[bool, uuid.UUID, dict[str, Any]]] = {}
        self.revisions: list[dict[str, Any]] = []

    def add(self, commit: _Commit, the_plan: Plan, ids: Mapping[tuple[str, str, str], uuid.UUID]) -> None:
        from tracertm.engine.apply import Provenance, build_revision, build_row

        self.steps += 1
        provenance = Provenance(commit.info)
        for op in the_plan.operations:
            cur = op.current
            row_id = cur.id if cur is not None else ids[(op.kind, op.parent or "", op.number)]
            write = self.rows.get(row_id)
            if write is None:
                write = self.rows[row_id] = _RowWrite(op.kind, row_id, cur is None, cur.version if cur else 0)
            if op.action != "deleted":
                parents = {} if op.parent_id or not op.parent else {op.parent: ids[("feature", "", op.parent)]}
                values = build_row(op.kind, op, _PLACEHOLDER, provenance, parents)
                if not write.insert:
                    values.pop("project_id", None)
                    values.pop("feature_id", None)
                write.values = values if write.values is None else {**write.values, **values}
            write.version = op.version
            write.deleted = op.action == "deleted"
            if op.action in REVISION_ACTIONS:
                self.revisions.append(build_revision(op.kind, op, row_id, _PLACEHOLDER, _PLACEHOLDER, provenance))
        for fop in the_plan.files:
            if fop.scanned is None:
                old = fop.existing
                assert old is not None
                values = {"kind": fop.kind, "blob_sha": old.blob_sha, "size": old.size or 0, "mtime_ns": old.mtime_ns,
                          "parse_error": fop.parse_error, "last_commit": commit.sha,
                          "deleted_at": dt.datetime.now(dt.UTC)}
            else:
                values = {"kind": fop.kind, "blob_sha": fop.scanned.blob_sha, "size": fop.scanned.size or 0,
                          "mtime_ns": fop.scanned.mtime_ns, "parse_error": fop.parse_error, "last_commit": commit.sha,
                          "deleted_at": None}
            known = self.files.get(fop.path)
            if known is not None:
                self.files[fop.path] = (known[0], known[1], values)
            elif fop.existing is not None:
                self.files[fop.path] = (False, fop.existing.id, values)
            else:
                self.files[fop.path] = (True, ids[("file", "", fop.path)], values)

    def flush(self, session: Session, project_id: uuid.UUID, run_id: uuid.UUID) -> None:
        from sqlalchemy import bindparam, insert, update

        from tracertm.models.types import utcnow
        from tracertm.engine.apply import REVISIONS, SOURCE_FILES, TABLES, _execute_guarded, iter_chunks

        conn = session.connection()
        now = dt.datetime.now(dt.UTC)
        for kind in ("adr", "contract", "feature", "scenario"):  # parents first
            table = TABLES[kind]
            inserts: dict[tuple[str, ...], list[dict[str, Any]]] = {}
            writes: dict[tuple[str, ...], list[dict[str, Any]]] = {}
            deletes: list[dict[str, Any]] = []
            for w in self.rows.values():
                if w.kind != kind:
                    continue
                deleted_at = now if w.deleted else None
                if w.insert:
                    assert w.values is not None
                    row = {**w.values, "id": w.row_id, "version": w.version, "deleted_at": deleted_at}
                    if kind != "scenario":
                        row["project_id"] = project_id
                    inserts.setdefault(tuple(row), []).append(row)
                elif w.values is None:
                    deletes.append({"_id": w.row_id, "_old_version": w.old_version, "version": w.version})
                else:
                    params = {**w.values, "_id": w.row_id, "_old_version": w.old_version, "version": w.version,
                              "deleted_at": deleted_at}
                    writes.setdefault(tuple(params), []).append(params)
            for rows in inserts.values():
                conn.execute(insert(table), rows)
            guarded = update(table).where(table.c.id == bindparam("_id"), table.c.version == bindparam("_old_version"))
            for group in writes.values():
                _execute_guarded(conn, guarded.values(updated_at=utcnow()), group, kind)
            if deletes:
                _execute_guarded(conn, guarded.values(updated_at=utcnow(), deleted_at=utcnow()), deletes, kind)
        for chunk in iter_chunks(self.revisions, 2000):
            conn.execute(insert(REVISIONS), [r | {"project_id": project_id, "sync_run_id": run_id} for r in chunk])
        file_inserts = [v | {"id": i, "project_id": project_id, "path": p} for p, (new, i, v) in self.files.items() if new]
        file_updates = [v | {"_id": i} for new, i, v in self.files.values() if not new]
        if file_inserts:
            conn.execute(insert(SOURCE_FILES), file_inserts)
        if file_updates:
            conn.execute(
                update(SOURCE_FILES).where(SOURCE_FILES.c.id == bindparam("_id")).values(updated_at=utcnow()),
                file_updates,
            )


class _Runner:
    def __init__(
        self,
        engine: Engine,
        location: Location,
        settings: Settings,
        name: str,
        ref: str,
        head: str,
        batch_size: int,
        jobs: int,
        on_progress: ProgressCallback | None,
    ) -> None:
        assert location.top is not None
        self.engine = engine
        self.location = location
        self.top: Path = location.top
        self.prefix = location.prefix
        self.settings = settings
        self.name = name
        self.ref = ref
        self.head = head
        self.batch_size = max(1, batch_size)
        self.jobs = jobs
        self.on_progress = on_progress
        self.reader = git.BlobReader(self.top)
        self.pool: Executor | None = None
        self.cache: dict[tuple[str, str, str], Outcome] = {}
        self.kinds: dict[str, FileKind | None] = {}
        self.tree: dict[str, git.Entry] = {}
        self.links: dict[str, str] = {}  # spec symlink → the path it points at
        self.state = _State()
        self.runs: int | None = None  # sync_runs rows of the project after our last write
        self.started = time.monotonic()
        self.chain: list[str] = []
        self.index: dict[str, int] = {}
        self.base = 0
        self.revisions = 0
        self.batches = 0
        self.parsed = 0
        self.errors: list[CommitError] = []
        self.reconcile = False

    # ---------------------------------------------------------------------------------------------- plumbing

    def close(self) -> None:
        # Workers were forked holding the reader's pipes: stop them first, or git cat-file never sees EOF.
        if self.pool is not None:
            self.pool.shutdown(cancel_futures=True)
            self.pool = None
        self.reader.close()

    def kind_of(self, path: str) -> FileKind | None:
        if path not in self.kinds:
            self.kinds[path] = self.settings.kind_of(path)
        return self.kinds[path]

    def progress(self, done: int) -> None:
        if self.on_progress is not None:
            total = len(self.chain) - self.base
            self.on_progress(
                Progress(min(done, total), total, self.revisions, len(self.errors), time.monotonic() - self.started)
            )

    def count_runs(self, session: Session, project_id: uuid.UUID) -> int:
        from sqlalchemy import func, select

        from tracertm.models import SyncRun

        t = SyncRun.__table__.c
        return int(session.connection().execute(select(func.count()).where(t.project_id == project_id)).scalar_one())

    def locked_project(self, session: Session) -> Project:
        """The project row, inside a write transaction; fails if another sync wrote since our last batch."""
        from tracertm.engine import identity

        # The same identity rule as sync: a project of another repository is refused, not overwritten.
        found = identity.resolve(session, self.name, identity.RepoIdentity(self.top, git.origin_url(self.top)), write=True)
        assert found is not None
        project = found
        runs = self.count_runs(session, project.id)
        if runs != (self.runs or 0):  # None: the project did not exist when we looked, so it must have no runs
            raise ConflictError(
                f"another sync wrote to project {self.name} while the backfill ran; run 'tracertm backfill' "
                "again: it merges the history with what that sync wrote"
            )
        return project

    def save_checkpoint(self, session: Session, project: Project, last: str, complete: bool) -> None:
        self.runs = self.count_runs(session, project.id)
        meta = dict(project.metadata_ or {})
        meta[CHECKPOINT_KEY] = {
            "ref": self.ref,
            "head": self.head,
            "last_commit": last,
            "commits_done": self.index[last] + 1,
            "runs": self.runs,
            "complete": complete,
            "reconcile": self.reconcile,
            "updated_at": dt.datetime.now(dt.UTC).isoformat(),
        }
        project.metadata_ = meta
        project.last_synced_commit = last
        project.last_synced_at = dt.datetime.now(dt.UTC)

    # -------------------------------------------------------------------------------------------- git → files

    def load_tree(self, commit: str) -> None:
        """The spec folders' tree at ``commit`` (where a resumed or merged run starts)."""
        specs = tuple(self.prefix + p for p in self.settings.prefixes)
        entries = git.tree_entries(self.top, commit, specs)
        n = len(self.prefix)
        self.tree = {p[n:]: e for p, e in entries.items() if p.startswith(self.prefix)}
        links = [p for p, e in self.tree.items() if e.mode == _LINK_MODE and self.kind_of(p)]
        if links:
            raw = self.reader.read_many([self.tree[p].sha for p in links])
            for p in links:
                target = _link_target(p, raw[self.tree[p].sha].decode("utf-8", "replace"))
                if target is not None:
                    self.links[p] = target

    def advance(self, commit: _Commit) -> tuple[dict[str, ScannedFile], frozenset[str]]:
        """Apply ``commit``'s changes to the tree; return its changed spec files and every spec path it touched."""
        touched: set[str] = set()
        for change in commit.changes:
            if change.mode in _ABSENT_MODES:
                self.tree.pop(change.path, None)
            else:
                self.tree[change.path] = git.Entry(change.mode, change.sha)
            touched.add(change.path)
        if self.links:  # a link whose target changed reads different bytes
            touched.update(link for link, target in self.links.items() if target in touched)
        scope = frozenset(p for p in touched if self.kind_of(p) is not None)
        files: dict[str, ScannedFile] = {}
        for path in scope:
            kind = self.kind_of(path)
            entry = self.tree.get(path)
            assert kind is not None
            if entry is None:
                self.links.pop(path, None)
            elif entry.mode == _LINK_MODE:
                files[path] = self.resolve_link(path, kind, entry)
            else:
                self.links.pop(path, None)
                files[path] = ScannedFile(path, kind, entry.sha)
        return files, scope

    def resolve_link(self, path: str, kind: FileKind, entry: git.Entry) -> ScannedFile:
        """A symbolic link is followed only to another file of the same tree (as ``sync --ref`` does)."""
        from tracertm.engine.scan import _link_error

        link = self.reader.read(entry.sha).decode("utf-8", "replace")
        target = _link_target(path, link)
        if target is not None:
            self.links[path] = target
        resolved = self.tree.get(target) if target is not None else None
        if resolved is None or resolved.mode == _LINK_MODE:
            return ScannedFile(path, kind, entry.sha, error=_link_error(path, link, target is not None))
        return ScannedFile(path, kind, resolved.sha, target=target)

    def parse_batch(self, scans: Iterable[Mapping[str, ScannedFile]]) -> None:
        """Read and parse every (kind, path, blob) of a batch not parsed before: one pipelined read, and worker
        processes when there are many."""
        wanted: dict[tuple[str, str, str], ScannedFile] = {}
        for files in scans:
            for f in files.values():
                key = (f.kind, f.path, f.blob_sha)
                if f.error is None and key not in self.cache:
                    wanted[key] = f
        if not wanted:
            return
        if len(self.cache) + len(wanted) > _CACHE_LIMIT:
            self.cache.clear()
        blobs = self.reader.read_many([k[2] for k in wanted])
        rounds: list[list[tuple[str, str, str]]] = []  # parse_files keys by path: one version of a path per round
        seen: dict[str, int] = {}
        for wanted_key in wanted:
            n = seen.get(wanted_key[1], 0)
            seen[wanted_key[1]] = n + 1
            if n == len(rounds):
                rounds.append([])
            rounds[n].append(wanted_key)
        for keys in rounds:
            work = [(k[1], wanted[k].kind, blobs[k[2]]) for k in keys]
            for k, outcome in zip(keys, self.parse_many(work)):
                self.cache[k] = outcome
        self.parsed += len(wanted)

    def parse_many(self, work: list[tuple[str, FileKind, bytes]]) -> list[Outcome]:
        """Parse in order; in a pool of worker processes (started once, kept for the run) when there is enough."""
        if self.jobs <= 1 or len(work) < _PARALLEL_THRESHOLD:
            return [_unpack(o) for o in _parse_chunk(work, self.settings.parser)]
        if self.pool is None:
            from concurrent.futures import ProcessPoolExecutor

            self.pool = ProcessPoolExecutor(max_workers=self.jobs, initializer=_ignore_sigint)
        size = max(8, len(work) // (self.jobs * 4))
        chunks = [work[i : i + size] for i in range(0, len(work), size)]
        out: list[Outcome] = []
        for results in self.pool.map(_parse_chunk, chunks, [self.settings.parser] * len(chunks)):
            out.extend(_unpack(o) for o in results)
        return out

    # ----------------------------------------------------------------------------------------------- planning

    def with_dates(self, outcome: Outcome, commit: _Commit) -> Outcome:
        """ADRs without a date take the date of the commit that created them; their content hash is unchanged."""
        if not isinstance(outcome, ParseResult) or outcome.kind != "adr":
            return outcome
        records = []
        for rec in outcome.records:
            if rec.fields.get("date") is None:
                dated = replace(rec, fields={**rec.fields, "date": self.state.adr_created.get(rec.number, commit.date)})
                dated.__dict__["content_hash"] = rec.content_hash  # the cached_property: the file's own hash
                rec = dated
            records.append(rec)
        return replace(outcome, records=tuple(records))

    def plan_commit(self, commit: _Commit, files: Mapping[str, ScannedFile], scope: frozenset[str]) -> Plan:
        from tracertm.engine.plan import plan

        state = self.state
        db_files = {p: state.files[p] for p in scope if p in state.files}
        parsed: dict[str, Outcome] = {
            p: self.with_dates(self.cache[(f.kind, p, f.blob_sha)], commit) for p, f in files.items() if f.error is None
        }
        keys: set[tuple[str, str]] = set()
        for outcome in parsed.values():
            if isinstance(outcome, ParseResult):
                keys.update((outcome.kind, r.number) for r in outcome.records)
        for path in scope:
            keys.update(state.by_path.get(path, ()))
        current = {k: state.current[k] for k in keys if k in state.current}
        scenarios = {c.id: state.scenarios.get(c.id, {}) for (kind, _), c in current.items() if kind == "feature"}
        changed = frozenset(
            p
            for p, f in files.items()
            if f.error is None and (p not in db_files or db_files[p].deleted or db_files[p].blob_sha != f.blob_sha)
        )
        return plan(files, scope.__contains__, db_files, parsed, current, scenarios, changed)

    def note(self, commit: _Commit, the_plan: Plan, counts: dict[str, dict[str, int]]) -> None:
        for op in the_plan.operations:
            if op.action in REVISION_ACTIONS:
                self.revisions += 1
                bucket = counts.setdefault(op.kind, {})
                bucket[op.action] = bucket.get(op.action, 0) + 1
                if op.kind == "adr" and op.action == "created":
                    self.state.adr_created.setdefault(op.number, commit.date)
        self.errors.extend(CommitError(commit.sha, d) for d in the_plan.errors)

    # ----------------------------------------------------------------------------------------- commit by commit

    def step(self, commit: _Commit, files: Mapping[str, ScannedFile], scope: frozenset[str], sink: _Sink,
             counts: dict[str, dict[str, int]]) -> None:
        """Plan one commit against the in-memory state, hand it to ``sink``, and move the state past it."""
        the_plan = self.plan_commit(commit, files, scope)
        if not (the_plan.operations or the_plan.files or the_plan.errors):
            return
        ids: dict[tuple[str, str, str], uuid.UUID] = {}  # rows this commit creates get their ids here
        for op in the_plan.operations:
            if op.action == "created":
                ids[(op.kind, op.parent or "", op.number)] = uuid.uuid4()
        for fop in the_plan.files:
            if fop.existing is None and fop.scanned is not None:
                ids[("file", "", fop.path)] = uuid.uuid4()
        sink(commit, the_plan, ids)
        self.state.absorb(the_plan, ids)
        self.note(commit, the_plan, counts)

    def batches_of(self, revs: list[str]) -> Iterator[tuple[list[_Batched], str | None]]:
        """The commits of ``revs`` touching spec files, in batches, each with its last commit (None at the end)."""
        batch: list[_Batched] = []
        for commit in _stream_history(self.top, self.prefix, self.settings, revs):
            files, scope = self.advance(commit)
            if scope:
                batch.append((commit, files, scope))
            if len(batch) >= self.batch_size:
                self.parse_batch(files for _, files, _ in batch)
                yield batch, commit.sha
                batch = []
        self.parse_batch(files for _, files, _ in batch)
        yield batch, None

    # -------------------------------------------------------------------------------------------- apply phase

    def write_batch(self, batch: list[_Batched], last: str, complete: bool) -> None:
        """Plan the commits of one batch in order, then write them in one transaction with the checkpoint."""
        from tracertm import db
        from tracertm.models import SyncRun

        errors_before = len(self.errors)
        counts: dict[str, dict[str, int]] = {}
        writer = _Writer()
        for commit, files, scope in batch:
            self.step(commit, files, scope, writer.add, counts)
            self.progress(self.index[commit.sha] + 1 - self.base)
        with db.write_session(self.engine, self.name) as session:
            project = self.locked_project(session)
            if writer.steps:
                run = SyncRun(id=uuid.uuid4(), project_id=project.id, trigger="backfill", ref=self.ref,
                              commit_sha=last, started_at=dt.datetime.now(dt.UTC), status="running")
                session.add(run)
                session.flush()
                writer.flush(session, project.id, run.id)
                new_errors = self.errors[errors_before:]
                run.finished_at = dt.datetime.now(dt.UTC)
                run.status = "errors" if new_errors else "ok"
                run.counts = {"commits": writer.steps, **counts}
                run.errors = [e.as_dict() for e in new_errors]
                session.flush()
            self.save_checkpoint(session, project, last, complete and not self.reconcile)
        self.batches += 1

    def apply_range(self, revs: list[str]) -> None:
        """Stream ``revs`` and write it batch by batch; the last checkpoint is the head."""
        for batch, last in self.batches_of(revs):
            self.write_batch(batch, last or self.head, complete=(last or self.head) == self.head)
            self.progress(self.index[last] + 1 - self.base if last else len(self.chain) - self.base)

    # -------------------------------------------------------------------------------------------- merge phase

    def simulate(self, end: str) -> _Simulation:
        """Replay the history up to ``end`` in memory, collecting every revision it would write."""
        from tracertm.engine.apply import Provenance, build_revision

        sim = _Simulation()

        def collect(commit: _Commit, the_plan: Plan, ids: Mapping[tuple[str, str, str], uuid.UUID]) -> None:
            provenance = Provenance(commit.info)
            for op in the_plan.operations:
                vid = op.current.id if op.current is not None else ids[(op.kind, op.parent or "", op.number)]
                sim.keys[vid] = (op.kind, op.parent or "", op.number)
                sim.last_commit[vid] = commit.sha
                if op.record is not None:
                    sim.last_op[vid] = op
                if op.action in REVISION_ACTIONS:
                    rev = build_revision(op.kind, op, vid, _PLACEHOLDER, _PLACEHOLDER, provenance)
                    sim.revisions.setdefault(vid, []).append(rev)

        for batch, last in self.batches_of([end]):
            for commit, files, scope in batch:
                self.step(commit, files, scope, collect, {})
                self.progress(self.index[commit.sha] + 1 - self.base)
            self.progress(self.index[last] + 1 - self.base if last else self.index[end] + 1 - self.base)
        self.revisions = 0  # counted again as they are written
        return sim

    def graft(self, sim: _Simulation, end: str) -> None:
        """Write what the simulated history adds to the records the database already has (see module docs)."""
        from sqlalchemy import bindparam, insert, outerjoin, select, update

        from tracertm import db
        from tracertm.models import Feature, Scenario, SpecRevision, SyncRun
        from tracertm.engine.apply import REVISIONS, TABLES, Provenance, build_row
        from tracertm.engine.state import NUMBER_ATTR, TOP_MODELS

        with db.write_session(self.engine, self.name) as session:
            project = self.locked_project(session)
            conn = session.connection()
            rows: dict[tuple[str, str, str], tuple[uuid.UUID, int]] = {}
            for kind, model in TOP_MODELS.items():
                t = model.__table__.c
                for r in conn.execute(select(t.id, t[NUMBER_ATTR[kind]], t.version).where(t.project_id == project.id)):
                    rows[(kind, "", r[1])] = (r[0], r[2])
            s, f = Scenario.__table__.c, Feature.__table__.c
            for r in conn.execute(
                select(s.id, f.feature_number, s.scenario_number, s.version)
                .select_from(Scenario.__table__.join(Feature.__table__))
                .where(f.project_id == project.id)
            ):
                rows[("scenario", r[1], r[2])] = (r[0], r[3])
            rev, runs = SpecRevision.__table__.c, SyncRun.__table__.c
            known: dict[uuid.UUID, list[Any]] = {}
            for r in conn.execute(
                select(rev.entity_id, rev.commit_sha, rev.content_hash, rev.version, rev.created_at, runs.trigger)
                .select_from(outerjoin(SpecRevision.__table__, SyncRun.__table__, rev.sync_run_id == runs.id))
                .where(rev.project_id == project.id)
            ):
                known.setdefault(r.entity_id, []).append(r)

            run = SyncRun(id=uuid.uuid4(), project_id=project.id, trigger="backfill", ref=self.ref, commit_sha=end,
                          started_at=dt.datetime.now(dt.UTC), status="running")
            session.add(run)
            session.flush()
            feature_ids = {k[2]: v[0] for k, v in rows.items() if k[0] == "feature"}
            now = dt.datetime.now(dt.UTC)
            inserts: dict[str, list[dict[str, Any]]] = {}
            bumps: dict[str, list[dict[str, Any]]] = {}
            out: list[dict[str, Any]] = []
            counts: dict[str, dict[str, int]] = {}
            order = sorted(sim.revisions, key=lambda v: ("adr", "contract", "feature", "scenario").index(sim.keys[v][0]))
            for vid in order:
                kind, parent, number = sim.keys[vid]
                history = sim.revisions[vid]
                found = rows.get((kind, parent, number))
                if found is not None:
                    row_id, version = found
                    existing = known.get(row_id, [])
                    seen = {r.commit_sha for r in existing if r.commit_sha}
                    cut = _graft_point(history, existing)
                    written = [h for h in history[:cut] if h["commit_sha"] not in seen]
                    if written and any(r.trigger != "backfill" for r in existing):
                        steps = _version_steps(history)
                        bump = sum(steps[i] for i, h in enumerate(history[:cut]) if h["commit_sha"] not in seen)
                        if bump:
                            bumps.setdefault(kind, []).append(
                                {"_id": row_id, "_old_version": version, "version": version + bump}
                            )
                else:
                    row_id = uuid.uuid4()
                    written = history
                    final = self.final_current(kind, parent, number)
                    op = sim.last_op[vid]
                    row = build_row(kind, op, project.id, Provenance(), feature_ids)
                    row.update(id=row_id, version=final.version, deleted_at=now if final.deleted else None,
                               source_commit=sim.last_commit[vid])
                    if final.deleted:
                        row["source_path"] = final.source_path
                    inserts.setdefault(kind, []).append(row)
                    if kind == "feature":
                        feature_ids[number] = row_id
                for h in written:
                    out.append(h | {"id": uuid.uuid4(), "entity_id": row_id, "project_id": project.id,
                                    "sync_run_id": run.id})
                    bucket = counts.setdefault(kind, {})
                    bucket[h["change"]] = bucket.get(h["change"], 0) + 1
            for kind in ("adr", "contract", "feature", "scenario"):
                table = TABLES[kind]
                if inserts.get(kind):
                    conn.execute(insert(table), inserts[kind])
                if bumps.get(kind):
                    conn.execute(
                        update(table)
                        .where(table.c.id == bindparam("_id"), table.c.version == bindparam("_old_version"))
                        .values(version=bindparam("version")),
                        bumps[kind],
                    )
            self.fill_adr_dates(session, project.id)
            if out:
                conn.execute(insert(REVISIONS), out)
            self.revisions += len(out)
            run.finished_at = dt.datetime.now(dt.UTC)
            run.status = "errors" if self.errors else "ok"
            run.counts = {"commits": self.index[end] + 1, **counts}
            run.errors = [e.as_dict() for e in self.errors]
            session.flush()
            self.reconcile = True
            self.save_checkpoint(session, project, end, complete=False)
        self.batches += 1

    def final_current(self, kind: str, parent: str, number: str) -> Current:
        if kind == "scenario":
            feature = self.state.current[("feature", parent)]
            return self.state.scenarios[feature.id][number]
        return self.state.current[(kind, number)]

    def fill_adr_dates(self, session: Session, project_id: uuid.UUID) -> None:
        """ADR rows without a date get the date of the commit that created them (a pre-synced project)."""
        from sqlalchemy import bindparam, update

        from tracertm.engine.apply import TABLES

        if not self.state.adr_created:
            return
        table = TABLES["adr"]
        params = [{"_number": n, "_date": d} for n, d in self.state.adr_created.items()]
        session.connection().execute(
            update(table)
            .where(table.c.project_id == project_id, table.c.adr_number == bindparam("_number"), table.c.date.is_(None))
            .values(date=bindparam("_date")),
            params,
        )

    # ------------------------------------------------------------------------------------------------- driver

    def run(self, resume: bool) -> BackfillResult:
        from sqlalchemy import exists, select

        from tracertm import db
        from tracertm.models import ADR, Contract, Feature, SpecRevision
        from tracertm.engine import state as db_state

        self.chain = _first_parent_chain(self.top, self.head)
        self.index = {sha: i for i, sha in enumerate(self.chain)}
        with db.session(self.engine) as session:
            project = db_state.find_project(session, self.name)
            checkpoint: dict[str, Any] = {}
            has_records = False
            if project is not None:
                self.runs = self.count_runs(session, project.id)
                checkpoint = dict((project.metadata_ or {}).get(CHECKPOINT_KEY) or {})
                has_records = bool(session.execute(select(
                    exists().where(SpecRevision.project_id == project.id)
                    | exists().where(ADR.project_id == project.id)
                    | exists().where(Contract.project_id == project.id)
                    | exists().where(Feature.project_id == project.id)
                )).scalar())
            last = checkpoint.get("last_commit")
            valid = bool(checkpoint) and last in self.index and checkpoint.get("runs") == self.runs
            if resume and not valid:
                raise UsageError(
                    f"--resume: project {self.name} has no interrupted backfill of this history to continue; "
                    "run 'tracertm backfill' without --resume"
                )
            synced = project.last_synced_commit if project is not None else None
            if valid:
                mode: Mode = "resumed"
                self.reconcile = bool(checkpoint.get("reconcile"))
                if last == self.head and checkpoint.get("complete") and not self.reconcile:
                    mode = "up-to-date"
            elif has_records:
                mode = "merged"
            else:
                mode = "full"
            if mode in ("resumed", "up-to-date", "full") and project is not None:
                self.state = _load_state(session, project.id, self.reader)
        result = BackfillResult(self.name, self.location.root, self.ref, self.head, mode, 0, len(self.chain))
        if mode == "up-to-date":
            return self.finish(result)

        if mode == "resumed":
            assert isinstance(last, str)
            self.base = self.index[last] + 1
            self.load_tree(last)
            start: str | None = last
        elif mode == "merged":
            end = synced if synced in self.index else self.head
            assert end is not None
            sim = self.simulate(end)
            self.graft(sim, end)
            start = end
            with db.session(self.engine) as session:
                project = db_state.find_project(session, self.name)
                assert project is not None
                self.state = _load_state(session, project.id, self.reader)
        else:
            start = None
        if start != self.head:
            self.apply_range([self.head] + ([f"^{start}"] if start else []))
        elif mode == "resumed":
            self.write_batch([], self.head, complete=True)
        if self.reconcile:
            self.reconcile_head()
        return self.finish(result)

    def reconcile_head(self) -> None:
        """Merge mode: finish with an ordinary ``sync --ref`` so the rows are exactly what it gives."""
        from tracertm import db
        from tracertm.engine import state as db_state
        from tracertm.engine.sync import sync

        sync(self.location.root, ref=self.head, project=self.name, engine=self.engine, trigger="backfill")
        self.reconcile = False
        with db.write_session(self.engine, self.name) as session:
            project = db_state.find_project(session, self.name)
            assert project is not None
            self.save_checkpoint(session, project, self.head, complete=True)

    def finish(self, result: BackfillResult) -> BackfillResult:
        from tracertm import db
        from tracertm.engine import state as db_state

        result.commits = len(self.chain) - self.base
        result.revisions = self.revisions
        result.batches = self.batches
        result.files_parsed = self.parsed
        result.errors = self.errors
        with db.session(self.engine) as session:
            project = db_state.find_project(session, self.name)
            if project is not None:
                for row in sorted(db_state.load_files(session, project.id).values(), key=lambda r: r.path):
                    if row.parse_error and not row.deleted:
                        result.head_errors.extend(
                            d for d in file_findings(row.path, row.parse_error) if d.severity == "error"
                        )
        result.elapsed = time.monotonic() - self.started
        return result


_Packed = tuple[ParseResult | None, list[Diagnostic]]


def _parse_chunk(work: list[tuple[str, FileKind, bytes]], options: ParserOptions) -> list[_Packed]:
    """Worker side: parse, and send errors as their diagnostics (a ParseError does not survive pickling)."""
    out: list[_Packed] = []
    for path, kind, data in work:
        outcome = parse_one(path, kind, data, options)
        if isinstance(outcome, ParseResult):
            for record in outcome.records:  # hash here (cached on the record, pickled with it), not in the parent
                for item in (record, *record.children):
                    item.content_hash  # noqa: B018
            out.append((outcome, []))
        else:
            out.append((None, list(outcome.diagnostics)))
    return out


def _ignore_sigint() -> None:
    """Workers leave Ctrl-C to the parent, which stops them (no traceback per worker)."""
    import signal

    signal.signal(signal.SIGINT, signal.SIG_IGN)


def _unpack(packed: _Packed) -> Outcome:
    result, diagnostics = packed
    return result if result is not None else ParseError.from_diagnostics(diagnostics)


def _link_target(path: str, link: str) -> str | None:
    """Where a symbolic link at ``path`` points inside the tree, or None when it leaves the repository."""
    target = posixpath.normpath(posixpath.join(posixpath.dirname(path), link))
    if link.startswith("/") or target.startswith("../") or target == "..":
        return None
    return target


def _version_steps(history: list[dict[str, Any]]) -> list[int]:
    """By how much each revision raised the record's version."""
    steps: list[int] = []
    previous = 0
    for h in history:
        steps.append(int(h["version"]) - previous)
        previous = int(h["version"])
    return steps


def _graft_point(history: list[dict[str, Any]], existing: list[Any]) -> int:
    """How much of a record's history comes before what the database already recorded of it.

    The database's knowledge starts with its earliest revision not written by a backfill: at its commit when the
    history has one there, else at the latest history state with the same content. Without such a revision (only
    backfilled ones) the whole history counts, minus commits already recorded.
    """
    outside = [r for r in existing if r.trigger != "backfill"]
    if not outside:
        return len(history)
    first = min(outside, key=lambda r: (r.version, r.created_at))
    if first.commit_sha:
        for i, h in enumerate(history):
            if h["commit_sha"] == first.commit_sha:
                return i
    for i in range(len(history) - 1, -1, -1):
        if history[i]["content_hash"] == first.content_hash and history[i]["change"] != "deleted":
            return i
    return len(history)


# ==================================================================================================== entry


def _batch_size(option: int | None) -> int:
    if option is not None:
        if option < 1:
            raise UsageError(f"--batch-size {option}: must be at least 1")
        return option
    env = os.environ.get(ENV_BATCH_SIZE)
    if env:
        try:
            value = int(env)
        except ValueError:
            raise UsageError(f"${ENV_BATCH_SIZE}={env!r}: not a number of commits") from None
        if value < 1:
            raise UsageError(f"${ENV_BATCH_SIZE}={env}: must be at least 1")
        return value
    return DEFAULT_BATCH_SIZE


def backfill(
    path: str | os.PathLike[str] | None = None,
    *,
    ref: str | None = None,
    project: str | None = None,
    database_url: str | None = None,
    resume: bool = False,
    batch_size: int | None = None,
    jobs: int | None = None,
    on_progress: ProgressCallback | None = None,
    engine: Engine | None = None,
) -> BackfillResult:
    """Replay the first-parent history of ``ref`` (default HEAD) of the repository at ``path`` into the database.

    Every record gets one revision per commit that changed its content (created, updated, deleted, restored,
    moved), carrying the commit's sha, author and date; at the end the rows equal what ``sync(path, ref=ref)``
    gives. Interrupted runs continue from their last checkpoint (automatically; ``resume=True`` insists on one);
    a second run adds nothing. ``on_progress`` is called after every batch. Spec errors of old commits are in
    ``result.errors`` (they never stop the backfill); files still broken at ``ref`` in ``result.head_errors``.
    """
    from tracertm import db
    from tracertm.engine.sync import project_name

    location = Location.find(path)
    if location.top is None:
        raise UsageError(f"{location.root}: not a git repository; backfill reads the history of a git repository")
    if git.is_shallow(location.top):
        raise GitError(
            f"{location.top} is a shallow clone; backfill needs the full history: run 'git fetch --unshallow' first"
        )
    settings = load_settings(location.root)
    name = project_name(location, settings, project)
    size = _batch_size(batch_size)
    wanted = ref or "HEAD"
    head = git.resolve_commit(location.top, wanted)
    if engine is None:
        engine = db.open_engine(database_url, settings.database_url)
    else:
        db.ensure_schema(engine)
    runner = _Runner(engine, location, settings, name, wanted, head, size,
                     jobs if jobs is not None else default_jobs(), on_progress)
    try:
        return runner.run(resume)
    finally:
        runner.close()


# ================================================================================================= as of a commit


def revision_at(
    session: Session,
    project_id: uuid.UUID,
    commit: str,
    top: Path,
    *,
    entity_id: uuid.UUID | None = None,
    kind: str | None = None,
    number: str | None = None,
    feature: str | None = None,
) -> dict[str, Any] | None:
    """The newest revision of one record whose commit is ``commit`` or one of its first-parent ancestors.

    Returns the revision (``snapshot`` holds the record's fields then; ``change == "deleted"`` means the record did
    not exist at ``commit``), or None when the record had no revision by then.
    """
    from sqlalchemy import select

    from tracertm.models import SpecRevision

    try:
        sha = git.resolve_commit(top, commit)
    except GitError:
        raise GitError(f"--at {commit}: no such commit in {top}; check the name or fetch it first") from None
    order = {c: i for i, c in enumerate(_first_parent_chain(top, sha))}
    query = select(SpecRevision).where(SpecRevision.project_id == project_id, SpecRevision.commit_sha.is_not(None))
    if entity_id is not None:
        query = query.where(SpecRevision.entity_id == entity_id)
    if kind is not None:
        query = query.where(SpecRevision.entity_type == kind)
    if number is not None:
        query = query.where(SpecRevision.number == number)
    best: Any = None
    for rev in session.execute(query).scalars():
        if rev.commit_sha not in order:
            continue
        if feature is not None and rev.snapshot.get("feature_number") != feature:
            continue
        if best is None or (order[rev.commit_sha], rev.version) > (order[best.commit_sha], best.version):
            best = rev
    if best is None:
        return None
    return {
        "kind": best.entity_type,
        "number": best.number,
        "version": best.version,
        "change": best.change,
        "commit": best.commit_sha,
        "author": best.author_name,
        "email": best.author_email,
        "committed_at": best.committed_at.isoformat() if best.committed_at else None,
        "path": best.source_path,
        "deleted": best.change == "deleted",
        "fields": dict(best.snapshot or {}),
    }


def record_at(
    engine: Engine,
    project: str,
    kind: str,
    number: str,
    commit: str,
    *,
    path: str | os.PathLike[str] | None = None,
    feature: str | None = None,
) -> dict[str, Any] | None:
    """A record as of ``commit`` (see ``revision_at``), for the repository at ``path`` (default: current folder)."""
    from tracertm import db
    from tracertm.engine import state as db_state

    location = Location.find(path)
    if location.top is None:
        raise UsageError(f"{location.root}: not a git repository")
    with db.session(engine) as session:
        found = db_state.find_project(session, project)
        if found is None:
            raise UsageError(f"--project {project}: no such project in the database")
        return revision_at(session, found.id, commit, location.top, kind=kind, number=number, feature=feature)
