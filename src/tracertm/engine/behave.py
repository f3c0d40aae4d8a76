"""What a sync must read again for behave: a step module's definitions depend on the step matcher its features
folder's ``environment.py`` leaves (``steps.parsing``), so that file is an input of every step module's parse.

behave's layout is plain path rules (``steps.behave_layout``); the step parsing is imported only when behave files
are involved, so the hook paths stay light.
"""

from __future__ import annotations

from typing import Any

from tracertm.config import Settings
from tracertm.engine.scan import Location, Snapshot, scan
from tracertm.steps.behave_layout import base, is_environment

__all__ = ["is_environment", "options", "scope", "with_modules"]


def options(snapshot: Snapshot, paths: list[str], settings: Settings) -> Any:
    """``settings.parser``, carrying the step matcher the environment.py of each behave features folder leaves
    (``steps.parsing.with_matchers``) when ``paths`` hold behave step modules: the parse of a step module depends
    on it (read from this snapshot, whichever files this parse has)."""
    files = snapshot.files
    modules = [p for p in paths if files[p].kind == "step_definition" and base(p) is not None
               and not is_environment(p)]
    if not modules:
        return settings.parser
    from tracertm.steps.parsing import environment_matchers, with_matchers

    bases = {base(p) for p in modules}
    environments = sorted(p for p, f in files.items() if f.kind == "step_definition" and f.error is None
                          and is_environment(p) and base(p) in bases)
    if not environments:
        return settings.parser
    contents = snapshot.read(environments)
    return with_matchers(settings.parser, environment_matchers(contents.items(), settings.parser))


def with_modules(snapshot: Snapshot, db_files: dict[str, Any], changed: list[str]) -> list[str]:
    """``changed`` and, for each behave environment.py among them or gone, the step modules of its features folder:
    their definitions depend on the step matcher it leaves (``steps.parsing``), though their bytes did not change."""
    files = snapshot.files
    environments = [p for p in changed if files[p].kind == "step_definition" and is_environment(p)]
    environments += [p for p, r in db_files.items() if r.kind == "step_definition" and not r.deleted
                     and p not in files and snapshot.in_scope(p) and is_environment(p)]
    if not environments:
        return changed
    bases = {base(p) for p in environments}
    seen = set(changed)
    more = [p for p, f in files.items() if p not in seen and f.error is None and f.kind == "step_definition"
            and base(p) in bases]
    return sorted(changed + more) if more else changed


def scope(
    location: Location, settings: Settings, ref: str | None, staged: bool, paths: list[str] | None
) -> list[str] | None:
    """``paths`` (a sync of some paths: the watcher's) with what the parse of behave's files among them depends on:
    for a step module, the environment.py of its features folder (the step matcher it leaves); for an
    environment.py, the step modules of its folder (parsed again: ``with_modules``)."""
    if paths is None or not any(base(p) is not None for p in paths):
        return paths
    bases = {b for p in paths if (b := base(p)) is not None}
    wanted = set(paths) | {f"{b}/environment.py" if b else "environment.py" for b in bases}
    environments = {base(p) for p in paths if is_environment(p)}
    if environments:
        steps = scan(location, settings.for_steps(), ref=ref, staged=staged)
        try:
            wanted |= {p for p in steps.files if base(p) in environments}
        finally:
            steps.close()
    return sorted(wanted)
