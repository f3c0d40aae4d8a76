"""The FastAPI application: settings, the engine, sessions per request, authentication, and the routes."""

from __future__ import annotations

import json
import os
from collections.abc import Iterator
from dataclasses import dataclass, field
from pathlib import Path
from typing import Annotated, Any

from fastapi import Depends, FastAPI, Header, Query, Request
from fastapi.responses import JSONResponse, Response
from fastapi.security import HTTPAuthorizationCredentials, HTTPBearer
from sqlalchemy.engine import Engine
from sqlalchemy.orm import Session

from tracertm import db
from tracertm.api.limits import RequestLimits
from tracertm.api.problems import ApiProblem, install, responses
from tracertm.repositories import KINDS, Kind, Projects, Records
from tracertm.repositories.projects import project_dict, sync_run_dict
from tracertm.schemas.common import Facets, Health, Page, ProjectRead, RevisionRead, SearchResults, SyncRunRead
from tracertm.schemas.filters import MAX_LIMIT, ListFilter
from tracertm.schemas.records import item_model, read_model, to_dict
from tracertm.schemas.updates import update_model

API = "/api/v1"
ENV_SETTINGS = "TRACERTM_SERVE_SETTINGS"  # JSON of ApiSettings, for uvicorn worker processes


@dataclass(frozen=True)
class ApiSettings:
    """How the API is served. ``repositories`` maps a project name to its repository folder (for ``at``)."""

    database_url: str | None = None
    configured_url: str | None = None
    read_token_required: bool = False
    cors_origins: tuple[str, ...] = ()
    max_body_bytes: int = 64 * 1024
    repositories: dict[str, str] = field(default_factory=dict)

    def to_env(self) -> str:
        return json.dumps({**self.__dict__, "cors_origins": list(self.cors_origins)})

    @classmethod
    def from_env(cls) -> ApiSettings:
        raw = json.loads(os.environ.get(ENV_SETTINGS, "{}"))
        raw["cors_origins"] = tuple(raw.get("cors_origins", ()))
        return cls(**raw)


def create_app_from_env() -> FastAPI:
    """The app of a uvicorn worker process (``tracertm serve --workers N``)."""
    return create_app(ApiSettings.from_env())


def create_app(settings: ApiSettings | None = None, engine: Engine | None = None) -> FastAPI:
    """The API over ``engine`` (default: the database the settings name, migrated on first use)."""
    settings = settings or ApiSettings()
    engine = engine or db.open_engine(settings.database_url, settings.configured_url)
    app = FastAPI(
        title="tracertm",
        version=_version(),
        description="Read and annotate the specs tracertm syncs from git: ADRs, contracts, features, scenarios. "
        "Git-owned fields are read-only; database-owned fields are updated with PATCH, If-Match and a write token.",
        openapi_url="/openapi.json",
        docs_url="/docs",
        redoc_url=None,
    )
    app.state.engine = engine
    app.state.settings = settings
    app.state.write_engine = engine.execution_options(tracertm_write=True)
    install(app)
    app.add_middleware(RequestLimits, max_body=settings.max_body_bytes)
    if settings.cors_origins:
        from fastapi.middleware.cors import CORSMiddleware

        app.add_middleware(
            CORSMiddleware, allow_origins=list(settings.cors_origins), allow_methods=["GET", "PATCH"],
            allow_headers=["Authorization", "If-Match", "Content-Type"], expose_headers=["ETag", "Link"],
        )
    _routes(app)
    return app


def _version() -> str:
    from tracertm._version import __version__

    return __version__


# ------------------------------------------------------------------------------------------------- dependencies

bearer = HTTPBearer(auto_error=False, description="a token from 'tracertm token create'")
Credentials = Annotated[HTTPAuthorizationCredentials | None, Depends(bearer)]


def read_session(request: Request) -> Iterator[Session]:
    with db.session(request.app.state.engine) as session:
        yield session


def _token(request: Request, credentials: HTTPAuthorizationCredentials | None, scope: str) -> str:
    """The verified token's actor name; 401 without a valid token, 403 with one lacking ``scope``."""
    from tracertm import tokens

    challenge = {"WWW-Authenticate": 'Bearer realm="tracertm"'}
    if credentials is None:
        raise ApiProblem(401, "this request needs a bearer token (tracertm token create)", kind="unauthorized",
                         headers=challenge)
    with db.session(request.app.state.engine) as session:
        row = tokens.verify(session, credentials.credentials)
        if row is None:
            raise ApiProblem(401, "unknown or revoked token", kind="unauthorized", headers=challenge)
        if scope == "write" and row.scope != "write":
            raise ApiProblem(403, "this token may only read; create one with --scope write", kind="forbidden")
        token_id, actor, stale = row.id, f"api:{row.label or row.prefix}", tokens.needs_touch(row)
    if stale:  # at most one write per token per minute, so that reads stay reads
        with db.session(request.app.state.write_engine) as session, session.begin():
            tokens.touch(session, token_id)
    return actor


def reader(request: Request, credentials: Credentials) -> None:
    """Reads are open unless the server requires tokens; a token that is sent must be valid either way (a client
    with a revoked token learns so at once, as GitHub's API does)."""
    if credentials is not None or request.app.state.settings.read_token_required:
        _token(request, credentials, "read")


def writer(request: Request, credentials: Credentials) -> str:
    return _token(request, credentials, "write")


ReadSession = Annotated[Session, Depends(read_session)]
ProjectParam = Annotated[str | None, Query(max_length=255, description="project name (default: the only project)")]
READ_ERRORS = responses(400, 401, 404, 413, 422, 500, 503)


def filters(
    status: Annotated[list[str] | None, Query(description="any of these statuses (repeat or comma-separate)")] = None,
    tag: Annotated[list[str] | None, Query(description="all of these tags")] = None,
    any_tag: Annotated[list[str] | None, Query(description="at least one of these tags")] = None,
    type: Annotated[list[str] | None, Query(description="contract or step type: any of these")] = None,  # noqa: A002
    text: Annotated[str | None, Query(max_length=500, description="full-text query (README: search syntax)")] = None,
    changed_since: Annotated[str | None, Query(max_length=64, description="ISO 8601 timestamp or commit id")] = None,
    path: Annotated[str | None, Query(max_length=1024, description="source path prefix")] = None,
    include_deleted: Annotated[bool, Query(description="include soft-deleted records")] = False,
    related_adr: Annotated[str | None, Query(max_length=255, description="records relating to this ADR")] = None,
    feature: Annotated[str | None, Query(max_length=255, description="scenarios of this feature")] = None,
    sort: Annotated[list[str] | None, Query(description="sort fields, '-' for descending, e.g. -status,number")] = None,
    limit: Annotated[int, Query(ge=1, le=MAX_LIMIT, description="page size")] = 50,
) -> ListFilter:
    return ListFilter(
        status=status or [], tag=tag or [], any_tag=any_tag or [], type=type or [], text=text,
        changed_since=changed_since, path=path, include_deleted=include_deleted, related_adr=related_adr,
        feature=feature, sort=sort or [], limit=limit,
    )


Filters = Annotated[ListFilter, Depends(filters)]


def _project(session: Session, name: str | None) -> Any:
    """The project named by the ``project`` parameter, else the database's only project."""
    return Projects(session).resolve(name, option="project")


def _dump(k: Kind, row: Any, project: str | None, feature: str | None = None) -> dict[str, Any]:
    return read_model(k.name).model_validate(to_dict(k, row, project, feature)).model_dump(mode="json")


def _project_name(session: Session, k: Kind, row: Any) -> str | None:
    from tracertm.models import Project

    owner = row.feature.project_id if k.name == "scenario" else row.project_id
    if owner is None:
        return None
    project = session.get(Project, owner)
    return project.name if project is not None else None


def _etag(version: int) -> str:
    return f'"{version}"'


# ------------------------------------------------------------------------------------------------------ routes


# Reads accept a token but do not need one (unless the server says so): the empty requirement makes it optional.
OPTIONAL_AUTH: dict[str, Any] = {"security": [{}]}


def _routes(app: FastAPI) -> None:
    deps = [Depends(reader)]

    @app.get(f"{API}/healthz", response_model=Health, tags=["meta"], responses=responses(500, 503))
    def healthz(request: Request) -> dict[str, Any]:
        """Liveness and the database's schema revision."""
        engine = request.app.state.engine
        return {"status": "ok", "database": engine.dialect.name, "schema_revision": db.current_revision(engine)}

    @app.get(f"{API}/projects", response_model=list[ProjectRead], tags=["projects"], dependencies=deps, openapi_extra=OPTIONAL_AUTH,
             responses=READ_ERRORS)
    def list_projects(session: ReadSession) -> list[dict[str, Any]]:
        """Every project in the database."""
        return [project_dict(p) for p in Projects(session).list()]

    @app.get(f"{API}/projects/{{project}}", response_model=ProjectRead, tags=["projects"], dependencies=deps, openapi_extra=OPTIONAL_AUTH,
             responses=READ_ERRORS)
    def get_project(project: str, session: ReadSession) -> dict[str, Any]:
        """One project by name or UUID."""
        return project_dict(Projects(session).get(project, "project"))

    @app.get(f"{API}/search", response_model=SearchResults, tags=["search"], dependencies=deps, openapi_extra=OPTIONAL_AUTH,
             responses=READ_ERRORS)
    def search(
        session: ReadSession,
        q: Annotated[str, Query(min_length=1, max_length=500, description="query (README: search syntax)")],
        kind: Annotated[list[str] | None, Query(description="adrs, contracts, features, scenarios")] = None,
        project: ProjectParam = None,
        limit: Annotated[int, Query(ge=1, le=100)] = 20,
        include_deleted: bool = False,
    ) -> dict[str, Any]:
        """Ranked full-text search with a highlighted snippet per hit (``<mark>`` around matched words)."""
        from tracertm.repositories.kinds import kind as kind_named
        from tracertm.search.engine import search as run_search

        kinds = [kind_named(name, "kind") for item in kind or [] for name in item.split(",") if name.strip()]
        scoped = Projects(session).get(project, "project") if project else None
        hits = run_search(session, q, kinds=kinds or None, project=scoped, limit=limit,
                          include_deleted=include_deleted)
        return {"query": q, "hits": hits}

    @app.get(f"{API}/facets", response_model=Facets, tags=["records"], dependencies=deps, openapi_extra=OPTIONAL_AUTH, responses=READ_ERRORS)
    def facets(
        session: ReadSession,
        flt: Filters,
        kind: Annotated[str, Query(description="adrs, contracts, features, scenarios, step-definitions, test-cases")],
        project: ProjectParam = None,
    ) -> dict[str, Any]:
        """Counts per status, type and tag of the records matching the filters."""
        from tracertm.repositories.kinds import kind as kind_named

        k = kind_named(kind, "kind")
        repo = Records(session, k)
        scoped = _project(session, project)
        counted = repo.facets(scoped, flt)
        return {
            "kind": k.name,
            "total": repo.count(scoped, flt),
            "facets": {f: [{"value": v, "count": n} for v, n in values] for f, values in counted.items()},
        }

    @app.get(f"{API}/sync-runs", response_model=list[SyncRunRead], tags=["projects"], dependencies=deps, openapi_extra=OPTIONAL_AUTH,
             responses=READ_ERRORS)
    def sync_runs(
        session: ReadSession, project: ProjectParam = None, limit: Annotated[int, Query(ge=1, le=MAX_LIMIT)] = 50
    ) -> list[dict[str, Any]]:
        """The newest sync runs, newest first."""
        scoped = Projects(session).get(project, "project") if project else None
        return [sync_run_dict(run, name) for run, name in Projects(session).sync_runs(scoped, limit)]

    for k in KINDS.values():
        _kind_routes(app, k, deps)


def _kind_routes(app: FastAPI, k: Kind, deps: list[Any]) -> None:
    read, item, update = read_model(k.name), item_model(k.name), update_model(k.name)
    tag = k.plural
    base = f"{API}/{k.plural}"
    field_names = list(read.model_fields)

    @app.get(f"{API}/projects/{{project}}/{k.plural}", tags=[tag], dependencies=deps, openapi_extra=OPTIONAL_AUTH, operation_id=f"list_{k.name}",
             response_model=Page, responses={**READ_ERRORS, 200: {"model": _page_model(k, item),
                                                                    "description": "a page"}})
    def list_records(
        request: Request,
        project: str,
        session: ReadSession,
        flt: Filters,
        cursor: Annotated[str | None, Query(max_length=4096, description="from the previous page's page.next")] = None,
        fields: Annotated[str | None, Query(max_length=2000, description="comma-separated fields to return")] = None,
        count: Annotated[bool, Query(description="also count every matching record")] = False,
    ) -> Response:
        """One page of records; the ``Link`` header and ``page.next`` carry the next page's cursor (which encodes
        the whole query: with a cursor, the other filters are ignored)."""
        wanted = _fields(fields, field_names)
        repo = Records(session, k)
        scoped = Projects(session).get(project, "project")
        page = repo.list(scoped, flt, cursor)
        items = []
        for row, feature in page.rows:
            data = _dump(k, row, scoped.name, feature)
            items.append({f: data[f] for f in wanted} if wanted else data)
        body: dict[str, Any] = {"items": items, "page": {"next": page.next_cursor, "limit": page.limit}}
        if count:
            body["total"] = repo.count(scoped, _cursor_filter(cursor) or flt)
        headers = {}
        if page.next_cursor:
            url = request.url.remove_query_params(list(request.query_params.keys()))
            url = url.include_query_params(cursor=page.next_cursor, limit=page.limit)
            if wanted:
                url = url.include_query_params(fields=",".join(wanted))
            headers["Link"] = f'<{url}>; rel="next"'
        return JSONResponse(body, headers=headers)

    @app.get(f"{base}/{{ident:path}}/history", tags=[tag], dependencies=deps, openapi_extra=OPTIONAL_AUTH, operation_id=f"history_{k.name}",
             response_model=list[RevisionRead], responses=READ_ERRORS)
    def history(ident: str, session: ReadSession, project: ProjectParam = None) -> list[dict[str, Any]]:
        """Every revision of the record, oldest first (without snapshots; see ``at``)."""
        repo = Records(session, k)
        row = repo.get(ident, Projects(session).get(project, "project") if project else None)
        return [_revision(r, snapshot=False) for r in repo.history(row)]

    @app.get(f"{base}/{{ident:path}}/at/{{commit}}", tags=[tag], dependencies=deps, openapi_extra=OPTIONAL_AUTH, operation_id=f"at_{k.name}",
             response_model=RevisionRead, responses=READ_ERRORS)
    def at(ident: str, commit: str, request: Request, session: ReadSession,
           project: ProjectParam = None) -> dict[str, Any]:
        """The record as of a commit: its newest revision then, with the snapshot of its fields."""
        repo = Records(session, k)
        row = repo.get(ident, Projects(session).get(project, "project") if project else None)
        name = _project_name(session, k, row)
        top = request.app.state.settings.repositories.get(name or "")
        found = repo.at(row, commit, Path(top) if top else None)
        if found is None:
            raise ApiProblem(404, f"{ident} has no revision at or before {commit}", kind="not-found")
        return _revision(found, snapshot=True)

    @app.get(f"{base}/{{ident:path}}", tags=[tag], dependencies=deps, openapi_extra=OPTIONAL_AUTH, operation_id=f"get_{k.name}",
             response_model=read, responses={**READ_ERRORS, 304: {"description": "not modified (If-None-Match)"}})
    def get(ident: str, session: ReadSession, project: ProjectParam = None,
            if_none_match: Annotated[str | None, Header(max_length=200)] = None) -> Response:
        """One record by UUID or human id (``ADR-0003``, ``FEAT-2/SC-4``). ``ETag`` is its version."""
        repo = Records(session, k)
        row = repo.get(ident, Projects(session).get(project, "project") if project else None)
        etag = _etag(row.version)
        if if_none_match is not None and etag in [t.strip() for t in if_none_match.split(",")]:
            return Response(status_code=304, headers={"ETag": etag})
        data = _dump(k, row, _project_name(session, k, row), repo.feature_of(row))
        return JSONResponse(data, headers={"ETag": etag})

    schema = update.model_json_schema()

    @app.patch(
        f"{base}/{{ident:path}}", tags=[tag], operation_id=f"update_{k.name}", response_model=read,
        responses=responses(400, 401, 403, 404, 409, 412, 413, 415, 422, 428, 500, 503),
        openapi_extra={"requestBody": {"required": True, "content": {"application/json": {"schema": schema}}}},
    )
    async def patch(
        ident: str,
        request: Request,
        actor: Annotated[str, Depends(writer)],
        project: ProjectParam = None,
        if_match: Annotated[str | None, Header(max_length=200, description='the ETag read before, e.g. "3"')] = None,
    ) -> Response:
        """Set database-owned fields. Needs ``If-Match`` with the ETag you read (428 without, 412 when stale) and a
        write token. A git-owned field is refused with 409 naming the file to edit."""
        from starlette.concurrency import run_in_threadpool

        content_type = request.headers.get("content-type", "")
        if content_type.split(";")[0].strip() not in ("application/json", "application/merge-patch+json"):
            raise ApiProblem(415, "send the changes as application/json", kind="unsupported-media-type")
        try:
            changes = json.loads(await request.body())
        except (ValueError, UnicodeDecodeError):
            raise ApiProblem(422, "the body is not JSON", kind="invalid-request") from None
        if not isinstance(changes, dict):
            raise ApiProblem(422, "the body must be a JSON object of fields to set", kind="invalid-request")
        return await run_in_threadpool(_write, request, k, ident, project, if_match, actor, "update", changes)

    if k.from_git:
        return
    write_errors = responses(400, 401, 403, 404, 409, 412, 413, 422, 428, 500, 503)

    @app.delete(f"{base}/{{ident:path}}", tags=[tag], operation_id=f"delete_{k.name}", response_model=read,
                responses=write_errors)
    def delete(ident: str, request: Request, actor: Annotated[str, Depends(writer)], project: ProjectParam = None,
               if_match: Annotated[str | None, Header(max_length=200)] = None) -> Response:
        """Soft-delete a record that git does not own (``deleted_at`` set; ``include_deleted`` still lists it)."""
        return _write(request, k, ident, project, if_match, actor, "delete")

    @app.post(f"{base}/{{ident:path}}/restore", tags=[tag], operation_id=f"restore_{k.name}", response_model=read,
              responses=write_errors)
    def restore(ident: str, request: Request, actor: Annotated[str, Depends(writer)], project: ProjectParam = None,
                if_match: Annotated[str | None, Header(max_length=200)] = None) -> Response:
        """Restore a soft-deleted record that git does not own."""
        return _write(request, k, ident, project, if_match, actor, "restore")


def _write(request: Request, k: Kind, ident: str, project: str | None, if_match: str | None, actor: str,
           action: str, changes: dict[str, Any] | None = None) -> Response:
    """One guarded write in its own transaction: ``update`` (``changes``), ``delete`` or ``restore``."""
    from tracertm.repositories.errors import StaleVersion

    engine = request.app.state.write_engine
    with db.session(engine, expire_on_commit=False) as session:
        with session.begin():
            repo = Records(session, k)
            row = repo.get(ident, Projects(session).get(project, "project") if project else None)
            if if_match is None:
                raise ApiProblem(  # RFC 6585: a 428 must not be stored by a cache
                    428, f"send If-Match: \"{row.version}\" (the ETag of your last GET) to {action} {ident}",
                    kind="precondition-required", headers={"Cache-Control": "no-store"},
                )
            top = request.app.state.settings.repositories.get(_project_name(session, k, row) or "")
            if changes is not None:
                repo.check_fields(row, list(changes), Path(top) if top else None)
            tags = [t.strip() for t in if_match.split(",")]
            expected = row.version if "*" in tags else _version_of(tags)
            if expected is None:
                raise StaleVersion(f"If-Match {if_match}: no such version of {ident}; re-read it", row.version)
            if action == "update":
                repo.update(row, changes or {}, expected, actor)
            else:
                repo.set_deleted(row, action == "delete", expected, actor)
        data = _dump(k, row, _project_name(session, k, row), repo.feature_of(row))
    return JSONResponse(data, headers={"ETag": _etag(row.version)})


def _version_of(tags: list[str]) -> int | None:
    """The version a strong ETag names (weak tags never match: RFC 9110 If-Match uses strong comparison)."""
    for tag in tags:
        if len(tag) >= 3 and tag[0] == tag[-1] == '"' and tag[1:-1].isdigit():
            return int(tag[1:-1])
    return None


def _cursor_filter(cursor: str | None) -> ListFilter | None:
    """The filter a cursor carries (for ``count`` alongside a cursor page)."""
    if not cursor:
        return None
    from tracertm.repositories.cursor import Cursor

    return Cursor.decode(cursor).filter


def _fields(fields: str | None, known: list[str]) -> list[str]:
    if not fields:
        return []
    wanted = [f.strip() for f in fields.split(",") if f.strip()]
    unknown = [f for f in wanted if f not in known]
    if unknown:
        raise ApiProblem(400, f"fields: unknown field {unknown[0]!r}; known: {', '.join(known)}", kind="bad-request")
    return wanted


def _page_model(k: Kind, item: Any) -> Any:
    from pydantic import create_model

    from tracertm.schemas.common import PageInfo
    from tracertm.schemas.records import model_name

    return create_model(model_name(k, "Page"), items=(list[item], ...), page=(PageInfo, ...),
                        total=(int | None, None))


def _revision(rev: Any, snapshot: bool) -> dict[str, Any]:
    from tracertm.repositories.records import revision_read

    return revision_read(rev, snapshot).model_dump(mode="json")  # type: ignore[no-any-return]
