"""Make ``tracertm.sync(...)``, ``tracertm.check(...)``, ``tracertm.backfill(...)`` and ``tracertm.watch(...)`` work
whatever was imported first.

Each public function lives in a module of the same name (``tracertm/sync/``, ``check.py``, ``backfill.py``,
``watch/``). Importing such a module binds ``tracertm.<name>`` to the module object, replacing any function bound
there before. So the module itself is made callable: calling it calls the function.
"""

from __future__ import annotations

import sys
import types
from importlib import import_module
from typing import Any


class _CallableModule(types.ModuleType):
    __tracertm_entry__: tuple[str, str]

    def __call__(self, *args: Any, **kwargs: Any) -> Any:
        module, name = self.__tracertm_entry__
        return getattr(import_module(module), name)(*args, **kwargs)


def make_callable(module_name: str, target_module: str, function: str) -> None:
    """Let ``sys.modules[module_name](...)`` call ``target_module.function(...)`` (imported on first call)."""
    module = sys.modules[module_name]
    module.__class__ = _CallableModule
    module.__tracertm_entry__ = (target_module, function)  # type: ignore[attr-defined]
