"""What a sync must read again for behave: a step module's definitions depend on the step matcher its features
folder's ``environment.py`` leaves (``steps.parsing``), so that file is an input of every step module's parse.

Plain path checks and the scan here; ``tracertm.steps`` is imported only when behave files are involved, so the hook
paths stay light.
"""

from __future__ import annotations

from typing import Any

from tracertm.config import Settings
from tracertm.engine.scan import Location, Snapshot, scan

__all__ = ["is_environment", "options", "scope", "step_file", "with_modules"]


def is_environment(path: str) -> bool:
    """Whether ``path`` may be behave's environment.py (``steps.parsing.is_behave_environment``, without importing
    it: the hook paths stay light)."""
    return path.rsplit("/", 1)[-1] == "environment.py" and "steps" not in path.split("/")[:-1]


def step_file(path: str) -> bool:
    """Whether ``path`` may be a behave step module or environment.py (``steps.parsing.behave_base``), cheaply."""
    return path.endswith(".py") and (is_environment(path) or "steps" in path.split("/")[:-1])


def options(snapshot: Snapshot, paths: list[str], settings: Settings) -> Any:
    """``settings.parser``, carrying the step matcher the environment.py of each behave features folder leaves
    (``steps.parsing.with_matchers``) when ``paths`` hold behave step modules: the parse of a step module depends
    on it (read from this snapshot, whichever files this parse has)."""
    files = snapshot.files
    modules = [p for p in paths if files[p].kind == "step_definition" and step_file(p)
               and not is_environment(p)]
    if not modules:
        return settings.parser
    from tracertm.steps.parsing import behave_base, environment_matchers, with_matchers

    bases = {behave_base(p) for p in modules}
    environments = sorted(p for p, f in files.items() if f.kind == "step_definition" and f.error is None
                          and is_environment(p) and behave_base(p) in bases)
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
    from tracertm.steps.parsing import behave_base

    bases = {behave_base(p) for p in environments}
    seen = set(changed)
    more = [p for p, f in files.items() if p not in seen and f.error is None and f.kind == "step_definition"
            and step_file(p) and behave_base(p) in bases]
    return sorted(changed + more) if more else changed


def scope(
    location: Location, settings: Settings, ref: str | None, staged: bool, paths: list[str] | None
) -> list[str] | None:
    """``paths`` (a sync of some paths: the watcher's) with what the parse of behave's files among them depends on:
    for a step module, the environment.py of its features folder (the step matcher it leaves); for an
    environment.py, the step modules of its folder (parsed again: ``with_modules``)."""
    if paths is None or not any(step_file(p) for p in paths):
        return paths
    from tracertm.steps.parsing import behave_base

    bases = {behave_base(p) for p in paths if step_file(p)}
    wanted = set(paths) | {f"{b}/environment.py" if b else "environment.py" for b in bases if b is not None}
    environments = {behave_base(p) for p in paths if is_environment(p)}
    if environments:
        steps = scan(location, settings.for_steps(), ref=ref, staged=staged)
        try:
            wanted |= {p for p in steps.files if step_file(p) and behave_base(p) in environments}
        finally:
            steps.close()
    return sorted(wanted)
