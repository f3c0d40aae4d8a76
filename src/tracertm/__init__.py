"""tracertm: a Git-native spec sync engine.

Library first: ``tracertm.sync()``, ``tracertm.check()``, ``tracertm.backfill()``, ``tracertm.watch()``,
``tracertm.import_results()`` and ``tracertm.step_report()`` are the functions the CLI verbs call. They are imported
on first use (module ``__getattr__``) so that ``import tracertm``, and a pre-commit hook, stays cheap; the
``TYPE_CHECKING`` block gives type checkers their real signatures.
"""

from __future__ import annotations

from tracertm._version import __version__

# Not ``typing``'s: importing it (and ``re`` with it) costs the command line's start 7 ms before the CLI's Ctrl-C
# guard exists (``tracertm.__main__``); type checkers take the name as typing's.
TYPE_CHECKING = False
if TYPE_CHECKING:
    from typing import Any

    from tracertm.checker import check
    from tracertm.engine.sync import sync
    from tracertm.history.backfill import backfill
    from tracertm.results.store import import_results
    from tracertm.steps.project import step_report
    from tracertm.watcher.entry import watch

__all__ = ["__version__", "backfill", "check", "import_results", "step_report", "sync", "watch"]

# public name -> the module that defines it
_LAZY = {
    "sync": "tracertm.engine.sync",
    "check": "tracertm.checker",
    "backfill": "tracertm.history.backfill",
    "watch": "tracertm.watcher.entry",
    "step_report": "tracertm.steps.project",
    "import_results": "tracertm.results.store",
}


def __getattr__(name: str) -> Any:
    module = _LAZY.get(name)
    if module is None:
        raise AttributeError(f"module 'tracertm' has no attribute {name!r}")
    from importlib import import_module

    function = getattr(import_module(module), name)
    globals()[name] = function  # later look-ups skip __getattr__
    return function
