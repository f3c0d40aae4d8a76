"""Request dependencies: a session per request, bearer-token checks, the list filters, and serialisation helpers."""

from __future__ import annotations

import base64
import re
from collections.abc import Iterator
from typing import Annotated, Any
from urllib.parse import quote

from fastapi import Depends, Query, Request
from fastapi.responses import JSONResponse
from fastapi.security import HTTPAuthorizationCredentials, HTTPBearer
from sqlalchemy.orm import Session

from tracertm import db
from tracertm.api.problems import ApiProblem, responses
from tracertm.api.writes import bounded_read
from tracertm.config import MAX_PROJECT_NAME
from tracertm.repositories import Kind, Projects
from tracertm.schemas.filters import MAX_LIMIT, ListFilter
from tracertm.schemas.records import read_model, to_dict

bearer = HTTPBearer(auto_error=False, description="a token from 'tracertm token create'")
Credentials = Annotated[HTTPAuthorizationCredentials | None, Depends(bearer)]


# RFC 9110 11.6.1 and 15.5.2: every 401 names the scheme to use. The pages' sign-in form answers its 401 with it too.
CHALLENGE = {"WWW-Authenticate": 'Bearer realm="tracertm"'}
# The longest If-Match / If-None-Match accepted: a client holding many representations lists them all (RFC 9110
# 13.1), and 8 KiB is the header size common servers and proxies take; the bound keeps parsing a list cheap.
MAX_TAG_LIST = 8192


def tag_list(header: str | None, name: str) -> list[str] | None:
    """The members of an ``If-Match`` or ``If-None-Match`` header (None when it was not sent): ``["*"]`` or the
    entity tags listed. RFC 9110 13.1.1's grammar is ``*`` or a list of tags, never both: ``"5", *`` is 400
    rather than read either way (as a bare ``*`` it would write over versions the client never read)."""
    if header is None:
        return None
    tags = [t.strip() for t in header.split(",") if t.strip()]
    if "*" in tags and len(tags) > 1:
        raise ApiProblem(400, f"{name}: * must stand alone (RFC 9110: either * or a list of entity tags)",
                         kind="bad-request")
    return tags


def weakly_listed(tags: list[str], current: str | None) -> bool:
    """Whether an ``If-None-Match`` list names the current representation (RFC 9110 13.1.2: weak comparison, so
    ``W/"3-…"`` is ``"3-…"``; ``*`` is any current representation, also one without an ETag)."""
    if tags == ["*"]:
        return True
    return current is not None and current in [t.removeprefix("W/") for t in tags]


def read_session(request: Request) -> Iterator[Session]:
    """A read's session, ended after its answer is sent (FastAPI runs a yield dependency's exit then). A connection
    the database dropped in between (a terminated backend, a restart) cannot take the ROLLBACK that ends the read;
    raised there, with no answer left to carry it, the error made the server close the client's kept-open
    connection, and the client's next request on it went unanswered. The read is done: its connection is let go.

    A GET's (and so a HEAD's, ``head.HeadAsGet``) queries read one snapshot (``db.snapshot_reads``): its answer
    never mixes the states before and after a sync or a prune that committed while it was read. Another method's
    session (``PATCH /links/<word>`` has this one) keeps the engine's isolation."""
    from sqlalchemy.exc import DBAPIError

    state = request.app.state
    session = db.session(state.read_engine if request.method in ("GET", "HEAD") else state.engine)
    try:
        yield session
    finally:
        try:
            session.close()
        except DBAPIError:
            session.invalidate()


def check_token(request: Request, credentials: HTTPAuthorizationCredentials | None, scope: str) -> str:
    """The verified token's actor name; 401 without a valid token, 403 with one lacking ``scope``. Its look-up waits
    for a table lock (a ``LOCK TABLE api_tokens``, a migration's) within a write's bound, then 503 ``lock-timeout``
    (``bounded_read``), as a write's read before its lock does."""
    from tracertm import tokens

    challenge = dict(CHALLENGE)
    if credentials is None and "authorization" in request.headers:
        # Another scheme (``Basic``, ``Token``) or ``Bearer`` without a token: ``HTTPBearer`` reads these as no
        # header at all, but a credential was sent and none of it can be verified, as an unknown token cannot.
        raise ApiProblem(401, "the Authorization header is not 'Bearer <token>' (tracertm token create)",
                         kind="unauthorized", headers=challenge)
    if credentials is None:
        raise ApiProblem(401, "this request needs a bearer token (tracertm token create)", kind="unauthorized",
                         headers=challenge)
    with bounded_read(request, "the request's token") as session:
        row = tokens.verify(session, credentials.credentials)
        if row is None:
            raise ApiProblem(401, "unknown or revoked token", kind="unauthorized", headers=challenge)
        if scope == "write" and row.scope != "write":
            raise ApiProblem(403, "this token may only read; create one with --scope write", kind="forbidden")
        token_id, actor, stale = row.id, f"{tokens.ACTOR_PREFIX}{row.label or row.prefix}", tokens.needs_touch(row)
    request.state.token_id = token_id  # a write checks it again under the project's lock (``token_still_live``)
    if stale:  # at most one write per token per minute, never waiting for another writer: reads stay reads
        tokens.touch_nowait(request.app.state.engine, token_id)
    return actor


def token_still_live(request: Request, session: Session) -> None:
    """401, nothing written, when the token ``check_token`` accepted for this request was revoked (or deleted)
    since: called in a write's transaction once it holds the project's write lock. The token was checked when the
    request came in, and the write may then have waited up to ``lock_timeout`` behind a sync; a write applied after
    ``tracertm token revoke`` had answered would be recorded under the revoked token's name."""
    from tracertm import tokens

    token_id = getattr(request.state, "token_id", None)
    if token_id is not None and not tokens.still_live(session, token_id):
        raise ApiProblem(401, "unknown or revoked token: it was revoked while this request waited for the "
                              "project's write lock; nothing was written",
                         kind="unauthorized", headers=dict(CHALLENGE))


def schema_still_current(session: Session) -> None:
    """503 ``schema-mismatch`` (the body ``/healthz`` answers), nothing written, when the database is no longer at
    this server's schema revision: a newer tracertm migrated it while the server ran (a rolling upgrade). Read in
    the write's own transaction, under the project's write lock: one row of ``alembic_version``. A write made
    through the older schema's model would store rows the newer tracertm does not expect, while every CLI verb
    already refuses the database."""
    from sqlalchemy import text

    from tracertm.api.problems import schema_mismatch_problem

    revision = session.execute(text("SELECT version_num FROM alembic_version")).scalar()
    if revision != db.SCHEMA_HEAD:
        raise schema_mismatch_problem(revision)


def still_writable(request: Request, session: Session) -> None:
    """What a write checks once it holds the project's write lock, in its transaction, before it writes: the
    database's schema revision (``schema_still_current``), then the request's token (``token_still_live``)."""
    schema_still_current(session)
    token_still_live(request, session)


def reader(request: Request, credentials: Credentials) -> None:
    """Reads are open unless the server requires tokens; a token that is sent must be valid either way (a client
    with a revoked token learns so at once, as GitHub's API does), and so must any ``Authorization`` header: one
    that is not ``Bearer <token>`` is 401 as well, never taken for an anonymous read."""
    sent = credentials is not None or "authorization" in request.headers
    if sent or request.app.state.settings.read_token_required:
        check_token(request, credentials, "read")


def writer(request: Request, credentials: Credentials) -> str:
    return check_token(request, credentials, "write")


ReadSession = Annotated[Session, Depends(read_session)]
# As long as a project name may be (``config.MAX_PROJECT_NAME``, which sync enforces): every project can be named.
ProjectParam = Annotated[
    str | None, Query(max_length=MAX_PROJECT_NAME, description="project name (default: the only project)")
]
READ_ERRORS = responses(400, 401, 404, 413, 422, 500, 503)


# ``?status=a,b`` and ``?status=a&status=b`` alike (``ListFilter`` splits the values): the API's lists and the web
# view's list pages take it the same way.
StatusParam = Annotated[list[str] | None, Query(description="any of these statuses (repeat or comma-separate)")]


def record_filters(
    status: StatusParam = None,
    tag: Annotated[list[str] | None, Query(description="all of these tags")] = None,
    any_tag: Annotated[list[str] | None, Query(description="at least one of these tags")] = None,
    type: Annotated[list[str] | None, Query(description="contract or step type: any of these")] = None,  # noqa: A002
    text: Annotated[str | None, Query(max_length=500, description="full-text query (README: search syntax)")] = None,
    changed_since: Annotated[str | None, Query(
        max_length=64, description="ISO 8601 timestamp, commit id, or branch or tag name")] = None,
    path: Annotated[str | None, Query(max_length=1024, description="source path prefix")] = None,
    include_deleted: Annotated[bool, Query(description="include soft-deleted records")] = False,
    related_adr: Annotated[str | None, Query(max_length=255, description="records relating to this ADR")] = None,
    feature: Annotated[str | None, Query(max_length=255, description="scenarios of this feature")] = None,
) -> ListFilter:
    """Which records: the filters of a list and of its facets (which take no order and no page size)."""
    return ListFilter(
        status=status or [], tag=tag or [], any_tag=any_tag or [], type=type or [], text=text,
        changed_since=changed_since, path=path, include_deleted=include_deleted, related_adr=related_adr,
        feature=feature,
    )


RecordFilters = Annotated[ListFilter, Depends(record_filters)]


def filters(
    which: RecordFilters,
    sort: Annotated[list[str] | None,
                    Query(description="sort fields, '-' for descending, e.g. -status,number")] = None,
    limit: Annotated[int, Query(ge=1, le=MAX_LIMIT, description="page size")] = 50,
    fields: Annotated[list[str] | None, Query(
        description="fields to return (repeat or comma-separate, as status and tag)")] = None,
    count: Annotated[bool, Query(description="also count every matching record")] = False,
) -> ListFilter:
    """A list's filters, its order, its page size, the fields it shows and whether it counts (which its cursors
    carry)."""
    return ListFilter.model_validate({**which.model_dump(), "sort": sort or [], "limit": limit,
                                      "fields": fields or [], "count": count})


Filters = Annotated[ListFilter, Depends(filters)]


def resolve_project(session: Session, name: str | None) -> Any:
    """The project named by the ``project`` parameter, else the database's only project."""
    return Projects(session).resolve(name, option="project")


def dump(k: Kind, row: Any, project: str | None, feature: str | None = None) -> dict[str, Any]:
    return read_model(k.name).model_validate(to_dict(k, row, project, feature)).model_dump(mode="json")


def project_of(session: Session, k: Kind, row: Any) -> Any:
    """The project ``row`` (a record of ``k``) belongs to, or None."""
    from tracertm.models import Project

    owner = row.feature.project_id if k.name == "scenario" else row.project_id
    return None if owner is None else session.get(Project, owner)


def project_name(session: Session, k: Kind, row: Any) -> str | None:
    project = project_of(session, k, row)
    return project.name if project is not None else None


def etag(version: int, body: bytes | memoryview) -> str:
    """The strong ETag of a record's JSON ``body``: ``"<version>-<digest of the body>"``. The digest makes it follow
    everything the body shows, also what changes without a new version (a step definition's ``usage_count`` after
    a sync, a scenario's ``source_path`` after a pure move); the version in front is the optimistic lock's token
    (``If-Match`` compares only it: :func:`etag_version`)."""
    import hashlib

    return f'"{version}-{hashlib.sha256(body).hexdigest()[:20]}"'


_TAG = re.compile(r'^"([0-9]{1,18})(?:-[0-9a-f]{1,64})?"$')


def etag_version(tag: str) -> int | None:
    """The version a strong entity tag names: ``"3"`` (the version alone, as ``current_version`` or the record's
    ``version`` gives it) or an ETag of this API, ``"3-<digest>"``; None for anything else (weak tags too)."""
    found = _TAG.match(tag.strip())
    return int(found.group(1)) if found else None


def next_link(request: Request, params: dict[str, Any], keep: tuple[str, ...] = ()) -> str:
    """The ``Link`` header of the next page: this request's URL with only the ``keep`` query parameters of its own
    and ``params`` added, its path percent-encoded — a header is ASCII, and a project named ``prøjekt`` or ``a b``
    is in the path (``pr%C3%B8jekt``, ``a%20b``)."""
    url = request.url.remove_query_params([name for name in request.query_params if name not in keep])
    url = url.include_query_params(**params)
    # The decoded path, encoded once (as ``Location``): ``request.url.path`` already has ``#``, ``?`` and ``\``
    # encoded by Starlette (``%23``...), and encoding that again gave ``%2523``, a project that does not exist.
    return f'<{url.replace(path=path_segment(request.scope["path"]))}>; rel="next"'


DEFAULT_PAGE = 50  # a keyset page asked for with a cursor and no limit: the lists' default page size


def keyset_page(request: Request, body: Any, next_cursor: str | None, size: int) -> JSONResponse:
    """A page of a list that is whole unless ``limit`` or ``cursor`` is sent (the body keeps the whole list's
    shape): while more follow (``next_cursor``), a ``Link`` header (RFC 8288, ``rel="next"``) to the next page,
    ``size`` long, the request's other query parameters kept. Record histories and the project list page so."""
    headers = {}
    if next_cursor is not None:
        keep = tuple(name for name in request.query_params if name not in ("cursor", "limit"))
        headers["Link"] = next_link(request, {"cursor": next_cursor, "limit": size}, keep)
    return JSONResponse(body, headers=headers)


# The project list's cursor: the last name of the previous page, base64url-encoded (a name may hold any character,
# and a cursor is ASCII as the ``Link`` header is). As long as the record lists' cursors may be.
MAX_PROJECT_CURSOR = 4096


def project_cursor(name: str) -> str:
    """The cursor of the project list's page after the project ``name``."""
    return text_cursor("p.", name)


def project_after(cursor: str) -> str:
    """The project name a project-list cursor continues after (``project_cursor``'s), or 400."""
    return text_after(cursor, "p.")


def text_cursor(prefix: str, last: str) -> str:
    """A cursor of a list ordered by text (the project list's names, the matrix's row ids): ``prefix`` (two
    characters naming the list) and the previous page's last text, base64url-encoded."""
    return prefix + base64.urlsafe_b64encode(last.encode()).decode().rstrip("=")


def text_after(cursor: str, prefix: str) -> str:
    """The text a ``text_cursor`` of ``prefix``'s list continues after, or 400 (a cursor of another list too)."""
    try:
        if not cursor.startswith(prefix) or not cursor.isascii():
            raise ValueError(cursor)
        data = cursor[len(prefix):]
        return base64.b64decode(data + "=" * (-len(data) % 4), altchars=b"-_", validate=True).decode()
    except ValueError:  # (binascii.Error and UnicodeDecodeError are ValueErrors)
        raise ApiProblem(400, "cursor: not a cursor of this list; use the previous page's Link header",
                         kind="bad-request") from None


_DOT_SEGMENTS = {".": "%2E", "..": "%2E%2E"}


def path_segment(text: str, *, keep_slashes: bool = True) -> str:
    """``text`` as it stands in a URL path (the API's and the web view's), percent-encoded once: a project name
    with its slashes kept (``acme/shop``), or with ``keep_slashes=False`` one segment, its slashes encoded too
    (``billing%2Frefund``). A segment that is ``.`` or ``..`` is encoded as well (``%2E``, ``%2E%2E``), which
    ``quote`` never does: as it is, a client resolves it away (``/projects/../adrs`` is ``/adrs``, RFC 3986
    5.2.4). Every link of the API and the pages is built with it."""
    encoded = quote(text, safe="/" if keep_slashes else "")
    return "/".join(_DOT_SEGMENTS.get(part, part) for part in encoded.split("/"))
