"""The merge after syncs of the history's own commits: proven from the rows, not replayed.

A backfill that finds its project written by syncs since its last complete run merges (``history.merge``): it
replays the whole history in memory and grafts it onto the rows. In the commonest case — a pre-commit or
post-commit hook's ``sync --ref HEAD`` after each new commit — the graft adds nothing: the rows are those the
replay gives, revision for revision. ``SyncedSince.find`` proves that case from the checkpoint and the run rows,
and the backfill then skips the replay of the history up to the last synced commit (``_Backfill.merge_synced``):

- the checkpoint is a complete, linked history of this chain, written by this tracertm, reading the history as
  this run reads it (``SettingsHistory.digest``), and the configuration did not change after it;
- every run that wrote since (finished after ``after`` beside the checkpoint, as many as were counted since)
  is not a backfill's, is of a commit of the chain, in the order of the chain, the last one the project's last
  synced commit, and read that whole commit with the settings this run reads it with (``sync_runs.counts``'
  ``read``: ``settings.read_digest``) — or changed nothing (a no-op records no settings) at a commit that changed
  neither the specs nor the configuration;
- the errors of the history are known (the merge's run lists them all, as the summary does): those the checkpoint
  covers are in the runs it names (``errors_in``), those of each commit synced since in its run;
- every commit between the checkpoint and that one that changes a spec file or the configuration was synced so
  (each is then planned as the replay plans it: the same change against the same rows), and no spec file is a
  symbolic link there (its target's changes are not its own);
- no revision of an earlier backfill names a commit off the chain (the graft would keep those: ``orphaned``);
- each ADR a sync wrote without a date (its row, or a revision's snapshot) has exactly one ``created`` revision
  under its number (the graft dates them by that commit, as the replay's ``adr_created``);
- no spec file at that commit is a symbolic link, no record is given by two files (the replay's ``lines``, where
  each record's references are written, come from each record's last parse: the links hold them when the file
  index's rows are of that commit's blobs — the runs that wrote the rows wrote the links from the parse of those
  blobs, and a file that lost an identity stores the conflict — else the parse of that commit's files; a file that
  does not parse there keeps the lines its links have, those of its last good parse).

Anything else falls back to the replay. ``TRACERTM_BACKFILL_REPLAY=1`` forces it (the tests compare both).
"""

from __future__ import annotations

import datetime as dt
import os
import uuid
from collections.abc import Mapping
from dataclasses import dataclass
from typing import TYPE_CHECKING, Any

from tracertm import git
from tracertm.config import Settings
from tracertm.history.checkpoint import COUNTED, WROTE, Checkpoints, Target
from tracertm.history.results import CommitError
from tracertm.history.settings import CONFIG_FILES, READ_KEY, SettingsHistory, read_digest
from tracertm.history.tree import LINK_MODE, SpecTree

if TYPE_CHECKING:
    from sqlalchemy.orm import Session

    from tracertm.engine.links import Placed
    from tracertm.engine.parse import ParsePool
    from tracertm.models import Project

ENV_REPLAY = "TRACERTM_BACKFILL_REPLAY"  # "1": always replay (tests compare the two ways)
_LINE_KINDS = ("adr", "contract", "feature")  # the kinds of files whose records are links' sources


@dataclass
class SyncedSince:
    """What the merge needs when the replay is skipped: the last synced commit, the dates the graft gives the
    undated ADRs, and where each record's references are written at that commit."""

    end: str
    adr_dates: dict[str, dt.date]
    lines: dict[tuple[str, str], Placed]
    errors: list[CommitError]  # the replay's errors of the history up to ``end``

    @classmethod
    def find(cls, session: Session, project: Project, checkpoint: Mapping[str, Any], recorded: Mapping[str, Any],
             target: Target, eras: SettingsHistory, reader: git.BlobReader, pool: ParsePool, prefix: str,
             prefixes: tuple[str, ...]) -> SyncedSince | None:
        """The proof (see the module docs), or None when anything is not so."""
        from tracertm import __version__

        if os.environ.get(ENV_REPLAY) == "1":
            return None
        c0 = checkpoint.get("last_commit")
        if not (checkpoint.get("complete") is True and checkpoint.get("reconcile") is False
                and checkpoint.get("links") is True and checkpoint.get("counted") == COUNTED
                and checkpoint.get("version") == __version__ and checkpoint.get("eras") == eras.digest()
                and isinstance(c0, str) and c0 in target.index and isinstance(checkpoint.get("runs"), int)
                and "after" in recorded and isinstance(recorded["after"], str | None)):
            return None
        if any(start > target.index[c0] for start in eras.starts):  # the configuration changed since
            return None
        after = dt.datetime.fromisoformat(recorded["after"]) if recorded["after"] is not None else None
        # The runs that finished after those the checkpoint counted: the runs since, when there are as many as
        # were counted since (a machine whose clock lags would hide one: then this is no proof).
        times = Checkpoints.written_since(session, project.id, after)
        since = Checkpoints.count_writes(session, project.id) - checkpoint["runs"]
        listed = recorded.get("errors_in")
        # (``errors_in`` None: not known, a checkpoint of a run that continued one of an older release.)
        if since < 1 or len(times) != since or not isinstance(listed, list) \
                or any(not isinstance(i, str) for i in listed):
            return None
        ordered = sorted(times, key=lambda i: (_aware(times[i].finished_at), _aware(times[i].started_at)))
        runs = Checkpoints.runs_by_id(session, [*ordered, *listed])
        if any(i not in runs or runs[i].status not in WROTE for i in listed):
            return None
        wanted = read_digest(eras.settings[-1], "commit", None)
        positions: list[int] = []
        read: list[Any] = []  # the runs since that read their commit as the replay reads it
        noops: set[str] = set()  # the commits of runs since that changed nothing, however they read it
        for run_id in ordered:
            run = runs[run_id]
            counts = run.counts if isinstance(run.counts, dict) else {}
            if run.trigger == "backfill" or run.ref in (None, "INDEX") or run.commit_sha not in target.index:
                return None
            if counts.get(READ_KEY) == wanted:
                read.append(run)
            elif READ_KEY not in counts and _noop(run, counts):
                noops.add(run.commit_sha)
            else:
                return None
            positions.append(target.index[run.commit_sha])
        # (A no-op may be of the checkpoint's own commit: a hook after the backfill.)
        if positions != sorted(positions) or positions[0] < target.index[c0] or positions[-1] == target.index[c0] \
                or any(target.index[run.commit_sha] == target.index[c0] for run in read):
            return None
        end = target.chain[positions[-1]]
        if project.last_synced_commit != end:
            return None
        touched = _touched(target, c0, end, prefix, prefixes, eras.settings[-1])
        if touched is None:
            return None
        # A commit of the specs (or the configuration) was read as the replay reads it; a no-op, which records no
        # settings (the no-op path of ``tracertm.fastpath`` records the run the engine records), only of a commit
        # that changed neither: it stands for the state before it, whatever it read.
        if not touched <= {run.commit_sha for run in read} or noops & touched:
            return None
        if off_chain(session, project.id, target.index):
            return None
        errors = _errors([runs[i] for i in listed], read, target, prefix, prefixes)
        if errors is None:
            return None
        dates = _undated_adrs(session, project, target.index, reader)
        if dates is None:
            return None
        lines = _lines_at(end, target, eras, reader, pool, prefix, prefixes, _linked_paths(session, project),
                          _indexed(session, project))
        if lines is None:
            return None
        return cls(end, dates, lines, errors)


def _errors(listed: list[Any], since: list[Any], target: Target, prefix: str, prefixes: tuple[str, ...]
            ) -> list[CommitError] | None:
    """The errors the replay finds in the history up to the last synced commit, in its order: those of the history
    the checkpoint covers (the runs of ``errors_in``, in order), then those of each commit synced since — its first
    run's errors (a sync lists every broken file's, by path, as the replay's plan does) about the paths the commit
    changed (the replay reports only those). None when one is not as a run writes it."""
    from tracertm.errors import Diagnostic

    out: list[CommitError] = []
    try:
        for run in listed:
            for e in run.errors or []:
                out.append(CommitError(e["commit"], Diagnostic(e["path"], e["line"], e["column"], e["message"],
                                                               e["severity"])))
        done: set[str] = set()
        for run in since:
            if run.commit_sha in done:  # synced again: the first run read the change
                continue
            done.add(run.commit_sha)
            if not run.errors:
                continue
            changed = set(git.run(target.top, "diff-tree", "-r", "-z", "--name-only", "--no-renames",
                                  f"{run.commit_sha}^", run.commit_sha, "--", *git.pathspecs(prefixes))
                          .decode("utf-8", "surrogateescape").split("\0"))
            paths = {p[len(prefix):] for p in changed if p.startswith(prefix)}
            out.extend(CommitError(run.commit_sha, Diagnostic(e["path"], e["line"], e["column"], e["message"],
                                                              e["severity"]))
                       for e in run.errors if e["path"] in paths)
    except (KeyError, TypeError):
        return None
    return out


def _touched(target: Target, c0: str, end: str, prefix: str, prefixes: tuple[str, ...], settings: Settings
             ) -> set[str] | None:
    """The first-parent commits after ``c0`` up to ``end`` that change a spec file (a path ``settings`` reads as
    one) or a configuration file. None when a spec file is a symbolic link at ``c0`` or becomes one (what it reads
    changes with its target: not in the diff)."""
    if any(e.mode == LINK_MODE and settings.kind_of(p[len(prefix):]) is not None
           for p, e in git.tree_entries(target.top, c0, prefixes).items() if p.startswith(prefix)):
        return None
    touched: set[str] = set()
    paths = (*prefixes, *(prefix + n for n in CONFIG_FILES))
    for commit in git.history(target.top, [end, f"^{c0}"], paths, prefix, authors=False):  # (which commits only)
        for change in commit.changes:
            spec = settings.kind_of(change.path) is not None
            if spec and change.mode == LINK_MODE:
                return None
            if spec or change.path in CONFIG_FILES:
                touched.add(commit.sha)
    return touched


def _noop(run: Any, counts: Mapping[str, Any]) -> bool:
    """Whether a run wrote nothing: no error, no record created, updated, deleted, restored or moved."""
    return run.status == "ok" and not run.errors and all(
        isinstance(row, dict) and all(n == 0 for action, n in row.items() if action != "unchanged")
        for row in counts.values())


def _aware(when: dt.datetime | None) -> dt.datetime:
    """A run's time, comparable across databases (SQLite gives naive UTC times)."""
    if when is None:
        return dt.datetime.max.replace(tzinfo=dt.UTC)
    return when if when.tzinfo is not None else when.replace(tzinfo=dt.UTC)


def off_chain(session: Session, project_id: uuid.UUID, index: Mapping[str, int]) -> set[str]:
    """The commits an earlier backfill recorded a revision of that are not on the chain (``merge.orphaned``)."""
    from sqlalchemy import select

    from tracertm.models import SpecRevision, SyncRun

    rev, runs = SpecRevision.__table__.c, SyncRun.__table__.c
    recorded = session.connection().execute(
        select(rev.commit_sha).distinct()
        .select_from(SpecRevision.__table__.join(SyncRun.__table__, rev.sync_run_id == runs.id))
        .where(rev.project_id == project_id, runs.trigger == "backfill", rev.commit_sha.is_not(None))).scalars()
    return {sha for sha in recorded if sha not in index}


def _undated_adrs(session: Session, project: Project, index: Mapping[str, int],
                  reader: git.BlobReader) -> dict[str, dt.date] | None:
    """ADRs a sync wrote without a date, in their row or a revision's snapshot → the date of the commit that
    created them, as the replay's ``adr_created`` gives it (``merge._fill_adr_dates``); None when that is not
    certain (a renumbered ADR, several creations, one from the work tree)."""
    from sqlalchemy import select

    from tracertm.history.merge import undated_snapshots
    from tracertm.models import ADR, SpecRevision

    conn = session.connection()
    a, rev = ADR.__table__.c, SpecRevision.__table__.c
    numbers = {r.number for r in undated_snapshots(conn, project.id)}
    undated = {r.id: r.adr_number for r in conn.execute(
        select(a.id, a.adr_number).where(a.project_id == project.id, a.date.is_(None) | a.adr_number.in_(numbers)))}
    if not numbers <= set(undated.values()):  # a revision of a record without a row (not a sync's)
        return None
    if not undated:
        return {}
    created: dict[str, str] = {}
    for r in conn.execute(select(rev.entity_id, rev.number, rev.change, rev.commit_sha)
                          .where(rev.project_id == project.id, rev.entity_id.in_(list(undated)))):
        number = undated[r.entity_id]
        if r.number != number:
            return None
        if r.change == "created":
            if number in created or r.commit_sha not in index:
                return None
            created[number] = r.commit_sha
    if set(created) != set(undated.values()):
        return None
    dates = git.commit_dates(reader, created.values())
    if not set(created.values()) <= dates.keys():  # a creating commit whose date is unreadable
        return None
    return {number: dates[sha] for number, sha in created.items()}


def _linked_paths(session: Session, project: Project) -> set[str]:
    """The files of the records that have links (a record without any has no reference: its lines place none)."""
    from sqlalchemy import select

    from tracertm.engine.links import LINKS

    t = LINKS.c
    return set(session.connection().execute(
        select(t.source_path).where(t.project_id == project.id, t.source_path.is_not(None)).distinct()).scalars())


def _indexed(session: Session, project: Project) -> dict[str, tuple[str, Any]]:
    """The file index's live rows: path → (the blob the sync or backfill that wrote the row read, its stored
    findings). One select, whatever changed."""
    from sqlalchemy import select

    from tracertm.models import SourceFile

    f = SourceFile.__table__.c
    return {r.path: (r.blob_sha, r.parse_error) for r in session.connection().execute(
        select(f.path, f.blob_sha, f.parse_error).where(f.project_id == project.id, f.deleted_at.is_(None)))}


def _lost_an_identity(stored: Any) -> bool:
    """Whether a file's stored findings say it gives a record another file holds (``plan.conflict``: an error; an
    id shared with a record of another kind is a warning, and two kinds never share a key of ``lines``)."""
    items = [stored] if isinstance(stored, Mapping) else stored if isinstance(stored, list) else []
    return any(isinstance(d, Mapping) and d.get("conflict") and d.get("severity", "error") == "error" for d in items)


def _lines_at(end: str, target: Target, eras: SettingsHistory, reader: git.BlobReader, pool: ParsePool,
              prefix: str, prefixes: tuple[str, ...], linked: set[str], indexed: Mapping[str, tuple[str, Any]]
              ) -> dict[tuple[str, str], Placed] | None:
    """Where the references of the records are written at ``end`` that the links do not hold already, as the
    replay's ``lines`` hold them (each record's last parse), for the records that have links (``linked``: their
    files; the lines of a record without references place nothing — a sync wrote a link, dangling or not, for each
    reference). None when a spec file is a symbolic link, or two files give the same record (the replay keeps the
    winner's).

    When every linked file's row in the file index (``indexed``) is of its blob at ``end``, nothing: the links hold
    those lines. The sync or backfill that wrote a row read that blob, and wrote the links of each record it gives
    from that parse (a changed blob plans every record of the file, ``refresh`` included, in a sync as in the
    replay's step; a file that does not parse keeps its records, and their links their last good parse's lines,
    as the replay's do) — a backfill's ``derive_links`` or a sync's ``links.maintain`` — as a resumed backfill
    trusts the links its last run derived. Two files giving one record are then known from the index: the file that
    lost the identity stores the conflict (re-planned by every sync). Otherwise (a row of other bytes: a work-tree
    sync's before the checkpoint) the parse of every linked file at ``end``, but for a file that does not parse
    there (its records' links keep the lines of their last good parse)."""
    from tracertm.engine.links import parsed_lines
    from tracertm.history.replay import prepare_records
    from tracertm.parsers.records import ParseResult

    settings = eras.at(end)
    tree = SpecTree(target.top, prefix, settings, reader, prefixes)
    tree.load(end)
    if any(e.mode == LINK_MODE and tree.kind_of(p) is not None for p, e in tree.entries.items()):
        return None  # (a link's target decides what it reads and what the replay counts as touched)
    files = {p: e for p, e in tree.entries.items() if p in linked and tree.kind_of(p) in _LINE_KINDS}
    if all(p in indexed and indexed[p][0] == e.sha for p, e in files.items()):
        if any(_lost_an_identity(indexed[p][1]) for p in files):
            return None
        return {}
    blobs = reader.read_limited(sorted({e.sha for e in files.values()}), settings.parser.max_file_size)
    work = []
    for path, entry in files.items():
        data = blobs[entry.sha]
        kind = tree.kind_of(path)
        if isinstance(data, bytes) and kind is not None:  # (a file over the size limit does not parse)
            work.append((path, kind, data))
    outcomes = pool.parse(work, settings.parser, prepare=prepare_records)
    out: dict[tuple[str, str], Placed] = {}
    for path, kind, _ in work:
        outcome = outcomes[path]
        if not isinstance(outcome, ParseResult):
            # Its records (if any: a file that parsed before) are held as their last good parse left them; so
            # are their links, written from that parse: with no lines here, they keep theirs (``links.rebuild``).
            continue
        placed = parsed_lines((path, r.kind, r) for r in outcome.records)
        if placed.keys() & out.keys():
            return None
        out.update(placed)
    return out
