"""Which run a report belongs to: the commit it is stored under (one spelling per commit), and whether its files
were imported before (a file is known by its digest, alone or as part of a run of several files)."""

from __future__ import annotations

import hashlib
import os
import re
from collections.abc import Collection, Sequence
from pathlib import Path
from typing import TYPE_CHECKING, Any, NamedTuple

from tracertm.errors import UsageError
from tracertm.results.options import option

if TYPE_CHECKING:
    from sqlalchemy.orm import Session

    from tracertm.models import Project
    from tracertm.results.report import Report
    from tracertm.results.store import ImportSummary, ReportSource

__all__ = ["FILE_KEYS", "FULL_COMMIT_DIGITS", "EarlierRun", "already_imported", "commit_id", "distinct_sources",
           "file_keys", "held_commit", "imported_runs", "is_full_commit", "new_reports", "run_digest"]

_CHUNK = 500  # digests per read


# The full id of a commit: 40 hex digits in a SHA-1 repository, 64 in a SHA-256 one (``git init
# --object-format=sha256``); the commit columns hold either (migration 0018).
FULL_COMMIT_DIGITS = (40, 64)


def is_full_commit(commit: str) -> bool:
    """Whether ``commit`` (hex digits, ``check_options`` passed) is a whole commit id rather than an abbreviation."""
    return len(commit) in FULL_COMMIT_DIGITS


def named_commit(commit: str | None, repo: str | os.PathLike[str] | None) -> str | None:
    """``commit`` as the commit id it names in the repository ``repo`` when it is a branch, a tag or another name
    git resolves there (``HEAD``, ``main~2``), as ``results import --commit`` takes it; as it is otherwise (a hex id:
    ``commit_id``; a name no repository resolves: refused by ``check_options``)."""
    if commit is None or repo is None or _HEX.fullmatch(commit) or not Path(repo).is_dir():
        return commit
    from tracertm import git
    from tracertm.errors import GitError

    top = git.find_root(Path(repo))
    if top is None:
        return commit
    try:
        return git.resolve_commit(top, commit).lower()
    except GitError:
        return commit


_HEX = re.compile(r"[0-9a-fA-F]+")


def commit_id(commit: str | None, repo: str | os.PathLike[str] | None) -> str | None:
    """The commit a run is stored under (``check_options`` passed): lower case, the full id. An abbreviated id is
    resolved through the repository ``repo`` and refused without one (``UsageError`` naming ``--commit``): the same
    commit written two ways would count as two commits (a pass and a failure of it would not be flaky). A full id is
    checked against ``repo`` when it holds the object (``held_commit``); one it does not hold is kept as it is."""
    if commit is None:
        return None
    commit = commit.lower()
    if is_full_commit(commit):
        return held_commit(commit, Path(repo)) if repo is not None and Path(repo).is_dir() else commit
    from tracertm import git
    from tracertm.errors import GitError

    top = git.find_root(Path(repo)) if repo is not None and Path(repo).is_dir() else None
    if top is None:
        raise UsageError(f"{option('--commit')} {commit!r}: an abbreviated commit id, and no repository to resolve "
                         f"it; give the full 40-digit id (64 in a SHA-256 repository; git rev-parse {commit} prints "
                         "it)")
    try:
        return git.resolve_commit(top, commit).lower()
    except GitError:
        raise UsageError(f"{option('--commit')} {commit!r}: no single commit of {top} starts with it; give the full "
                         "40-digit id (64 in a SHA-256 repository)") from None


def held_commit(commit: str, repo: Path, said: str | None = None, fix: str | None = None) -> str:
    """The full id ``commit`` as the repository around ``repo`` holds it: a commit as it is, an annotated tag as
    the commit it names; another object (a blob, a tree) refused in one line (``UsageError``: ``said`` names where
    the id came from, default ``--commit``, and ``fix`` what to do), as no run of tests is of one. An id the
    repository does not hold is kept: a report may be imported away from the clone its tests ran in, or before it
    fetched their commit."""
    from tracertm import git
    from tracertm.errors import GitError

    kind = git.object_type(repo, commit)
    if kind is None or kind == "commit":
        return commit
    if kind == "tag":
        try:
            return git.resolve_commit(repo, commit).lower()
        except GitError:
            kind = "tag of no commit"
    said = said or f"{option('--commit')} {commit!r}"
    raise UsageError(f"{said}: a {kind} of the repository at {repo}, not a commit; "
                     f"{fix or 'give the id of the commit the tests ran against (git rev-parse HEAD prints it)'}")


def distinct_sources(sources: Sequence[ReportSource]) -> list[ReportSource]:
    """``sources`` without a path named again (``a.xml ./a.xml``: one file); uploads are told apart by content
    when parsed (``_import``)."""
    seen: set[str] = set()
    out: list[ReportSource] = []
    for source in sources:
        if not isinstance(source, tuple):
            key = os.path.abspath(os.fspath(source))
            if key in seen:
                continue
            seen.add(key)
        out.append(source)
    return out


def run_digest(file_digests: list[str]) -> str:
    """A run's digest: of its files' digests, in any order (the same reports imported again are the same run). Of
    one file, it is that file's key (``imported_runs``)."""
    return hashlib.sha256("\n".join(sorted(file_digests)).encode()).hexdigest()


# A run of several files lists each file's key (``run_digest([file digest])``: the digest of a run of that file
# alone) in its counts, so that a file imported as part of a run is known when imported again, alone or with others.
FILE_KEYS = "file_digests"


def imported_runs(session: Session, project: Project, keys: Collection[str]) -> dict[str, tuple[Any, str | None]]:
    """(run id, commit) of the run that holds each of ``keys`` (run digests: of a file alone, or of a whole run) of
    the project's runs: a run of that digest, or a run of several files that lists it (``FILE_KEYS``); the oldest
    first. One read for all keys."""
    from sqlalchemy import Text, cast, or_, select

    from tracertm.models import TestRun

    wanted = sorted(set(keys))
    if not wanted:
        return {}
    found: dict[str, tuple[Any, str | None]] = {}
    for start in range(0, len(wanted), _CHUNK):
        chunk = wanted[start : start + _CHUNK]
        # A digest is hex: no LIKE wildcard in it. The text match only narrows; the counts read decide.
        listed = or_(*(cast(TestRun.counts, Text).like(f"%{key}%") for key in chunk))
        rows = session.execute(
            select(TestRun.id, TestRun.commit_sha, TestRun.digest, TestRun.counts)
            .where(TestRun.project_id == project.id, or_(TestRun.digest.in_(chunk), listed))
            .order_by(TestRun.imported_at, TestRun.id)
        ).all()
        for ident, commit, digest, counts in rows:
            listed_keys = counts.get(FILE_KEYS) if isinstance(counts, dict) else None
            held = {digest, *(listed_keys if isinstance(listed_keys, list) else ())}
            for key in chunk:
                if key in held:
                    found.setdefault(key, (ident, commit))
    return found


def _earlier_runs(
    reports: list[Report], keys: list[str], found: dict[str, tuple[Any, str | None]],
) -> list[EarlierRun]:
    """The runs that hold the reports imported before (``found``: by their ``keys``), each with its files, in the
    order of the first file each holds: files of one import may have gone into different runs."""
    held: dict[Any, EarlierRun] = {}
    for report, key in zip(reports, keys):
        if key in found:
            ident, commit = found[key]
            held.setdefault(ident, EarlierRun(ident, commit, [])).files.append(report.path)
    return list(held.values())


def file_keys(reports: Sequence[Report]) -> list[str]:
    """The keys a run of several files, or of a file known by its text's digest too (``Report.text_digest``),
    lists in its counts (``FILE_KEYS``): each file's, by its bytes and by its text."""
    return sorted({run_digest([d]) for r in reports for d in r.digests})


class EarlierRun(NamedTuple):
    """A run imported before that holds files of this import (``ImportSummary.earlier_runs``), and those files."""

    run_id: Any  # uuid.UUID
    commit: str | None
    files: list[str]

    def as_dict(self) -> dict[str, Any]:
        return {"run_id": str(self.run_id), "commit": self.commit, "files": self.files}


def already_imported(
    session: Session, project: Project, digest: str, summary: ImportSummary, also: str | None = None
) -> bool:
    """Whether the project has a run of this digest (or of ``also``, the key of the file's text), or (the digest of
    one file) a run of several files that holds that file; if so ``summary`` names it as a duplicate, with the
    commit that run was imported for (the same report sent again for another commit records nothing for that
    one)."""
    held = imported_runs(session, project, [digest, *([also] if also else [])])
    previous = held.get(digest) or (held.get(also) if also else None)
    if previous is not None:
        summary.run_id, summary.commit = previous
        summary.duplicate = True
        summary.earlier_runs = [EarlierRun(*previous, list(summary.files))]
    return previous is not None


def new_reports(session: Session, project: Project, reports: list[Report], summary: ImportSummary) -> list[Report]:
    """The reports (distinct contents) not imported into the project before. The others are named in
    ``summary.skipped``; when none is left, ``summary`` is the duplicate of the run that holds the first."""
    keys = [run_digest([r.digest]) for r in reports]
    whole = run_digest([r.digest for r in reports])
    # A report is also known by its text's digest (``Report.text_digest``: the same report in another encoding).
    texts = {key: run_digest([r.text_digest]) for r, key in zip(reports, keys) if r.text_digest}
    found = imported_runs(session, project, [whole, *keys, *texts.values()])
    for key, text in texts.items():
        if key not in found and text in found:
            found[key] = found[text]
    if whole in found:  # these very files were a run (also one from before runs listed their files' digests)
        found.update(dict.fromkeys(keys, found[whole]))
    fresh = [r for r, key in zip(reports, keys) if key not in found]
    if fresh and len(fresh) < len(reports):  # the rest may be a run of its own from before runs listed files
        rest = run_digest([r.digest for r in fresh])
        held = imported_runs(session, project, [rest]).get(rest)
        if held is not None:
            found.update(dict.fromkeys((key for key in keys if key not in found), held))
            fresh = []
    summary.earlier_runs = _earlier_runs(reports, keys, found)
    if not fresh:
        summary.run_id, summary.commit = found[keys[0]]
        summary.duplicate = True
        return []
    summary.skipped = [r.path for r, key in zip(reports, keys) if key in found]
    summary.files = [r.path for r in fresh]
    return fresh
