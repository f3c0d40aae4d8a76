"""The name of the project a sync writes to (``project_name``): ``--project``, then the configuration's ``project``,
then the ``origin`` remote's owner/name (when the specs are at the top of the repository), then the folder name —
refused when it is blank, holds a control character or is too long. Split from ``engine.sync``, which names its
project so; the read verbs, ``serve`` and the backfill name a folder's project by the same rule."""

from __future__ import annotations

import enum
from typing import TYPE_CHECKING

from tracertm import git
from tracertm.errors import UsageError
from tracertm.text import name_form

if TYPE_CHECKING:
    from tracertm.config import Settings
    from tracertm.engine.scan import Location


def project_name(location: Location, settings: Settings, option: str | None = None) -> str:
    """``--project``, then configuration, then the ``origin`` remote's owner/name (when the specs are at the top of
    the repository), then the folder name."""
    return name_and_origin(location, settings, option)[0]


class _Unread(enum.Enum):
    ORIGIN = 0


def name_and_origin(location: Location, settings: Settings, option: str | None,
                    origin: str | None | _Unread = _Unread.ORIGIN) -> tuple[str, bool]:
    """The project name and whether it came from the ``origin`` remote (``origin``: its URL, or None, when the
    caller has read it already: one git process less). The name is in NFC (``text.name_form``), whatever form the
    folder, option or configuration spells it in: a macOS folder ``café`` is decomposed, the typed name is not."""
    name, from_remote = _chosen(location, settings, option, origin)
    return name_form(name), from_remote


def _chosen(location: Location, settings: Settings, option: str | None,
            origin: str | None | _Unread) -> tuple[str, bool]:
    if option:
        return _printable(option, "--project"), False
    if settings.project:  # (the configuration refuses control characters itself, at the key's line)
        return settings.project, False
    if location.top is not None and location.top == location.root:
        name = git.remote_name(git.origin_url(location.top) if origin is _Unread.ORIGIN else origin)
        if name:
            return _printable(name, "the origin remote's name"), True
    return _printable(location.root.name, f"the folder name of {location.root}"), False


def _printable(name: str, source: str) -> str:
    """``name``, refused when it holds a control character: a project name stands in URLs, page links, log lines
    and HTTP headers, where a line break splits what it is in (the web view's links to such a project were 404s);
    or when it is longer than ``MAX_PROJECT_NAME``, which the API's ``?project=`` takes."""
    from tracertm.config import MAX_PROJECT_NAME, control_characters

    if not name.strip():
        # The folder name of ``/`` (``tracertm sync /``), or of a folder named " ": a project no URL, page link or
        # ``--project`` (which refuses a blank name) could name, listed as "known projects: , r".
        raise UsageError(f"{source}: the project name {name!r} is blank; give one with --project NAME (watch, hook "
                         "sync: project = \"NAME\" in .tracertm.toml)")
    bad = control_characters(name)
    if bad:
        raise UsageError(f"{source}: the project name {name!r} holds a control character ({bad}); "
                         "give a name without one with --project NAME (watch, hook sync: project = \"NAME\" in "
                         ".tracertm.toml)")
    if len(name) > MAX_PROJECT_NAME:
        raise UsageError(f"{source}: the project name {name[:40]!r}… is {len(name)} characters long; a project "
                         f"name has at most {MAX_PROJECT_NAME} (the API's ?project= takes no longer one): give a "
                         "shorter one with --project NAME (watch, hook sync: project = \"NAME\" in .tracertm.toml)")
    return name


__all__ = ["name_and_origin", "project_name"]
