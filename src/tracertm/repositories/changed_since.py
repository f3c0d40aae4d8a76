"""``changed_since``: which records have a revision after a time, or after a commit.

After a time: a revision committed (else recorded) later. After a commit ``since``, where the repository is at hand
(the command line's, the server's ``project_root``): a revision of a commit that is neither ``since`` nor an ancestor
of it — git's reachability (``git.placed``), as ``git log since..HEAD`` lists commits, whatever their dates say (a
merged branch's commits are older than the merge, a rebase or a wrong clock puts a child before its parent). A
revision of a commit the repository cannot place (not there; amended, rebased or squashed away) and one synced from
uncommitted files are dated against ``since``'s commit date, as every revision is without the repository.

A revision of a clean work tree's sync counts as one of the HEAD its run recorded (``history.dated``).

A branch or tag name (``main``, ``v1.2``, ``origin/main``, ``HEAD~3``) stands for the commit it names in that
repository when the listing starts (``named_commit``); its next pages carry that commit's id, not the name.
"""

from __future__ import annotations

import datetime as dt
import re
import uuid
from pathlib import Path
from typing import TYPE_CHECKING, Any

from sqlalchemy import and_, bindparam, exists, false, func, or_, select
from sqlalchemy.orm import Session

from tracertm.errors import UsageError
from tracertm.history.dated import clean_run, dated_commit, dated_time
from tracertm.models import SpecRevision, SyncRun

if TYPE_CHECKING:
    from tracertm.git.log import Placed

# What git said of a project's recorded commits against one commit: the placement and the commits placed (None:
# the repository does not hold that commit), by (project, commit).
Placements = dict[tuple[uuid.UUID, str], "tuple[Placed, frozenset[str]] | None"]

__all__ = ["SpacedOffset", "after_commit", "after_time", "commit_in", "named_commit"]

# A value meant as a time that reads as none, where no commit has that name: a mistyped date or time (digits, then a
# date or time separator: ``2026-13-45``, ``2024/05/01``, ``2024-05-01 25:00``) or a relative time, as git's
# ``--since`` reads them (``yesterday``, ``2 weeks ago``, ``3.days.ago``, ``last monday``). It is a malformed value
# (a usage error, HTTP 400), not a name the repository lacks (404): fetching cannot help. Dots alone are no time
# separator: ``1.2.3`` is a tag name.
_TIME_LIKE = re.compile(r"\d+[-/:][-/:.,+ \dTZtz]*")
_RELATIVE_TIME = re.compile(r"now|today|yesterday|tomorrow|(?:last|this|next)[ .]+[a-z]+"
                            r"|(?:\d+|an?|one)[ .]+(?:second|minute|hour|day|week|month|year)s?(?:[ .]+ago)?",
                            re.IGNORECASE)
_WRITE_A_TIME = "write a time in ISO 8601 (2024-05-01T12:00:00Z, or a date: 2024-05-01)"


class SpacedOffset(UsageError):
    """A time whose offset's ``+`` became a space (``2024-05-01T12:00:00 02:00``: a URL's query string decodes an
    unencoded ``+`` so): the value looks like a mistyped time, though the caller may have written a correct one.
    ``str()`` is the API's advice (send the ``+`` as ``%2B``); ``command_line`` the same error with the command
    line's (write the ``+``: ``%2B`` is no ``+`` there, and is refused as no time)."""

    def __init__(self, message: str, command_line: str) -> None:
        super().__init__(message)
        self.command_line = command_line


def _malformed(refusal: str, value: str) -> UsageError:
    """The error for ``value``, meant as a time that reads as none: ``refusal`` (what it is not), then to write a
    time in ISO 8601 — and, for a time whose offset's ``+`` became a space, how to write the ``+``
    (``SpacedOffset``: in a URL's query string, or on the command line)."""
    head, space, tail = value.rpartition(" ")
    if space and head and tail:
        try:
            dt.datetime.fromisoformat(f"{head}+{tail}")
        except ValueError:
            pass
        else:
            return SpacedOffset(
                f"{refusal}; {_WRITE_A_TIME}; a '+' in a URL's query string is a space: write it as %2B "
                f"({head}%2B{tail})", f"{refusal}; {_WRITE_A_TIME}; write the offset's '+': {head}+{tail}")
    return UsageError(f"{refusal}; {_WRITE_A_TIME}")


def after_time(related: Any, moment: dt.datetime) -> Any:
    """The record (``related``: the join of its revisions) has a revision committed, else recorded, after
    ``moment``: a clean work tree's by the date of the HEAD its run recorded, as a sync of that commit's would be
    (by when the sync ran, a commit older than ``moment`` counted as after it unless a hook had synced it)."""
    date = func.coalesce(dated_time(SyncRun), SpecRevision.created_at)
    return exists(select(1).select_from(SpecRevision).outerjoin(SyncRun, clean_run(SyncRun))
                  .where(related, date > moment))


def after_commit(session: Session, project_id: uuid.UUID, related: Any, since: tuple[str, dt.datetime],
                 repository: Path | None, cache: Placements) -> Any:
    """The record has a revision after commit ``since`` (its full id and commit date): by the history of
    ``repository`` where it holds that commit, else by dates. ``cache`` keeps what git said per (project, commit)
    for the other queries of the same listing (a page and its count)."""
    sha, when = since
    at = dated_commit(SyncRun)
    # Dates: one of a later commit (git dates have one-second resolution, so a commit of the same second counts as
    # after it, except ``since`` itself), or one synced from uncommitted files since. Not by when the sync ran: a
    # clean work tree's revisions are at its run's HEAD, dated by that commit's date.
    dated = func.coalesce(dated_time(SyncRun), SpecRevision.created_at)
    after = and_(dated >= when, at.is_distinct_from(sha))
    if repository is not None:
        key = (project_id, sha)
        if key not in cache:
            cache[key] = _placed(session, project_id, sha, repository)
        found = cache[key]
        if found is not None:
            placed, recorded = found
            undated = or_(at.is_(None), _among(at, placed.unplaced))
            after = or_(_later(at, placed, recorded, sha), and_(undated, after))
    return exists(select(1).select_from(SpecRevision).outerjoin(SyncRun, clean_run(SyncRun)).where(related, after))


def commit_in(repository: Path, since: str) -> tuple[str, dt.datetime] | None:
    """The full id and commit date of commit ``since`` (full or abbreviated) as ``repository`` has it, for a commit
    the database records nowhere (it changed no spec file, or is a merged branch's); None when git has none."""
    from tracertm import git
    from tracertm.errors import GitError

    try:
        sha = git.resolve_commit(repository, since, "changed_since")
    except GitError:
        return None
    when = git.commit_info(repository, sha).committed_at
    return None if when is None else (sha, when)


def named_commit(repository: Path | None, name: str) -> str:
    """The full id of the commit that the branch, tag or other revision ``name`` (``main``, ``v1.2``,
    ``origin/main``, ``HEAD~3``) names in ``repository``: a :class:`UsageError` without a repository, which alone
    knows the name, :class:`NotFound` when it names no commit there — but a :class:`UsageError` for a value meant
    as a time (``2026-13-45``, ``yesterday``: ``_meant_as_time``), a malformed one. The messages name no folder: the
    API's are read by anyone, and the server's disk is none of their business."""
    from tracertm import git
    from tracertm.errors import GitError
    from tracertm.repositories.errors import NotFound

    if repository is None:
        if _meant_as_time(name):
            raise _malformed(f"changed_since {name!r}: not a timestamp nor a commit id", name)
        raise UsageError(f"changed_since {name!r}: not a timestamp (2024-05-01T12:00:00Z) nor a commit id; a "
                         "branch or tag name needs the project's repository, and there is none here")
    try:
        return git.resolve_commit(repository, name, "changed_since")
    except GitError:
        if _meant_as_time(name):  # asked after git: a branch or tag of that name (``yesterday``) is what it names
            raise _malformed(f"changed_since {name!r}: not a timestamp nor a commit, branch or tag of the project's "
                             "repository", name) from None
        raise NotFound(f"changed_since {name!r}: not a timestamp (2024-05-01T12:00:00Z) nor a commit id, and the "
                       "project's repository has no branch, tag or commit of that name; check the name, or fetch "
                       "it there first") from None


def _meant_as_time(value: str) -> bool:
    """Whether ``value``, which reads as no timestamp, was meant as one (``_TIME_LIKE``, ``_RELATIVE_TIME``)."""
    return bool(_TIME_LIKE.fullmatch(value) or _RELATIVE_TIME.fullmatch(value.strip()))


def _placed(session: Session, project_id: uuid.UUID, sha: str, repository: Path
            ) -> tuple[Placed, frozenset[str]] | None:
    """The project's recorded commits placed against ``sha`` by ``repository``'s history (``git.Placed``) and the
    set of them; None when the repository does not hold ``sha``. One query for the commits, then a fixed number of
    git processes (``git.placed``), not one per record."""
    from tracertm import git

    at = dated_commit(SyncRun)
    query = (select(at).distinct().select_from(SpecRevision).outerjoin(SyncRun, clean_run(SyncRun))
             .where(SpecRevision.project_id == project_id, at.is_not(None)))
    recorded = frozenset(str(c) for c in session.execute(query).scalars())
    placed = git.placed(repository, sha, recorded)
    return None if placed is None else (placed, recorded)


def _later(at: Any, placed: Placed, recorded: frozenset[str], sha: str) -> Any:
    """``at`` is one of ``placed.after``, written as the shorter of the two lists: the commits after ``sha``, or
    those that are not (``sha``, its ancestors, the unplaced) — an early commit leaves most of them after it."""
    rest = recorded - placed.after
    if len(placed.after) <= len(rest):
        return _among(at, placed.after)
    return and_(at.is_not(None), at.is_distinct_from(sha), ~_among(at, rest))


def _among(column: Any, shas: frozenset[str]) -> Any:
    """``column IN shas``, the ids written into the statement (quoted by the dialect) rather than bound one by one:
    a history of tens of thousands of commits passes SQLite's limit of bound parameters."""
    if not shas:
        return false()
    return column.in_(bindparam("placed", sorted(shas), unique=True, expanding=True, literal_execute=True))
