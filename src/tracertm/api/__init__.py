"""The HTTP API (``tracertm serve``): FastAPI over the repositories. Build an app with :func:`create_app`."""

from __future__ import annotations

from typing import TYPE_CHECKING, Any

if TYPE_CHECKING:
    from tracertm.api.app import ApiSettings, create_app

__all__ = ["ApiSettings", "create_app"]


def __getattr__(name: str) -> Any:
    if name in __all__:
        from tracertm.api import app

        return getattr(app, name)
    raise AttributeError(name)
