"""RFC 9457 problem details: every error the API returns is ``application/problem+json``, never a traceback."""

from __future__ import annotations

import logging
import re
from http import HTTPStatus
from typing import Any
from urllib.parse import quote_from_bytes

from fastapi import FastAPI, Request
from fastapi.exceptions import RequestValidationError
from fastapi.responses import JSONResponse
from pydantic import ValidationError
from sqlalchemy.exc import DBAPIError, OperationalError
from sqlalchemy.exc import TimeoutError as PoolTimeout
from starlette.exceptions import HTTPException as StarletteHTTPException
from starlette.types import Scope

from tracertm.errors import ConflictError, DatabaseError, InvalidValues, LockTimeoutError, TracertmError, UsageError
from tracertm.repositories.errors import GitOwnedField, NotFound, StaleVersion
from tracertm.schemas.common import Problem

PROBLEM_JSON = "application/problem+json"
TYPE_BASE = "https://tracertm.dev/problems/"
log = logging.getLogger("tracertm.api")


class ApiProblem(Exception):
    """Raised by route code to answer with a problem (status, title, detail, extension members, headers)."""

    def __init__(self, status: int, detail: str, *, kind: str | None = None, headers: dict[str, str] | None = None,
                 **extensions: Any) -> None:
        super().__init__(detail)
        self.status, self.detail, self.kind, self.headers, self.extensions = status, detail, kind, headers, extensions


# The kind of a problem raised without one: Starlette's own 404 and 405, a 400 of a body it could not parse, a
# database that is down. Every problem the API answers has a typed ``type`` a client can dispatch on, none
# ``about:blank`` (RFC 9457 4.2.1); the kinds of the API's own problems (``kind=``) are among these where they mean
# the same (a 404 is ``not-found`` whether no route or no record matched).
DEFAULT_KINDS = {
    400: "bad-request", 401: "unauthorized", 403: "forbidden", 404: "not-found", 405: "method-not-allowed",
    409: "conflict", 412: "precondition-failed", 413: "body-too-large", 415: "unsupported-media-type",
    422: "invalid-request", 428: "precondition-required", 500: "internal-error", 503: "unavailable",
}


def kind_of(status: int) -> str:
    """The problem kind of ``status`` when the code raising it named none: ``DEFAULT_KINDS``, else the status's
    reason phrase as a slug (``406`` is ``not-acceptable``)."""
    if status in DEFAULT_KINDS:
        return DEFAULT_KINDS[status]
    try:
        phrase = HTTPStatus(status).phrase
    except ValueError:
        return "error"
    return re.sub(r"[^a-z0-9]+", "-", phrase.lower()).strip("-") or "error"


def _title(status: int) -> str:
    try:
        return HTTPStatus(status).phrase
    except ValueError:
        return "Error"


def problem(status: int, detail: str | None, *, kind: str | None = None, instance: str | None = None,
            headers: dict[str, str] | None = None, **extensions: Any) -> JSONResponse:
    """A problem+json response; ``kind`` (the last segment of ``type``) defaults to the status's (``kind_of``)."""
    body: dict[str, Any] = {
        "type": TYPE_BASE + (kind or kind_of(status)),
        "title": _title(status),
        "status": status,
    }
    if detail:
        body["detail"] = detail
    if instance:
        body["instance"] = instance
    body.update(extensions)
    return JSONResponse(body, status_code=status, media_type=PROBLEM_JSON, headers=headers)


def unusable_file(request: Request, exc: BaseException) -> str | None:
    """The detail of the 503 for a server's SQLite file that no retry mends — damaged (``db.failures.is_damaged``)
    or no database at all (another file put at its path) — logged in the one line a command prints for it (the
    file, and what mends it); None for any other error. The detail names no path (a client is told what to do, the
    server's log where)."""
    from tracertm.db.failures import _not_a_database, database_unavailable, is_damaged

    if is_damaged(exc):
        what = "the server's SQLite file is damaged"
    elif _not_a_database(exc):
        what = "the file at the server's SQLite path is not a SQLite database"
    else:
        return None
    line = exc if isinstance(exc, TracertmError) else database_unavailable(request.app.state.engine, exc)
    log.error("database unavailable: %s", line)
    detail = (f"the database is unavailable: {what}; restore it from a backup, or move it aside and run 'tracertm "
              "sync PATH' to build a new one (the server's log names the file)")
    request.app.state.damage.met(detail)  # /healthz answers it too, until the file changes
    return detail


def schema_mismatch(revision: str | None, instance: str) -> JSONResponse:
    """The 503 of a server whose database is at another schema revision than its own (``/healthz``): which side
    to upgrade, without the database's URL (the probe answers without a token)."""
    refused = schema_mismatch_problem(revision)
    return problem(refused.status, refused.detail, kind=refused.kind, instance=instance, **refused.extensions)


def schema_mismatch_problem(revision: str | None) -> ApiProblem:
    """``schema_mismatch`` as an ``ApiProblem`` to raise: a write that found the database at another revision
    (``deps.schema_still_current``) answers what ``/healthz`` does."""
    from tracertm import db

    if revision is not None and db.revision_state(revision) in ("newer", "unknown"):
        detail = f"the database is at schema revision {revision}, {db.foreign_revision(revision, server=True)}"
    else:
        detail = (f"the database is at schema revision {revision or 'none'}, not this server's "
                  f"({db.SCHEMA_HEAD}); run 'tracertm db upgrade', or restart the server, which migrates it")
    return ApiProblem(503, detail, kind="schema-mismatch", schema_revision=revision,
                      server_schema_revision=db.SCHEMA_HEAD)


# RFC 3986 characters a path keeps as they are; ``%`` only before two hex digits (an escape the client sent).
_PATH_SAFE = "/:@!$&'()*+,;=-._~%"
_LONE_PERCENT = re.compile(r"%(?![0-9A-Fa-f]{2})")


def instance_of(scope: Scope) -> str:
    """A problem's ``instance`` for the request of ``scope``: RFC 9457 3.1.5 makes it a URI reference, so it is the
    path as the client sent it, percent-encoded (``/api/v1/adrs/%3Cscript%3E%20x``), not the decoded path (a space,
    ``<``, a NUL shown as ``\u0000``). Read from the ASGI ``raw_path``; what is still not URI text in it (a raw
    non-ASCII byte, a ``%`` before no hex digits) is encoded once more."""
    raw = scope.get("raw_path")
    if not isinstance(raw, bytes):
        raw = str(scope.get("path", "")).encode("utf-8", "surrogateescape")
    return _LONE_PERCENT.sub("%25", quote_from_bytes(raw.split(b"?", 1)[0], safe=_PATH_SAFE))


def is_api_path(path: str) -> bool:
    """Whether ``path`` is the API's (problem+json errors) rather than a page's (the web view's HTML errors)."""
    return path == "/api" or path.startswith("/api/") or path in ("/openapi.json", "/docs")


def responses(*statuses: int) -> dict[int | str, dict[str, Any]]:
    """OpenAPI ``responses`` entries documenting problem+json answers."""
    return {
        s: {"model": Problem, "description": HTTPStatus(s).phrase, "content": {PROBLEM_JSON: {}}} for s in statuses
    }


def said(where: str, message: str) -> str:
    """One validation error as a line: what it is about (a field or parameter; nothing for the request as a whole)
    and pydantic's message without its ``Value error, `` prefix."""
    message = message.removeprefix("Value error, ")
    return f"{where}: {message}" if where else message


def _validation_errors(errors: Any) -> list[dict[str, Any]]:
    return [
        {"loc": [str(p) for p in e.get("loc", ())], "msg": str(e.get("msg", "")), "type": str(e.get("type", ""))}
        for e in errors
    ]


def _invalid(request: Request, raw: Any) -> JSONResponse:
    errors = _validation_errors(raw)
    first = errors[0] if errors else {"loc": [], "msg": "invalid body"}
    return problem(422, said(".".join(first["loc"]), str(first["msg"])), kind="invalid-request",
                   instance=instance_of(request.scope), errors=errors)


def install(app: FastAPI) -> None:
    """Register the exception handlers that turn every error into a problem."""

    @app.exception_handler(ApiProblem)
    async def _api_problem(request: Request, exc: ApiProblem) -> JSONResponse:
        return problem(exc.status, exc.detail, kind=exc.kind, instance=instance_of(request.scope),
                       headers=exc.headers, **exc.extensions)

    @app.exception_handler(StarletteHTTPException)
    async def _http(request: Request, exc: StarletteHTTPException) -> JSONResponse:
        # Starlette's own errors (no route, a method the path does not take, a body it could not parse): typed as
        # the API's own are (``kind_of``), and its bare reason phrase as ``detail`` replaced by what to do.
        status = exc.status_code
        detail = exc.detail if isinstance(exc.detail, str) and exc.detail != _title(status) else None
        headers = dict(exc.headers) if exc.headers else None
        where = f"{request.method} {request.url.path}"
        if status == 405:  # (off the event loop: a route may ask the database, ``gives_way``)
            from starlette.concurrency import run_in_threadpool

            allow = await run_in_threadpool(allowed_methods, request)
            headers = {**(headers or {}), "Allow": allow}
            detail = detail or f"{where}: this path takes only {with_head(allow)}"
        elif status == 404 and detail is None:
            detail = f"{request.url.path}: no such path; /openapi.json lists the API's paths"
        return problem(status, detail or _title(status), instance=instance_of(request.scope), headers=headers)

    @app.exception_handler(RequestValidationError)
    async def _invalid_request(request: Request, exc: RequestValidationError) -> JSONResponse:
        raw = exc.errors()
        errors = _validation_errors(raw)
        first = errors[0] if errors else {"loc": [], "msg": "invalid request"}
        detail = said(".".join(first["loc"][1:] or first["loc"]), str(first["msg"]))
        if errors and first["type"] == "json_invalid":  # ``loc`` is the offset: "1: JSON decode error" said little
            reason = str((raw[0].get("ctx") or {}).get("error", "")).strip()
            detail = f"the body is not JSON{f' ({reason})' if reason else ''} at character {first['loc'][-1]}"
        return problem(422, detail, kind="invalid-request", instance=instance_of(request.scope), errors=errors)

    @app.exception_handler(ValidationError)
    async def _invalid_body(request: Request, exc: ValidationError) -> JSONResponse:
        return _invalid(request, exc.errors())

    @app.exception_handler(TracertmError)
    async def _tracertm(request: Request, exc: TracertmError) -> JSONResponse:
        path = instance_of(request.scope)
        if isinstance(exc, InvalidValues):  # a change ``Records.update`` refuses: as a body pydantic refuses
            return _invalid(request, exc.errors)
        if isinstance(exc, NotFound):
            return problem(404, str(exc), kind="not-found", instance=path)
        if isinstance(exc, StaleVersion):
            return problem(412, str(exc), kind="stale-version", instance=path, current_version=exc.current,
                           headers={"ETag": f'"{exc.current}"'})
        if isinstance(exc, GitOwnedField):
            # ``line`` is always present (null when unknown), and ``line_note`` says why whenever there is no line
            # or the line is where to add a value the file does not write (a default status): never left out.
            extra: dict[str, Any] = {"line_note": exc.note} if exc.note else {}
            return problem(409, str(exc), kind="git-owned-field", instance=path, fields=exc.fields,
                           source_path=exc.path, line=exc.line, **extra)
        if isinstance(exc, ConflictError):
            return problem(409, str(exc), kind="conflict", instance=path)
        if isinstance(exc, LockTimeoutError):  # a long sync held the project's write lock: say so, not "down"
            # The server waits a fixed time, not the configuration's lock_timeout: the command's hint would mislead.
            from tracertm.db.locks import CONFIG_HINT

            detail = str(exc).replace(CONFIG_HINT, "nothing was written; send the request again after Retry-After "
                                                   "seconds, or once that writer has finished")
            return problem(503, detail, kind="lock-timeout", instance=path, headers={"Retry-After": "5"})
        if isinstance(exc, DatabaseError):
            damaged = unusable_file(request, exc)
            if damaged is None:
                log.error("database unavailable: %s", exc)
            return problem(503, damaged or "the database is unavailable; try again later", instance=path)
        if isinstance(exc, UsageError):
            return problem(400, str(exc), kind="bad-request", instance=path)
        log.exception("internal error on %s", request.url.path)
        return problem(500, "internal error; the server log has the details", instance=path)

    @app.exception_handler(OperationalError)
    async def _database(request: Request, exc: OperationalError) -> JSONResponse:
        log.error("database unavailable: %s", str(exc.orig).splitlines()[0] if exc.orig else exc)
        return problem(503, "the database is unavailable; try again later", instance=instance_of(request.scope),
                       headers={"Retry-After": "5"})

    @app.exception_handler(DBAPIError)
    @app.exception_handler(UnicodeDecodeError)
    async def _unusable(request: Request, exc: Exception) -> JSONResponse:
        # Errors no retry of the request mends, 503 both: a damaged SQLite file — SQLite's "database disk image is
        # malformed", "file is not a database" (another file put at the path while the server runs), text the
        # sqlite3 module cannot decode (``db.failures.is_damaged``; handled here, not as any Exception, whose 500
        # the server also re-raises) — and the database server refusing the work as it is set up (PostgreSQL: a
        # database or role made read-only, a hot standby, a privilege missing), as the CLI and the watch daemon
        # word it: the same request succeeds once an administrator has mended it. Any other is internal.
        from tracertm.db.failures import refusal

        damaged = unusable_file(request, exc)
        if damaged is not None:
            return problem(503, damaged, instance=instance_of(request.scope))
        refused = refusal(exc)
        if refused is None:
            return await _internal(request, exc)
        log.error("database unavailable: %s", refused)
        return problem(503, "the database refused the work (read-only, or a privilege is missing); nothing was "
                            "written, try again later", instance=instance_of(request.scope),
                       headers={"Retry-After": "5"})

    @app.exception_handler(PoolTimeout)
    async def _busy(request: Request, exc: PoolTimeout) -> JSONResponse:
        # Every connection of this process's pool stayed taken for the pool's timeout (requests queued behind a
        # busy database): the server is busy, nothing is broken; the request did nothing and may be sent again.
        log.warning("no database connection free: %s", str(exc).splitlines()[0])
        return problem(503, "the server's database connections are all busy; nothing was done, try again later",
                       kind="busy", instance=instance_of(request.scope), headers={"Retry-After": "5"})

    @app.exception_handler(Exception)
    async def _internal(request: Request, exc: Exception) -> JSONResponse:
        log.exception("internal error on %s", request.url.path)
        return problem(500, "internal error; the server log has the details", instance=instance_of(request.scope))


METHOD_ORDER = ("GET", "HEAD", "POST", "PUT", "PATCH", "DELETE", "OPTIONS")


def with_head(allow: str) -> str:
    """An ``Allow`` value as sent: ``HeadAsGet`` answers HEAD wherever GET is answered, and adds it beside GET."""
    methods = [m.strip() for m in allow.split(",") if m.strip()]
    if "GET" in methods and "HEAD" not in methods:
        methods.insert(methods.index("GET") + 1, "HEAD")
    return ", ".join(methods)


def allowed_methods(request: Request) -> str:
    """Every method some route of the app serves at this path (RFC 9110: a 405's ``Allow``). Starlette's names only
    the first route whose path matches, and a path's GET and PATCH are routes of their own.

    Each route is asked whether it would take the request with each method: an included router (the web view's
    pages, ``app.include_router``) is one route of the app that holds its own, with no ``methods`` of its own to
    read. Static files (a mount) are read with GET alone. A route with a ``gives_way(request)`` that holds does not
    count: it matches the path but answers it only with a 405 naming the others (``GET /projects/{project}`` at
    ``/projects/p/links/review``, ``api.routes``)."""
    from starlette.routing import Match, Mount
    from starlette.staticfiles import StaticFiles

    # Inside a mount (``/static``) the scope's ``root_path`` holds the mount's path: the app's own is needed here.
    scope = {**request.scope, "root_path": request.scope.get("app_root_path", request.scope.get("root_path", ""))}
    methods: set[str] = set()
    for route in request.app.router.routes:
        if isinstance(route, Mount):  # a mount matches any method: only what its app serves counts
            if isinstance(route.app, StaticFiles) and route.matches(scope)[0] != Match.NONE:
                methods.add("GET")
            continue
        taken = {m for m in METHOD_ORDER if route.matches({**scope, "method": m})[0] == Match.FULL}
        gives_way = getattr(route, "gives_way", None)
        if taken and not (gives_way is not None and gives_way(request)):
            methods |= taken
    return ", ".join(sorted(methods, key=METHOD_ORDER.index))
