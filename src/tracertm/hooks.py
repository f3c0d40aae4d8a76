"""Native git hooks, for repositories that do not use the pre-commit framework.

``install()`` writes ``pre-commit`` and ``pre-merge-commit`` hooks running ``tracertm check --staged`` (git runs
``pre-merge-commit``, not ``pre-commit``, for a merge that needs no conflict resolution) and, for the stages asked
for, ``post-commit`` / ``post-merge`` / ``post-checkout`` hooks running ``tracertm hook sync`` (``sync --ref HEAD``,
quiet, never failing git: keeps a local database current), with ``post-rewrite`` for the end of a rebase, which
the other sync hooks pass over. The scripts call the very interpreter that installed
them (``sys.executable -m tracertm``), so a tracertm in a virtual environment or a pipx venv is found without
``PATH``.

Hooks go where git looks for them: ``git rev-parse --git-path hooks`` (honours ``core.hooksPath`` and linked work
trees), unless other people's commits run that folder: one of the work tree that git tracks, or a global
``core.hooksPath`` outside it (``_refuse_shared``). An existing hook that is not ours is never overwritten: it is
moved to ``<hook>.tracertm-chained`` and our script runs it first, with the same arguments; ``uninstall()`` puts it
back. Installing twice changes nothing.

A hook serves one or more *projects*: spec roots of the repository, each named by its path from the top of the work
tree (``.`` for the top itself, what ``install()`` without a path means). git runs hooks from the top of the work tree
being committed, so a script runs ``check --staged ./svc`` / ``hook sync ./svc`` there: the same in every linked work
tree, whatever folder ``git commit`` was typed in. Several projects of one repository share each hook file, which
runs them in turn (one ``# tracertm-project:`` line each records them); a hook for the top alone is the script it
always was.

A hooked project's folder may go (``git mv svc/a svc/alpha``, ``git rm -r svc/a``): ``uninstall("svc/a")`` still
drops its hooks, and its hooks say so in one line naming that fix (``gone``) instead of failing every commit on a
missing folder. Its check hook then passes: the commit holds nothing of the project to check.
"""

from __future__ import annotations

import json
import os
import shlex
import stat
import sys
from collections.abc import Iterable, Sequence
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
# Installed with any sync stage: git runs it once at the end of a rebase, whose own commits and checkouts the sync
# hooks pass over (``_rebase_gate``).
REWRITE_HOOK = "post-rewrite"
MANAGED = (*CHECK_HOOKS, *SYNC_STAGES, REWRITE_HOOK)
# The project at the top of the work tree (``install()`` without a path, or with the top's).
TOP = "."
# Names one project of a hook (its path from the top, as JSON text: any file name survives the round trip).
PROJECT_LINE = "# tracertm-project: "


# How a script runs the hook it chained. A POSIX shell hook is read by our shell (``.``, in a subshell) rather than
# run as a file of its own, so its ``$0`` is still the hook's own path: hook managers dispatch on it (husky 9's
# ``.husky/_/pre-commit`` sources ``h``, which runs ``.husky/$(basename "$0")``; husky 4's ``husky.sh`` asks
# ``husky-run`` for the hook named ``$0``), and under the name ``pre-commit.tracertm-chained`` they silently ran
# nothing. Any other hook (bash, a binary, Python) is run as before. ``read`` is a builtin: the hook stays fast.
_RUN_CHAINED = [
    "run_chained() {",
    '  first=; read -r first < "$chained" || :',
    "  case $first in",
    "    '#!/bin/sh' | '#!/bin/sh '* | '#!/usr/bin/env sh' | '#!/usr/bin/env sh '*) (. \"$chained\") ;;",
    '    *) "$chained" "$@" ;;',
    "  esac",
    "}",
]

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
    if not start.is_dir():  # (as ``check PATH`` says it: a file or a typo is not "outside a repository")
        what = "not a folder" if start.exists() else "no such folder"
        raise UsageError(f"{path if path is not None else start}: {what}; pass the path of a repository")
    top = git.find_root(start)
    if top is None:
        raise UsageError(f"{start.resolve()}: not inside a git repository; run 'tracertm hook' inside one")
    out = os.fsdecode(git.run(top, "rev-parse", "--git-path", "hooks").strip())
    where = Path(out).expanduser()
    return top, (where if where.is_absolute() else top / where)


def project_of(path: str | os.PathLike[str] | None, top: Path) -> str:
    """The project ``path`` names in the repository whose work tree is ``top``: its spec root's path from the top
    (``TOP`` for the top). An explicit path is the spec root, as for ``check`` and ``sync``; without one, the top of
    the repository around the current folder (``engine.scan.Location.find``)."""
    if path is None:
        return TOP
    root, base = Path(path).expanduser().resolve(), top.resolve()
    try:
        rel = root.relative_to(base).as_posix()
    except ValueError:  # (found through a link that leaves the work tree: still the folder git names)
        return TOP
    return rel if rel and rel != "." else TOP


def _make_hooks_dir(top: Path, directory: Path) -> None:
    """Create the hooks folder. ``core.hooksPath`` may name a file (or a folder under one, or one we may not
    create): that is the user's setting to fix, so say which, instead of an internal error."""
    try:
        directory.mkdir(parents=True, exist_ok=True)
    except OSError as exc:
        reason = "a file is in the way" if isinstance(exc, (FileExistsError, NotADirectoryError)) else exc.strerror
        configured = os.fsdecode(git.run(top, "config", "--get", "core.hooksPath", check=False).strip())
        if configured:
            shown = configured if Path(configured).expanduser() == directory else f"{configured} ({directory})"
            raise UsageError(
                f"core.hooksPath = {shown}: not a folder git can run hooks from ({reason}); point it at a folder "
                "(git config core.hooksPath DIR) or unset it (git config --unset core.hooksPath)"
            ) from None
        raise UsageError(f"{directory}: cannot create git's hooks folder ({reason}); make it a folder") from None


def script(hook: str, python: str = sys.executable, projects: Sequence[str] = (TOP,)) -> str:
    """The text of our ``hook`` script, for ``projects`` (paths from the top of the work tree, see ``project_of``).
    For the top alone it is the script tracertm always wrote: ``check --staged`` with no path (the hook's fast
    command line, ``cli._hook_args``)."""
    chained = f'"$(dirname "$0")/{hook}{CHAINED_SUFFIX}"'
    tracertm = f"{shlex.quote(python)} -m tracertm"
    lines = ["#!/bin/sh", MARKER, f"chained={chained}"]
    guard = _interpreter_guard(hook, python)
    if list(projects) == [TOP]:
        if hook in CHECK_HOOKS:
            lines += [
                "# The hook that was here before runs first; a failure stops the commit.",
                *_chained("exit $?"),
                *guard,
                f"exec {tracertm} check --staged",
            ]
        else:
            lines += [
                "# The hook that was here before runs first; its status is ours. A sync problem never fails git.",
                "status=0",
                *_chained("status=$?"),
                *_rebase_gate(hook),
                *guard,
                f"{tracertm} hook sync",
                'exit "$status"',
            ]
        return "\n".join(lines) + "\n"
    named = [PROJECT_LINE + json.dumps(p) for p in projects]
    # git runs hooks from the top of the work tree: the paths are relative to it (in any linked work tree too).
    # "./" keeps a folder named like an option ("-x") a path.
    args = [shlex.quote(p if p == TOP else f"./{p}") for p in projects]
    if hook in CHECK_HOOKS:
        lines += [
            "# The hook that was here before runs first; a failure stops the commit.",
            *_chained("exit $?"),
            "# Each project of this repository is checked in turn (all of them report); the first failure's status",
            "# is the hook's.",
            *named,
            *guard,
            "status=0",
            *(f'{tracertm} check --staged {a} || {{ code=$?; [ "$status" -ne 0 ] || status=$code; }}' for a in args),
            'exit "$status"',
        ]
    else:
        lines += [
            "# The hook that was here before runs first; its status is ours. A sync problem never fails git.",
            "status=0",
            *_chained("status=$?"),
            *_rebase_gate(hook),
            "# Each project of this repository is synced in turn.",
            *named,
            *guard,
            *(f"{tracertm} hook sync {a}" for a in args),
            'exit "$status"',
        ]
    return "\n".join(lines) + "\n"


def _chained(on_failure: str) -> list[str]:
    """Shell lines that run the hook that was here before (``_RUN_CHAINED``), then ``on_failure`` when it fails."""
    return [*_RUN_CHAINED, f'if [ -x "$chained" ]; then run_chained "$@" || {on_failure}; fi']


def _rebase_gate(hook: str) -> list[str]:
    """Shell lines that end a sync hook without syncing while a rebase runs, and make ``post-rewrite`` sync only at
    the end of one. A rebase checks out its base (post-checkout) and makes each commit (post-commit) on the way: a
    sync of each took about a second per commit, and a rebase whose commits git reused (``--exec``, an ``edit`` left
    as it was) makes none, so the database was left at the base, not at the branch the rebase ends on. git runs
    ``post-rewrite rebase`` once at the end (``post-rewrite amend`` follows a ``commit --amend``, which post-commit
    has synced). ``rebase-apply/rebasing``: ``git am`` uses that folder too, and its commits are the branch's."""
    if hook == REWRITE_HOOK:
        return ['[ "$1" = rebase ] || exit "$status"  # (an amended commit was synced by post-commit)']
    return ["# A rebase is synced once, at its end (post-rewrite): the commits it makes on the way are not its own.",
            'git_dir=$(git rev-parse --git-dir 2>/dev/null) || git_dir=.git',
            'if [ -d "$git_dir/rebase-merge" ] || [ -f "$git_dir/rebase-apply/rebasing" ]; then exit "$status"; fi']


def _interpreter_guard(hook: str, python: str) -> list[str]:
    """Shell lines that stop the hook with one line saying what to do when ``python`` is gone (a deleted virtual
    environment) or no longer has tracertm (uninstalled, or the environment made again without it), instead of the
    shell's bare "not found" or Python's "No module named tracertm": a check hook fails the commit (a hook that
    cannot check must not pass it), a sync hook goes on (a sync problem never fails git). The hook's start stays
    fast: shell builtins only, unless the package folder this tracertm runs from is gone — only then is ``python``
    asked whether it still imports tracertm (it may have been installed elsewhere since). (No `` -m tracertm`` in
    these lines: ``_installed`` reads the interpreter from the line that has it.)"""
    what = "the commit is not checked" if hook in CHECK_HOOKS else "the database is not synced"
    again = ('run "tracertm hook install" again from an environment that has tracertm, or '
             '"tracertm hook uninstall"')
    gone = f"tracertm hook: {python} (the Python that installed this hook) is gone: {what}; {again}"
    lost = (f"tracertm hook: {python} (the Python that installed this hook) no longer has tracertm: {what}; "
            f"install tracertm in it again, or {again}")
    # printf, not echo: dash's echo would read backslashes in the path as escapes.
    stop = "exit 1" if hook in CHECK_HOOKS else 'exit "$status"'
    quoted = shlex.quote(python)
    return [f"if ! command -v {quoted} >/dev/null 2>&1; then",
            f"  printf '%s\\n' {shlex.quote(gone)} >&2; {stop}",
            "fi",
            f"if [ ! -d {shlex.quote(_package_folder())} ] && ! {quoted} -c 'import tracertm' >/dev/null 2>&1; then",
            f"  printf '%s\\n' {shlex.quote(lost)} >&2; {stop}",
            "fi"]


def _package_folder() -> str:
    """The folder of the tracertm package that writes the hook (where ``python -m tracertm`` finds it when the
    hook's interpreter is this one)."""
    return str(Path(__file__).resolve().parent)


def _installed(text: str) -> tuple[list[str], str | None]:
    """The projects one of our scripts serves (none named: the top, as every script before projects did) and the
    interpreter it runs (None: not found)."""
    projects: list[str] = []
    python: str | None = None
    for line in text.splitlines():
        if line.startswith(PROJECT_LINE):
            try:
                name = json.loads(line[len(PROJECT_LINE):])
            except ValueError:  # edited by hand beyond reading: that project is dropped, the others kept
                continue
            if isinstance(name, str) and name not in projects:
                projects.append(name)
        elif python is None and " -m tracertm " in line and not line.startswith("#"):
            try:
                words = shlex.split(line, comments=True)
            except ValueError:
                continue
            words = words[1:] if words[:1] == ["exec"] else words
            python = words[0] if words else None
    return projects or [TOP], python


def _ours(path: Path) -> bool:
    try:
        with path.open("r", encoding="utf-8", errors="replace") as fh:
            return MARKER in fh.read(4096)
    except (IsADirectoryError, FileNotFoundError, NotADirectoryError):  # NotADirectory: hooks "folder" is a file
        return False


def _read(path: Path) -> str:
    # surrogateescape: a project folder whose name is not UTF-8 is written back byte for byte.
    return path.read_text(encoding="utf-8", errors="surrogateescape")


def _write(path: Path, text: str) -> None:
    tmp = path.with_name(f".{path.name}.tracertm-tmp")
    tmp.write_text(text, encoding="utf-8", errors="surrogateescape")
    tmp.chmod(tmp.stat().st_mode | stat.S_IXUSR | stat.S_IXGRP | stat.S_IXOTH)
    os.replace(tmp, path)


def _joined(current: str, hook: str, python: str, project: str) -> str:
    """The text of our ``hook`` script ``current`` once it runs ``project`` too."""
    projects, _python = _installed(current)
    return script(hook, python, projects if project in projects else [*projects, project])


def _touches(directory: Path, hook: str, wanted: bool, python: str, project: str) -> bool:
    """Whether installing would write, move or remove the file of ``hook`` (``wanted``: this project's hook of that
    name is asked for; else it is dropped), as ``_install_one`` and ``_drop_one`` do."""
    path = directory / hook
    if not wanted:
        return _ours(path) and project in _installed(_read(path))[0]
    if _ours(path):
        current = _read(path)
        return current != _joined(current, hook, python, project)
    return True  # a new file, or the user's hook moved aside to be chained


def _install_one(directory: Path, hook: str, python: str, project: str = TOP) -> list[HookChange]:
    """Make ``hook`` run ``project``, besides the projects it runs already."""
    path = directory / hook
    chained = directory / (hook + CHAINED_SUFFIX)
    text = script(hook, python, [project])
    changes: list[HookChange] = []
    if path.is_symlink() or path.exists():
        if _ours(path):
            current = _read(path)
            text = _joined(current, hook, python, project)
            if current == text:
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


def _drop_one(directory: Path, hook: str, project: str) -> list[HookChange]:
    """Make ``hook`` stop running ``project``: the whole hook goes when it ran that project alone; a hook that
    does not run it is left as it is (another project's)."""
    path = directory / hook
    if not _ours(path):
        return []
    projects, python = _installed(_read(path))
    if project not in projects:
        return []
    if projects == [project]:
        return _uninstall_one(directory, hook)
    _write(path, script(hook, python or sys.executable, [p for p in projects if p != project]))
    return [HookChange(hook, "updated", path)]


def _uninstall_one(directory: Path, hook: str) -> list[HookChange]:
    """Remove ``hook`` and put back the hook it chained."""
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


def _refuse_shared(top: Path, directory: Path, project: str, touched: Sequence[str]) -> None:
    """Refuse (``UsageError``, nothing changed) to write the hooks ``touched`` into a folder other people's commits
    run too: our scripts name this machine's Python, and the folder is the team's or the user's every repository."""
    if not touched:
        return
    try:
        folder = directory.resolve().relative_to(top.resolve()).as_posix()
    except ValueError:
        _refuse_global(top, directory)
        return
    if directory.is_dir():  # (inside a file or a missing folder nothing is tracked: _make_hooks_dir says the rest)
        _refuse_tracked(top, "" if folder == "." else folder, project, touched)


def _refuse_tracked(top: Path, folder: str, project: str, touched: Sequence[str]) -> None:
    """A hooks folder of the work tree (``folder``, from its top) that holds files git tracks is the team's
    (husky 5-8's ``.husky``, a ``githooks`` folder): a hook written there, or the team's hook chained and replaced,
    would be committed for everyone by the next ``git commit -a`` (or ``git add -A``). An untracked folder (husky
    9's ``.husky/_``, which its own ``.gitignore`` keeps out) is the user's, and installed into as before."""
    listed = git.run(top, "ls-files", "-z", "-c", "--", *git.pathspecs((f"{folder}/" if folder else "",)))
    tracked = set(os.fsdecode(listed).split("\0")) - {""}
    if not tracked:
        return
    names = {hook: f"{folder}/{hook}" if folder else hook for hook in touched}
    hook = next((h for h in touched if names[h] in tracked), touched[0])
    what = "tracked by git" if names[hook] in tracked else f"new in {folder or '.'}/, whose hooks git tracks"
    where = "" if project == TOP else " " + shlex.quote(f"./{project}")
    line, framework = (("tracertm check --staged", "tracertm-check") if hook in CHECK_HOOKS
                       else ("tracertm hook sync", "tracertm-sync"))
    raise UsageError(
        f"{names[hook]}: {what}; tracertm's hook names this machine's Python and would be committed for everyone, "
        f"so nothing was installed; add the line '{line}{where}' to the team's {hook} hook instead, or use the "
        f"pre-commit framework's {framework} hook"
    )


def _refuse_global(top: Path, directory: Path) -> None:
    """A hooks folder outside the work tree named by a ``core.hooksPath`` of the global (or system) configuration
    runs in every repository that sets none of its own: our scripts there would check or sync each of them."""
    out = os.fsdecode(git.run(top, "config", "--show-scope", "--get", "core.hooksPath", check=False).strip())
    scope, _tab, configured = out.partition("\t")
    if scope not in ("global", "system"):  # (this repository's own setting, or none: .git/hooks elsewhere)
        return
    shown = configured if Path(configured).expanduser() == directory else f"{configured} ({directory})"
    raise UsageError(
        f"core.hooksPath = {shown}, set in git's {scope} configuration: git runs these hooks in every repository "
        "that sets none of its own, so nothing was installed; give this repository its own hooks folder (git "
        "config core.hooksPath .git/hooks; the shared hooks then no longer run here) and rerun 'tracertm hook "
        "install'"
    )


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
    if len(stages) < len(items):  # (`post-commit,` or `a,,b`: a stage left out by mistake, as other options say)
        shown = value if isinstance(value, str) else ",".join(items)
        raise UsageError(f"--sync-on {shown!r}: empty item; separate each stage from the next by one comma "
                         "(post-commit,post-merge)")
    if stages == ["all"]:
        return SYNC_STAGES
    if "all" in stages:
        raise UsageError(f"--sync-on {','.join(stages)}: 'all' stands alone (it means every stage); give it "
                         "alone or name the stages")
    unknown = [s for s in stages if s not in SYNC_STAGES]
    if unknown:
        raise UsageError(f"--sync-on {', '.join(unknown)}: unknown stage; choose from {', '.join(SYNC_STAGES)} "
                         "(comma-separated) or 'all'")
    return tuple(s for s in SYNC_STAGES if s in stages)


def install(
    path: str | os.PathLike[str] | None = None,
    *,
    sync_on: str | Iterable[str] | None = None,
    check: bool = True,
    python: str | None = None,
) -> list[HookChange]:
    """Install our hooks for the project at ``path`` (a spec root: the top of its repository, or a sub-folder of
    it, see ``project_of``): ``pre-commit`` and ``pre-merge-commit`` (unless ``check=False``) and one sync hook per
    stage of ``sync_on``. Hooks that run other projects of the repository run this one too, after them. This
    project's hooks of stages no longer asked for are removed (the hook file too when it ran this project alone),
    so the result is exactly what was asked for; running it twice changes nothing."""
    stages = parse_stages(sync_on)
    wanted = (CHECK_HOOKS if check else ()) + stages + ((REWRITE_HOOK,) if stages else ())
    top, directory = _locate(path)
    project = project_of(path, top)
    interpreter = python or sys.executable
    _refuse_shared(top, directory, project,
                   [hook for hook in MANAGED if _touches(directory, hook, hook in wanted, interpreter, project)])
    _make_hooks_dir(top, directory)
    changes: list[HookChange] = []
    for hook in MANAGED:
        if hook in wanted:
            changes += _install_one(directory, hook, interpreter, project)
        else:
            changes += _drop_one(directory, hook, project)
    return changes


def uninstall(path: str | os.PathLike[str] | None = None) -> list[HookChange]:
    """Remove the hooks of the project at ``path`` and put back the hooks they chained; hooks that run other
    projects too keep running those. When no hook runs that project (``tracertm hook uninstall`` at the top of a
    monorepo whose hooks serve its sub-folders), every hook of ours goes, as ``uninstall`` always did: any path
    in the repository removed tracertm's hooks. A ``path`` that is no folder any more is a hooked project moved or
    deleted when a hook runs it: its hooks go all the same (any other such path is refused, as before)."""
    hooked = _hooked_gone(path)
    if hooked is not None:
        _top, directory, project = hooked
    else:
        top, directory = _locate(path)
        project = project_of(path, top)
    runs = [hook for hook in MANAGED if _ours(directory / hook) and project in _installed(_read(directory / hook))[0]]
    changes: list[HookChange] = []
    for hook in MANAGED:
        changes += _drop_one(directory, hook, project) if runs else _uninstall_one(directory, hook)
    return changes


def gone(path: str | os.PathLike[str] | None, *, staged: bool = False) -> str | None:
    """When ``path`` names a project our hooks run whose folder is gone (moved or deleted): one line saying so and
    naming the fix; None otherwise (a folder, or a path no hook of ours runs: the verb's own error stands). With
    ``staged`` (the check hook), a folder whose files the index still holds is refused (``UsageError``): the commit
    keeps them, and they are not checked without their folder."""
    hooked = _hooked_gone(path)
    if hooked is None:
        return None
    top, _directory, project = hooked
    if staged and git.holds_files(top, project, staged=True):
        raise UsageError(
            f"{project}: the folder of this hooked project is gone from the work tree, but the index still holds "
            f"its files; restore it (git checkout -- {shlex.quote(project)}) or stage its removal (git rm -r "
            f"--cached {shlex.quote(project)})"
        )
    unchecked = ", and the commit holds none of its files: not checked" if staged else ""
    return (f"{project}: the folder of this hooked project is gone (moved or deleted){unchecked}; run 'tracertm "
            f"hook uninstall {shlex.quote(project)}', then 'tracertm hook install' for its new folder")


def _hooked_gone(path: str | os.PathLike[str] | None) -> tuple[Path, Path, str] | None:
    """The top of the work tree, its hooks folder and the project (``project_of``) of ``path`` when it is no
    folder, not even a file, and one of our hooks of the repository around its nearest existing folder runs that
    project; else None."""
    if path is None:
        return None
    start = Path(path).expanduser()
    if start.exists() or start.is_symlink():  # (a folder is no project gone; a file is refused as ever)
        return None
    existing = next((p for p in start.absolute().parents if p.is_dir()), None)
    top = git.find_root(existing) if existing is not None else None
    if existing is None or top is None:
        return None
    directory = _locate(existing)[1]
    project = project_of(path, top)
    runs = any(_ours(directory / hook) and project in _installed(_read(directory / hook))[0] for hook in MANAGED)
    return (top, directory, project) if runs and project != TOP else None


__all__ = [
    "MARKER", "REWRITE_HOOK", "SYNC_STAGES", "TOP", "HookChange", "gone", "hooks_dir", "install", "parse_stages",
    "project_of", "script", "uninstall",
]
