"""The FastAPI application: its settings, the engine, middleware and error handlers (routes: ``routes.py``)."""

from __future__ import annotations

import functools
import json
import os
from collections.abc import AsyncIterator
from contextlib import asynccontextmanager
from dataclasses import dataclass, field

from fastapi import APIRouter, FastAPI
from starlette.routing import BaseRoute
from sqlalchemy.engine import Engine

from tracertm import db
from tracertm.api.limits import RequestLimits
from tracertm.api.problems import install
from tracertm.api.project_paths import ProjectPathRoute, ProjectPaths
from tracertm.api.query_names import NOTE as QUERY_NOTE
from tracertm.api.query_names import ApiRoute

ENV_SETTINGS = "TRACERTM_SERVE_SETTINGS"  # JSON of ApiSettings, for uvicorn worker processes


@dataclass(frozen=True)
class ApiSettings:
    """How the API is served. ``repositories`` maps a project name to its spec folder (for ``at``, the lines of
    git-owned fields, an upload's configuration); ``repository`` is the git work tree the server runs in, where the
    other projects of that repository are found (``api.repository``: a project in a sub-folder, say)."""

    database_url: str | None = None
    configured_url: str | None = None
    read_token_required: bool = False
    cors_origins: tuple[str, ...] = ()
    max_body_bytes: int = 64 * 1024
    max_report_bytes: int = 64 * 1024 * 1024  # test report uploads (results_routes)
    repositories: dict[str, str] = field(default_factory=dict)
    repository: str | None = None
    # The Host names answered (any port); empty: any. ``serve`` on a loopback address without a proxy fills it
    # (DNS rebinding: see ``limits.TrustedHosts``).
    allowed_hosts: tuple[str, ...] = ()

    def to_env(self) -> str:
        return json.dumps({**self.__dict__, "cors_origins": list(self.cors_origins),
                           "allowed_hosts": list(self.allowed_hosts)})

    @classmethod
    def from_env(cls) -> ApiSettings:
        raw = json.loads(os.environ.get(ENV_SETTINGS, "{}"))
        raw["cors_origins"] = tuple(raw.get("cors_origins", ()))
        raw["allowed_hosts"] = tuple(raw.get("allowed_hosts", ()))
        return cls(**raw)


def create_app_from_env() -> FastAPI:
    """The app of a uvicorn worker process (``tracertm serve --workers N``)."""
    return create_app(ApiSettings.from_env())


def create_app(settings: ApiSettings | None = None, engine: Engine | None = None) -> FastAPI:
    """The API over ``engine`` (default: the database the settings name, migrated on first use; the app then owns
    that engine and disposes of it when the server shuts down — an engine given is the caller's to dispose of)."""
    settings = settings or ApiSettings()
    owned = engine is None
    engine = engine or db.open_engine(settings.database_url, settings.configured_url)

    @asynccontextmanager
    async def lifespan(_: FastAPI) -> AsyncIterator[None]:
        yield
        # The pool's connections closed as the server stops, not left to the process's exit: PostgreSQL sees them
        # end (no "unexpected EOF" per connection in its log, no slots held by a stopped worker), and SQLite's
        # last connection checkpoints its WAL into the database file.
        if owned:
            engine.dispose()

    from tracertm.api.database_file import KnownDamage, follow_path

    follow_path(engine)  # a SQLite file moved aside or restored while serving: the file at the path is used
    app = FastAPI(
        title="tracertm",
        version=_version(),
        description="Read and annotate the specs tracertm syncs from git: ADRs, contracts, features, scenarios. "
        "Git-owned fields are read-only; database-owned fields are updated with PATCH, If-Match and a write "
        "token.\n\n" + QUERY_NOTE,
        openapi_url="/openapi.json",
        docs_url=None,  # served by api.docs: a pinned Swagger UI with integrity hashes and security headers
        redoc_url=None,
        lifespan=lifespan,
    )
    app.state.engine = engine
    app.state.settings = settings
    app.state.write_engine = engine.execution_options(tracertm_write=True)
    app.state.read_engine = db.snapshot_reads(engine)  # a GET's session (deps.read_session): one snapshot
    from tracertm.api.writes import WriteSlots

    app.state.write_slots = WriteSlots(engine)  # writes waiting for a lock leave connections to the others
    app.state.project_roots = {}  # api.repository's cache: project id -> where its specs are
    app.state.damage = KnownDamage(db.sqlite_file(engine.url))  # damage a request met, for /healthz
    install(app)
    # Every route is a ProjectPathRoute: a name ending in a route word (``team/adrs``) is still a project
    # (project_paths). Middleware added later runs first: body limits and NUL checks before that lookup.
    app.router.route_class = ProjectPathRoute
    app.add_middleware(ProjectPaths)
    app.add_middleware(RequestLimits, max_body=settings.max_body_bytes)
    if settings.cors_origins:
        from tracertm.api.limits import ProblemCors

        # The methods the API has (POST: reviews, test-run uploads, restores; DELETE: soft deletes), the request
        # headers it reads, and the response headers a browser client needs (Location: a new test run).
        app.add_middleware(
            ProblemCors, allow_origins=list(settings.cors_origins),
            allow_methods=["GET", "HEAD", "PATCH", "POST", "DELETE"],
            allow_headers=["Authorization", "Content-Type", "If-Match", "If-None-Match"],
            expose_headers=["ETag", "Link", "Location", "Retry-After"],
        )
    if settings.allowed_hosts:
        from tracertm.api.limits import TrustedHosts

        # Before the body limits and the project lookup (a database query): a refused Host costs nothing.
        app.add_middleware(TrustedHosts, hosts=settings.allowed_hosts)
    from tracertm.api.head import HeadAsGet

    app.add_middleware(HeadAsGet)  # added last, runs first: every layer and route sees a HEAD as its GET
    from tracertm.api.results_routes import allow_uploads

    allow_uploads(app)
    app.router.routes.extend(api_routes())
    from tracertm.api.docs import swagger_ui

    app.add_api_route("/docs", swagger_ui, methods=["GET"], include_in_schema=False)
    from tracertm.web import mount  # the HTML pages at / (tracertm.web)

    mount(app)
    return app


@functools.cache
def api_routes() -> tuple[BaseRoute, ...]:
    """Every route under ``/api/v1``, built once per process and shared by its apps.

    FastAPI analyses a route when it is added: a pydantic ``TypeAdapter`` for each parameter and response model
    (about 0.2 s of CPU for the API's 48 routes and 650 fields), and ``create_app`` paid it for every app (a test
    session creates hundreds). The routes hold nothing of an app: their handlers read ``request.app.state``, and
    no app overrides dependencies. In order: ``install_project_route`` last (its greedy ``{project:path}``
    would shadow the routes under a project)."""
    from tracertm.api.results_routes import install_results_routes
    from tracertm.api.routes import install_project_route, install_routes
    from tracertm.api.trace_routes import install_trace_routes

    # ApiRoute: a query parameter a route does not declare is a 400, not ignored (api.query_names).
    router = APIRouter(route_class=ApiRoute)
    install_routes(router)
    install_trace_routes(router)
    install_results_routes(router)
    install_project_route(router)
    return tuple(router.routes)


def _version() -> str:
    from tracertm._version import __version__

    return __version__
