"""Where a served project's specs live on the server's disk: its spec root, for ``at/{commit}`` (git history), the
line of a git-owned field in a 409, and a test-run upload's configuration.

A project is found two ways. ``ApiSettings.repositories`` names a project's folder outright (``serve --path``: the
project synced from that folder). Otherwise, when the server runs inside a git repository
(``ApiSettings.repository``), a project of that repository is found in it: one whose root commit this repository
holds (``engine.identity``: its durable identity; a shallow clone that cannot know its root does not disprove it),
at the sub-folder its records' files are in. The database keeps no spec prefix (paths are relative to the spec
root), so the prefix is the folder under which the project's recorded paths are tracked files of the repository;
a folder that would also be named so by a sync (``engine.sync.project_name``: its folder name or its
configuration's ``project``) wins over one that merely holds the same paths (two services of a monorepo with the
same layout), and a tie it does not break leaves the project unlocated rather than guessing.
"""

from __future__ import annotations

import threading
from collections import Counter
from pathlib import Path
from typing import Any

from sqlalchemy import select
from sqlalchemy.orm import Session

from tracertm.models import Project

_SAMPLE = 200  # recorded paths compared with the repository's files: plenty to tell folders apart
_lock = threading.Lock()


def project_root(app_state: Any, session: Session, project: Project | None) -> Path | None:
    """The spec root of ``project`` on this server's disk, or None when it is not known (a server far from the
    repository, a project of another repository)."""
    if project is None:
        return None
    settings = app_state.settings
    named = settings.repositories.get(project.name)
    if named:
        return Path(named)
    top = getattr(settings, "repository", None)
    if not top or project.root_commit is None:
        return None
    # Cached per project until its next sync (which may add or move files): a lookup reads the repository's file
    # list, and the routes that need it (``at``, PATCH) may be called often.
    cache: dict[Any, tuple[Any, Path | None]] = app_state.project_roots
    key = (project.last_synced_at, project.last_synced_commit, project.root_commit, project.name)
    with _lock:
        hit = cache.get(project.id)
    if hit is not None and hit[0] == key and (hit[1] is None or hit[1].is_dir()):
        return hit[1]
    found = _locate(Path(top), session, project)
    with _lock:
        cache[project.id] = (key, found)
    return found


def _locate(top: Path, session: Session, project: Project) -> Path | None:
    """The folder of ``top`` holding ``project``'s specs (module docstring), or None."""
    from tracertm import git
    from tracertm.errors import GitError
    from tracertm.models import SpecRevision

    assert project.root_commit is not None
    try:
        if not (git.has_commit(top, project.root_commit) or git.root_unknown(top)):
            return None  # another repository's project
        tracked = git.run(top, "ls-files", "-z", "--cached").decode("utf-8", "surrogateescape").split("\0")
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
    ranked = sorted(counts.items(), key=lambda item: -item[1])
    named = [prefix for prefix, _n in ranked if _names(top, prefix, project)]
    if named:
        return (top / named[0]).resolve()
    if len(ranked) > 1 and ranked[0][1] == ranked[1][1]:
        return None  # two folders hold as many of its files, and neither is named after it: not guessed
    return (top / ranked[0][0]).resolve()


def _names(top: Path, prefix: str, project: Project) -> bool:
    """Whether a sync of the folder ``prefix`` of ``top`` would name its project as ``project`` is (or was) named."""
    from tracertm.config import load_settings
    from tracertm.engine.identity import former_names
    from tracertm.engine.scan import Location
    from tracertm.engine.sync import project_name
    from tracertm.errors import TracertmError

    root = (top / prefix).resolve() if prefix else top.resolve()
    try:
        name = project_name(Location(root, top.resolve()), load_settings(root))
    except TracertmError:  # a broken configuration there: not evidence either way
        return False
    return name == project.name or name in former_names(project)
