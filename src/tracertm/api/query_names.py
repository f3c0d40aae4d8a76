"""Query parameters an API route does not declare are refused, not ignored.

``GET /api/v1/projects/p/adrs?stauts=accepted`` used to answer 200 with every ADR: a misspelt filter (or one of
another route, ``q`` where lists take ``text``) gave a silently wrong answer. Every route under ``/api/v1`` is an
``ApiRoute``, which answers a request naming a query parameter that the route does not declare with a 400 problem
(``unknown-query-parameter``) listing the unknown names, the names the route accepts, and for a near miss the name
meant ("did you mean 'status'?"). A parameter that takes one value, sent twice (``/search?q=kafka&q=ledger``), is a
400 too: the route would read the last value and drop the others as silently. So is a parameter sent with no value
(``?status=``, or only spaces) or, for one that takes a comma-separated list, with an empty item (``?status=a,,b``):
the list used to answer as if the filter were left out, where ``tracertm list --status ''`` is a usage error.

The accepted names are read from the route itself: the query parameters FastAPI found in the endpoint's signature
and in its dependencies (``Filters``), by their public name (``from`` for the matrix's ``origin``). No list is kept
by hand, so a parameter added to a route is accepted at once. The web view's pages (``web.routes.PageRoute``) and the
documentation routes (``/docs``, ``/openapi.json``) are not ``ApiRoute``: they are unchanged. A HEAD request is
routed as its GET (``api.head``) and checked as that GET is.
"""

from __future__ import annotations

import difflib
import types
from collections.abc import Callable, Coroutine
from typing import Any, Union, get_args, get_origin

from fastapi import Request, Response
from fastapi.dependencies.utils import get_flat_params
from fastapi.params import Query

from tracertm.api.problems import ApiProblem, responses
from tracertm.api.project_paths import ProjectPathRoute
from tracertm.api.record_paths import RecordPathRoute

__all__ = ["KIND", "NOTE", "ApiRoute", "accepted_names", "blank_value", "refuse_unknown_query", "repeated_names",
           "single_names", "unknown_names"]

KIND = "unknown-query-parameter"
UNIONS = (Union, types.UnionType)  # ``Optional[X]`` and ``X | None``
DEFERRED = "tracertm.unknown_query"  # scope key: the refusal a ``deferred_query_check`` endpoint raises
# The OpenAPI description's general note (``api.app``).
NOTE = ("A query parameter that an operation does not list is refused with a 400 problem (type "
        f"``{KIND}``) naming it (``unknown``), the parameters the operation accepts (``accepted``) and, for a near "
        "miss, the one probably meant (``suggestions``): a misspelt filter never answers the unfiltered list. "
        "A parameter that takes one value (``limit``, ``q``), sent more than once, is a 400 (``bad-request``) "
        "naming it (``repeated``); those of array type (``status``, ``tag``) may repeat. A parameter sent empty "
        "(``?status=``), or a list with an empty item (``?status=a,,b``), is a 400 (``bad-request``) naming it "
        "(``empty``): leave a parameter out rather than send it empty.")


def accepted_names(dependant: Any) -> frozenset[str]:
    """The public names of every query parameter of a route's ``dependant``, its dependencies' included."""
    return frozenset(field.alias for field in get_flat_params(dependant) if isinstance(field.field_info, Query))


def _takes_several(annotation: Any) -> bool:
    """Whether a parameter of this type reads every value sent (``list[str] | None``), not the last one."""
    if get_origin(annotation) in (list, tuple, set, frozenset):
        return True
    return any(_takes_several(arg) for arg in get_args(annotation)) if get_origin(annotation) in UNIONS else False


def single_names(dependant: Any) -> frozenset[str]:
    """The public names of the query parameters of ``dependant`` that take one value (``limit``, ``q``; ``status``
    and ``tag`` take several)."""
    return frozenset(field.alias for field in get_flat_params(dependant) if isinstance(field.field_info, Query)
                     and not _takes_several(field.field_info.annotation))


def repeated_names(request: Request, single: frozenset[str]) -> list[str]:
    """The names in ``single`` that ``request`` sends more than once, each once, in the order sent."""
    names = [name for name, _ in request.query_params.multi_items()]  # ``keys()`` names each once
    return [name for name in dict.fromkeys(names) if name in single and names.count(name) > 1]


def unknown_names(request: Request, accepted: frozenset[str]) -> list[str]:
    """The query parameter names of ``request`` that are not in ``accepted``, each once, in the order sent."""
    return [name for name in dict.fromkeys(request.query_params.keys()) if name not in accepted]


def required_names(dependant: Any) -> frozenset[str]:
    """The public names of the query parameters of ``dependant`` it cannot do without (``/search``'s ``q``)."""
    return frozenset(field.alias for field in get_flat_params(dependant) if isinstance(field.field_info, Query)
                     and field.field_info.is_required())


def blank_value(
    request: Request, several: frozenset[str], required: frozenset[str] = frozenset()
) -> ApiProblem | None:
    """The 400 for the first parameter of ``request`` sent empty or blank, or, for one of ``several`` (comma-separated
    lists: ``status``, ``tag``), with an empty item; None when there is none. A blank value was read as no filter: a
    client whose variable was empty got the whole list, as if it had asked for it. A ``required`` one (``/search``'s
    ``q``) cannot be left out: the message says to give it a value."""
    for name, value in request.query_params.multi_items():
        if not value.strip():
            remedy = "give it a value" if name in required else "give a value or leave the parameter out"
            return ApiProblem(400, f"query parameter {name!r} is empty; {remedy}", kind="bad-request", empty=name)
        if name in several and any(not part.strip() for part in value.split(",")):
            return ApiProblem(400, f"query parameter {name!r} has an empty item in {value!r}; separate each value "
                              "from the next by one comma", kind="bad-request", empty=name)
    return None


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


def _repeated(request: Request, repeated: list[str]) -> ApiProblem:
    """The 400 problem for parameters that take one value sent several times: the route would read the last one
    and drop the others without a word (``/search?q=kafka&q=ledger`` searched ``ledger``)."""
    name = repeated[0]
    values = ", ".join(repr(value) for value in request.query_params.getlist(name))
    return ApiProblem(400, f"query parameter {name!r} takes one value and was given several ({values}); send it "
                      "once", kind="bad-request", repeated=repeated)


class ApiRoute(ProjectPathRoute, RecordPathRoute):
    """A route of the API: a ``ProjectPathRoute`` (and ``RecordPathRoute``: ``at`` paths read as sent) that refuses
    query parameters it does not declare (400, module docstring), and documents that 400 in the OpenAPI document.

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
        accepted, single = accepted_names(self.dependant), single_names(self.dependant)
        several, required = accepted - single, required_names(self.dependant)

        async def checked(request: Request) -> Response:
            refusal = None
            if unknown := unknown_names(request, accepted):
                refusal = _refusal(request, unknown, accepted)
            elif repeated := repeated_names(request, single):
                refusal = _repeated(request, repeated)
            else:
                refusal = blank_value(request, several, required)
            if refusal is not None and self.deferred_query_check:  # raised once the path names something
                request.scope[DEFERRED] = refusal
            elif refusal is not None:  # before validation, the token and the database: a typo costs nothing
                raise refusal
            return await handler(request)

        return checked


def refuse_unknown_query(request: Request) -> None:
    """Raise the 400 for the unknown query parameters of ``request`` that a ``deferred_query_check`` route left to
    its endpoint (nothing when there were none)."""
    refusal = request.scope.get(DEFERRED)
    if isinstance(refusal, ApiProblem):
        raise refusal
