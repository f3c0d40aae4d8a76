"""Native git hooks, for repositories that do not use the pre-commit framework.

``install()`` writes ``pre-commit`` and ``pre-merge-commit`` hooks running ``tracertm check --staged`` (git runs
``pre-merge-commit``, not ``pre-commit``, for a merge that needs no conflict resolution) and, for the stages asked
for, ``post-commit`` / ``post-merge`` / ``post-checkout`` hooks running ``tracertm hook sync`` (``sync --ref HEAD``,
quiet, never failing git: keeps a local database current). The scripts call the very interpreter that installed
them (``sys.executable -m tracertm``), so a tracertm in a virtual environment or a pipx venv is found without
``PATH``.

Hooks go where git looks for them: ``git rev-parse --git-path hooks`` (honours ``core.hooksPath`` and linked work
trees). An existing hook that is not ours is never overwritten: it is moved to ``<hook>.tracertm-chained`` and our
script runs it first, with the same arguments; ``uninstall()`` puts it back. Installing twice changes nothing.
"""

from __future__ import annotations

import os
import shlex
import stat
import sys
from collections.abc import Iterable
from dataclasses import dataclass
from pathlib import Path

from tracertm import git
from tracertm.errors import UsageError

MARKER = "# tracertm-hook: managed by 'tracertm hook install'; 'tracertm hook uninstall' removes it"
CHAINED_SUFFIX = ".tracertm-chained"
CHECK_HOOK = "pre-commit"
# The hooks that check what is about to be committed: git runs pre-commit before a commit (and before the commit that
# concludes a merge with conflicts), pre-merge-commit before the commit of a merge it made on its own.
CHECK_HOOKS = (CHECK_HOOK, "pre-merge-commit")
SYNC_STAGES = ("post-commit", "post-merge", "post-checkout")
MANAGED = (*CHECK_HOOKS, *SYNC_STAGES)


@dataclass(frozen=True)
class HookChange:
    """One hook file: what happened to it (``installed``, ``updated``, ``unchanged``, ``removed``, ``chained``
    (an existing hook kept and called first), ``restored`` (the chained hook put back))."""

    hook: str
    action: str
    path: Path

    def __str__(self) -> str:
        return f"{self.hook}: {self.action} ({self.path})"


def hooks_dir(path: str | os.PathLike[str] | None = None) -> Path:
    """Where git runs hooks from for the repository around ``path`` (``core.hooksPath`` respected)."""
    return _locate(path)[1]


def _locate(path: str | os.PathLike[str] | None) -> tuple[Path, Path]:
    """The top of the repository around ``path`` and its hooks folder."""
    start = Path(path if path is not None else ".").expanduser()
    top = git.find_root(start) if start.is_dir() else None
    if top is None:
        raise UsageError(f"{start.resolve()}: not inside a git repository; run 'tracertm hook' inside one")
    out = git.run(top, "rev-parse", "--git-path", "hooks").decode().strip()
    where = Path(out).expanduser()
    return top, (where if where.is_absolute() else top / where)


def _make_hooks_dir(top: Path, directory: Path) -> None:
    """Create the hooks folder. ``core.hooksPath`` may name a file (or a folder under one, or one we may not
    create): that is the user's setting to fix, so say which, instead of an internal error."""
    try:
        directory.mkdir(parents=True, exist_ok=True)
    except OSError as exc:
        reason = "a file is in the way" if isinstance(exc, (FileExistsError, NotADirectoryError)) else exc.strerror
        configured = git.run(top, "config", "--get", "core.hooksPath", check=False).decode().strip()
        if configured:
            shown = configured if Path(configured).expanduser() == directory else f"{configured} ({directory})"
            raise UsageError(
                f"core.hooksPath = {shown}: not a folder git can run hooks from ({reason}); point it at a folder "
                "(git config core.hooksPath DIR) or unset it (git config --unset core.hooksPath)"
            ) from None
        raise UsageError(f"{directory}: cannot create git's hooks folder ({reason}); make it a folder") from None


def script(hook: str, python: str = sys.executable) -> str:
    """The text of our ``hook`` script."""
    chained = f'"$(dirname "$0")/{hook}{CHAINED_SUFFIX}"'
    tracertm = f"{shlex.quote(python)} -m tracertm"
    lines = ["#!/bin/sh", MARKER, f"chained={chained}"]
    if hook in CHECK_HOOKS:
        lines += [
            "# The hook that was here before runs first; a failure stops the commit.",
            'if [ -x "$chained" ]; then "$chained" "$@" || exit $?; fi',
            f"exec {tracertm} check --staged",
        ]
    else:
        lines += [
            "# The hook that was here before runs first; its status is ours. A sync problem never fails git.",
            "status=0",
            'if [ -x "$chained" ]; then "$chained" "$@" || status=$?; fi',
            f"{tracertm} hook sync",
            'exit "$status"',
        ]
    return "\n".join(lines) + "\n"


def _ours(path: Path) -> bool:
    try:
        with path.open("r", encoding="utf-8", errors="replace") as fh:
            return MARKER in fh.read(4096)
    except (IsADirectoryError, FileNotFoundError, NotADirectoryError):  # NotADirectory: hooks "folder" is a file
        return False


def _write(path: Path, text: str) -> None:
    tmp = path.with_name(f".{path.name}.tracertm-tmp")
    tmp.write_text(text, encoding="utf-8")
    tmp.chmod(tmp.stat().st_mode | stat.S_IXUSR | stat.S_IXGRP | stat.S_IXOTH)
    os.replace(tmp, path)


def _install_one(directory: Path, hook: str, python: str) -> list[HookChange]:
    path = directory / hook
    chained = directory / (hook + CHAINED_SUFFIX)
    text = script(hook, python)
    changes: list[HookChange] = []
    if path.is_symlink() or path.exists():
        if _ours(path):
            if path.read_text(encoding="utf-8", errors="replace") == text:
                return [HookChange(hook, "unchanged", path)]
            _write(path, text)
            return [HookChange(hook, "updated", path)]
        if chained.is_symlink() or chained.exists():
            raise UsageError(
                f"{path}: exists and is not tracertm's, and {chained.name} is taken too; "
                f"merge them by hand or remove one, then rerun 'tracertm hook install'"
            )
        os.rename(path, chained)
        changes.append(HookChange(hook, "chained", chained))
    _write(path, text)
    changes.append(HookChange(hook, "installed", path))
    return changes


def _uninstall_one(directory: Path, hook: str) -> list[HookChange]:
    path = directory / hook
    chained = directory / (hook + CHAINED_SUFFIX)
    if not _ours(path):
        return []
    path.unlink()
    changes = [HookChange(hook, "removed", path)]
    if chained.is_symlink() or chained.exists():
        os.rename(chained, path)
        changes.append(HookChange(hook, "restored", path))
    return changes


def parse_stages(value: str | Iterable[str] | None) -> tuple[str, ...]:
    """``post-commit,post-merge`` → the sync stages, validated (``all`` means every one)."""
    if value is None:
        return ()
    items = value.split(",") if isinstance(value, str) else list(value)
    stages = [s.strip() for s in items if s.strip()]
    if not stages:
        # `--sync-on ','` (or '' from the API) names no stage: installing no sync hook then would be a silent guess,
        # and would remove the sync hooks already installed.
        shown = value if isinstance(value, str) else ",".join(items)
        raise UsageError(f"--sync-on {shown!r}: no stage given; choose from {', '.join(SYNC_STAGES)} or 'all', "
                         "or leave the option out")
    if stages == ["all"]:
        return SYNC_STAGES
    unknown = [s for s in stages if s not in SYNC_STAGES]
    if unknown:
        raise UsageError(f"--sync-on {', '.join(unknown)}: unknown stage; choose from {', '.join(SYNC_STAGES)}")
    return tuple(s for s in SYNC_STAGES if s in stages)


def install(
    path: str | os.PathLike[str] | None = None,
    *,
    sync_on: str | Iterable[str] | None = None,
    check: bool = True,
    python: str | None = None,
) -> list[HookChange]:
    """Install our hooks in the repository around ``path``: ``pre-commit`` and ``pre-merge-commit`` (unless
    ``check=False``) and one sync hook per stage of ``sync_on``. Our hooks of stages no longer asked for are
    removed, so the result is exactly what was asked for; running it twice changes nothing."""
    stages = parse_stages(sync_on)
    wanted = (CHECK_HOOKS if check else ()) + stages
    top, directory = _locate(path)
    _make_hooks_dir(top, directory)
    interpreter = python or sys.executable
    changes: list[HookChange] = []
    for hook in MANAGED:
        if hook in wanted:
            changes += _install_one(directory, hook, interpreter)
        else:
            changes += _uninstall_one(directory, hook)
    return changes


def uninstall(path: str | os.PathLike[str] | None = None) -> list[HookChange]:
    """Remove our hooks and put back the hooks they chained."""
    directory = hooks_dir(path)
    changes: list[HookChange] = []
    for hook in MANAGED:
        changes += _uninstall_one(directory, hook)
    return changes


__all__ = ["MARKER", "SYNC_STAGES", "HookChange", "hooks_dir", "install", "parse_stages", "script", "uninstall"]
