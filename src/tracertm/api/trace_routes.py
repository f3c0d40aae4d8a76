"""Traceability over HTTP, the JSON twins of ``matrix``, ``trace``, ``status``'s links and ``review``:

- ``GET  /api/v1/projects/{project}/matrix?from=requirements|adrs`` — the matrix with coverage states;
- ``GET  /api/v1/projects/{project}/coverage`` — coverage states counted per requirement and per ADR, link counts;
- ``GET  /api/v1/projects/{project}/links?suspect=true&type=implements`` — links, keyset paginated;
- ``GET  /api/v1/projects/{project}/links/{link_id}`` — one link;
- ``GET  /api/v1/projects/{project}/trace/{ident}?depth=N`` — the graph around a record or requirement id;
- ``PATCH /api/v1/projects/{project}/links/{link_id}`` ``{"reviewed": true}`` — review one link;
- ``POST /api/v1/projects/{project}/links/review`` ``{"source": ID}`` or ``{"all": true}`` — review many.

Reviews need a write token and record the token's label and the time, exactly as ``tracertm review`` records
``--by`` and the time; they run under the project's write lock, like every writer.
"""

from __future__ import annotations

import re
from typing import Annotated, Any

from fastapi import Depends, FastAPI, Path, Query, Request
from fastapi.responses import JSONResponse, Response
from sqlalchemy.orm import Session

from tracertm import db
from tracertm.api.deps import READ_ERRORS, ReadSession, next_link, reader, writer
from tracertm.api.problems import responses
from tracertm.models import Project
from tracertm.repositories import Projects
from tracertm.schemas.filters import MAX_LIMIT
from tracertm.schemas.trace import (
    CoverageSummary, LinkPage, LinkRead, LinkUpdate, Matrix, ReviewRequest, ReviewResult, TraceGraph,
)

API = "/api/v1"
OPTIONAL_AUTH: dict[str, Any] = {"security": [{}]}
TAG = "traceability"
WRITE_ERRORS = responses(400, 401, 403, 404, 409, 413, 422, 500, 503)
MAX_DEPTH = 10


def _dangling(request: Request, project: str, link_id: int, exc: Exception) -> Exception:
    """The 409 of a dangling link's review as a problem whose ``source_path`` and ``line`` name where the reference
    is written (as a git-owned field's 409 does); any other conflict as it is."""
    from sqlalchemy import select

    from tracertm.api.problems import ApiProblem
    from tracertm.models import Link
    from tracertm.trace.review import link_state

    with db.session(request.app.state.engine) as session:
        link = session.execute(select(Link).where(
            Link.project_id == Projects(session).get(project, "project").id, Link.id == link_id)).scalar_one_or_none()
        if link is None or link_state(link) != "dangling":
            return exc
        return ApiProblem(409, str(exc), kind="dangling-link", source_path=link.source_path, line=link.source_line)


def install_trace_routes(app: FastAPI) -> None:
    """Add the traceability routes to ``app`` (one call from ``create_app``)."""
    deps = [Depends(reader)]
    # ``:path``: project names may hold slashes (``acme/payments``); each route ends in fixed words after it, and
    # ``GET /projects/{project:path}`` itself is registered after these (routes.install_project_route).
    base = f"{API}/projects/{{project:path}}"

    @app.get(f"{base}/matrix", response_model=Matrix, tags=[TAG], dependencies=deps, openapi_extra=OPTIONAL_AUTH,
             responses=READ_ERRORS, operation_id="trace_matrix")
    def matrix(
        project: str,
        session: ReadSession,
        origin: Annotated[str, Query(alias="from", pattern="^(requirements|adrs)$",
                                     description="one row per requirement id (default) or per ADR")] = "requirements",
    ) -> dict[str, Any]:
        """The traceability matrix: what links to each requirement (or ADR) and its coverage state (README:
        coverage states). The same document as ``tracertm matrix --format json``."""
        from tracertm.trace import coverage

        rows = coverage.coverage(session, Projects(session).get(project, "project"), origin)
        return {"from": origin, "states": coverage.states_count(rows), "rows": [r.as_dict() for r in rows]}

    @app.get(f"{base}/coverage", response_model=CoverageSummary, tags=[TAG], dependencies=deps,
             openapi_extra=OPTIONAL_AUTH, responses=READ_ERRORS, operation_id="trace_coverage")
    def coverage_summary(project: str, session: ReadSession) -> dict[str, Any]:
        """Coverage states counted per requirement and per ADR, and the project's links (total, suspect,
        dangling, per type): the figures of a dashboard."""
        from tracertm.trace import coverage, listing

        scoped = Projects(session).get(project, "project")
        out: dict[str, Any] = {"project": scoped.name}
        for key in ("requirements", "adrs"):
            rows = coverage.coverage(session, scoped, key)
            out[key] = {"total": len(rows), "states": coverage.states_count(rows)}
        out["links"] = listing.counts(session, scoped)
        return out

    @app.get(f"{base}/links", response_model=LinkPage, tags=[TAG], dependencies=deps, openapi_extra=OPTIONAL_AUTH,
             responses=READ_ERRORS, operation_id="trace_links")
    def links(
        request: Request,
        project: str,
        session: ReadSession,
        suspect: Annotated[bool | None, Query(description="true: only suspect links; false: none")] = None,
        dangling: Annotated[bool | None, Query(description="true: only dangling links; false: none")] = None,
        type: Annotated[list[str] | None, Query(  # noqa: A002 - the public parameter name
            description="link types, any of (repeat or comma-separate): supersedes, superseded_by, related, "
                        "implements, covers, step, test")] = None,
        source: Annotated[str | None, Query(max_length=1024, description="links from this record")] = None,
        target: Annotated[str | None, Query(max_length=500,
                                            description="links to this id (ADR-0003, REQ-7, STEP-2)")] = None,
        limit: Annotated[int, Query(ge=1, le=MAX_LIMIT, description="page size")] = 50,
        cursor: Annotated[str | None, Query(max_length=4096,
                                            description="from the previous page's page.next")] = None,
    ) -> Response:
        """One page of the project's links in link-number order. ``Link: <...>; rel="next"`` and ``page.next``
        carry the next page's cursor, which encodes the whole query (with a cursor the other filters are
        ignored)."""
        from tracertm.trace.listing import LinkFilter, list_links

        types = tuple(part.strip() for item in type or () for part in item.split(",") if part.strip())
        scoped = Projects(session).get(project, "project")
        flt = LinkFilter(suspect, dangling, types, source, _step_target(session, scoped, target), limit)
        page = list_links(session, scoped, None if cursor and "limit" not in request.query_params else flt, cursor)
        body = LinkPage.model_validate(
            {"items": page.items, "page": {"next": page.next_cursor, "limit": page.limit}}
        ).model_dump(mode="json")
        headers = {}
        if page.next_cursor:
            headers["Link"] = next_link(request, {"cursor": page.next_cursor, "limit": page.limit})
        return JSONResponse(body, headers=headers)

    @app.get(f"{base}/links/{{link_id}}", response_model=LinkRead, tags=[TAG], dependencies=deps,
             openapi_extra=OPTIONAL_AUTH, responses=READ_ERRORS, operation_id="trace_link")
    def link(
        project: str,
        link_id: Annotated[int, Path(ge=1, le=2**62, description="the link number")],
        session: ReadSession,
    ) -> dict[str, Any]:
        """One link by its number, with its review state."""
        from tracertm.trace.review import get_link

        return get_link(session, Projects(session).get(project, "project"), link_id)

    @app.get(f"{base}/trace/{{ident:path}}", response_model=TraceGraph, tags=[TAG], dependencies=deps,
             openapi_extra=OPTIONAL_AUTH, responses=READ_ERRORS, operation_id="trace_graph")
    def trace(
        project: str,
        ident: str,
        session: ReadSession,
        depth: Annotated[int, Query(ge=0, le=MAX_DEPTH, description="links to follow from the record")] = 2,
    ) -> dict[str, Any]:
        """The graph around a record (``ADR-0003``, ``CTR-0001``, ``FEAT-2``, ``FEAT-2/SC-4``) or a requirement
        id: links followed both ways plus feature → scenario containment, ``depth`` steps. The same document as
        ``tracertm trace ID --format json``."""
        from tracertm.trace import graph

        return graph.build(session, Projects(session).get(project, "project"), ident, depth).as_dict()

    @app.patch(f"{base}/links/{{link_id}}", response_model=LinkRead, tags=[TAG], responses=WRITE_ERRORS,
               operation_id="trace_review_link")
    def review_link(
        request: Request,
        project: str,
        link_id: Annotated[int, Path(ge=1, le=2**62, description="the link number")],
        change: LinkUpdate,
        actor: Annotated[str, Depends(writer)],
    ) -> dict[str, Any]:
        """Review one link: ``{"reviewed": true}`` marks it reviewed against its target's current version,
        recording the token's label and the time (as ``tracertm review N``). A link that is not suspect is
        returned unchanged; a dangling link is 409 (fix the reference in its file)."""
        from tracertm.errors import ConflictError
        from tracertm.trace.review import review_link as mark

        try:
            with db.write_session(request.app.state.engine, _name(request, project)) as session:
                link, _ = mark(session, Projects(session).get(project, "project"), link_id, by=actor)
        except ConflictError as exc:
            raise _dangling(request, project, link_id, exc) from None
        return link

    @app.post(f"{base}/links/review", response_model=ReviewResult, tags=[TAG], responses=WRITE_ERRORS,
              operation_id="trace_review")
    def review(
        request: Request,
        project: str,
        body: ReviewRequest,
        actor: Annotated[str, Depends(writer)],
    ) -> dict[str, Any]:
        """Review the suspect links from or to one record (``{"source": "FEAT-2/SC-4"}``, or a link number), or
        every suspect link of the project (``{"all": true}``). Answers with the links reviewed, as they were."""
        from tracertm.trace.review import review as mark

        with db.write_session(request.app.state.engine, _name(request, project)) as session:
            reviewed = mark(session, Projects(session).get(project, "project"), body.source,
                            everything=body.all, by=actor)
        return {"reviewed_by": actor, "reviewed": reviewed}


def _step_target(session: Session, project: Project, target: str | None) -> str | None:
    """``target`` as links name it: a step definition's short id ``STEP-n`` becomes the definition's identity
    (``file::function``, the reference its step links carry), as ``source``, ``trace`` and the CLI resolve it; any
    other id (or a ``STEP-n`` no definition has) is compared as it is."""
    if not target or not re.match(r"^STEP-\d+$", target, re.IGNORECASE):
        return target
    from tracertm.engine.links import clip_ref
    from tracertm.steps.queries import find_definition

    definition = find_definition(session, project, target)
    return clip_ref(definition.step_number) if definition is not None and definition.step_number else target


def _name(request: Request, project: str) -> str:
    """The project's name (the write lock is per name), read before the lock is taken; 404 when unknown."""
    with db.session(request.app.state.engine) as session:
        return str(Projects(session).get(project, "project").name)


__all__ = ["install_trace_routes"]
