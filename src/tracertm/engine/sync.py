"""``tracertm.sync()``: scan → parse → plan → apply for one repository, in one transaction under the project lock."""

from __future__ import annotations

import datetime as dt
import gc
import os
import re
import uuid
from collections.abc import Iterator
from contextlib import contextmanager
from dataclasses import dataclass, field
from pathlib import Path
from typing import TYPE_CHECKING, Any

from tracertm import git
from tracertm.config import Settings, load_settings
from tracertm.errors import Diagnostic, ParseError, UsageError
from tracertm.kinds import RECORD_KINDS
from tracertm.parsers.records import ParseResult
from tracertm.engine.parse import Outcome, default_jobs, hash_records, parse_files
from tracertm.engine.scan import Location, Snapshot, StatEntry, scan

if TYPE_CHECKING:
    from sqlalchemy.engine import Engine

    from tracertm.engine.plan import Operation, Plan

KINDS = RECORD_KINDS
ACTIONS = ("created", "updated", "deleted", "restored", "moved", "unchanged", "errors")


@dataclass
class SyncResult:
    """What one sync did (or, with ``dry_run``, would do)."""

    project: str
    root: Path
    source: str
    commit: str | None
    dry_run: bool
    counts: dict[str, dict[str, int]]
    errors: list[Diagnostic] = field(default_factory=list)
    warnings: list[Diagnostic] = field(default_factory=list)
    operations: list[Operation] = field(default_factory=list)
    files_scanned: int = 0
    files_parsed: int = 0
    run_id: uuid.UUID | None = None

    @property
    def changed(self) -> bool:
        """Whether the database differs (or, in a dry run, would differ) from the source."""
        return any(op.action != "refresh" for op in self.operations)

    def as_dict(self) -> dict[str, Any]:
        return {
            "project": self.project,
            "root": str(self.root),
            "source": self.source,
            "commit": self.commit,
            "dry_run": self.dry_run,
            "counts": self.counts,
            "files": {"scanned": self.files_scanned, "parsed": self.files_parsed},
            "errors": [d.as_dict() for d in self.errors],
            "warnings": [d.as_dict() for d in self.warnings],
            "operations": [op.as_dict() for op in self.operations if op.action != "refresh"],
            "run_id": str(self.run_id) if self.run_id else None,
        }


_REMOTE = re.compile(r"(?:[:/])([^/:]+)/([^/]+?)(?:\.git)?/?$")


def project_name(location: Location, settings: Settings, option: str | None = None) -> str:
    """``--project``, then configuration, then the ``origin`` remote's owner/name (when the specs are at the top of
    the repository), then the folder name."""
    if option:
        return option
    if settings.project:
        return settings.project
    if location.top is not None and location.top == location.root:
        url = git.origin_url(location.top)
        match = _REMOTE.search(url) if url else None
        if match:
            return f"{match.group(1)}/{match.group(2)}"
    return location.root.name


def _trigger(trigger: str | None) -> str:
    if trigger:
        return trigger
    return "ci" if os.environ.get("CI") else "cli"


def sync(
    path: str | os.PathLike[str] | None = None,
    *,
    ref: str | None = None,
    staged: bool = False,
    project: str | None = None,
    database_url: str | None = None,
    dry_run: bool = False,
    full: bool = False,
    paths: list[str] | None = None,
    trigger: str | None = None,
    jobs: int | None = None,
    engine: Engine | None = None,
) -> SyncResult:
    """Bring the database in line with the spec files of the repository at ``path``.

    ``ref`` syncs a commit (read from git objects), ``staged`` the index, default the work tree. ``paths`` limits
    the sync to those repository-relative paths (the watcher uses this). ``full`` re-parses every file instead of
    trusting blob ids. Returns a ``SyncResult``; spec errors are in ``result.errors`` (their files keep their
    previous records), never raised. Without ``engine``, the engine made for this call is disposed before it returns
    (no pooled connection stays open); a caller's ``engine`` is left open.
    """
    if ref and staged:
        raise UsageError("--ref and --staged exclude each other; pick one source")
    from tracertm import db

    location = Location.find(path)
    settings = load_settings(location.root)
    name = project_name(location, settings, project)
    owned = engine is None  # an engine made here is disposed here: no pooled connection outlives the call
    if engine is None:
        engine = db.open_engine(database_url, settings.database_url)
    else:
        db.ensure_schema(engine)
    try:
        repo_url = git.origin_url(location.top) if location.top is not None else None
        args = (location, settings, name, repo_url, ref, staged, paths, full, jobs, trigger)
        if dry_run:
            with db.session(engine) as session:
                return _run(session, *args, dry_run=True)
        with db.write_session(engine, name) as session:
            return _run(session, *args, dry_run=False)
    finally:
        if owned:
            engine.dispose()


@contextmanager
def collector_paused() -> Iterator[None]:
    """Pause Python's cyclic garbage collector around the write (plan and apply).

    A large sync keeps hundreds of thousands of objects alive (parsed records, rows) and creates almost no cyclic
    garbage; the collector would re-scan the whole heap again and again while rows and revisions pile up.
    Reference counting still frees everything as usual. Restored afterwards, even on error; left alone when the
    caller had it disabled already. Never held across scanning, parsing or the caller's own code.
    """
    was_enabled = gc.isenabled()
    gc.disable()
    try:
        yield
    finally:
        if was_enabled:
            gc.enable()


def _run(
    session: Any,
    location: Location,
    settings: Settings,
    name: str,
    repo_url: str | None,
    ref: str | None,
    staged: bool,
    paths: list[str] | None,
    full: bool,
    jobs: int | None,
    trigger: str | None,
    *,
    dry_run: bool,
) -> SyncResult:
    from tracertm.models import SyncRun
    from tracertm.engine import state
    from tracertm.engine.apply import Provenance, apply
    from tracertm.engine.plan import must_reparse, plan

    started = dt.datetime.now(dt.timezone.utc)
    project = state.find_project(session, name) if dry_run else state.get_or_create_project(session, name, repo_url)
    db_files = state.load_files(session, project.id) if project is not None else {}
    known = {p: StatEntry(r.blob_sha, r.size, r.mtime_ns) for p, r in db_files.items() if not r.deleted}
    snapshot = scan(location, settings, ref=ref, staged=staged, paths=paths, known=known)
    try:
        changed = sorted(
            p
            for p, f in snapshot.files.items()
            if f.error is None
            and (
                full
                or p not in db_files
                or db_files[p].deleted
                or db_files[p].blob_sha != f.blob_sha
                or must_reparse(db_files[p])  # lost an identity: may take it over now
            )
        )
        parsed = _parse(snapshot, changed, settings, jobs)
    finally:
        snapshot.close()
    changed_blobs = frozenset(
        p for p in changed if p not in db_files or db_files[p].blob_sha != snapshot.files[p].blob_sha or db_files[p].deleted
    )
    numbers: dict[str, set[str]] = {}
    for outcome in parsed.values():
        if isinstance(outcome, ParseResult):
            numbers.setdefault(outcome.kind, set()).update(r.number for r in outcome.records)
    removed = {p for p, r in db_files.items() if not r.deleted and p not in snapshot.files and snapshot.in_scope(p)}
    touched = {p for p, o in parsed.items() if isinstance(o, ParseResult)} | removed
    if project is not None and (numbers or touched):
        current = state.load_current(session, project.id, numbers, touched)
        feature_ids = [c.id for (kind, _), c in current.items() if kind == "feature"]
        scenarios = state.load_scenarios(session, feature_ids)
        live_before = state.count_live(session, project.id)
    else:
        current, scenarios = {}, {}
        live_before = state.count_live(session, project.id) if project is not None else dict.fromkeys(KINDS, 0)
    with collector_paused():
        the_plan = plan(snapshot.files, snapshot.in_scope, db_files, parsed, current, scenarios, changed_blobs)

    commit_info = (
        git.commit_info(location.top, snapshot.commit) if location.top and snapshot.source == "commit" and snapshot.commit else None
    )
    counts = _counts(the_plan, live_before, {p: f.kind for p, f in snapshot.files.items()})
    result = SyncResult(
        project=name,
        root=location.root,
        source=snapshot.source,
        commit=snapshot.commit,
        dry_run=dry_run,
        counts=counts,
        errors=the_plan.errors,
        warnings=the_plan.warnings,
        operations=the_plan.operations,
        files_scanned=len(snapshot.files),
        files_parsed=len(parsed),
    )
    if dry_run or project is None:
        return result

    run = SyncRun(
        id=uuid.uuid4(),
        project_id=project.id,
        trigger=_trigger(trigger),
        ref=ref or ("INDEX" if staged else None),
        commit_sha=snapshot.commit,
        started_at=started,
        status="running",
    )
    session.add(run)
    session.flush()
    with collector_paused():
        apply(session, project.id, the_plan, run.id, Provenance(commit_info))
    run.finished_at = dt.datetime.now(dt.timezone.utc)
    run.status = "errors" if the_plan.errors else "ok"
    run.counts = counts
    run.errors = [d.as_dict() for d in the_plan.errors]
    if snapshot.source == "commit" or (snapshot.source == "worktree" and paths is None):
        head = git.head_commit(location.top) if location.top else None
        project.last_synced_commit = snapshot.commit if snapshot.source == "commit" else head
    project.last_synced_at = run.finished_at
    result.run_id = run.id
    return result


def _parse(snapshot: Snapshot, changed: list[str], settings: Settings, jobs: int | None) -> dict[str, Outcome]:
    if not changed:
        return {}
    n_jobs = jobs if jobs is not None else default_jobs()
    if snapshot.source not in ("worktree", "folder"):
        contents = snapshot.read(changed)
        work = [(p, snapshot.files[p].kind, contents[p]) for p in changed]
        # Content hashes (plan compares them) are computed in the parse workers.
        return parse_files(work, settings.parser, n_jobs, prepare=hash_records)
    # Files on disk are read by the parse workers, in parallel. A file may have changed since it was hashed:
    # record the blob id of the bytes actually parsed.
    from dataclasses import replace

    root = snapshot.root
    files = snapshot.files
    reads: dict[str, tuple[str, int]] = {}
    work_paths = [(p, files[p].kind, root / (files[p].target or p)) for p in changed]
    parsed = parse_files(work_paths, settings.parser, n_jobs, prepare=hash_records, reads=reads)
    for p, (blob, size) in reads.items():
        if blob != files[p].blob_sha:
            files[p] = replace(files[p], blob_sha=blob, size=size)
    return parsed


def _counts(the_plan: Plan, live_before: dict[str, int], kinds: dict[str, str]) -> dict[str, dict[str, int]]:
    planned = the_plan.counts()
    counts: dict[str, dict[str, int]] = {}
    for kind in KINDS:
        row = {action: planned.get(kind, {}).get(action, 0) for action in ACTIONS}
        row["unchanged"] = live_before.get(kind, 0) - row["updated"] - row["moved"] - row["deleted"]
        counts[kind] = row
    for path in {diag.path for diag in the_plan.errors}:
        counts[kinds.get(path, "adr")]["errors"] += 1
    return counts


__all__ = ["sync", "SyncResult", "project_name"]
