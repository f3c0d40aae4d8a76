"""Where a project's specs live in a git repository: the sub-folder a sync of it was run from (``tracertm sync
sample-repo`` from the repository's top). The database keeps no spec prefix (paths are relative to the spec root),
so it is found again: a project of this repository (its root commit is here, ``engine.identity``; a shallow clone
that cannot know its root does not disprove it) lives in the folder it records (``spec_root`` in its metadata, the
folder its last sync read) when its recorded paths are tracked files there. Else (a project no sync recorded a
folder for yet, or one moved since, read at a commit before or after the move) it lives in the folder under which
its recorded paths are tracked files; a folder a sync would also name so (``engine.naming.project_name``: its folder
name or its configuration's ``project``) wins over one that merely holds the same paths (two services of a monorepo
with the same layout), and a tie it does not break leaves the project unlocated rather than guessing. Used by the
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

    root = project.root_commit
    try:
        # No root yet (synced before the repository's first commit): no identity to disprove, as sync decides.
        if root is not None and not (git.has_commit(top, root) or git.root_unknown(top)):
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
    ranked = sorted(counts.items(), key=lambda item: -item[1])
    named = [prefix for prefix, _n in ranked if _names(top, prefix, project)]
    if named:
        return (top / named[0]).resolve()
    if len(ranked) > 1 and ranked[0][1] == ranked[1][1]:
        return None  # two folders hold as many of its files, and neither is named after it: not guessed
    return (top / ranked[0][0]).resolve()


def _recorded_prefix(project: Project) -> str | None:
    """The folder ``project`` records it was synced from, as a prefix of ``spec_root``'s counts ("" for the top)."""
    from tracertm.engine.identity import TOP, recorded_spec_root

    folder = recorded_spec_root(project)
    return None if folder is None else "" if folder == TOP else folder


def _names(top: Path, prefix: str, project: Project) -> bool:
    """Whether a sync of the folder ``prefix`` of ``top`` would name its project as ``project`` is (or was) named."""
    from tracertm.config import load_settings
    from tracertm.engine.identity import former_names
    from tracertm.engine.scan import Location
    from tracertm.engine.naming import project_name
    from tracertm.errors import TracertmError

    root = (top / prefix).resolve() if prefix else top.resolve()
    try:
        name = project_name(Location(root, top.resolve()), load_settings(root))
    except TracertmError:  # a broken configuration there: not evidence either way
        return False
    return name == project.name or name in former_names(project)
