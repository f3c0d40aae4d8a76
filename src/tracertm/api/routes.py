"""The routes under ``/api/v1``: projects, per-kind lists and records (read, history, at, PATCH; soft-delete and
restore for records git does not own), search, facets, sync runs and health."""

from __future__ import annotations

import functools
import time
from pathlib import Path
from typing import Annotated, Any

from fastapi import APIRouter, Depends, Query, Request
from fastapi.responses import JSONResponse, Response
from sqlalchemy.orm import Session
from starlette.routing import BaseRoute

from tracertm import db
from tracertm.api.bodies import json_body
from tracertm.api.deps import (
    DEFAULT_PAGE, MAX_PROJECT_CURSOR, READ_ERRORS, Filters, ProjectParam, ReadSession, RecordFilters,
    dump, etag, etag_version, keyset_page, next_link, project_after, project_cursor, project_name, project_of, reader,
    resolve_project, weakly_listed, writer,
)
from tracertm.api.problems import ApiProblem, instance_of, problem, responses, schema_mismatch
from tracertm.api.query_names import refuse_unknown_query
from tracertm.api.record_paths import AT, RECORD_IDENT
from tracertm.api.repository import project_root
from tracertm.api.tag_headers import TagHeader, if_match_header, if_none_match_header, tags_of
from tracertm.api.writes import bounded_read, locked_write
from tracertm.config import DEFAULT_LOCK_TIMEOUT_S
from tracertm.errors import LockTimeoutError
from tracertm.repositories import KINDS, Kind, Projects, Records
from tracertm.repositories.errors import StaleVersion
from tracertm.repositories.projects import project_dict, sync_run_dict
from tracertm.schemas.common import (
    Facets, Health, Page, ProjectRead, ProjectStatus, RevisionRead, SearchResults, SyncRunRead,
)
from tracertm.schemas.filters import MAX_LIMIT, ListFilter
from tracertm.schemas.records import page_model, read_model
from tracertm.schemas.updates import update_model

API = "/api/v1"
# Every line of each header, joined (RFC 9110 5.3): ``tag_headers``.
IfMatch = Annotated[TagHeader | None, Depends(if_match_header(
    'the ETag read before, or the version it starts with, e.g. "3"'))]
IfNoneMatch = Annotated[TagHeader | None, Depends(if_none_match_header(
    "* or ETags that must not be current (412 if one is)"))]
# Reads accept a token but do not need one (unless the server says so): the empty requirement makes it optional.
OPTIONAL_AUTH: dict[str, Any] = {"security": [{}]}


def install_routes(app: APIRouter) -> None:
    """Add every route to ``app``."""
    deps = [Depends(reader)]

    @app.get(f"{API}/healthz", response_model=Health, tags=["meta"], responses=responses(500, 503))
    def healthz(request: Request) -> dict[str, Any] | Response:
        """Liveness and the database's schema revision; a 503 when the database is at another revision than this
        server's (a newer tracertm migrated it during a rolling upgrade, or it was restored to an older one), and
        when a request met damage in the server's SQLite file, until the file changes (``KnownDamage``)."""
        damaged = request.app.state.damage.known()
        if damaged is not None:
            return problem(503, damaged, instance=instance_of(request.scope))
        engine = request.app.state.engine
        revision = db.current_revision(engine)
        if revision != db.SCHEMA_HEAD:
            # "ok" kept such a worker in the load balancer's pool, answering from a schema it does not know.
            return schema_mismatch(revision, instance_of(request.scope))
        return {"status": "ok", "database": engine.dialect.name, "schema_revision": revision}

    @app.get(f"{API}/projects", response_model=list[ProjectRead], tags=["projects"], dependencies=deps,
             openapi_extra=OPTIONAL_AUTH, responses=READ_ERRORS)
    def list_projects(
        request: Request, session: ReadSession,
        limit: Annotated[int | None, Query(ge=1, le=MAX_LIMIT, description=(
            "page size: the first this many projects by name, and a Link header to the next page; without it (or "
            "a cursor) every project"))] = None,
        cursor: Annotated[str | None, Query(max_length=MAX_PROJECT_CURSOR, description=(
            f"from the previous page's Link header (a page of {DEFAULT_PAGE} unless limit says otherwise)"))] = None,
    ) -> list[dict[str, Any]] | Response:
        """Every project in the database, by name. With ``limit`` or a ``cursor``, one keyset page of them (the
        body stays a list), and while more follow, a ``Link`` header (``rel="next"``) to the next page."""
        projects = Projects(session)
        if limit is None and cursor is None:  # the whole list, as always
            return [project_dict(p) for p in projects.list()]
        size = limit or DEFAULT_PAGE
        rows, more = projects.page(project_after(cursor) if cursor else None, size)
        body = [ProjectRead.model_validate(project_dict(p)).model_dump(mode="json") for p in rows]
        return keyset_page(request, body, project_cursor(rows[-1].name) if more and rows else None, size)

    @app.get(f"{API}/search", response_model=SearchResults, tags=["search"], dependencies=deps,
             openapi_extra=OPTIONAL_AUTH, responses=READ_ERRORS)
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

    @app.get(f"{API}/facets", response_model=Facets, tags=["records"], dependencies=deps, openapi_extra=OPTIONAL_AUTH,
             responses=READ_ERRORS)
    def facets(
        request: Request,
        session: ReadSession,
        flt: RecordFilters,
        kind: Annotated[str, Query(description="adrs, contracts, features, scenarios, step-definitions, test-cases")],
        project: ProjectParam = None,
    ) -> dict[str, Any]:
        """Counts per status, type and tag of the records matching the filters."""
        from tracertm.repositories.kinds import kind as kind_named

        k = kind_named(kind, "kind")
        scoped = resolve_project(session, project)
        repo = Records(session, k, _history_of(request, session, scoped, flt.changed_since))
        counted = repo.facets(scoped, flt)
        return {
            "kind": k.name,
            "total": repo.count(scoped, flt),
            "facets": {f: [{"value": v, "count": n} for v, n in values] for f, values in counted.items()},
        }

    @app.get(f"{API}/sync-runs", response_model=list[SyncRunRead], tags=["projects"], dependencies=deps,
             openapi_extra=OPTIONAL_AUTH, responses=READ_ERRORS)
    def sync_runs(
        session: ReadSession, project: ProjectParam = None, limit: Annotated[int, Query(ge=1, le=MAX_LIMIT)] = 50
    ) -> list[dict[str, Any]]:
        """The newest sync runs, newest first."""
        scoped = Projects(session).get(project, "project") if project else None
        return [sync_run_dict(run, name) for run, name in Projects(session).sync_runs(scoped, limit)]

    @app.get(f"{API}/projects/{{project:path}}/status", response_model=ProjectStatus, tags=["projects"],
             dependencies=deps, openapi_extra=OPTIONAL_AUTH, responses=READ_ERRORS)
    def project_status(project: str, session: ReadSession) -> dict[str, Any]:
        """The project's records per kind (live and deleted), its last sync and the files in error, as ``tracertm
        status --format json`` gives them (the links' counts: ``/coverage``; the suspect ones: ``/links``)."""
        return Projects(session).status(Projects(session).get(project, "project"))

    for k in KINDS.values():
        _kind_routes(app, k, deps)


def install_project_route(app: APIRouter) -> None:
    """Add ``GET /projects/{project}``; ``app.api_routes`` adds it after every other ``/projects/...`` route.

    Project names often hold a slash (``acme/payments``, the default name after an origin remote), sent plain or
    as ``%2F`` (which uvicorn decodes before routing), so every project route takes ``{project:path}``. That
    converter is greedy: registered before ``/projects/{project:path}/adrs`` it would answer for it, with the
    project ``acme/payments/adrs``. Starlette tries routes in order, so this one goes last. A path that can be read
    both ways because a project's name ends in a route word (``team/adrs``) names the longest existing project
    (``project_paths``)."""

    @app.get(f"{API}/projects/{{project:path}}", response_model=ProjectRead, tags=["projects"],
             dependencies=[Depends(reader)], openapi_extra=OPTIONAL_AUTH, responses=READ_ERRORS)
    def getresolve_project(project: str, session: ReadSession, request: Request) -> dict[str, Any]:
        """One project by name or UUID."""  # (the function name stays: it makes the operationId)
        from tracertm.repositories.errors import NotFound

        try:
            found = Projects(session).get(project, "project")
        except NotFound:
            # The greedy path took a path that is no project but another route's with another method
            # (``GET /projects/p/links/review``, a POST route): 405 naming that route's methods, not 404.
            others = _other_methods(request, route)
            if others:
                raise ApiProblem(405, f"{request.method} {request.url.path}: this path takes only {others}",
                                 headers={"Allow": others}) from None
            raise
        refuse_unknown_query(request)  # only now: no such project (often a misspelt route) is the 404 or 405
        return project_dict(found)

    route = app.routes[-1]
    route.deferred_query_check = True  # type: ignore[attr-defined]
    # A 405's Allow (``problems.allowed_methods``) counts this route's GET only where it answers it.
    route.gives_way = functools.partial(_project_gives_way, route)  # type: ignore[attr-defined]


def _project_gives_way(route: BaseRoute, request: Request) -> bool:
    """Whether ``GET /projects/{project:path}`` leaves this request's path to the other routes that take it: a path
    another route takes (``/projects/p/links/review``) is that route's unless a project of the whole name exists
    (``getresolve_project`` answers GET there with a 405 naming their methods). One query, for such paths only;
    a database that cannot say leaves the path to the others (the GET would be a 503)."""
    from sqlalchemy.exc import SQLAlchemyError

    from tracertm.errors import TracertmError

    if not _other_methods(request, route):
        return False
    name = route.matches({**request.scope, "method": "GET"})[1].get("path_params", {}).get("project")
    if not name:
        return True
    try:
        with db.session(request.app.state.engine) as session:
            return not Projects(session).existing([name])
    except (SQLAlchemyError, TracertmError, UnicodeDecodeError):  # (a damaged SQLite file's text)
        return True


def _other_methods(request: Request, mine: BaseRoute) -> str:
    """The methods the app's other routes (not ``mine``) serve at this request's path."""
    from starlette.routing import Match

    from tracertm.api.problems import METHOD_ORDER

    methods: set[str] = set()
    for other in request.app.router.routes:
        if other is mine or not hasattr(other, "methods"):
            continue
        methods |= {m for m in METHOD_ORDER if other.matches({**request.scope, "method": m})[0] == Match.FULL}
    return ", ".join(sorted(methods, key=METHOD_ORDER.index))


def _kind_routes(app: APIRouter, k: Kind, deps: list[Any]) -> None:
    read, update = read_model(k.name), update_model(k.name)
    tag = k.plural
    base = f"{API}/{k.plural}"
    field_names = list(read.model_fields)
    own = f"{base}/{{ident:{RECORD_IDENT[not k.from_git]}}}"  # the record itself (not its history, at, restore)

    # ``:path``: a project name may hold slashes; the fixed kind at the end keeps the match unambiguous.
    @app.get(f"{API}/projects/{{project:path}}/{k.plural}", tags=[tag], dependencies=deps,
             openapi_extra=OPTIONAL_AUTH, operation_id=f"list_{k.name}", response_model=Page,
             responses={**READ_ERRORS, 200: {"model": page_model(k.name), "description": "a page"}})
    def list_records(
        request: Request,
        project: str,
        session: ReadSession,
        flt: Filters,
        cursor: Annotated[
            str | None, Query(max_length=4096, description="from the previous page's page.next")
        ] = None,
    ) -> Response:
        """One page of records; the ``Link`` header and ``page.next`` carry the next page's cursor (which encodes
        the whole query, ``fields`` and ``count`` included: with a cursor, the other filters are ignored)."""
        _fields(flt.fields, field_names)
        scoped = Projects(session).get(project, "project")
        repo = Records(session, k, _history_of(request, session, scoped, flt.changed_since or cursor))
        # A cursor carries its query, page size and fields; a limit or fields given next to it win (Records.list).
        carried = _cursor_filter(cursor)
        if carried is not None and "limit" not in request.query_params:
            flt = flt.model_copy(update={"limit": carried.limit})
        page = repo.list(scoped, flt, cursor)
        # (checked after the list: a cursor of another kind's list is that 400, not one naming its fields)
        wanted = _fields(flt.fields or (carried or flt).fields, field_names)
        items = []
        for row, feature in page.rows:
            data = dump(k, row, scoped.name, feature)
            items.append({f: data[f] for f in wanted} if wanted else data)
        body: dict[str, Any] = {"items": items, "page": {"next": page.next_cursor, "limit": page.limit}}
        if flt.count or (carried is not None and carried.count):
            body["total"] = repo.count(scoped, carried or flt)
        headers = {}
        if page.next_cursor:
            headers["Link"] = next_link(request, {"cursor": page.next_cursor, "limit": page.limit})
        return JSONResponse(body, headers=headers)

    @app.get(f"{base}/{{ident:path}}/history", tags=[tag], dependencies=deps, openapi_extra=OPTIONAL_AUTH,
             operation_id=f"history_{k.name}", response_model=list[RevisionRead], responses=READ_ERRORS)
    def history(
        ident: str, request: Request, session: ReadSession, project: ProjectParam = None,
        limit: Annotated[int | None, Query(ge=1, le=MAX_LIMIT, description=(
            "page size: the oldest this many revisions (a whole version more when a move kept it), and a Link "
            "header to the next page; without it (or a cursor) every revision"))] = None,
        cursor: Annotated[str | None, Query(max_length=40, description=(
            "from the previous page's Link header (a page of 50 unless limit says otherwise)"))] = None,
    ) -> Response:
        """Every revision of the record, oldest first (without snapshots; see ``at``). With ``limit`` or a
        ``cursor``, one keyset page of them (the body stays a list), and while more follow, a ``Link`` header
        (``rel="next"``) to the next page."""
        after = _history_cursor(cursor) if cursor else None
        repo = Records(session, k)
        row = _over_time(session, k, ident, project)
        if limit is None and cursor is None:  # the whole history, as always: the README promises every revision
            return JSONResponse([_revision(r, snapshot=False) for r in repo.history(row)])
        size = limit or DEFAULT_PAGE
        rows, more = repo.history_window(row, after, size, newest=False)
        return keyset_page(request, [_revision(r, snapshot=False) for r in rows],
                           f"v{rows[-1].version}" if more and rows else None, size)

    @app.get(f"{base}/{{ident:path}}{AT}", tags=[tag], dependencies=deps, openapi_extra=OPTIONAL_AUTH,
             operation_id=f"at_{k.name}", response_model=RevisionRead, responses=READ_ERRORS)
    def at(ident: str, commit: str, request: Request, session: ReadSession,
           project: ProjectParam = None) -> dict[str, Any]:
        """The record as of a commit: its newest revision then, with the snapshot of its fields."""
        from tracertm.repositories.revision_read import revision_read_at

        row = _over_time(session, k, ident, project)
        owner = project_of(session, k, row)
        top = project_root(request.app.state, session, owner)
        found = revision_read_at(session, k, row, commit, top)  # what ``show --at --format json`` prints
        if found is None:  # (the sentence ``show --at`` says: came later, or the backfill to run)
            from tracertm.history.at import no_revision_message

            raise ApiProblem(404, no_revision_message(session, owner, ident, commit, top), kind="not-found")
        return found[1]

    @app.get(own, tags=[tag], dependencies=deps, openapi_extra=OPTIONAL_AUTH, operation_id=f"get_{k.name}",
             response_model=read, responses={**READ_ERRORS, 304: {"description": "not modified (If-None-Match)"},
                                             **responses(412)})
    def get(ident: str, session: ReadSession, if_none_match: IfNoneMatch, if_match: IfMatch,
            project: ProjectParam = None) -> Response:
        """One record by UUID or human id (``ADR-0003``, ``FEAT-2/SC-4``; a step definition's ``STEP-n`` or
        ``file::function``). ``ETag`` is ``"<version>-<digest of the body>"``: it changes whenever the body does
        (also without a new version); ``If-Match`` of a write compares the version in it, and so does a GET's
        (412 when it names another version); ``If-None-Match`` that lists the ETag (or is ``*``) is 304."""
        matching, none_matching = tags_of(if_match), tags_of(if_none_match)
        repo = Records(session, k)
        row = repo.get(ident, Projects(session).get(project, "project") if project else None)
        # RFC 9110 13.2.2: If-Match first (false: 412), then If-None-Match (false on a GET: 304).
        if matching is not None and not _holds(matching, row.version):
            raise StaleVersion(f"If-Match {if_match.text if if_match else ''}: not the current version of {ident}; "
                               "re-read it", row.version)
        answer = JSONResponse(dump(k, row, project_name(session, k, row), repo.feature_of(row)))
        tag = etag(row.version, answer.body)
        if none_matching is not None and weakly_listed(none_matching, tag):
            return Response(status_code=304, headers={"ETag": tag})
        answer.headers["ETag"] = tag
        return answer

    schema = update.model_json_schema()

    @app.patch(
        own, tags=[tag], operation_id=f"update_{k.name}", response_model=read,
        responses=responses(400, 401, 403, 404, 409, 412, 413, 415, 422, 428, 500, 503),
        openapi_extra={"requestBody": {"required": True, "content": {"application/json": {"schema": schema}}}},
    )
    async def patch(
        ident: str,
        request: Request,
        actor: Annotated[str, Depends(writer)],
        if_match: IfMatch,
        if_none_match: IfNoneMatch,
        project: ProjectParam = None,
    ) -> Response:
        """Set database-owned fields. Needs ``If-Match`` with the ETag you read, or the version it starts with
        (428 without, 412 when the version is stale), and a write token. A git-owned field is refused with 409
        naming the file and the line to edit (``source_path``, ``line``; ``line_note`` says why if there is none)."""
        from starlette.concurrency import run_in_threadpool

        conditions = Conditions(if_match, if_none_match)
        changes = await json_body(request)
        if not isinstance(changes, dict):
            raise ApiProblem(422, "the body must be a JSON object of fields to set", kind="invalid-request")
        return await run_in_threadpool(_write, request, k, ident, project, conditions, actor, "update", changes)

    if k.from_git:
        return
    write_errors = responses(400, 401, 403, 404, 409, 412, 413, 422, 428, 500, 503)

    @app.delete(own, tags=[tag], operation_id=f"delete_{k.name}", response_model=read,
                responses=write_errors)
    def delete(ident: str, request: Request, actor: Annotated[str, Depends(writer)], if_match: IfMatch,
               if_none_match: IfNoneMatch, project: ProjectParam = None) -> Response:
        """Soft-delete a record that git does not own (``deleted_at`` set; ``include_deleted`` still lists it)."""
        return _write(request, k, ident, project, Conditions(if_match, if_none_match), actor, "delete")

    @app.post(f"{base}/{{ident:path}}/restore", tags=[tag], operation_id=f"restore_{k.name}", response_model=read,
              responses=write_errors)
    def restore(ident: str, request: Request, actor: Annotated[str, Depends(writer)], if_match: IfMatch,
                if_none_match: IfNoneMatch, project: ProjectParam = None) -> Response:
        """Restore a soft-deleted record that git does not own."""
        return _write(request, k, ident, project, Conditions(if_match, if_none_match), actor, "restore")


class Conditions:
    """A write's preconditions: the ``If-Match`` header as sent (every line joined) and its members, and
    ``If-None-Match``'s members (None when a header was not sent)."""

    def __init__(self, if_match: TagHeader | None, if_none_match: TagHeader | None) -> None:
        self.if_match = if_match.text if if_match else None
        self.matching, self.none_matching = tags_of(if_match), tags_of(if_none_match)


def _holds(tags: list[str], current: int) -> bool:
    """Whether an ``If-Match`` list holds for a record at version ``current``: ``*``, or a strong tag naming it."""
    return tags == ["*"] or _version_of(tags, current) == current


def _none_match_fails(session: Session, k: Kind, row: Any, ident: str, tags: list[str] | None) -> None:
    """412 when ``If-None-Match`` names the record as it is (``*``: it exists; or its current ETag is listed): RFC
    9110 13.1.2, a write that asked to happen only if no such representation exists must not happen."""
    if tags is None:
        return
    body = JSONResponse(dump(k, row, project_name(session, k, row), Records(session, k).feature_of(row))).body
    current = etag(row.version, body)
    if weakly_listed(tags, current):
        raise ApiProblem(412, f"If-None-Match {', '.join(tags)}: {ident} exists at {current}; nothing written",
                         kind="precondition-failed", headers={"ETag": current})


# How long an ``If-Match: *`` write is tried again while its version-guarded UPDATE loses to writers that take no
# lock: as long as a write may wait for the lock itself (README: then 503, Retry-After). A count of attempts (3) made
# it a 412 after three such losses, where the README promises a ``*`` write is never 412.
STAR_BOUND_S = DEFAULT_LOCK_TIMEOUT_S
# How often a write takes the lock again when a sync renamed the record's project meanwhile.
RENAMED_ATTEMPTS = 3


def _write(request: Request, k: Kind, ident: str, project: str | None, conditions: Conditions, actor: str,
           action: str, changes: dict[str, Any] | None = None) -> Response:
    """One guarded write, ``update`` (``changes``), ``delete`` or ``restore``, in its own transaction under the
    write lock of the record's project: the lock every sync, import and link review takes, so that a sync never
    sees a row it planned from change under it (it would fail as a whole), and API writes of a project queue.

    ``If-Match: *`` holds whenever the record exists (RFC 9110), so such a write uses the version it reads under
    the lock and is tried again when the version-guarded UPDATE still loses (to an ORM edit from Python, which
    takes no lock), for up to ``STAR_BOUND_S``, then 503 (``lock-timeout``): it is never 412 for the version. A
    listed ETag is compared once: stale is 412. ``If-None-Match`` that names the record as it is (``*``, or its
    current ETag) is 412 too (RFC 9110 13.1.2)."""
    star = conditions.matching == ["*"]
    deadline = time.monotonic() + STAR_BOUND_S
    renamed = 0
    while renamed < RENAMED_ATTEMPTS:
        # The lock is per project name, so the name is read before the lock is waited for (404 and 428 too).
        started = time.monotonic()
        owner = _owner(request, k, ident, project, conditions, action)
        try:
            with locked_write(request, owner, time.monotonic() - started) as session:
                answer = _write_locked(request, session, k, ident, project, owner, conditions, actor, action,
                                       changes)
        except StaleVersion:
            if not star:
                raise
            if time.monotonic() >= deadline:
                raise LockTimeoutError(
                    f"If-Match *: {ident} was changed by a writer that takes no write lock during every attempt "
                    f"for {STAR_BOUND_S:g} s; nothing was written; send the request again after Retry-After "
                    "seconds") from None
            continue
        if answer is not None:
            return answer
        renamed += 1
    # Renamed under us (a sync after `git remote set-url`) on every attempt: say so rather than write unlocked.
    raise ApiProblem(409, f"the project of {ident} was renamed while this request ran; send it again",
                     kind="conflict")


def _owner(request: Request, k: Kind, ident: str, project: str | None, conditions: Conditions, action: str) -> str:
    """The name of the record's project ("" for a step definition shared by every project: one lock for those);
    404 for an unknown record, 428 without ``If-Match`` — before any lock is waited for. Without ``If-Match``, an
    ``If-None-Match`` that fails is 412 first: it is the precondition the client sent, and it is false. Its wait
    for a table lock is bounded as the write lock's is (``bounded_read``)."""
    with bounded_read(request, ident) as session:
        row = Records(session, k).get(ident, Projects(session).get(project, "project") if project else None)
        if conditions.matching is None:
            _none_match_fails(session, k, row, ident, conditions.none_matching)
            raise ApiProblem(  # RFC 6585: a 428 must not be stored by a cache
                428, f"send If-Match: \"{row.version}\" (the version; the ETag of your last GET works too) to "
                     f"{action} {ident}",
                kind="precondition-required", headers={"Cache-Control": "no-store"},
            )
        return project_name(session, k, row) or ""


def _over_time(session: Session, k: Kind, ident: str, project: str | None) -> Any:
    """The record ``/history`` and ``/at`` read: the one ``ident`` names now, else the one that had that id before
    (a renamed file's untagged feature, a moved ADR, a scenario an upgrade renumbered), as the CLI's ``history``
    and ``show --at`` find it (README)."""
    from tracertm.repositories.lookup import record_over_time

    return record_over_time(session, k, ident, Projects(session).get(project, "project") if project else None)


def _history_of(request: Request, session: Session, project: Any, changed_since: str | None) -> Path | None:
    """The project's repository on this server's disk (``project_root``), whose history places a ``changed_since``
    commit (a cursor may carry one); None without one (dates decide), and when no filter needs it (a lookup may
    read the repository's file list)."""
    return project_root(request.app.state, session, project) if changed_since else None


def _write_locked(request: Request, session: Session, k: Kind, ident: str, project: str | None, owner: str,
                  conditions: Conditions, actor: str, action: str,
                  changes: dict[str, Any] | None) -> Response | None:
    """The read-modify-write of ``_write`` in ``session``, which holds ``owner``'s lock; None (nothing written)
    when the record's project is no longer ``owner``."""
    repo = Records(session, k)
    row = repo.get(ident, Projects(session).get(project, "project") if project else None)
    name = project_name(session, k, row)
    if (name or "") != owner:
        return None
    top = project_root(request.app.state, session, project_of(session, k, row)) if changes else None
    if changes is not None:
        repo.check_fields(row, list(changes), top)
    tags = conditions.matching or []
    expected = row.version if tags == ["*"] else _version_of(tags, row.version)
    if expected is None:
        raise StaleVersion(f"If-Match {conditions.if_match}: no such version of {ident}; re-read it", row.version)
    if expected == row.version:  # RFC 9110 13.2.2: If-None-Match is evaluated once If-Match holds
        _none_match_fails(session, k, row, ident, conditions.none_matching)
    if action == "update":
        repo.update(row, changes or {}, expected, actor, top)
    else:
        repo.set_deleted(row, action == "delete", expected, actor)
    session.flush()
    # Read back as stored, so that the answer (and its ETag) is what a GET of this version gives: a time sent with
    # another offset, or none, is stored in UTC.
    session.refresh(row)
    # The answer is made before the commit: a record the answer cannot show is not written either.
    answer = JSONResponse(dump(k, row, name, repo.feature_of(row)))
    answer.headers["ETag"] = etag(row.version, answer.body)
    return answer


def _version_of(tags: list[str], current: int) -> int | None:
    """The version an ``If-Match`` list names: ``current`` when any of its strong tags names the current version
    (``"3"``, or an ETag ``"3-<digest>"`` read at version 3: the lock is the version, so a body that changed without
    a new version, such as a sync's ``usage_count``, does not refuse the write; weak tags never match, RFC 9110),
    else the first version it names (the write is then refused as stale), None when it names none."""
    versions = [v for v in (etag_version(tag) for tag in tags) if v is not None]
    if current in versions:
        return current
    return versions[0] if versions else None


def _history_cursor(cursor: str) -> int:
    """The version a history cursor (``v<version>``: the last one of the previous page) continues after."""
    if cursor[:1] == "v" and cursor[1:].isascii() and cursor[1:].isdigit() and 0 <= int(cursor[1:]) < 2**31:
        return int(cursor[1:])
    raise ApiProblem(400, "cursor: not a cursor of this history; use the previous page's Link header",
                     kind="bad-request")


def _cursor_filter(cursor: str | None) -> ListFilter | None:
    """The filter a cursor carries (for ``count`` alongside a cursor page)."""
    if not cursor:
        return None
    from tracertm.repositories.cursor import Cursor

    return Cursor.decode(cursor).filter


def _fields(fields: list[str] | None, known: list[str]) -> list[str]:
    if not fields:
        return []
    wanted = list(dict.fromkeys(f.strip() for value in fields for f in value.split(",") if f.strip()))
    unknown = [f for f in wanted if f not in known]
    if unknown:
        raise ApiProblem(400, f"fields: unknown field {unknown[0]!r}; known: {', '.join(known)}", kind="bad-request")
    return wanted


def _revision(rev: Any, snapshot: bool) -> dict[str, Any]:
    from tracertm.repositories.revision_read import revision_read

    return revision_read(rev, snapshot).model_dump(mode="json")  # type: ignore[no-any-return]
