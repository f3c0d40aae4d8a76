"""Query parameters an API route does not declare are refused, not ignored.

``GET /api/v1/projects/p/adrs?stauts=accepted`` used to answer 200 with every ADR: a misspelt filter (or one of
another route, ``q`` where lists take ``text``) gave a silently wrong answer. Every route under ``/api/v1`` is an
``ApiRoute``, which answers a request naming a query parameter that the route does not declare with a 400 problem
(``unknown-query-parameter``) listing the unknown names, the names the route accepts, and for a near miss the name
meant ("did you mean 'status'?").

The accepted names are read from the route itself: the query parameters FastAPI found in the endpoint's signature
and in its dependencies (``Filters``), by their public name (``from`` for the matrix's ``origin``). No list is kept
by hand, so a parameter added to a route is accepted at once. The web view's pages (``web.routes.PageRoute``) and the
documentation routes (``/docs``, ``/openapi.json``) are not ``ApiRoute``: they are unchanged. A HEAD request is
routed as its GET (``api.head``) and checked as that GET is.
"""

from __future__ import annotations

import difflib
from collections.abc import Callable, Coroutine
from typing import Any

from fastapi import Request, Response
from fastapi.dependencies.utils import get_flat_params
from fastapi.params import Query

from tracertm.api.problems import ApiProblem, responses
from tracertm.api.project_paths import ProjectPathRoute

__all__ = ["KIND", "NOTE", "ApiRoute", "accepted_names", "refuse_unknown_query", "unknown_names"]

KIND = "unknown-query-parameter"
DEFERRED = "tracertm.unknown_query"  # scope key: the refusal a ``deferred_query_check`` endpoint raises
# The OpenAPI description's general note (``api.app``).
NOTE = ("A query parameter that an operation does not list is refused with a 400 problem (type "
        f"``{KIND}``) naming it (``unknown``), the parameters the operation accepts (``accepted``) and, for a near "
        "miss, the one probably meant (``suggestions``): a misspelt filter never answers the unfiltered list.")


def accepted_names(dependant: Any) -> frozenset[str]:
    """The public names of every query parameter of a route's ``dependant``, its dependencies' included."""
    return frozenset(field.alias for field in get_flat_params(dependant) if isinstance(field.field_info, Query))


def unknown_names(request: Request, accepted: frozenset[str]) -> list[str]:
    """The query parameter names of ``request`` that are not in ``accepted``, each once, in the order sent."""
    return [name for name in dict.fromkeys(request.query_params.keys()) if name not in accepted]


def _refusal(request: Request, unknown: list[str], accepted: frozenset[str]) -> ApiProblem:
    """The 400 problem for ``unknown`` parameters: one line naming them, a suggestion per near miss, and the names
    the route takes (or that it takes none)."""
    names = sorted(accepted)
    suggestions = {name: close[0] for name in unknown if (close := difflib.get_close_matches(name, names, n=1))}
    said = [f"{name!r}" + (f" (did you mean {suggestions[name]!r}?)" if name in suggestions else "")
            for name in unknown]
    takes = f"it accepts {', '.join(names)}" if names else "it accepts no query parameters"
    noun = "parameter" if len(unknown) == 1 else "parameters"
    detail = f"unknown query {noun} {', '.join(said)} for {request.method} {request.url.path}; {takes}"
    return ApiProblem(400, detail, kind=KIND, unknown=unknown, accepted=names, suggestions=suggestions)


class ApiRoute(ProjectPathRoute):
    """A route of the API: a ``ProjectPathRoute`` that refuses query parameters it does not declare (400, module
    docstring), and documents that 400 in the OpenAPI document.

    ``deferred_query_check``: the endpoint, not the route, refuses the unknown parameters, with
    ``refuse_unknown_query`` once it knows the path names something. The greedy ``GET /projects/{project:path}``
    takes every path under ``/projects`` that no other route takes: ``/projects/p/adrz?x=1`` (a misspelt route) or
    ``GET /projects/p/links/review?x=1`` (a POST route) are its 404 and 405, which matter more than a stray
    parameter, as for a path no route takes (``/api/v1/nope?x=1``: Starlette's 404 comes before any route)."""

    deferred_query_check = False

    def __init__(self, path: str, endpoint: Any, **kwargs: Any) -> None:
        # Every API route may now answer 400: documented where the route does not already say so.
        kwargs["responses"] = {**responses(400), **(kwargs.get("responses") or {})}
        super().__init__(path, endpoint, **kwargs)

    def get_route_handler(self) -> Callable[[Request], Coroutine[Any, Any, Response]]:
        handler = super().get_route_handler()
        # Read here, not in ``__init__``: ``APIRoute.__init__`` builds the handler (this) before it returns.
        accepted = accepted_names(self.dependant)

        async def checked(request: Request) -> Response:
            unknown = unknown_names(request, accepted)
            if unknown and self.deferred_query_check:  # the endpoint raises it once the path names something
                request.scope[DEFERRED] = _refusal(request, unknown, accepted)
            elif unknown:  # before validation, the token and the database: a typo costs nothing
                raise _refusal(request, unknown, accepted)
            return await handler(request)

        return checked


def refuse_unknown_query(request: Request) -> None:
    """Raise the 400 for the unknown query parameters of ``request`` that a ``deferred_query_check`` route left to
    its endpoint (nothing when there were none)."""
    refusal = request.scope.get(DEFERRED)
    if isinstance(refusal, ApiProblem):
        raise refusal
