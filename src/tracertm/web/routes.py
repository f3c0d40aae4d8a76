"""The URL map of the web view and its error pages.

    /?after=                                       projects dashboard, 100 a page  twin: /api/v1/projects
    /projects/{p}                                  one project's dashboard       twin: /api/v1/projects/{p}
    /projects/{p}/adrs?status=&q=                  ADR list (also contracts, features, scenarios); status=a,b too
    /projects/{p}/adrs/{ADR-n}                     ADR page                      twin: /api/v1/adrs/{id}?project={p}
    /projects/{p}/contracts/{CTR-n}                contract page
    /projects/{p}/features/{FEAT-n}                feature page (an untagged feature's number holds slashes)
    /projects/{p}/features/{FEAT-n}/scenarios/{SC-n}  scenario page (steps, definitions, results)
    /projects/{p}/links?state=suspect|dangling     the project's links, 50 a page  twin: /api/v1/projects/{p}/links
    /projects/{p}/matrix?from=requirements|adrs    coverage matrix, 100 rows a page  twin: /api/v1/projects/{p}/matrix
    /search?q=&project=&kind=&page=&include_deleted=  search results, 50 a page  twin: /api/v1/search
    /login, /logout                                the sign-in cookie (auth.py)
    /favicon.ico                                   the icon (static/favicon.svg), where browsers look unasked

Errors a user can cause (an unknown id, a bad filter) are HTML pages with the one-line message — except a bad value
in a page's filter form (the lists' ``status``, ``q``, ``cursor``; the search's ``q``, ``project``, ``kind``,
``page``, ``include_deleted``), which is the page itself, 400, its form as sent and the message beside the field; a
missing or revoked token when reads need one sends the browser to ``/login``.
"""

from __future__ import annotations

import inspect
import logging
from collections.abc import Callable, Coroutine
from contextlib import AbstractContextManager
from pathlib import Path
from typing import Annotated, Any
from urllib.parse import unquote

from fastapi import APIRouter, Depends, FastAPI, Query, Request
from fastapi.exceptions import RequestValidationError
from fastapi.responses import RedirectResponse, Response
from starlette.exceptions import HTTPException as StarletteHTTPException
from sqlalchemy.exc import OperationalError

from tracertm.api.deps import CHALLENGE, ReadSession, StatusParam, path_segment
from tracertm.api.problems import ApiProblem, unusable_file
from tracertm.api.project_paths import ProjectPathRoute
from tracertm.errors import DatabaseError, UsageError
from tracertm.repositories.errors import NotFound
from tracertm.web import auth, pages, urls
from tracertm.web.render import COOKIE, STATIC, render

log = logging.getLogger("tracertm.web")
STATIC_DIR = Path(__file__).parent / "static"


class PageRoute(ProjectPathRoute):
    """A page: errors become HTML pages (the API's handlers answer problem+json, which a reader cannot use)."""

    def get_route_handler(self) -> Callable[[Request], Coroutine[Any, Any, Response]]:
        handler = super().get_route_handler()

        async def page(request: Request) -> Response:
            try:
                return await handler(request)
            except ApiProblem as exc:
                if exc.status == 401:
                    return _refused(request, exc.detail)
                return error_page(request, exc.status, exc.detail)
            except NotFound as exc:
                return error_page(request, 404, str(exc))
            except UsageError as exc:
                return error_page(request, 400, str(exc))
            except RequestValidationError as exc:
                first = exc.errors()[0] if exc.errors() else {}
                where = ".".join(str(p) for p in first.get("loc", ())[1:]) or "request"
                return error_page(request, 400, f"{where}: {first.get('msg', 'invalid')}")
            except DatabaseError as exc:
                damaged = unusable_file(request, exc)
                if damaged is None:
                    log.error("database unavailable: %s", exc)
                return error_page(request, 503, damaged or "the database is unavailable; try again later")
            except OperationalError as exc:  # the server's (a lost connection, a statement timeout): as the API's 503
                log.error("database unavailable: %s", (str(exc.orig or exc).strip().splitlines() or [""])[0])
                return error_page(request, 503, "the database is unavailable; try again later")
            except Exception as exc:  # a bug: the log has the traceback, the reader a page that says so
                damaged = unusable_file(request, exc)  # (a damaged SQLite file is none: the API's 503)
                if damaged is not None:
                    return error_page(request, 503, damaged)
                log.exception("internal error on %s", request.url.path)
                return error_page(request, 500, "internal error; the server log has the details")

        return page


def error_page(request: Request, status: int, message: str) -> Response:
    titles = {400: "Bad request", 401: "Sign-in needed", 403: "Forbidden", 404: "Not found",
              405: "Method not allowed", 413: "Request too large", 500: "Internal error", 503: "Unavailable"}
    return render(request, "error.html", status_code=status, status=status, title=titles.get(status, "Error"),
                  message=message)


def _method_not_allowed(request: Request) -> Response:
    """The 405 of a page (``POST /projects/p``): the HTML error page, with the ``Allow`` RFC 9110 requires listing
    what the path does take (``HeadAsGet`` adds HEAD beside GET)."""
    from tracertm.api.problems import allowed_methods

    allowed = allowed_methods(request)
    response = error_page(request, 405, f"{request.method} {request.url.path}: this page takes only {allowed}")
    response.headers["Allow"] = allowed
    return response


def _refused(request: Request, detail: str) -> Response:
    """A page's 401. A script that sent a bearer token (``Authorization: Bearer``, as to the API) gets the 401 with
    the API's challenge, not a redirect to a form it cannot fill in; a browser goes to ``/login``."""
    scheme, _, _ = request.headers.get("authorization", "").partition(" ")
    if scheme.casefold() == "bearer":
        from tracertm.api.deps import CHALLENGE

        response = error_page(request, 401, detail)
        response.headers.update(CHALLENGE)
        return response
    return _to_login(request, detail)


def _to_login(request: Request, detail: str) -> Response:
    # The path encoded as the pages' links are (``..`` as ``%2E%2E``): the redirect after signing in lands here.
    target = path_segment(request.url.path) + (f"?{request.url.query}" if request.url.query else "")
    from urllib.parse import urlencode

    response = RedirectResponse("/login?" + urlencode({"next": target}), status_code=303)
    if COOKIE in request.cookies:  # a revoked or unknown token: forget it so that the form is shown
        response.delete_cookie(COOKIE, path="/")
    return response


def mount(app: FastAPI) -> None:
    """Add the pages, ``/static`` and HTML 404 and 405 pages (outside ``/api``) to ``app``."""
    from fastapi.staticfiles import StaticFiles

    app.include_router(router)
    app.include_router(public)
    app.mount(STATIC, StaticFiles(directory=STATIC_DIR), name="static")
    previous = app.exception_handlers.get(StarletteHTTPException)

    async def page_errors(request: Request, exc: StarletteHTTPException) -> Response:
        from tracertm.api.problems import is_api_path

        api = is_api_path(request.url.path)
        if exc.status_code == 404 and not api:
            return error_page(request, 404, f"{request.url.path}: no such page")
        if exc.status_code == 405 and not api:
            return _method_not_allowed(request)
        if previous is None:
            raise exc
        answer = previous(request, exc)
        return await answer if inspect.isawaitable(answer) else answer

    app.add_exception_handler(StarletteHTTPException, page_errors)  # type: ignore[arg-type]


router = APIRouter(route_class=PageRoute, include_in_schema=False, dependencies=[Depends(auth.page_reader)])
public = APIRouter(route_class=PageRoute, include_in_schema=False)  # the sign-in form itself


def _names(request: Request, session: Any) -> AbstractContextManager[urls.LinkNames]:
    """How this page names projects and scenarios in its links (``urls.link_names``): every page handler renders
    inside it."""
    return urls.link_names(session, route_words(request.app))


def route_words(app: Any) -> frozenset[str]:
    """What a ``/projects/{project:path}/...`` route of the app (pages and API) takes first after the project
    (``adrs``, ``matrix``, ``links``, ``trace``...), listed once per app."""
    words: frozenset[str] | None = getattr(app.state, "web_route_words", None)
    if words is None:
        found = set()
        for route in app.routes:
            path = str(getattr(route, "path", ""))
            if "{project:path}/" in path:
                word = path.split("{project:path}/", 1)[1].split("/", 1)[0]
                if word and not word.startswith("{"):
                    found.add(word)
        words = app.state.web_route_words = frozenset(found)
    return words


def _raw_ids(request: Request, project: str, words: tuple[str, ...]) -> list[str] | None:
    """The ids of a path ``/projects/{project}/{words[0]}/{id}[/{words[1]}/{id}]`` as its link wrote them, each id
    one encoded segment (its slashes as ``%2F``, as ``urls.record_url`` writes them): the split that the routes'
    greedy match of the decoded path cannot see (a scenario named ``a/scenarios/b``). None for another shape."""
    raw = request.scope.get("raw_path")
    if not isinstance(raw, bytes) or not raw.isascii():
        return None
    parts = raw.decode("ascii").split("/")
    n = 2 * len(words)
    tail = parts[-n:]
    if len(parts) < n + 3 or tail[0::2] != list(words) or not all(tail[1::2]):
        return None
    ids = [unquote(part) for part in tail[1::2]]
    path = f"/projects/{project}" + "".join(f"/{word}/{ident}" for word, ident in zip(words, ids, strict=True))
    return ids if str(request.scope.get("path", "")).endswith(path) else None


@router.get("/")
def dashboard(request: Request, session: ReadSession,
              after: Annotated[str | None, Query(max_length=4096, description="projects named after this")] = None
              ) -> Response:
    with _names(request, session):
        return render(request, "dashboard.html", **pages.dashboard(session, after))


# ``{project:path}``: project names often hold a slash (``acme/payments``, the name after an origin remote), which
# arrives decoded even when a link sends it as %2F. The converter is greedy, so each route ends in fixed words and
# the project page, which ends in nothing, is tried last (Starlette tries routes in order). A name that ends in a
# route word (``team/adrs``: its page, or team's ADR list?) names the longest existing project (api.project_paths).
@router.get("/projects/{project:path}/matrix")
def matrix(request: Request, project: str, session: ReadSession,
           by: Annotated[str, Query(alias="from", max_length=20)] = "requirements",
           after: Annotated[str | None, Query(max_length=1024, description="rows after this id")] = None) -> Response:
    with _names(request, session):
        return render(request, "matrix.html", **pages.matrix_page(session, project, by, after))


# A record page's older revisions: those with a version below it (the page's *Older revisions* link).
BeforeParam = Annotated[int | None, Query(ge=1, le=2**31 - 1, description="revisions with a version below this")]


@router.get("/projects/{project:path}/adrs/{ident}")
def adr(request: Request, project: str, ident: str, session: ReadSession, before: BeforeParam = None) -> Response:
    with _names(request, session):
        return render(request, "adr.html", **pages.adr_page(session, project, ident, before))


@router.get("/projects/{project:path}/contracts/{ident}")
def contract(request: Request, project: str, ident: str, session: ReadSession,
             before: BeforeParam = None) -> Response:
    with _names(request, session):
        return render(request, "contract.html", **pages.contract_page(session, project, ident, before))


# Feature numbers hold slashes (an untagged feature is named after its path: ``billing/refund``) and so may
# scenario names (``Pay by card/debit``): both take ``:path``, the scenario route first (the feature route would
# take ``billing/refund/scenarios/SC-1`` as a feature number). Links encode each number as one segment
# (``billing%2Frefund``), which arrives decoded; ``_raw_ids`` reads the split the link wrote from the raw path.
@router.get("/projects/{project:path}/features/{feature:path}/scenarios/{ident:path}")
def scenario(request: Request, project: str, feature: str, ident: str, session: ReadSession,
             before: BeforeParam = None) -> Response:
    with _names(request, session):
        exact = _raw_ids(request, project, ("features", "scenarios"))
        if exact is None and _raw_ids(request, project, ("features",)) is not None:
            # ``/features/a%2Fscenarios%2Fb``: the page of a feature whose number holds "/scenarios/".
            return render(request, "feature.html",
                          **pages.feature_page(session, project, f"{feature}/scenarios/{ident}"))
        if exact is not None:
            feature, ident = exact
        try:
            context = pages.scenario_page(session, project, feature, ident, before)
        except NotFound:
            whole = f"{feature}/scenarios/{ident}"  # typed unencoded: maybe the page of that feature
            if not pages.feature_exists(session, project, whole):
                raise
            return render(request, "feature.html", **pages.feature_page(session, project, whole))
        return render(request, "scenario.html", **context)


@router.get("/projects/{project:path}/features/{ident:path}")
def feature(request: Request, project: str, ident: str, session: ReadSession) -> Response:
    with _names(request, session):
        return render(request, "feature.html", **pages.feature_page(session, project, ident))


@router.get("/projects/{project:path}/links")
def links(request: Request, project: str, session: ReadSession,
          state: Annotated[str | None, Query(max_length=20)] = None,
          cursor: Annotated[str | None, Query(max_length=4096)] = None) -> Response:
    with _names(request, session):
        return render(request, "links.html", **pages.links_page(session, project, state or None, cursor))


def _list_page(plural: str) -> Callable[..., Response]:
    """The list page of ``plural``: one route per list, as a free last segment would swallow the project page
    of ``/projects/acme/payments``."""

    def record_list(request: Request, project: str, session: ReadSession, status: StatusParam = None,
                    q: str | None = None, cursor: str | None = None) -> Response:
        # ``status`` as the API's lists take it (``api.deps.StatusParam``): ``?status=a,b`` or repeated. No limits
        # here: ``pages.record_list`` checks each value, and a bad one is this page, its form as sent, with the
        # message beside the field (400), not an error page.
        with _names(request, session):
            context = pages.record_list(session, project, plural, status or [], q, cursor)
            if context["errors"]:
                return render(request, "list.html", status_code=400, json_url=None, **context)
            query = render_query(context["api_query"])
            json_url = f"{urls.API}/projects/{urls.project_seg(context['project'])}/{plural}{query}"
            return render(request, "list.html", json_url=json_url, **context)

    return record_list


for _plural in pages.LIST_KINDS:
    router.add_api_route(f"/projects/{{project:path}}/{_plural}", _list_page(_plural), methods=["GET"],
                         name=f"list_{_plural}")


@router.get("/projects/{project:path}")
def project(request: Request, project: str, session: ReadSession) -> Response:
    with _names(request, session):
        try:
            context = pages.project_page(session, project)
        except NotFound:
            # /projects/sample/widgets: a known project and a page it does not have.
            head, _, tail = project.rpartition("/")
            if head and tail and pages.project_exists(session, head):
                raise NotFound(f"{request.url.path}: no such page; lists are {', '.join(pages.LIST_KINDS)}") from None
            raise
        json_url = f"{urls.API}/projects/{urls.project_seg(context['project'])}"
        return render(request, "project.html", json_url=json_url, **context)


@router.get("/search")
def search(request: Request, session: ReadSession, q: str | None = None, project: str | None = None,
           kind: str | None = None, page: str | None = None, include_deleted: str | None = None) -> Response:
    # Every parameter as sent: ``pages.search_page`` checks them, and a bad one is this page with the message
    # beside its field (400).
    with _names(request, session):
        context = pages.search_page(session, q or "", project or None, kind or None, page, include_deleted)
        if context["errors"]:
            return render(request, "search.html", status_code=400, json_url=None, **context)
        params = context["api_params"]
        json_url = f"{urls.API}/search" + render_query(params) if q else None
        return render(request, "search.html", json_url=json_url, **context)


def render_query(params: dict[str, Any]) -> str:
    from tracertm.web.render import query_string

    return query_string(params)


@public.get("/favicon.ico")
def favicon() -> Response:
    """The site's icon where browsers look for it unasked: for a document without ``<link rel="icon">`` (a JSON
    twin opened in a tab, ``/docs``) the browser fetches ``/favicon.ico``, and a 404 there is an error in its
    console at every first visit. The pages name the same icon in ``/static``."""
    from fastapi.responses import FileResponse

    return FileResponse(STATIC_DIR / "favicon.svg", media_type="image/svg+xml",
                        headers={"Cache-Control": "public, max-age=86400"})


@public.get("/login")
def login_form(
    request: Request, next: Annotated[str | None, Query(max_length=2000)] = None  # noqa: A002
) -> Response:
    required = request.app.state.settings.read_token_required
    return render(request, "login.html", next=auth.local_path(next), error=None, required=required)


@public.post("/login")
async def login(request: Request) -> Response:
    if not auth.same_origin(request):
        return error_page(request, 403, "sign in from this server's own /login page")
    if request.headers.get("content-type", "").split(";")[0].strip() != "application/x-www-form-urlencoded":
        return error_page(request, 400, "send the sign-in form as application/x-www-form-urlencoded")
    try:
        fields = auth.form_fields(await request.body())
    except ValueError:
        return error_page(request, 400, "the sign-in form has too many fields")
    token, target = fields.get("token", "").strip(), auth.local_path(fields.get("next"))
    from starlette.concurrency import run_in_threadpool

    if not token or not await run_in_threadpool(auth.token_is_valid, request, token):
        required = request.app.state.settings.read_token_required
        refused = render(request, "login.html", status_code=401, next=target, required=required,
                         error="unknown or revoked token; create one with 'tracertm token create'")
        # RFC 9110 15.5.2: a 401 carries a challenge; the API's (a bearer token is what the form takes).
        refused.headers.update(CHALLENGE)
        return refused
    response = RedirectResponse(target, status_code=303)
    response.set_cookie(COOKIE, token, max_age=auth.MAX_AGE_S, path="/", httponly=True, samesite="strict",
                        secure=request.url.scheme == "https")
    return response


@public.post("/logout")
def logout(request: Request) -> Response:
    if not auth.same_origin(request):
        return error_page(request, 403, "sign out from this server's own pages")
    response = RedirectResponse("/login", status_code=303)
    response.delete_cookie(COOKIE, path="/")
    return response

