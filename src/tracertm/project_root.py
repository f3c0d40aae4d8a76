"""Where a project's specs live in a git repository: the sub-folder a sync of it was run from (``tracertm sync
sample-repo`` from the repository's top). The database keeps no spec prefix (paths are relative to the spec root),
so it is found again: a project of this repository (its root commit is here, ``engine.identity``; a shallow clone
that cannot know its root does not disprove it) lives in the folder it records (``spec_root`` in its metadata, the
folder its last sync read) when its recorded paths are tracked files there. Else (a project no sync recorded a
folder for yet, or one moved since, read at a commit before or after the move) it lives in the folder under which
its recorded paths are tracked files; a folder a sync would also name so (``engine.naming.project_name``: its folder
name or its configuration's ``project``) wins over one that merely holds the same paths (two services of a monorepo
with the same layout), and a tie it does not break leaves the project unlocated rather than guessing; a folder
another project of the repository records or would be named after is never this one's (the project is unlocated
at a commit where only such folders hold its paths). Used by the
API (``api.repository``), by ``show --at``, ``diff --project``, ``results import`` and ``coverage`` run from
elsewhere in the repository."""

from __future__ import annotations

from collections import Counter
from pathlib import Path

from sqlalchemy import select
from sqlalchemy.orm import Session

from tracertm.models import Project

_SAMPLE = 200  # recorded paths compared with the repository's files: plenty to tell folders apart


def spec_root(top: Path, session: Session, project: Project, ref: str | None = None) -> Path | None:
    """The folder of ``top`` holding ``project``'s specs (module docstring), or None. ``ref``: among the files of
    that commit (``coverage`` reads a run's commit) rather than those tracked now."""
    from tracertm import git
    from tracertm.errors import GitError
    from tracertm.models import SpecRevision

    try:
        if not in_repository(top, project):
            return None  # another repository's project
        listed = (git.run(top, "ls-files", "-z", "--cached") if ref is None
                  else git.run(top, "ls-tree", "-r", "-z", "--name-only", ref, "--"))
        tracked = listed.decode("utf-8", "surrogateescape").split("\0")
    except GitError:
        return None
    paths = set(session.execute(
        select(SpecRevision.source_path).where(SpecRevision.project_id == project.id,
                                               SpecRevision.source_path.is_not(None))
        .distinct().limit(_SAMPLE)
    ).scalars())
    if not paths:
        return None
    counts: Counter[str] = Counter()
    for file in tracked:
        if not file:
            continue
        parts = file.split("/")
        for i in range(len(parts)):  # every folder the file may be the recorded path under, the top included
            if "/".join(parts[i:]) in paths:
                counts["/".join(parts[:i])] += 1
    if not counts:
        return None
    recorded = _recorded_prefix(project)
    if recorded is not None and counts[recorded]:
        # Its sync said where it is: two folders of the same layout (svc/a, svc/b) tie on the paths alone.
        return (top / recorded).resolve()
    # A folder another project of this repository records, or that a sync would name as another project, holds
    # that project's specs, not this one's (svc2 read at a commit where its own folder holds none is not svc1).
    others = _others(session, project)
    ranked = sorted(((prefix, n) for prefix, n in counts.items() if _owner(top, prefix, others) is None),
                    key=lambda item: -item[1])
    if not ranked:
        return None
    named = [prefix for prefix, _n in ranked if _names(top, prefix, project)]
    if named:
        return (top / named[0]).resolve()
    if len(ranked) > 1 and ranked[0][1] == ranked[1][1]:
        return None  # two folders hold as many of its files, and neither is named after it: not guessed
    return (top / ranked[0][0]).resolve()


def spec_roots_at(top: Path, session: Session, project: Project, commits: list[str]) -> list[Path | None]:
    """The folder of ``top`` holding ``project``'s specs at each of ``commits`` (``spec_root`` among that commit's
    files: a project moved between them is in another folder at each). At a commit that holds none of its files,
    its folder at another one, else the one it records; None where neither is known, or for another repository's
    project."""
    from tracertm.engine.identity import TOP, recorded_spec_root

    roots = [spec_root(top, session, project, ref=commit) for commit in commits]
    known = [root for root in roots if root is not None]
    recorded = recorded_spec_root(project)
    if known:
        return [root or known[0] for root in roots]
    if recorded is not None and in_repository(top, project):
        return [top.resolve() if recorded == TOP else (top / recorded).resolve() for _ in commits]
    return roots


def in_repository(top: Path, project: Project) -> bool:
    """Whether ``project`` is one of the repository at ``top`` (its root commit is there; a shallow clone that
    cannot know its root does not disprove it). Raises ``GitError`` where git cannot tell."""
    from tracertm import git

    root = project.root_commit
    # No root yet (synced before the repository's first commit): no identity to disprove, as sync decides.
    return root is None or git.has_commit(top, root) or git.root_unknown(top)


def _recorded_prefix(project: Project) -> str | None:
    """The folder ``project`` records it was synced from, as a prefix of ``spec_root``'s counts ("" for the top)."""
    from tracertm.engine.identity import TOP, recorded_spec_root

    folder = recorded_spec_root(project)
    return None if folder is None else "" if folder == TOP else folder


def _others(session: Session, project: Project) -> list[Project]:
    """The other projects of ``project``'s repository (the same root commit) that record another folder."""
    from tracertm.engine.identity import recorded_spec_root

    if project.root_commit is None:
        return []
    mine = recorded_spec_root(project)
    return [p for p in session.execute(select(Project).where(Project.root_commit == project.root_commit,
                                                             Project.id != project.id)).scalars()
            if recorded_spec_root(p) != mine]


def _owner(top: Path, prefix: str, others: list[Project]) -> Project | None:
    """The one of ``others`` whose folder ``prefix`` is: the one it records, or the one a sync of it would name."""
    from tracertm.engine.identity import former_names

    mine = [p for p in others if _recorded_prefix(p) == prefix]
    if mine or not others:
        return mine[0] if mine else None
    name = _folder_name(top, prefix)
    return next((p for p in others if name is not None and (name == p.name or name in former_names(p))), None)


def _names(top: Path, prefix: str, project: Project) -> bool:
    """Whether a sync of the folder ``prefix`` of ``top`` would name its project as ``project`` is (or was) named."""
    from tracertm.engine.identity import former_names

    name = _folder_name(top, prefix)
    return name is not None and (name == project.name or name in former_names(project))


def _folder_name(top: Path, prefix: str) -> str | None:
    """The name a sync of the folder ``prefix`` of ``top`` would give its project; None where its configuration
    does not load (not evidence either way)."""
    from tracertm.config import load_settings
    from tracertm.engine.scan import Location
    from tracertm.engine.naming import project_name
    from tracertm.errors import TracertmError

    root = (top / prefix).resolve() if prefix else top.resolve()
    try:
        return project_name(Location(root, top.resolve()), load_settings(root))
    except TracertmError:
        return None
