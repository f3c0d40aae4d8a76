"""tracertm: a Git-native spec sync engine.

Library first: ``tracertm.sync()``, ``tracertm.check()``, ``tracertm.backfill()`` and ``tracertm.watch()`` are what
the CLI verbs call. They are imported lazily so that ``import tracertm`` (and a pre-commit hook) stays cheap.
"""

from __future__ import annotations

from importlib import import_module
from typing import Any

from tracertm._version import __version__

__all__ = ["__version__", "backfill", "check", "sync", "watch"]

_LAZY = {
    "sync": ("tracertm.sync.engine", "sync"),
    "check": ("tracertm.check", "check"),
    "backfill": ("tracertm.backfill", "backfill"),
    "watch": ("tracertm.watch", "watch"),
}


def __getattr__(name: str) -> Any:
    try:
        module, attr = _LAZY[name]
    except KeyError:
        raise AttributeError(f"module 'tracertm' has no attribute {name!r}") from None
    value = getattr(import_module(module), attr)
    globals()[name] = value
    return value
