"""behave step libraries a step module imports from the repository, outside ``step_paths``: a one-line hint at the
import (issue #15).

behave runs each step module (``runner_util.load_step_modules``: ``exec_file`` with the step decorators in its
globals), and a module it imports registers its ``@given/@when/@then`` definitions in behave's one global registry
— so ``import steplib.command_steps`` defines every step of that file. tracertm reads only the files ``step_paths``
match: what a file is (step file or not) is decided by its path alone in every source (work tree, index, commit, the
hook's diff, the backfill's trees, the watcher), before any byte is read, so a library file cannot become a step
file because another file imports it. Instead the import gets a warning naming the library file and the glob that
would read it.

Imports resolve as behave's process would (behave 1.3 ``Runner.setup_paths`` / ``load_step_modules``): ``sys.path``
starts with the steps folder, then the working directory (taken as the project root), then the features folder
(``behave_layout.base``). A module that is not a file of the repository (the standard library, an installed
package, behave itself) is never a finding: what it defines cannot be known, and it is not the project's to trace.
A repository file is a finding only when tracertm would read step definitions in it.
"""

from __future__ import annotations

import ast
import posixpath
import sys
from collections.abc import Iterable, Mapping
from dataclasses import dataclass, replace

from tracertm.config import Settings
from tracertm.config_toml import toml_string
from tracertm.engine.scan import Location, scan
from tracertm.errors import Diagnostic, ParseError
from tracertm.steps.behave_layout import base as behave_base
from tracertm.steps.behave_layout import is_environment, is_step_module, load_key
from tracertm.steps.model import StepFile
from tracertm.text import ByteColumns

__all__ = ["first_loaders", "importers", "layout_warnings", "library_warnings"]

# Modules behave has imported before any step module runs (``behave`` itself), and the standard library: an import
# of them runs no repository file even when one shares the name.
_SKIPPED = frozenset({"behave", *sys.stdlib_module_names})
_GLOB_CHARACTERS = frozenset("*?[]{}\\")
_MAX_FILES = 500  # library files followed at most (a guard; step libraries are a few files)


@dataclass(frozen=True)
class _Target:
    """A module an import statement runs: its dotted name, the folders it is looked up in (``sys.path``, or the
    package of a relative import) and how the import writes it."""

    name: str
    roots: tuple[str, ...]
    shown: str
    absolute: bool = True


@dataclass(frozen=True)
class _Import:
    """One module-level import statement and the modules it runs (``from a import b`` runs ``a.b`` too when that
    is a submodule, a file)."""

    line: int
    column: int
    targets: tuple[_Target, ...]


def _imports(path: str, data: bytes, roots: tuple[str, ...]) -> list[_Import]:
    """The module-level imports of a Python file, its absolute imports looked up in ``roots`` (none when it does
    not parse, or holds more tokens than a step file may: its parse reports that)."""
    if b"import" not in data:
        return []
    from tracertm.steps.size_limit import TooManyTokens, check_tokens

    try:
        # (Latin-1: a character per byte, so a byte of a character that is not ASCII counts as the text's would)
        check_tokens(data.decode("latin-1"))
        tree = ast.parse(data, filename=path)
    except (SyntaxError, ValueError, RecursionError, MemoryError, TooManyTokens):
        return []
    from tracertm.steps.python import module_imports
    from tracertm.steps.python_names import flat

    out: list[_Import] = []
    columns = ByteColumns(data)
    for node in flat(tree.body):
        if isinstance(node, (ast.Import, ast.ImportFrom)):
            # The modules the statement runs, named as the parse records them (``StepFile.module_imports``).
            targets = tuple(t for level, name in module_imports([node])
                            if (t := _target(path, level, name, roots)) is not None)
            if targets:
                out.append(_Import(node.lineno, columns.of(node), targets))
    return out


def _target(path: str, level: int, name: str, roots: tuple[str, ...]) -> _Target | None:
    """The module an import in ``path`` names (``level``: the dots of a relative import), looked up in ``roots``
    when absolute, in its package when relative; None for a relative import that leaves the project."""
    if not level:
        return _Target(name, roots, name)
    folder = _package(path, level)
    return None if folder is None else _Target(name, (folder,), "." * level + name, False)


def _package(path: str, level: int) -> str | None:
    """The folder a relative import with ``level`` dots in ``path`` starts from; None when it leaves the project."""
    folder = posixpath.dirname(path)
    for _ in range(level - 1):
        if not folder:
            return None
        folder = posixpath.dirname(folder)
    return folder


def _roots(path: str) -> tuple[str, ...]:
    """The folders (project-relative, ``""`` the project root) on ``sys.path`` when behave runs ``path`` (a step
    module or environment.py), in ``sys.path`` order: the steps folder (step modules only), the working directory,
    the features folder."""
    features = behave_base(path) or ""
    roots = []
    if is_step_module(path):
        steps = _under(features, "steps")
        roots = [steps, posixpath.dirname(path)]  # a nested step module's own folder too
    roots += ["", features]
    return tuple(dict.fromkeys(roots))


def _under(root: str, *parts: str) -> str:
    return posixpath.join(root, *parts) if root else posixpath.join(*parts)


def _candidates(target: _Target) -> list[str]:
    """Every file that could run for ``target``: each package's ``__init__.py`` and the module file, under each
    of its roots."""
    parts = target.name.split(".")
    out = []
    for root in target.roots:
        for i in range(1, len(parts) + 1):
            out += [_under(root, *parts[:i]) + ".py", _under(root, *parts[:i], "__init__.py")]
    return out


def _resolve(target: _Target, exists: set[str], folders: set[str] | None = None) -> list[str]:
    """The repository files importing ``target`` runs, outermost package first, as Python finds them on its roots
    (earlier roots shadow later ones; a folder without ``__init__.py`` is a namespace package, used only when no
    root has a module or regular package of that name); [] for a module that is not the repository's.
    ``folders``: every folder holding a file of ``exists`` (at any depth), when known."""
    parts = target.name.split(".")
    if not parts[0] or (target.absolute and parts[0] in _SKIPPED):
        return []

    def inside(folder: str) -> bool:
        if folders is not None:
            return folder in folders
        return any(p.startswith(folder + "/") for p in exists)

    found = next((r for r in target.roots if _under(r, parts[0]) + ".py" in exists
                  or _under(r, parts[0], "__init__.py") in exists), None)
    if found is None:
        found = next((r for r in target.roots if inside(_under(r, parts[0]))), None)
    if found is None:
        return []
    out: list[str] = []
    for i in range(1, len(parts) + 1):
        package, module = _under(found, *parts[:i], "__init__.py"), _under(found, *parts[:i]) + ".py"
        if package in exists:
            out.append(package)
        elif module in exists:
            out.append(module)
            break  # a module has no submodules
        elif not inside(_under(found, *parts[:i])):
            break  # not a (namespace) package: an attribute, or a module that does not exist
    return out


def importers(files: Mapping[str, StepFile], more: Iterable[str] = ()) -> dict[str, frozenset[str]]:
    """Which behave features folders (``behave_layout.base``) run each Python file of ``files`` that their step
    modules or environment.py import, directly or through the imports of the files they reach
    (``StepFile.module_imports``), resolved as in behave's process (``_roots``). Only the files ``files`` holds,
    and the paths ``more`` (files whose definitions are known without their imports), are the repository's: an
    import of any other module is not followed. Path → the folders (a folder's own step modules among them)."""
    return {p: frozenset(by_folder) for p, by_folder in first_loaders(files, more).items()}


def first_loaders(files: Mapping[str, StepFile], more: Iterable[str] = ()) -> dict[str, dict[str, tuple[int, str]]]:
    """``importers``, with the file each folder's run first runs a file through: path → {features folder →
    ``load_key`` of the environment.py or step module whose imports reach it first in behave's load order (its
    own key for the folder's own files)}. Python runs a module once, at its first import, so a library's
    definitions are registered there: before the importing module's own (``report._behave_refuses``' order)."""
    exists = {p for p in (*files, *more) if p.endswith(".py")}
    folders = {p.rsplit("/", i)[0] for p in exists for i in range(1, p.count("/") + 1)}
    starts: dict[str, list[str]] = {}  # features folder → its environment.py and step modules
    for p in sorted(files):
        if p in exists and (is_step_module(p) or is_environment(p)) and (b := behave_base(p)) is not None:
            starts.setdefault(b, []).append(p)
    resolved: dict[tuple[int, str, tuple[str, ...]], list[str]] = {}
    out: dict[str, dict[str, tuple[int, str]]] = {}
    for b, paths in starts.items():
        paths.sort(key=load_key)
        claimed: dict[str, tuple[int, str]] = {p: load_key(p) for p in paths}  # behave runs these itself
        for start in paths:
            roots = _roots(start)
            todo = [start]
            while todo:
                p = todo.pop()
                f = files.get(p)
                for level, name in f.module_imports if f is not None else ():
                    target = _target(p, level, name, roots)
                    if target is None:
                        continue
                    key = (level, name, target.roots)
                    if key not in resolved:
                        resolved[key] = _resolve(target, exists, folders)
                    for reached in resolved[key]:
                        if reached not in claimed:
                            claimed[reached] = claimed[start]
                            todo.append(reached)
        for p, loader in claimed.items():
            out.setdefault(p, {})[b] = loader
    return out


def library_warnings(
    location: Location, settings: Settings, contents: Mapping[str, bytes], *, ref: str | None = None,
    staged: bool = False, only: Iterable[str] | None = None,
) -> list[Diagnostic]:
    """A warning at each import, in a behave step module or environment.py of ``contents`` (step file path →
    bytes; ``only``: just these of them), of repository files that ``step_paths`` do not match and that define
    step definitions — directly or through what they import in turn. Files not in ``contents`` are read from the
    same source (work tree, ``ref`` or the index)."""
    step_settings = settings.for_steps()
    starts = sorted(p for p in (contents if only is None else only)
                    if p.endswith(".py") and p in contents and (is_step_module(p) or is_environment(p)))
    if not starts:
        return []
    known: dict[str, bytes | None] = dict(contents)  # path → bytes; None: not a readable file of the source
    imports: dict[str, list[_Import]] = {}
    roots_of: dict[str, tuple[str, ...]] = {}  # a file reached → the sys.path of the behave process running it

    def imports_of(path: str) -> list[_Import]:
        if path not in imports:
            data = known.get(path)
            imports[path] = _imports(path, data, roots_of[path]) if data is not None else []
        return imports[path]

    def targets(path: str) -> list[_Target]:
        return [t for statement in imports_of(path) for t in statement.targets]

    # Breadth-first over the files the imports reach, each round's candidates read in one scan of the source.
    frontier = starts
    for p in starts:
        roots_of[p] = _roots(p)
    while frontier and len(roots_of) < len(starts) + _MAX_FILES:
        needed = sorted({c for p in frontier for t in targets(p) for c in _candidates(t)
                         if c not in known and not _GLOB_CHARACTERS & set(c)
                         and not (t.absolute and t.name.split(".")[0] in _SKIPPED)})
        if needed:
            _read(location, settings, needed, known, ref, staged)
        exists = {p for p, d in known.items() if d is not None}
        following = []
        for p in frontier:
            for t in targets(p):
                for reached in _resolve(t, exists):
                    if reached not in roots_of:
                        roots_of[reached] = roots_of[p]
                        following.append(reached)
        frontier = following
    exists = {p for p, d in known.items() if d is not None}
    in_steps = {p for p in exists if step_settings.kind_of(p) == "step_definition"}
    counts: dict[str, int] = {}

    def definitions(path: str) -> int:
        if path not in counts:
            from tracertm.steps.parsing import parse_step_file

            data = known.get(path)
            try:
                counts[path] = len(parse_step_file(path, data, settings.parser).definitions) if data else 0
            except ParseError:
                counts[path] = 0
        return counts[path]

    def reach(target: _Target) -> list[str]:
        """The files outside ``step_paths`` importing ``target`` runs, following their own imports (not through
        files ``step_paths`` match: those are read, and warned about at their own imports)."""
        seen: list[str] = []
        todo = _resolve(target, exists)
        while todo and len(seen) < _MAX_FILES:
            f = todo.pop(0)
            if f in seen or f in in_steps or f not in roots_of:
                continue
            seen.append(f)
            todo += [r for t in targets(f) for r in _resolve(t, exists)]
        return seen

    out: list[Diagnostic] = []
    for path in sorted(p for p in roots_of if p in in_steps and (only is None or p in starts)):
        for statement in imports_of(path):
            done: set[str] = set()  # ``from lib import a, b``: the files of ``lib`` once
            for target in statement.targets:
                libraries = [f for f in reach(target) if f not in done and definitions(f)]
                if libraries:
                    done.update(libraries)
                    out.append(Diagnostic(path, statement.line, statement.column,
                                          _message(target, libraries, sum(counts[f] for f in libraries)),
                                          "warning"))
    return out


def layout_warnings(location: Location, settings: Settings, step_paths: Iterable[str], *, ref: str | None = None,
                    staged: bool = False) -> list[Diagnostic]:
    """What behave's own configuration changes about its step loading that ``step_paths`` miss: its ``stage``
    (``steps.behave_config``), read from the same source."""
    from tracertm.steps.behave_config import stage_warning

    def read(paths: list[str]) -> dict[str, bytes]:
        known: dict[str, bytes | None] = {}
        _read(location, settings, paths, known, ref, staged)
        return {p: data for p, data in known.items() if data is not None}

    return stage_warning(read, step_paths)


def _message(target: _Target, files: list[str], total: int) -> str:
    what = f"{total} step definition{'s' if total != 1 else ''}"
    more = f" and {len(files) - 3} more" if len(files) > 3 else ""
    globs = list(dict.fromkeys(_glob(f, target.roots) for f in files))
    return (f"imports step library {target.shown} ({', '.join(files[:3])}{more}: {what}), which step_paths do not "
            "match: behave registers its steps, tracertm does not read them, so steps only they define show as "
            f"undefined; add {' and '.join(toml_string(g) for g in globs)} to step_paths")


def _glob(path: str, roots: tuple[str, ...]) -> str:
    """The glob that reads ``path``'s whole top-level package (under the innermost of ``roots`` holding it), or
    the file itself when it is a plain module at a root."""
    for root in sorted(roots, key=len, reverse=True):
        if root and not path.startswith(root + "/"):
            continue
        rest = path[len(root) + 1:] if root else path
        if "/" not in rest:
            return path
        return _under(root, rest.split("/", 1)[0], "**", "*.py")
    return path


def _read(location: Location, settings: Settings, paths: list[str], known: dict[str, bytes | None],
          ref: str | None, staged: bool) -> None:
    """Which of ``paths`` are readable files of the source, with their bytes, into ``known`` (None: not one). A
    scan with the paths themselves as the globs: the source's own rules hold (excludes, size limit, symbolic
    links, the index or the commit)."""
    exact = replace(settings, paths={"step_definition": tuple(paths)})
    snapshot = scan(location, exact, ref=ref, staged=staged)
    try:
        found = sorted(p for p, f in snapshot.files.items() if f.error is None)
        data = snapshot.read(found) if found else {}
    finally:
        snapshot.close()
    for p in paths:
        known[p] = data.get(p)
