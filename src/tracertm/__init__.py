"""tracertm: a Git-native spec sync engine.

Library first: ``tracertm.sync()``, ``tracertm.check()``, ``tracertm.backfill()`` and ``tracertm.watch()`` are what
the CLI verbs call. They are imported lazily so that ``import tracertm`` (and a pre-commit hook) stays cheap.
"""

from __future__ import annotations

from importlib import import_module
from typing import Any

from tracertm._version import __version__

__all__ = ["__version__", "backfill", "check", "sync", "watch"]

_LAZY = frozenset({"sync", "check", "backfill", "watch"})


def __getattr__(name: str) -> Any:
    # Each name is a module of the same name made callable (see _callable.py): tracertm.sync(...) calls
    # tracertm.sync.engine.sync(...). Imported on first use to keep start-up light.
    if name not in _LAZY:
        raise AttributeError(f"module 'tracertm' has no attribute {name!r}")
    return import_module(f"tracertm.{name}")
