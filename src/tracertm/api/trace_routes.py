"""Traceability over HTTP, the JSON twins of ``matrix``, ``trace``, ``status``'s links and ``review``:

- ``GET  /api/v1/projects/{project}/matrix?from=requirements|adrs`` — the matrix with coverage states (``limit``
  or a ``cursor``: a page of its rows);
- ``GET  /api/v1/projects/{project}/coverage`` — coverage states counted per requirement and per ADR, link counts;
- ``GET  /api/v1/projects/{project}/links?suspect=true&type=implements`` — links, keyset paginated;
- ``GET  /api/v1/projects/{project}/links/{link_id}`` — one link;
- ``GET  /api/v1/projects/{project}/trace/{ident}?depth=N&limit=500`` — the graph around a record or requirement id,
  a page of its edges at a time;
- ``PATCH /api/v1/projects/{project}/links/{link_id}`` ``{"reviewed": true}`` + ``If-Match`` — review one link;
- ``POST /api/v1/projects/{project}/links/review`` ``{"source": ID}`` or ``{"all": true}`` — review many.

Reviews need a write token and record the token's label and the time, exactly as ``tracertm review`` records
``--by`` and the time; they run under the project's write lock, like every writer. A review claims the version of
the target the reviewer read, so it takes the optimistic lock of every database-side edit: ``If-Match`` names
that version (the link's ``ETag``, ``"<target version>-<digest>"``, the target's own ``ETag`` or ``"3"``), 428
without it on ``PATCH``, 412 with ``current_version`` when the target has moved on (as ``review --version N``).
The target's current version holds, and so does an earlier one of the same content: database-side (``annotated``)
edits move a target's version, not the content a link points at (``trace.review.review_versions``).
"""

from __future__ import annotations

import re
import time
from collections.abc import Callable, Collection
from typing import Annotated, Any, TypeVar

from fastapi import APIRouter, Depends, Path, Query, Request
from fastapi.responses import JSONResponse, Response
from sqlalchemy.orm import Session
from starlette.convertors import Convertor, register_url_convertor

from tracertm import db
from tracertm.api.bodies import model_body, openapi
from tracertm.api.deps import (
    DEFAULT_PAGE, READ_ERRORS, ReadSession, etag, etag_version, keyset_page, next_link, reader,
    text_after, text_cursor, weakly_listed, writer,
)
from tracertm.api.problems import ApiProblem, responses
from tracertm.api.tag_headers import TagHeader, if_match_header, if_none_match_header, tags_of
from tracertm.api.writes import RENAME_ATTEMPTS, bounded_read, locked_write
from tracertm.models import Project
from tracertm.repositories import Projects
from tracertm.repositories.cursor import MAX_CHARS
from tracertm.repositories.errors import NotFound, StaleReview, StaleVersion
from tracertm.schemas.filters import MAX_LIMIT
from tracertm.schemas.trace import (
    CoverageSummary, LinkPage, LinkRead, LinkUpdate, Matrix, ReviewRequest, ReviewResult, TraceGraph,
)
from tracertm.trace.graph_pages import DEFAULT_EDGES, MAX_EDGES

T = TypeVar("T")
API = "/api/v1"
OPTIONAL_AUTH: dict[str, Any] = {"security": [{}]}
TAG = "traceability"
IF_MATCH = ('the version of the link\'s target you reviewed: the link\'s ETag, the target\'s ETag, or the version '
            'alone, e.g. "3"; * reviews whatever version is current')
IF_NONE_MATCH = "* or ETags of the link that must not be current: 412 (nothing reviewed) when one is"
MAX_DEPTH = 10
# Link numbers are 63-bit (BIGINT; SQLite's INTEGER) and start at 1: a number outside is no link's, answered as an
# unknown one without asking the database (which cannot take a number past 63 bits).
MAX_LINK_ID = 2**63 - 1


class _NotALinkNumber(Convertor[str]):
    """A path segment that is no link number (digits: the ``{link_id:int}`` routes) and not ``review`` (the POST
    route's word, whose GET stays 405 naming POST)."""

    regex = r"(?!review$)(?![0-9]+$)[^/]+"

    def convert(self, value: str) -> str:
        return value

    def to_string(self, value: str) -> str:
        return value


NOT_A_LINK_NUMBER = "tracertm_not_a_link_number"
register_url_convertor(NOT_A_LINK_NUMBER, _NotALinkNumber())

# The link number of a path whose digits are more than ``int`` converts (4,300): no link's, named so in the 404.
TOO_MANY_DIGITS = -1


class _LinkNumber(Convertor[int]):
    """The ``{link_id:...}`` of the link routes: digits as a number, as Starlette's ``int`` converts them, but one of
    more than 4,300 digits is ``TOO_MANY_DIGITS`` (``int`` refuses it: a 500 raised while routing, before the token
    was checked)."""

    regex = "[0-9]+"

    def convert(self, value: str) -> int:
        return int(value) if len(value.lstrip("0")) <= 4300 else TOO_MANY_DIGITS

    def to_string(self, value: int) -> str:
        return str(value)


LINK_NUMBER = "tracertm_link_number"
register_url_convertor(LINK_NUMBER, _LinkNumber())


def _no_link(session: Session, project: str, word: str) -> Exception:
    """The 404 of a link path that names no link number: after the project's own 404, as for an unknown number."""
    scoped = Projects(session).get(project, "project")
    return ApiProblem(404, f"project {scoped.name} has no link {word!r}: a link is named by its number "
                           "(GET .../links lists them)", kind="not-found")


def _known_number(project: Project, link_id: int) -> None:
    """``NotFound``, worded as ``trace.review.get_link`` words it, for a number no link can have (0, or past
    ``MAX_LINK_ID``): such a link is not there, as any unknown one (404), not a path out of range (422)."""
    if link_id == TOO_MANY_DIGITS:
        raise NotFound(f"link of more than 4,300 digits: no such link in project {project.name}; see GET .../links")
    if not 1 <= link_id <= MAX_LINK_ID:
        raise NotFound(f"link {link_id}: no such link in project {project.name}; see GET .../links")


def _link_precondition(condition: str, link_id: int, version: int | None) -> Exception:
    """The 412 of a link's failed precondition: with ``current_version`` (as a stale review's) when the link's target
    has a version, else a plain ``precondition-failed`` (a dangling or requirement link has no ETag to match)."""
    if version is not None:
        return StaleVersion(f"{condition}: link {link_id}'s target is at version {version}; re-read it", version)
    return ApiProblem(412, f"{condition}: link {link_id} has no ETag (its target has no version)",
                      kind="precondition-failed")


def _link_none_match(session: Session, scoped: Project, link_id: int, tags: list[str]) -> None:
    """412 when a review's ``If-None-Match`` names the link as it is (``*``: it exists; or its current ETag): RFC
    9110 13.1.2, the review asked to happen only if no such representation exists. 404 for an unknown link."""
    from tracertm.trace.review import get_link

    _known_number(scoped, link_id)
    found = get_link(session, scoped, link_id)
    version = _current(_versions(session, scoped, link_id))
    body = JSONResponse(LinkRead.model_validate(found).model_dump(mode="json")).body
    tag = etag(version, body) if version is not None else None
    if weakly_listed(tags, tag):
        raise ApiProblem(412, f"If-None-Match {', '.join(tags)}: link {link_id} exists as listed; nothing reviewed",
                         kind="precondition-failed", headers={"ETag": tag} if tag else None)


def _dangling(request: Request, project: str, link_id: int, exc: Exception) -> Exception:
    """The 409 of a dangling link's review as a problem whose ``source_path`` and ``line`` name where the reference
    is written (as a git-owned field's 409 does); any other conflict as it is."""
    from sqlalchemy import select

    from tracertm.models import Link
    from tracertm.trace.review import link_state

    with db.session(request.app.state.engine) as session:
        link = session.execute(select(Link).where(
            Link.project_id == Projects(session).get(project, "project").id, Link.id == link_id)).scalar_one_or_none()
        if link is None or link_state(link) != "dangling":
            return exc
        return ApiProblem(409, str(exc), kind="dangling-link", source_path=link.source_path, line=link.source_line)


def install_trace_routes(app: APIRouter) -> None:
    """Add the traceability routes to ``app`` (one call from ``app.api_routes``)."""
    deps = [Depends(reader)]
    # ``:path``: project names may hold slashes (``acme/payments``); each route ends in fixed words after it, and
    # ``GET /projects/{project:path}`` itself is registered after these (routes.install_project_route).
    base = f"{API}/projects/{{project:path}}"

    @app.get(f"{base}/matrix", response_model=Matrix, tags=[TAG], dependencies=deps, openapi_extra=OPTIONAL_AUTH,
             responses=READ_ERRORS, operation_id="trace_matrix")
    def matrix(
        request: Request,
        project: str,
        session: ReadSession,
        origin: Annotated[str, Query(alias="from", pattern="^(requirements|adrs)$",
                                     description="one row per requirement id (default) or per ADR")] = "requirements",
        limit: Annotated[int | None, Query(ge=1, le=MAX_LIMIT, description=(
            "page size: the first this many rows, and a Link header to the next page; without it (or a cursor) "
            "every row"))] = None,
        cursor: Annotated[str | None, Query(max_length=MAX_MATRIX_CURSOR, description=(
            f"from the previous page's Link header (a page of {DEFAULT_PAGE} unless limit says otherwise)"))] = None,
    ) -> dict[str, Any] | Response:
        """The traceability matrix: what links to each requirement (or ADR) and its coverage state (README:
        coverage states). The same document as ``tracertm matrix --format json``. With ``limit`` or a ``cursor``,
        one page of its rows in their order (the body keeps its shape, ``states`` counting every row), and while
        more follow, a ``Link`` header (``rel="next"``) to the next page."""
        from tracertm.trace import coverage

        after = _matrix_after(cursor, origin) if cursor else None
        scoped = Projects(session).get(project, "project")
        if limit is None and cursor is None:  # the whole matrix, as always: the README promises every row
            rows = coverage.coverage(session, scoped, origin)
            return {"from": origin, "states": coverage.states_count(rows), "rows": [r.as_dict() for r in rows]}
        size = limit or DEFAULT_PAGE
        index = coverage.row_index(session, scoped, origin)
        start = index.start_after(after)
        ids = index.ids[start:start + size]
        rows = coverage.page_rows(session, index, ids)
        body = Matrix.model_validate({"from": origin, "states": index.states, "rows": [r.as_dict() for r in rows]})
        more = start + size < len(index.ids)
        return keyset_page(request, body.model_dump(mode="json", by_alias=True),
                           _matrix_cursor(origin, ids[-1]) if more and ids else None, size)

    @app.get(f"{base}/coverage", response_model=CoverageSummary, tags=[TAG], dependencies=deps,
             openapi_extra=OPTIONAL_AUTH, responses=READ_ERRORS, operation_id="trace_coverage")
    def coverage_summary(project: str, session: ReadSession) -> dict[str, Any]:
        """Coverage states counted per requirement and per ADR, and the project's links (total, suspect,
        dangling, per type): the figures of a dashboard."""
        from tracertm.trace import coverage, listing

        scoped = Projects(session).get(project, "project")
        out: dict[str, Any] = {"project": scoped.name}
        # Counted, not the matrix's rows built: every row is in one state.
        for key, states in coverage.states_by_project(session, [scoped.id])[scoped.id].items():
            out[key] = {"total": sum(states.values()), "states": states}
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

    # ``{link_id:int}`` (``LINK_NUMBER``): only digits reach a link route, so ``/links/review`` (a POST route) and
    # ``/links/abc`` are not a link number to validate (422) but a path no GET serves (405 naming POST) and no link
    # (404: read_no_link). Any digits are a number to look up: one no link can have (0, past 63 bits) is 404 as well
    # (_known_number).
    @app.get(f"{base}/links/{{link_id:{LINK_NUMBER}}}", response_model=LinkRead, tags=[TAG], dependencies=deps,
             openapi_extra=OPTIONAL_AUTH, operation_id="trace_link",
             responses={**READ_ERRORS, 304: {"description": "not modified (If-None-Match)"}, **responses(412)})
    def link(
        project: str,
        link_id: Annotated[int, Path(description="the link number")],
        session: ReadSession,
        if_none_match: Annotated[TagHeader | None, Depends(if_none_match_header())],
        if_match: Annotated[TagHeader | None, Depends(if_match_header())],
    ) -> Response:
        """One link by its number, with its review state. ``ETag`` is ``"<target version>-<digest of the body>"``,
        the target's current version (as in the target's own ETag): the version in it is what a review's
        ``If-Match`` compares (a dangling or requirement link has none). ``If-None-Match`` listing the ETag (or
        ``*``) is 304; ``If-Match`` naming a version a review may not name (``review_versions``) is 412."""
        from tracertm.trace.review import get_link

        matching, none_matching = tags_of(if_match), tags_of(if_none_match)
        scoped = Projects(session).get(project, "project")
        _known_number(scoped, link_id)
        found = get_link(session, scoped, link_id)
        versions = _versions(session, scoped, link_id)
        version = _current(versions)
        holds = matching in (None, ["*"]) or (
            versions is not None and _expected(matching or [], versions) in versions)
        if not holds:
            raise _link_precondition(f"If-Match {if_match.text if if_match else ''}", link_id, version)
        answer = JSONResponse(LinkRead.model_validate(found).model_dump(mode="json"))
        tag = etag(version, answer.body) if version is not None else None
        if none_matching is not None and weakly_listed(none_matching, tag):
            return Response(status_code=304, headers={"ETag": tag} if tag else None)
        if tag is not None:
            answer.headers["ETag"] = tag
        return answer

    @app.get(f"{base}/trace/{{ident:path}}", response_model=TraceGraph, tags=[TAG], dependencies=deps,
             openapi_extra=OPTIONAL_AUTH, responses=READ_ERRORS, operation_id="trace_graph")
    def trace(
        request: Request,
        project: str,
        ident: str,
        session: ReadSession,
        depth: Annotated[int, Query(ge=0, le=MAX_DEPTH, description="links to follow from the record")] = 2,
        limit: Annotated[int, Query(ge=1, le=MAX_EDGES, description="edges per page (with a cursor alone: the "
                                    "cursor's own)")] = DEFAULT_EDGES,
        cursor: Annotated[str | None, Query(max_length=MAX_CHARS,
                                            description="from the previous page's page.next")] = None,
    ) -> Response:
        """The graph around a record (``ADR-0003``, ``CTR-0001``, ``FEAT-2``, ``FEAT-2/SC-4``) or a requirement
        id: links followed both ways plus feature → scenario containment, ``depth`` steps, at most ``limit``
        edges and the nodes they join. ``truncated`` says more edges follow: ``page.next`` (and the ``Link``
        header) is the next page's cursor, which keeps the depth and the page size. The same document as
        ``tracertm trace ID --format json``."""
        from tracertm.trace import graph

        size = limit if "limit" in request.query_params or not cursor else None
        found = graph.build(session, Projects(session).get(project, "project"), ident, depth, size, cursor)
        return keyset_page(request, found.as_dict(), found.next_cursor, found.limit)

    @app.patch(f"{base}/links/{{link_id:{LINK_NUMBER}}}", response_model=LinkRead, tags=[TAG],
               responses=responses(400, 401, 403, 404, 409, 412, 413, 415, 422, 428, 500, 503),
               operation_id="trace_review_link", openapi_extra=openapi(LinkUpdate))
    def review_link(
        request: Request,
        project: str,
        link_id: Annotated[int, Path(description="the link number")],
        actor: Annotated[str, Depends(writer)],
        change: Annotated[LinkUpdate, Depends(model_body(LinkUpdate))],
        if_match: Annotated[TagHeader | None, Depends(if_match_header(IF_MATCH))],
        if_none_match: Annotated[TagHeader | None, Depends(if_none_match_header(IF_NONE_MATCH))],
    ) -> dict[str, Any]:
        """Review one link: ``{"reviewed": true}`` marks it reviewed against the version of its target that
        ``If-Match`` names, recording the token's label and the time (as ``tracertm review N --version V``). 428
        without ``If-Match``; 412 (``current_version``) when the target is at another version — the review would
        claim a version the reviewer did not read. A link that is not suspect is returned unchanged; a dangling
        link is 409 (fix the reference in its file)."""
        from tracertm.trace.review import DanglingLinkError
        from tracertm.trace.review import review_link as mark

        none_matching = tags_of(if_none_match)
        if if_match is None:
            if none_matching is not None:  # the precondition the client sent, and false: 412 before the 428
                with db.session(request.app.state.engine) as session:
                    _link_none_match(session, Projects(session).get(project, "project"), link_id, none_matching)
            raise _precondition_required(request, project, link_id)
        tags, sent = if_match.tags, if_match.text

        def write(session: Session, scoped: Project) -> dict[str, Any]:
            _known_number(scoped, link_id)
            expected = None
            versions = _versions(session, scoped, link_id) or ()
            if "*" not in tags:  # ``*`` holds whenever the link exists (RFC 9110): today's review
                expected = _expected(tags, versions)
            # RFC 9110 13.2.2, as a record's PATCH: If-None-Match is evaluated under the lock, once If-Match holds
            # (a stale If-Match is its own 412, with current_version); read before the lock, the link could change
            # between the check and the review.
            if none_matching is not None and (expected is None or expected in versions):
                _link_none_match(session, scoped, link_id, none_matching)
            return mark(session, scoped, link_id, by=actor, expected=expected)[0]

        try:
            link = _under_lock(request, project, write)
        except DanglingLinkError as exc:
            raise _dangling(request, project, link_id, exc) from None
        except StaleVersion as exc:
            raise _stale(sent, tags, exc) from None
        return link

    @app.post(f"{base}/links/review", response_model=ReviewResult, tags=[TAG],
              responses=responses(400, 401, 403, 404, 409, 412, 413, 415, 422, 500, 503),
              operation_id="trace_review", openapi_extra=openapi(ReviewRequest))
    def review(
        request: Request,
        project: str,
        actor: Annotated[str, Depends(writer)],
        body: Annotated[ReviewRequest, Depends(model_body(ReviewRequest))],
        if_match: Annotated[TagHeader | None, Depends(if_match_header(IF_MATCH))],
    ) -> dict[str, Any]:
        """Review the suspect links from or to one record (``{"source": "FEAT-2/SC-4"}``, or a link number), or
        every suspect link of the project (``{"all": true}``). Answers with the links reviewed, as they were.
        ``If-Match`` (optional: the links may point at several targets) names the one target version every link
        reviewed must point at, else 412 and nothing is written — for ``{"source": "ADR-0007"}`` (its incoming
        links) or one link number."""
        from tracertm.trace.review import DanglingLinkError
        from tracertm.trace.review import review as mark

        tags = tags_of(if_match) or ["*"]
        expected = None if "*" in tags else _expected(tags, ())
        try:
            reviewed = _under_lock(request, project, lambda session, scoped: mark(
                session, scoped, body.source, everything=body.all, by=actor, expected=expected, option="If-Match"))
        except DanglingLinkError as exc:  # only ever for a link named by its number
            number = _link_number(body.source or "")
            raise (exc if number is None else _dangling(request, project, number, exc)) from None
        except StaleVersion as exc:
            raise _stale(if_match.text if if_match else "", tags, exc) from None
        return {"reviewed_by": actor, "reviewed": reviewed}

    # A link path that is no link number (``/links/abc``, ``/links/-1``): 404 for the methods a link has, as an
    # unknown number is (the project checked first, a token too), not the project route's 405 (PATCH) or its 404
    # naming a project ``repo/links/abc``. Other methods are 405 listing GET, HEAD, PATCH, as for a number.
    @app.get(f"{base}/links/{{word:{NOT_A_LINK_NUMBER}}}", dependencies=deps, include_in_schema=False)
    def read_no_link(project: str, word: str, session: ReadSession) -> Response:
        raise _no_link(session, project, word)

    @app.patch(f"{base}/links/{{word:{NOT_A_LINK_NUMBER}}}", dependencies=[Depends(writer)], include_in_schema=False)
    def review_no_link(project: str, word: str, session: ReadSession) -> Response:
        raise _no_link(session, project, word)


# What a review expects when ``If-Match`` names no version (only weak or unreadable tags): a version no record ever
# has (versions start at 1), so the review goes the way of any stale one — the link looked up first (404, a
# dangling one 409), then refused as stale with the target's real version — and is never written.
NO_VERSION = 0


def _expected(tags: list[str], accepted: Collection[int]) -> int:
    """The target version an ``If-Match`` list names: the first of its strong tags' versions that is ``accepted``
    (the link's ETag, the target's ETag or ``"3"``: only the version counts, as for records), else the first
    version named (the review is then refused as stale); ``NO_VERSION`` when it names none (weak tags never
    match)."""
    versions = [v for v in (etag_version(tag) for tag in tags) if v is not None]
    for version in versions:
        if version in accepted:
            return version
    return versions[0] if versions else NO_VERSION


def _versions(session: Session, project: Project, link_id: int) -> tuple[int, ...] | None:
    """The versions of the target of link ``link_id`` that a review may name (``trace.review.review_versions``:
    its current version last, and those with the same content before it); None when the link has no target
    version (dangling, a requirement's) or there is no such link."""
    from sqlalchemy import select

    from tracertm.models import Link
    from tracertm.trace.review import review_versions

    link = session.execute(
        select(Link).where(Link.project_id == project.id, Link.id == link_id)).scalar_one_or_none()
    return None if link is None else review_versions(session, [link]).get(link.id)


def _current(versions: tuple[int, ...] | None) -> int | None:
    """The target's current version among ``_versions``' (the last), the one a link's ETag carries."""
    return versions[-1] if versions else None


def _stale(if_match: str, tags: list[str], exc: StaleVersion) -> StaleVersion:
    """A stale review's 412 as it is, or, when ``If-Match`` named no version (``NO_VERSION`` was compared), one
    that says so — rather than that ``"0"`` was sent — with the target's current version to send instead."""
    if any(etag_version(tag) is not None for tag in tags):
        return exc
    return StaleReview(f"If-Match {if_match}: names no version of the link's target (weak tags never match); the "
                       f"target is at version {exc.current}: re-read it, then send If-Match: \"{exc.current}\"",
                       exc.current)


def _link_number(selector: str) -> int | None:
    """The link number a review's ``source`` names (``77`` or ``#77``), as ``trace.review`` reads it; else None."""
    digits = selector.removeprefix("#")
    return int(digits) if digits.isascii() and digits.isdigit() and len(digits) <= 18 else None


def _precondition_required(request: Request, project: str, link_id: int) -> Exception:
    """The answer to a review without ``If-Match``, read before any lock is waited for: 404 for an unknown link,
    409 for a dangling one (no version makes it reviewable: the reference is to fix), else 428 naming the version
    to send (RFC 6585: not to be stored by a cache)."""
    from tracertm.trace.review import dangling_error, get_link

    with db.session(request.app.state.engine) as session:
        scoped = Projects(session).get(project, "project")
        _known_number(scoped, link_id)
        found = get_link(session, scoped, link_id)
        version = _current(_versions(session, scoped, link_id))
        if found["state"] == "dangling":
            from sqlalchemy import select

            from tracertm.models import Link

            row = session.execute(select(Link).where(Link.id == link_id)).scalar_one()
            dangling = dangling_error(session, scoped, row)
            return _dangling(request, project, link_id, dangling)
    tag = f'"{version}"' if version is not None else "*"
    return ApiProblem(
        428, f"send If-Match: {tag} (the version of {found['target']['id']} you reviewed; the link's ETag or "
             f"{found['target']['id']}'s works too) to review link {link_id}",
        kind="precondition-required", headers={"Cache-Control": "no-store"},
    )


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


# A matrix page's cursor (``deps.text_cursor``): the origin's letter and the last row's id, as the project list's
# cursor carries the last name.
_MATRIX_CURSOR = {"requirements": "r.", "adrs": "a."}
MAX_MATRIX_CURSOR = 4096


def _matrix_cursor(origin: str, last: str) -> str:
    """The cursor of the matrix's page (``from=origin``) after the row ``last``."""
    return text_cursor(_MATRIX_CURSOR[origin], last)


def _matrix_after(cursor: str, origin: str) -> str:
    """The row id a matrix cursor continues after (``_matrix_cursor``'s), or 400 — a cursor of the other origin's
    rows too (the ``Link`` header keeps ``from``)."""
    return text_after(cursor, _MATRIX_CURSOR[origin])


def _name(request: Request, project: str) -> str:
    """The project's name (the write lock is per name), read before the lock is taken (its wait for a table lock
    bounded, ``bounded_read``); 404 when unknown."""
    with bounded_read(request, f"project {project}") as session:
        return str(Projects(session).get(project, "project").name)


def _under_lock(request: Request, project: str, write: Callable[[Session, Project], T]) -> T:
    """``write(session, the project)`` in one transaction holding the write lock of the project that ``project``
    (a name or a UUID) names. The lock is taken by the name read just before it (``_name``); a project renamed in
    between would be found by its UUID under the lock of a name no longer its own, and written while a sync of it
    holds its lock: so the name is checked under the lock and, when it changed, nothing is written and the lock is
    taken again by the new name (as a record's ``PATCH`` does, ``routes._write``)."""
    for _attempt in range(RENAME_ATTEMPTS):
        started = time.monotonic()
        name = _name(request, project)
        with locked_write(request, name, time.monotonic() - started) as session:
            scoped = Projects(session).get(project, "project")
            if scoped.name == name:
                return write(session, scoped)
    raise ApiProblem(409, f"project {project} was renamed while this request ran; send it again", kind="conflict")


__all__ = ["install_trace_routes"]
