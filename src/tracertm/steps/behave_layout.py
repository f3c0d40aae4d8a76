"""behave's folder layout, as plain path rules (no imports: sync's and the hooks' paths use them): a features folder
``D`` holds ``D/environment.py``, which behave runs first, and the step modules ``D/steps/**.py``."""

from __future__ import annotations

__all__ = ["base", "is_environment", "is_step_module", "load_key"]


def base(path: str) -> str | None:
    """The features folder behave runs for a Python file: ``D`` for ``D/environment.py`` and for the step modules
    ``D/steps/**.py`` (behave runs the environment.py next to the ``steps`` folder before loading them); None for
    any other file."""
    if not path.endswith(".py"):
        return None
    parts = path.split("/")
    if "steps" in parts[:-1]:
        return "/".join(parts[: parts.index("steps")])
    if parts[-1] == "environment.py":
        return "/".join(parts[:-1])
    return None


def is_environment(path: str) -> bool:
    """Whether ``path`` is a behave ``environment.py`` (next to a ``steps`` folder, not a step module in it)."""
    return path.rsplit("/", 1)[-1] == "environment.py" and "steps" not in path.split("/")[:-1]


def is_step_module(path: str) -> bool:
    """Whether ``path`` is a behave step module (in a ``steps`` folder; not an environment.py)."""
    return base(path) is not None and not is_environment(path)


def load_key(path: str) -> tuple[int, str]:
    """Where behave runs a features folder's own file ``path`` in its load: environment.py first, then the step
    modules in file-name order (``runner_util.load_step_modules``)."""
    return (0, path) if is_environment(path) else (1, path)
