"""The web view: server-rendered HTML pages over the same library functions as the API, served by
``tracertm serve`` at ``/`` (``routes.py``: the URL map; ``pages.py``: what each page shows; ``timeline.py``: the
per-revision field diffs; ``auth.py``: the sign-in cookie; ``render.py``: templates and response headers).

Reading needs no JavaScript; every page links its JSON twin in the API (``<link rel="alternate">``).
"""

from __future__ import annotations

from typing import TYPE_CHECKING

if TYPE_CHECKING:
    from fastapi import FastAPI


def mount(app: FastAPI) -> None:
    """Add the pages, the static files and the HTML error pages to the API ``app``."""
    from tracertm.web.routes import mount as _mount

    _mount(app)


__all__ = ["mount"]
