"""The warning of a ``sync`` or ``check`` that found no ADR, contract or feature file.

Without PATH both read the top of the repository around the current folder, as git does; a user who ``cd``s into a
sub-folder holding the specs (``sample-repo/``, a monorepo's service) and runs ``tracertm sync`` got an empty project
named after the repository, a table of zeros and exit 0. The warning names the folder read and the globs, and the
command that reads the folder (the current one, or the nearest above it) whose own files are specs.

Step definition files do not count: the default step globs (``tests/**/*.py``, ``**/pyproject.toml``,
``**/conftest.py``...) find candidates in almost every Python repository — tracertm's own top has hundreds — and
steps with no feature to match are no project.

Only the verbs a person runs say it: ``hook sync`` and ``check --staged`` (the git hooks, after and before every
commit) and ``watch`` run unattended, where a repository without specs yet is no news worth a line each time.
Imported only when a run found nothing, so the verbs' usual path loads nothing more.
"""

from __future__ import annotations

import shlex
from dataclasses import replace
from pathlib import Path

from tracertm.config import Settings, load_settings
from tracertm.config_toml import toml_string
from tracertm.engine.scan import Location, scan
from tracertm.errors import Diagnostic, TracertmError
from tracertm.kinds import FileKind
from tracertm.text import quoted_command

# The kinds whose files make a project (and whose absence is warned about).
SPEC_KINDS: tuple[FileKind, ...] = ("adr", "contract", "feature")


def warning(
    verb: str, path: str | None, *, ref: str | None = None, staged: bool = False, project: str | None = None,
) -> Diagnostic | None:
    """The warning of ``tracertm VERB [PATH]`` (with ``--ref``/``--staged``/``--project`` as given) when PATH's
    source holds no ADR, contract or feature file, else None (the caller asks only when its counts show none; a
    file of those kinds that yields no record is still one). It has no file (``path`` ""): it is printed
    ``warning: …`` and listed in JSON's warnings."""
    location = Location.find(path)
    settings = load_settings(location.root)
    if _spec_count(location, settings, ref, staged):
        return None
    defaulted = " (PATH defaults to the top of the repository around the current folder)" if (
        path is None and location.top is not None) else ""
    message = f"no ADR, contract or feature file found under {location.root}{defaulted} with {_globs(settings)}"
    found = _nearest_specs(location, ref, staged)
    if found is not None:
        folder, count = found
        command = ["tracertm", verb, folder]
        command += ["--ref", ref] if ref else ["--staged"] if staged else []
        command += ["--project", project] if project else []
        where = "the current folder" if folder == "." else f"{folder} (a folder above the current one)"
        suggested = quoted_command(shlex.join(command))
        message += f"; {where} holds {count} of them, at those paths below it: run {suggested}"
    return Diagnostic("", 0, 0, message, "warning")


def _globs(settings: Settings) -> str:
    """The path globs of those kinds, by their configuration keys, as TOML writes them (``['features\\*.feature']``,
    as the configuration's own errors quote a glob: Python's repr doubled each backslash, another glob in TOML)."""
    named = [f"{kind}_paths [{', '.join(map(toml_string, settings.paths.get(kind, ())))}]" for kind in SPEC_KINDS]
    return f"{', '.join(named[:-1])} and {named[-1]}"


def _nearest_specs(location: Location, ref: str | None, staged: bool) -> tuple[str, int] | None:
    """The current folder, or the nearest folder above it, below ``location.root``, whose own files (read with its
    own configuration, as ``tracertm sync FOLDER`` reads them) hold a spec file: as a path from the current folder
    (``.``, ``..``) and how many ADR, contract and feature files. None when the current folder is not below the
    root, or no such folder is."""
    try:
        here = Path.cwd().resolve()
    except OSError:  # (the current folder was removed)
        return None
    folder, ups = here, 0
    while folder != location.root and folder.is_relative_to(location.root):
        below = Location(folder, location.top)
        try:
            settings = load_settings(folder)
        except TracertmError:  # (a configuration of its own that is broken: the command named would fail)
            count = 0
        else:
            count = _spec_count(below, settings, ref, staged)
        if count:
            return ("/".join([".."] * ups) or "."), count
        folder, ups = folder.parent, ups + 1
    return None


def _spec_count(location: Location, settings: Settings, ref: str | None, staged: bool) -> int:
    """How many ADR, contract and feature files a sync of ``location`` would read; 0 when it could not read them."""
    try:
        # (the step globs left out: a scan of the three kinds lists their folders alone)
        only = replace(settings, paths={k: v for k, v in settings.paths.items() if k in SPEC_KINDS})
        snapshot = scan(location, only, ref=ref, staged=staged)
    except TracertmError:
        return 0
    try:
        return len(snapshot.files)
    finally:
        snapshot.close()
