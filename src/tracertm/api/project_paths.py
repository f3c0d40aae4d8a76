"""Which project a ``/projects/{project:path}/...`` URL names when a project's name ends in a route word.

Project names may hold slashes (``acme/payments``), so every per-project route of the API (``/api/v1/projects/...``)
and of the web view (``/projects/...``) takes ``{project:path}``, and a URL can often be split two ways:
``/projects/team/adrs`` is the ADR list of ``team`` or the page of a project named ``team/adrs``. Starlette's
greedy converter and the order of the routes alone would always pick the list, leaving ``team/adrs`` (or
``x/matrix``, ``x/links``, ``x/test-runs``) unreachable.

The rule: **the path names the longest existing project it can**. ``ProjectPaths`` (a middleware) lists every way
the path splits into a project name and what a project route accepts after it (for the request's method); when
there is more than one, it asks the database which of those names exist (by name or UUID, as ``Projects.get``
reads them) and keeps the longest in the request's scope. ``ProjectPathRoute`` (the class of every route) then
matches only with that project. When none of the names exists, nothing is decided and the routes answer as they
always did (the 404 naming the known projects). Should both ``team`` and ``team/adrs`` exist, ``/projects/team/adrs``
is the project ``team/adrs``; ``team``'s ADR list is then reached through ``team``'s UUID.
"""

from __future__ import annotations

import re
from collections.abc import Iterable
from typing import Any
from urllib.parse import quote_from_bytes

from fastapi.routing import APIRoute, iter_route_contexts
from starlette.routing import Match, compile_path
from starlette.types import ASGIApp, Receive, Scope, Send

__all__ = ["ProjectPathRoute", "ProjectPaths"]

PARAM = "{project:path}"
CHOSEN = "tracertm.project"  # scope key: (route prefix, project name) decided for this request's path
MAX_SPLITS = 64  # a path with more ways to split is left to the routes as it is


class ProjectPathRoute(APIRoute):
    """An ``APIRoute`` that, under a ``{project:path}``, matches only with the project ``ProjectPaths`` chose for the
    request (when it chose one); every other route behaves as ``APIRoute``."""

    def __init__(self, path: str, endpoint: Any, **kwargs: Any) -> None:
        super().__init__(path, endpoint, **kwargs)
        self.project_prefix: str | None = None
        self.project_suffix: re.Pattern[str] = re.compile("^$")
        self.suffix_convertors: dict[str, Any] = {}
        if PARAM in path:
            self.project_prefix, suffix = path.split(PARAM, 1)
            if suffix:
                self.project_suffix, _, self.suffix_convertors = compile_path(suffix)

    def after_project(self, rest: str) -> dict[str, Any] | None:
        """The path parameters of ``rest`` (what follows the project name) when this route takes it, else None."""
        match = self.project_suffix.match(rest)
        if match is None:
            return None
        return {key: self.suffix_convertors[key].convert(value) for key, value in match.groupdict().items()}

    def matches(self, scope: Scope) -> tuple[Match, Scope]:
        match, child = super().matches(scope)
        chosen = scope.get(CHOSEN)
        if match is Match.NONE or chosen is None or chosen[0] != self.project_prefix:
            return match, child
        prefix, project = chosen
        params = dict(child.get("path_params", {}))
        if params.get("project") == project:
            return match, child
        path = _route_path(scope)
        rest = path[len(prefix) + len(project):] if path.startswith(prefix + project) else None
        found = self.after_project(rest) if rest is not None else None
        if found is None:
            return Match.NONE, {}
        child["path_params"] = {**params, **found, "project": project}
        return match, child


class ProjectPaths:
    """Decides, before routing, which project a ``/projects/...`` path names when it can be read several ways
    (module docstring); one small query, only for such paths."""

    def __init__(self, app: ASGIApp) -> None:
        self.app = app

    async def __call__(self, scope: Scope, receive: Receive, send: Send) -> None:
        if scope["type"] == "http":
            slashless = _without_trailing_slash(scope)
            if slashless is not None and not await _names_slashed_project(scope):
                from starlette.responses import RedirectResponse

                await RedirectResponse(slashless, status_code=307)(scope, receive, send)
                return
            splits = _splits(scope)
            if len(splits) > 1:
                chosen = await _longest_existing(scope, splits)
                if chosen is not None:
                    scope[CHOSEN] = chosen
        await self.app(scope, receive, send)


def _without_trailing_slash(scope: Scope) -> str | None:
    """Where an API path that ends in ``/`` is answered: the same path and query without the slash (a relative
    reference, as sent: percent-encoded), else None. Starlette redirects so (307) only when no route matches, and the
    greedy ``{project:path}`` and ``{ident:path}`` match almost anything: ``/projects/repo/adrs/`` was a 404 naming a
    project ``repo/adrs/``, ``PATCH /projects/repo/links/5/`` a 405, while ``/healthz/`` was redirected. No record id
    ends in a slash, so every API path is redirected alike, unless it names an existing project whose name does
    (``_names_slashed_project``)."""
    from tracertm.api.problems import instance_of, is_api_path

    path = _route_path(scope)
    if not (path.endswith("/") and is_api_path(path)):
        return None
    sent = instance_of(scope)  # the path as sent (``%2F`` ending a name is no trailing slash)
    slashless = sent.rstrip("/")
    if slashless == sent or not slashless.startswith("/api/"):
        return None
    query = scope.get("query_string", b"")
    return slashless + ("?" + quote_from_bytes(query, safe="/:@!$&'()*+,;=-._~%?") if query else "")


async def _names_slashed_project(scope: Scope) -> bool:
    """Whether the path names an existing project whose name ends in ``/`` (``--project team/``): its URLs keep
    their slash. One query, for trailing-slash paths under ``/projects/`` only."""
    slashed = [split for split in _splits(scope) if split[1].endswith("/")]
    return bool(slashed) and await _longest_existing(scope, slashed) is not None


def _route_path(scope: Scope) -> str:
    from starlette._utils import get_route_path

    return get_route_path(scope)


def _project_routes(app: Any) -> list[ProjectPathRoute]:
    """The app's routes under a ``{project:path}`` (included routers too), listed once per app."""
    state = getattr(app, "state", None)
    cached: list[ProjectPathRoute] | None = getattr(state, "project_routes", None)
    if cached is None:
        cached = [
            context.original_route for context in iter_route_contexts(getattr(app, "routes", []))
            if isinstance(context.original_route, ProjectPathRoute) and context.original_route.project_prefix
        ]
        if state is not None:
            state.project_routes = cached
    return cached


def _splits(scope: Scope) -> set[tuple[str, str]]:
    """Every (prefix, project name) that some route of this method takes for the path."""
    path, method = _route_path(scope), scope.get("method", "")
    found: set[tuple[str, str]] = set()
    for route in _project_routes(scope.get("app")):
        prefix = route.project_prefix or ""
        if not path.startswith(prefix) or (route.methods and method not in route.methods):
            continue
        rest = path[len(prefix):]
        ends = [index for index, char in enumerate(rest) if char == "/" and index > 0] + [len(rest)]
        for end in ends:
            if rest[:end] and route.after_project(rest[end:]) is not None:
                found.add((prefix, rest[:end]))
                if len(found) > MAX_SPLITS:
                    return set()
    return found


async def _longest_existing(scope: Scope, splits: Iterable[tuple[str, str]]) -> tuple[str, str] | None:
    """The split whose project name is the longest that exists; None when none does (or the database cannot say:
    the route then answers as it would have, 503 included)."""
    from sqlalchemy.exc import SQLAlchemyError
    from starlette.concurrency import run_in_threadpool

    from tracertm.errors import TracertmError

    splits = sorted(splits, key=lambda split: len(split[1]), reverse=True)
    engine = scope["app"].state.engine
    try:
        existing = await run_in_threadpool(_existing, engine, [name for _, name in splits])
    except (SQLAlchemyError, TracertmError, UnicodeDecodeError):  # (a damaged SQLite file's text)
        return None
    return next((split for split in splits if split[1] in existing), None)


def _existing(engine: Any, names: list[str]) -> set[str]:
    from tracertm import db
    from tracertm.repositories import Projects

    with db.session(engine) as session:
        return Projects(session).existing(names)
