"""Where a served project's specs live on the server's disk: its spec root, for ``at/{commit}`` (git history), the
line of a git-owned field in a 409, and a test-run upload's configuration.

``ApiSettings.repositories`` names a project's folder outright (``serve --path``: the project synced from that
folder). Otherwise, when the server runs inside a git repository (``ApiSettings.repository``), a project of that
repository is found in it by ``project_root.spec_root``, also when it was synced from a sub-folder."""

from __future__ import annotations

import threading
from pathlib import Path
from typing import Any

from sqlalchemy.orm import Session

from tracertm.models import Project
from tracertm.project_root import spec_root

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
    found = spec_root(Path(top), session, project)
    with _lock:
        cache[project.id] = (key, found)
    return found
