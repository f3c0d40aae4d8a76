"""Records as of a commit (``show --at``), read from the revisions a backfill or a sync wrote.

A revision names its commit (``commit_sha``) when it was synced from one (``sync --ref``, a backfill). A sync of a
work tree whose spec files were exactly HEAD's records HEAD on its run (``sync_runs.commit_sha``, ``ref`` NULL): its
revisions are HEAD's state and are dated by it here, without rewriting them. A revision synced from files that
differed from HEAD (a dirty work tree, the index) has no commit: asked about it, ``--at`` says so (``Unrecorded``).
A revision whose commit is off the commit's first-parent history (one amended away, a merged branch's) holds the
state at a main-line commit whose ``sync --ref`` found it already recorded (``history.standing``).
"""

from __future__ import annotations

import datetime as dt
import os
import uuid
from dataclasses import dataclass
from pathlib import Path
from collections.abc import Mapping
from typing import TYPE_CHECKING, Any, Literal

from tracertm import git
from tracertm.engine.scan import Location
from tracertm.errors import GitError, UsageError
from tracertm.text import quoted_command
from tracertm.timetext import json_time_or_none

if TYPE_CHECKING:
    from sqlalchemy.engine import Engine

    from sqlalchemy.orm import Session

    from tracertm.models import SpecRevision
    from tracertm.parsers.records import FileKind, SpecRecord


class Unrecorded(UsageError):
    """The record's state at the commit was never recorded: it was synced from uncommitted files only."""


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
    option: str = "--at",
    location: Location | None = None,
) -> dict[str, Any] | None:
    """The newest revision of one record whose commit is ``commit`` or one of its first-parent ancestors.

    Returns the revision (``snapshot`` holds the record's fields then; ``change == "deleted"`` means the record did
    not exist at ``commit``), or None when the record had no revision by then. With the project's ``location`` the
    fields are read from the record's file at ``commit`` when only its position changed since the revision (see
    ``_moved_fields``). ``option``: how errors name the commit (the CLI's ``--at``, the API's ``commit``).
    """
    best, best_commit, sha = _newest(session, project_id, commit, top, entity_id=entity_id, kind=kind, number=number,
                                     feature=feature, option=option, location=location)
    if best is None:
        return None
    fields = dict(best.snapshot or {})
    if location is not None and best_commit != sha and best.change != "deleted":
        fields = _moved_fields(location, sha, best) or fields
    return {
        "kind": best.entity_type,
        "number": best.number,
        "version": best.version,
        "change": best.change,
        "commit": best_commit,
        # False: synced from a work tree that was exactly this commit's (no author: the sync did not read one).
        "from_commit": best.commit_sha is not None,
        "author": best.author_name,
        "email": best.author_email,
        "authored_at": json_time_or_none(best.authored_at),
        "committer": best.committer_name,
        "committed_at": json_time_or_none(best.committed_at),
        "path": best.source_path,
        "deleted": best.change == "deleted",
        "fields": fields,
    }


def newest_revision(
    session: Session,
    project_id: uuid.UUID,
    commit: str,
    top: Path,
    *,
    entity_id: uuid.UUID | None = None,
    kind: str | None = None,
    number: str | None = None,
    feature: str | None = None,
    option: str = "--at",
) -> tuple[SpecRevision | None, str]:
    """The revision row ``revision_at`` describes (None: the record had no revision by then) and the full id of
    ``commit``. Revisions are ordered by their commit's place in the first-parent history of ``commit`` (git's
    answer: not by dates, nor by version — a pure move keeps the version), then by version within one commit.
    The API's ``at`` uses it too, so that it answers what ``show --at`` answers. A revision of a clean work tree's
    sync counts as of the HEAD its run recorded, and one a ``sync --ref`` of a commit found standing (no revision
    written) as of that commit (``history.standing``); ``Unrecorded`` when the record has revisions, but only from
    uncommitted files."""
    best, _commit, sha = _newest(session, project_id, commit, top, entity_id=entity_id, kind=kind, number=number,
                                 feature=feature, option=option)
    return best, sha


def _newest(
    session: Session,
    project_id: uuid.UUID,
    commit: str,
    top: Path,
    *,
    entity_id: uuid.UUID | None = None,
    kind: str | None = None,
    number: str | None = None,
    feature: str | None = None,
    option: str = "--at",
    location: Location | None = None,
) -> tuple[SpecRevision | None, str | None, str]:
    """``newest_revision`` and the commit its revision is dated by (its own, or its clean work-tree run's).

    Revisions synced from uncommitted files carry no commit. When the record has such a revision newer than the one
    dated at or before ``commit`` (an edit synced before it was committed, say), which of them holds the record's
    state at ``commit`` is told by the file there: the newest revision whose content it holds (``_by_content``),
    else ``Unrecorded`` — never the older revision silently."""
    from sqlalchemy import select
    from sqlalchemy.orm import aliased

    from tracertm.history.dated import clean_run, dated_commit
    from tracertm.models import SpecRevision, SyncRun

    try:
        sha = git.resolve_commit(top, commit)
    except GitError:
        if option == "--at":  # the command line's own repository: named
            raise GitError(f"{option} {commit}: no such commit in {top}; check the name or fetch it first") from None
        from tracertm.repositories.errors import NotFound  # the API: 404, as for an unknown record, and no path of
        # the server's disk in an answer anyone may read
        raise NotFound(f"{option} {commit}: no such commit in the project's repository; check the name, or push or "
                       "fetch it there first") from None
    chain = git.first_parent_chain(top, sha)
    order = {c: i for i, c in enumerate(chain)}
    _refuse_side_commit(session, project_id, top, sha, commit, option, after=order)
    # A git change with its commit, or one of a work tree's sync that recorded its clean HEAD (never an ``annotated``
    # edit: it changes no file).
    made = aliased(SyncRun)  # the run that wrote the revision: when it started and ended (``history.standing``)
    query = (
        select(SpecRevision, dated_commit(SyncRun), made.started_at, made.finished_at)
        .outerjoin(SyncRun, clean_run(SyncRun))
        .outerjoin(made, made.id == SpecRevision.sync_run_id)
        .where(SpecRevision.project_id == project_id, SpecRevision.change != "annotated")
    )
    if entity_id is not None:
        query = query.where(SpecRevision.entity_id == entity_id)
    if kind is not None:
        query = query.where(SpecRevision.entity_type == kind)
    if number is not None:
        query = query.where(SpecRevision.number == number)
    best: SpecRevision | None = None
    best_commit: str | None = None
    best_key = (-1, 0)
    undated: list[SpecRevision] = []  # synced from uncommitted files
    written: list[_Written] = []
    for rev, dated, started, finished in session.execute(query).all():
        if feature is not None and rev.snapshot.get("feature_number") != feature:
            continue
        written.append(_Written(rev, dated, started or rev.created_at, finished or rev.created_at))
        if dated is None:
            undated.append(rev)
            continue
        place = order.get(dated)
        if place is None:
            continue
        if best is None or (place, rev.version) > best_key:
            best, best_commit, best_key = rev, dated, (place, rev.version)
    seen = _seen_by_runs(session, project_id, written, order, order[sha])
    if seen is not None and (best is None or seen[:2] > best_key):
        place, _version, best = seen
        # Dated by the commit that made it (a branch's, one amended away), else by the run's commit.
        best_commit, best_key = next(w.dated for w in written if w.revision is best) or chain[place], seen[:2]
    if best is None:
        where = location or Location.find(top)
        beyond = _beyond_the_boundary(where, sha, chain, written, order, f"{option} {commit}")
        if beyond is not None:
            return beyond[0], beyond[1], sha
    later = [r for r in undated if best is None or r.version > best.version]
    if later:
        where = location if location is not None else Location.find(top)
        found = _by_content(where, sha, sorted(later, key=lambda r: -r.version) + ([best] if best else []))
        if found is None:
            backfill, sync = _commands(session, project_id, "--ref", "COMMIT", top=top)
            raise Unrecorded(
                f"{option} {commit}: the record was changed in uncommitted files (synced from a work tree or index "
                "that differed from HEAD) and the file at that commit holds none of its recorded versions, so its "
                f"state then is not recorded; run {backfill} to record the history (or sync "
                f"commits with {sync})"
            )
        revision, _present = found
        if revision is None:
            return None, None, sha  # the file at ``commit`` does not hold the record: it was not there yet
        return revision, (best_commit if revision is best else sha), sha
    # The last of the commits recorded in the history up to ``commit`` (a hook's sync after a backfill recorded a
    # later one than its checkpoint); one after ``commit`` or off its history tells nothing of it.
    head = max((h for h in _recorded_heads(session, project_id) if h in order), key=order.__getitem__, default=None)
    if best is not None and best_commit is not None and best_commit != sha and best.source_path \
            and (head is None or order[head] >= order[sha]) and _unread(session, project_id, sha, order):
        # No sync read ``commit``, which comes before the last commit recorded (after it: below), and no backfill
        # replayed it (a rebase's commits before its last: the hook syncs once, at the end): the newest revision
        # before it holds the record's state then only if its file there is unchanged, or still holds that content.
        where = location = location if location is not None else Location.find(top)
        if _file_changed(top, best_commit, sha, where.prefix + best.source_path):
            found = _by_content(where, sha, [best])
            if found is None or found[0] is None:
                raise Unrecorded(
                    f"{option} {commit}: no sync read that commit, and the record's file changed since "
                    f"{best_commit[:12]}, whose revision holds another state, so its state then is not recorded; "
                    + _where_it_is(found, sha, where.prefix + best.source_path)
                )
    gap = _merged_around(session, project_id, order, order[sha], best_commit)
    if best is not None and gap is not None:
        where = location = location if location is not None else Location.find(top)
        found = _by_content(where, sha, [best])
        if found is None or found[0] is None:
            gap = _changed_at(where, best, best_commit, sha) or gap
            raise Unrecorded(
                f"{option} {commit}: the record changed at {gap[:12]}, a commit no sync recorded, which a backfill "
                "merged around (it writes the history before what syncs recorded, not between), so its state then "
                "is not recorded; " + _where_it_is(found, sha, where.prefix + (best.source_path or ""))
            )
    if best is not None and best_commit != sha and head is not None and order[head] < order[sha]:
        # ``commit`` came after the last commit tracertm recorded: the commits since were never synced, and the
        # newest revision holds the record's state then only if the file there still holds its content.
        found = _by_content(location if location is not None else Location.find(top), sha, [best])
        if found is None or found[0] is None:
            backfill, sync = _commands(session, project_id, top=top)
            raise Unrecorded(
                f"{option} {commit}: the record changed after {head[:12]}, the last commit tracertm recorded, so "
                f"its state then is not recorded; run {sync} at that commit (or "
                f"{backfill}) first"
            )
    return best, best_commit, sha


def _beyond_the_boundary(location: Location, sha: str, chain: list[str], written: list[_Written],
                         order: Mapping[str, int], asked: str) -> tuple[SpecRevision, str] | None:
    """The record's state at ``sha`` when a shallow clone's history (``chain``) stops before its revisions: those
    name commits the clone does not hold, which may be ``sha``'s ancestors or not. Read from the file at ``sha``:
    the one revision with its content there, at that path (revisions that came after ``sha`` hold other content,
    ones of a move or a revert the same, then which is told by the history alone: refused). None when the clone
    holds every commit the revisions name (``asked``: the option and commit, for the refusal)."""
    strays = {w.dated for w in written if w.dated is not None and w.dated not in order}
    assert location.top is not None
    cut = git.cut_short(location.top, chain) if strays else None
    if cut is None or not strays - git.existing_objects(location.top, strays):
        return None
    paths = dict.fromkeys(w.revision.source_path for w in written if w.revision.source_path)
    found = [(p, r) for p in paths if (r := _record_at(location, sha, written[0].revision, p))]
    matches = [w for w in written if found and w.dated is not None and w.revision.change != "deleted"
               and (w.revision.source_path, w.revision.content_hash) == (found[0][0], found[0][1].content_hash)]
    if len(matches) == 1 and matches[0].dated is not None:
        return matches[0].revision, matches[0].dated
    raise Unrecorded(
        f"{asked}: this clone is shallow (its history stops at {cut[:12]}) and the record's revisions name commits "
        "before that, which it does not hold, so its state then cannot be told; run 'git fetch --unshallow' and "
        "ask again"
    )


def _where_it_is(found: tuple[SpecRevision | None, bool] | None, sha: str, path: str) -> str:
    """Where to read a record's unrecorded state at ``sha``: its file there (``found`` None: it holds a content no
    revision has), else — the file there does not hold the record: deleted, moved, or the record renamed in a
    commit no sync read — the commits that changed the file (``git show`` of a path not in the commit fails)."""
    if found is None:
        return f"the file at that commit holds it: git show {sha[:12]}:{path}"
    return (f"{path} does not hold it at that commit (deleted, moved, or the record renamed in it): "
            f"git log --stat {sha[:12]} -- {path} shows the commits that changed it")


def _unread(session: Session, project_id: uuid.UUID, sha: str, order: Mapping[str, int]) -> bool:
    """Whether no sync read ``sha`` (a ``sync --ref`` of it, a clean work tree at it) and no complete backfill
    replayed it (one whose last commit is ``sha`` or after it: ``order`` is ``sha``'s first-parent history, and a
    commit off the recorded history was refused before)."""
    from sqlalchemy import select

    from tracertm.history.checkpoint import CHECKPOINT_KEY
    from tracertm.history.merge import sync_read
    from tracertm.models import Project, SyncRun

    checkpoint = (session.get_one(Project, project_id).metadata_ or {}).get(CHECKPOINT_KEY)
    if isinstance(checkpoint, dict) and checkpoint.get("complete"):
        last = checkpoint.get("last_commit")
        if isinstance(last, str) and (last == sha or last not in order):
            return False
    read = session.execute(select(SyncRun.id).where(*sync_read(project_id), SyncRun.commit_sha == sha).limit(1))
    return read.first() is None


def _file_changed(top: Path, older: str, newer: str, path: str) -> bool:
    """Whether the file at ``path`` (from the top of the repository) differs between the two commits (or only one
    of them has it)."""
    return bool(git.run(top, "diff", "--no-renames", "--name-only", older, newer, "--",
                        *git.pathspecs((path,))).strip())


def _merged_around(session: Session, project_id: uuid.UUID, order: Mapping[str, int], place: int,
                   best_commit: str | None) -> str | None:
    """The commit of a change a merged backfill left out (``history.merge.unwritten``) between the revision read
    (dated by ``best_commit``) and the commit at ``place``, or None."""
    from tracertm.history.merge import GAPS_KEY, in_gap
    from tracertm.models import Project

    gaps = (session.get_one(Project, project_id).metadata_ or {}).get(GAPS_KEY)
    if not gaps:
        return None
    return in_gap(gaps, order, place, order.get(best_commit, -1) if best_commit is not None else -1)


def _changed_at(location: Location, best: SpecRevision, best_commit: str | None, sha: str) -> str | None:
    """The first commit after ``best_commit`` on ``sha``'s first-parent history that changed the record of ``best``
    (its file there no longer holds that revision's content): the gaps are the project's, and the first one in
    reach may be another record's change. None when it cannot be told (no commit, no repository)."""
    if best_commit is None or location.top is None or not best.source_path:
        return None
    touched = git.run(location.top, "log", "--first-parent", "--reverse", "--format=%H", f"{best_commit}..{sha}",
                      "--", *git.pathspecs((location.prefix + best.source_path,))).decode().split()
    return next((c for c in touched if _by_content(location, c, [best]) != (best, True)), None)


def _commands(session: Session, project_id: uuid.UUID, *sync_words: str, top: Path | None = None
              ) -> tuple[str, str]:
    """The ``backfill`` and ``sync`` (with ``sync_words``) commands an ``Unrecorded`` message suggests, quoted
    (``text.quoted_command``), naming the project and its folder (``folder_command``): the API answers it too, and
    a server cannot know its reader's folder, where a bare ``tracertm backfill`` would record another project (or
    none). In a shallow clone (``top``) the backfill follows a ``git fetch --unshallow``: a backfill there is
    refused."""
    from tracertm.models import Project
    from tracertm.repositories.projects import folder_command

    project = session.get_one(Project, project_id)
    backfill = quoted_command(folder_command("backfill", project))
    if top is not None and git.is_shallow(top):
        backfill = f"'git fetch --unshallow' and then {backfill}"
    return backfill, quoted_command(folder_command("sync", project, *sync_words))


@dataclass(frozen=True)
class _Written:
    """A revision of the record, the commit it is dated by (None: synced from uncommitted files), and when the run
    that wrote it started and ended."""

    revision: SpecRevision
    dated: str | None
    started: dt.datetime
    finished: dt.datetime


def _seen_by_runs(session: Session, project_id: uuid.UUID, written: list[_Written], order: Mapping[str, int],
                  limit: int) -> tuple[int, int, SpecRevision] | None:
    """The record's state a run at a commit of ``order`` up to place ``limit`` recorded without a revision
    (``history.standing``): (the run's place, the version, the revision). Asked only when a revision is dated by a
    commit outside that history (a merged branch's, one amended away, a later one): else each state is dated by the
    commit that made it."""
    from tracertm.history.standing import Standing, aware, runs_since

    strays = [w for w in written if w.dated is not None and w.dated not in order]
    if not strays:
        return None
    runs = runs_since(session, project_id, min(aware(w.started) for w in strays))
    standing = Standing((w.finished, w.revision) for w in written)
    return standing.best(runs, order, limit, min(aware(w.finished) for w in strays))


def _by_content(location: Location, sha: str, revisions: list[SpecRevision]
                ) -> tuple[SpecRevision | None, bool] | None:
    """Which of ``revisions`` (newest first) holds the record's state at ``sha``, as its file there says: the
    first whose content hash the record has there (or a ``deleted`` one when the record is not there). ``(None,
    False)``: the record is not in the file at ``sha`` and no revision says it was deleted (it came later); None: the
    file cannot be read there, or it holds a content none of them has."""
    first = revisions[0]
    record = None
    for path in dict.fromkeys(r.source_path for r in revisions if r.source_path):
        record = _record_at(location, sha, first, path)
        if record is not None:
            break
    if record is False:
        return None
    for revision in revisions:
        if record is None and revision.change == "deleted":
            return revision, False
        if record is not None and revision.change != "deleted" and revision.content_hash == record.content_hash:
            return revision, True
    return (None, False) if record is None else None


# The file kind a record of each kind is read from.
_FILE_KINDS: dict[str, FileKind] = {"adr": "adr", "contract": "contract", "feature": "feature",
                                    "scenario": "feature", "step_definition": "step_definition"}


def fields_at(location: Location, commit: str, revision: Any) -> dict[str, Any] | None:
    """The fields of ``revision``'s record as of ``commit`` (the revision current there) when they are not its
    snapshot's: read from the file at ``commit`` when only the record's position changed since (``_moved_fields``).
    None when the snapshot stands (the revision's own commit, a deleted record, no repository)."""
    if location.top is None or revision.change == "deleted":
        return None
    try:
        sha = git.resolve_commit(location.top, commit)
    except GitError:
        return None
    return None if sha == revision.commit_sha else _moved_fields(location, sha, revision)


def _moved_fields(location: Location, sha: str, revision: Any) -> dict[str, Any] | None:
    """The record's fields as its file holds them at ``sha``, a commit after ``revision``'s, when the record there
    has the revision's content: a commit that only moves a record in its file (lines added above it) writes no
    revision — positions are not content — so the revision's line numbers would be stale. None when the file or the
    record cannot be read there, or its content is not the revision's (another parser version, say): the
    revision's snapshot stands. An ADR date the file does not write is the snapshot's."""
    from tracertm.parsers.common import json_safe

    found = _record_at(location, sha, revision, revision.source_path)
    if not found or found.content_hash != revision.content_hash:
        return None
    fields: dict[str, Any] = json_safe(found.fields)
    if revision.entity_type == "adr" and fields.get("date") is None:
        # A file that writes no date: the revision's snapshot holds the creating commit's (README "ADR dates"),
        # which the content hash leaves out, so the file cannot give it back — the record's state here is the
        # revision's, date and all (else a later commit would answer no date where the row and the revision's own
        # commit answer one).
        fields["date"] = (revision.snapshot or {}).get("date")
    if revision.entity_type == "scenario":
        fields["feature_number"] = (revision.snapshot or {}).get("feature_number")
    return fields


def _record_at(location: Location, sha: str, revision: Any, path: str) -> SpecRecord | None | Literal[False]:
    """``revision``'s record (by kind, number and feature) as the file ``path`` holds it at ``sha``; None when the
    file is not there or does not hold it; False when the file cannot be read (not parsed there)."""
    from tracertm.config import load_settings
    from tracertm.errors import ParseError, UsageError
    from tracertm.parsers import parse
    from tracertm.parsers.records import SpecRecord

    assert location.top is not None
    kind = revision.entity_type
    try:
        data = git.run(location.top, "cat-file", "blob", f"{sha}:{location.prefix}{path}")
    except GitError:
        return None  # no such file at ``sha``
    try:
        result = parse(_FILE_KINDS[kind], path, data, load_settings(location.root).parser)
    except (ParseError, UsageError, KeyError):
        return False
    snapshot = revision.snapshot or {}
    if kind != "scenario":
        return next((r for r in result.records if r.number == revision.number), None)
    children = [c for r in result.records if r.number == snapshot.get("feature_number") for c in r.children]
    # A revision an earlier tracertm wrote numbers an untagged scenario by its name as written (``add  an item``),
    # its hash of the fields under that id: the scenario the earlier rule gave that id, numbered as the revision
    # has it (else a commit before the upgrade found no such record, or another content, and ``show --at``
    # answered that it came later, or refused). Of two candidates (``dup name`` is one scenario's id today and
    # was another's), the one whose content the revision holds.
    found = [c for c in children if c.number == revision.number]
    found += [SpecRecord("scenario", revision.number, {**c.fields, "scenario_number": revision.number}, line=c.line)
              for c in children if c.former_number == revision.number and c.number != revision.number]
    return next((c for c in found if c.content_hash == revision.content_hash), found[0] if found else None)


def _refuse_side_commit(
    session: Session, project_id: uuid.UUID, top: Path, sha: str, given: str, option: str = "--at",
    after: Mapping[str, int] | None = None,
) -> None:
    """A commit of a merged branch is not in the first-parent history the revisions follow: its records' state was
    never recorded (the merge's revisions carry it), and the newest main-line revision before the branch point would
    be shown as of it — the content before the branch's own change. Refused unless a sync recorded that very commit.
    Only checked when the project records a commit its history ends at (a backfill's checkpoint, else the last
    synced commit)."""
    from sqlalchemy import select

    from tracertm.models import SpecRevision

    heads = _recorded_heads(session, project_id)
    if not heads:
        return
    try:
        chains = {head: git.first_parent_chain(top, head) for head in heads}
    except GitError:  # a recorded head is not in this clone (a shallow or other clone): nothing to compare with
        return
    head = _last_head(chains)
    # ``after``: the first-parent history of ``sha``; holding the last recorded commit, ``sha`` came after it on the
    # main line (no side commit: the newest revision then is answered, as for any commit after a revision). Only
    # the last: a merged branch's commit holds a backfill's checkpoint too when it branched off after it.
    if (after is not None and head in after) or any(sha in chain for chain in chains.values()):
        return
    recorded = session.execute(select(SpecRevision.id).where(
        SpecRevision.project_id == project_id, SpecRevision.commit_sha == sha).limit(1)).first()
    if recorded is None and _merged_into(top, sha, head):
        raise UsageError(f"{option} {given}: not in the first-parent history of {head[:12]} that tracertm recorded "
                         "(a commit of a merged branch); give the merge commit that brought it in, or a main-line "
                         "commit")
    if recorded is None:  # no merge brought it in: a branch not merged (a cherry-pick's source), one rebased away
        raise UsageError(f"{option} {given}: not in the history of {head[:12]} that tracertm recorded (a commit of "
                         "a branch not merged into it, or one a rebase or amend replaced); give a commit of that "
                         "history")


def _merged_into(top: Path, sha: str, head: str) -> bool:
    """Whether ``sha`` is an ancestor of ``head`` (off its first-parent history: a merge brought it in)."""
    return git.run(top, "merge-base", sha, head, check=False).decode().strip() == sha


def _last_head(chains: Mapping[str, list[str]]) -> str:
    """The last commit recorded, of the recorded heads (``_recorded_heads``, each with its first-parent history):
    the last synced commit when the backfill's checkpoint is in its history (a hook's sync after the backfill),
    else the checkpoint (a ``sync --ref`` of an older commit, or of one off the history the backfill recorded)."""
    heads = list(chains)
    if len(heads) > 1 and heads[0] in chains[heads[1]]:
        return heads[1]
    return heads[0]


def _recorded_heads(session: Session, project_id: uuid.UUID) -> list[str]:
    """The commits the project's recorded history ends at: a backfill's checkpoint, then the last synced commit (a
    hook's sync after the backfill may have recorded a later one; a ``sync --ref`` of an older commit an earlier
    one). Each caller takes the one that bears on the commit asked about."""
    from tracertm.history.checkpoint import CHECKPOINT_KEY
    from tracertm.models import Project

    project = session.get(Project, project_id)
    if project is None:
        return []
    checkpoint = (project.metadata_ or {}).get(CHECKPOINT_KEY) or {}
    last = checkpoint.get("last_commit") if isinstance(checkpoint, dict) else None
    return list(dict.fromkeys(h for h in (last, project.last_synced_commit) if isinstance(h, str)))


def backfilled_through(session: Session, project_id: uuid.UUID, top: Path, commit: str) -> bool:
    """Whether a backfill recorded the project's history from the root through ``commit``: it is in the
    first-parent history of the backfill's last commit written (``CHECKPOINT_KEY``), so a record with no revision at
    or before it came later (rather than went unrecorded)."""
    from tracertm.history.checkpoint import CHECKPOINT_KEY
    from tracertm.models import Project

    checkpoint = (session.get_one(Project, project_id).metadata_ or {}).get(CHECKPOINT_KEY)
    last = checkpoint.get("last_commit") if isinstance(checkpoint, dict) else None
    if not isinstance(last, str):
        return False
    try:  # (a checkpoint of a commit this clone does not hold tells nothing)
        return git.resolve_commit(top, commit) in git.first_parent_chain(top, last)
    except GitError:
        return False


def no_revision_message(session: Session, project: Any, ident: str, commit: str, top: Path | None) -> str:
    """What ``show ID --at COMMIT`` and the API's ``.../at/{commit}`` say of a record with no revision at or before
    ``commit`` (one sentence, so the two never disagree): that it came later when a backfill recorded the history
    through that commit (``backfilled_through``), otherwise that the history may not be recorded, with the
    project's ``backfill`` command. ``top``: a folder of the project's repository (None: a server far from it)."""
    from tracertm.repositories.projects import folder_command

    said = f"{ident} has no revision at or before {commit}: it came later"
    # A backfill recorded the history through that commit: none would add a revision there.
    if top is not None and backfilled_through(session, project.id, top, commit):
        return said
    backfill = quoted_command(folder_command("backfill", project))
    if top is not None and git.is_shallow(top):  # where a backfill is refused
        backfill = f"'git fetch --unshallow' and then {backfill}"
    return f"{said}, or the history was not recorded (run {backfill})"


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
    """A record as of ``commit`` (see ``revision_at``), for the repository at ``path`` (default: current folder).

    ``kind`` is a record kind as the rest of the API names it (``adr``, ``adrs``, ``step-definitions``...; an
    unknown one is a ``UsageError``). ``number`` is the record's number now: a record whose number followed its
    file's name (``engine.moves``) is found under the number it had then."""
    from sqlalchemy import select

    from tracertm import db
    from tracertm.engine import state as db_state
    from tracertm.repositories.kinds import kind as known_kind

    # Checked before any query: an unknown kind reached the revisions' entity type column, whose enum refused it
    # with SQLAlchemy's StatementError (a traceback naming the SQL), and "adrs", the name ``Records`` takes, too.
    kind = known_kind(kind, "kind").name
    location = Location.find(path)
    if location.top is None:
        raise UsageError(f"{location.root}: not a git repository")
    with db.session(engine) as session:
        found = db_state.find_project(session, project)
        if found is None:
            raise UsageError(f"--project {project}: no such project in the database")
        model = db_state.TOP_MODELS.get(kind)
        if model is not None:
            t = model.__table__.c
            row_id = session.execute(
                select(t.id).where(t.project_id == found.id, t[db_state.NUMBER_ATTR[kind]] == number)
            ).scalar_one_or_none()
            if row_id is not None:
                return revision_at(session, found.id, commit, location.top, entity_id=row_id, location=location)
        return revision_at(session, found.id, commit, location.top, kind=kind, number=number, feature=feature,
                           location=location)
