"""What a sync must read again for behave: a step module's definitions depend on the step matcher its features
folder's ``environment.py`` leaves (``steps.parsing``), so that file is an input of every step module's parse, and
on the default matcher the earlier step modules of its folder leave (``use_default_step_matcher(name)``).

behave's layout is plain path rules (``steps.behave_layout``); the step parsing is imported only when behave files
are involved, so the hook paths stay light.
"""

from __future__ import annotations

import posixpath
from collections.abc import Iterable
from typing import Any

from tracertm.config import Settings
from tracertm.engine.scan import Location, Snapshot, scan
from tracertm.errors import Diagnostic
from tracertm.steps.behave_layout import base, is_environment, is_step_module

__all__ = ["is_environment", "library_warnings", "options", "scope", "with_modules"]


def options(snapshot: Snapshot, paths: list[str], settings: Settings) -> Any:
    """``settings.parser``, carrying what the parse of the behave step modules among ``paths`` depends on besides
    their bytes, read from this snapshot (whichever files this parse has): the step matcher the environment.py of
    each features folder leaves (``steps.parsing.with_matchers``), and the default matcher the earlier step modules
    of each module's folder leave with ``use_default_step_matcher(name)`` (``steps.parsing.with_defaults``)."""
    files = snapshot.files
    modules = [p for p in paths if files[p].kind == "step_definition" and is_step_module(p)]
    if not modules:
        return settings.parser
    from tracertm.steps.parsing import environment_matchers, module_defaults, with_defaults, with_matchers

    bases = {base(p) for p in modules}
    environments = sorted(p for p, f in files.items() if f.kind == "step_definition" and f.error is None
                          and is_environment(p) and base(p) in bases)
    parser = settings.parser
    if environments:
        contents = snapshot.read(environments)
        parser = with_matchers(parser, environment_matchers(contents.items(), parser))
    # The step modules of the same folders that behave loads before the last of ``modules`` (file-name order).
    last = _last_per_folder(modules)
    earlier = sorted(p for p, f in files.items() if f.kind == "step_definition" and f.error is None
                     and is_step_module(p) and p < last.get(posixpath.dirname(p), ""))
    if not earlier:
        return parser
    return with_defaults(parser, module_defaults(snapshot.read(earlier).items(), parser, modules))


def with_modules(snapshot: Snapshot, db_files: dict[str, Any], changed: list[str]) -> list[str]:
    """``changed`` and the step modules whose definitions depend on a file among them or gone, though their bytes
    did not change: for a behave environment.py, the step modules of its features folder (the step matcher it
    leaves, ``steps.parsing``); for a step module that calls ``use_default_step_matcher`` — now or before (its
    previous blob, when git still has it; else it is assumed to) —, the step modules of its folder loaded after it
    (the default matcher it leaves them)."""
    files = snapshot.files
    environments = [p for p in changed if files[p].kind == "step_definition" and is_environment(p)]
    environments += [p for p, r in db_files.items() if r.kind == "step_definition" and not r.deleted
                     and p not in files and snapshot.in_scope(p) and is_environment(p)]
    setters = _setters(snapshot, db_files, changed)
    if not environments and not setters:
        return changed
    bases = {base(p) for p in environments}
    first: dict[str, str] = {}  # folder → its first module that sets (or did set) a default
    for p in setters:
        folder = posixpath.dirname(p)
        first[folder] = min(first.get(folder, p), p)
    seen = set(changed)
    more = [p for p, f in files.items() if p not in seen and f.error is None and f.kind == "step_definition"
            and base(p) is not None
            and (base(p) in bases or (is_step_module(p) and p > first.get(posixpath.dirname(p), p)))]
    return sorted(changed + more) if more else changed


def _setters(snapshot: Snapshot, db_files: dict[str, Any], changed: list[str]) -> list[str]:
    """The behave step modules among ``changed`` or gone that call ``use_default_step_matcher`` now or did in the
    version the database holds (read from git by its blob id; one git cannot give is assumed to)."""
    files = snapshot.files
    modules = [p for p in changed if files[p].kind == "step_definition" and is_step_module(p)]
    gone = [p for p, r in db_files.items() if r.kind == "step_definition" and not r.deleted and p not in files
            and snapshot.in_scope(p) and is_step_module(p)]
    if not modules and not gone:
        return []
    # Only a module that behave loads before another of its folder, not parsed anyway, can change what that one is
    # read with (a first sync parses them all: nothing to read here).
    parsed = set(changed)
    last = _last_per_folder(p for p, f in files.items() if p not in parsed and f.kind == "step_definition"
                            and f.error is None and is_step_module(p))
    modules = [p for p in modules if p < last.get(posixpath.dirname(p), "")]
    gone = [p for p in gone if p < last.get(posixpath.dirname(p), "")]
    if not modules and not gone:
        return []
    from tracertm.steps.parsing import may_set_default

    now = snapshot.read(modules) if modules else {}
    out = [p for p in modules if may_set_default(now[p])]
    before = {p: db_files[p].blob_sha for p in [*modules, *gone] if p not in out and p in db_files
              and not db_files[p].deleted}
    out += [p for p, data in _old_blobs(snapshot, before).items() if data is None or may_set_default(data)]
    return sorted(out)


def _last_per_folder(paths: Iterable[str]) -> dict[str, str]:
    """Folder → the last of ``paths`` in it in file-name order (the module behave loads last)."""
    last: dict[str, str] = {}
    for p in paths:
        folder = posixpath.dirname(p)
        last[folder] = max(last.get(folder, p), p)
    return last


def _old_blobs(snapshot: Snapshot, blobs: dict[str, str | None]) -> dict[str, bytes | None]:
    """path → the bytes of its blob id, or None when git does not have it (a work tree's file hashed, never
    stored) or there is no git."""
    out: dict[str, bytes | None] = dict.fromkeys(blobs)
    top = snapshot.location.top
    if top is None or not blobs:
        return out
    from tracertm import git
    from tracertm.errors import GitError

    reader = git.BlobReader(top)
    try:
        for path, sha in blobs.items():  # one by one: a missing object leaves the reader broken
            if sha is None:
                continue
            try:
                out[path] = reader.read(sha)
            except GitError:
                reader.close()
                reader = git.BlobReader(top)
    finally:
        reader.close()
    return out


def scope(
    location: Location, settings: Settings, ref: str | None, staged: bool, paths: list[str] | None
) -> list[str] | None:
    """``paths`` (a sync of some paths: the watcher's) with what the parse of behave's files among them depends on:
    for a step module, the environment.py of its features folder (the step matcher it leaves) and the other step
    modules of its folder (the default matcher the earlier ones leave; the later ones are parsed again when it
    sets one: ``with_modules``); for an environment.py, the step modules of its folder (parsed again)."""
    if paths is None or not any(base(p) is not None for p in paths):
        return paths
    bases = {b for p in paths if (b := base(p)) is not None}
    wanted = set(paths) | {f"{b}/environment.py" if b else "environment.py" for b in bases}
    environments = {base(p) for p in paths if is_environment(p)}
    folders = {posixpath.dirname(p) for p in paths if base(p) is not None and not is_environment(p)}
    if environments or folders:
        steps = scan(location, settings.for_steps(), ref=ref, staged=staged)
        try:
            wanted |= {p for p in steps.files if base(p) in environments
                       or (base(p) is not None and posixpath.dirname(p) in folders)}
        finally:
            steps.close()
    return sorted(wanted)


def library_warnings(snapshot: Snapshot, settings: Settings, sources: dict[str, bytes] | None,
                     parsed: Iterable[str], ref: str | None, staged: bool) -> list[Diagnostic]:
    """sync's word on the behave step libraries its step modules import from outside ``step_paths``: the warnings
    ``tracertm steps`` and ``check`` give (``steps.libraries.library_warnings``), once per sync that matches steps
    again (``sources``: the bytes of the step files it did not parse, ``step_sync.step_sources``; None when it
    matches nothing: no-op syncs read nothing more). ``parsed``: the paths this sync parsed. Nothing is imported or
    read unless there is a behave step module or environment.py."""
    if sources is None:
        return []
    files = snapshot.files
    parsed_modules = [p for p in parsed if p not in sources and p in files and files[p].error is None
                      and files[p].kind == "step_definition" and base(p) is not None]
    modules = [p for p in sources if base(p) is not None]
    if not parsed_modules and not modules:
        return []
    from tracertm.steps.libraries import library_warnings as warnings

    contents = {p: sources[p] for p in modules}
    contents.update(snapshot.read(parsed_modules) if parsed_modules else {})
    return warnings(snapshot.location, settings, contents, ref=ref, staged=staged)
