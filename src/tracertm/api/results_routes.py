"""Test runs over HTTP: ``POST /api/v1/projects/{project}/test-runs`` uploads a report (the same import as
``tracertm results import``: ``tracertm.results.import_results``), ``GET …/test-runs`` pages through the runs,
``GET …/test-runs/{id}`` reads one run with a page of its results.

The report is the request body — ``application/xml`` (JUnit), ``application/json`` (Cucumber JSON),
``application/x-ndjson`` (Cucumber Messages) — or one or more ``file`` parts of a ``multipart/form-data`` upload.
Uploads have their own size limit (``ApiSettings.max_report_bytes``), enforced while the body streams in by
``RequestLimits``; every other route keeps the small JSON limit.
"""

from __future__ import annotations

import re
import time
import uuid
from typing import Annotated, Any, Literal

from fastapi import APIRouter, Depends, FastAPI, Query, Request
from fastapi import Path as PathParam
from fastapi.responses import JSONResponse, Response

from tracertm import db
from tracertm.api.bodies import charset_of, refuse_coded, refuse_json_charset
from tracertm.api.deps import (
    READ_ERRORS, ReadSession, keyset_page, path_segment, reader, still_writable, writer,
)
from tracertm.api.problems import ApiProblem, responses
from tracertm.api.writes import RENAME_ATTEMPTS, bounded_read, write_place
from tracertm.repositories import Projects
from tracertm.repositories.cursor import MAX_CHARS
from tracertm.repositories.errors import NotFound
from tracertm.results.pages import DEFAULT_RESULTS
from tracertm.schemas.filters import MAX_LIMIT
from tracertm.schemas.results import (
    ImportSummaryRead, TestResultRead, TestRunDetail, TestRunImported, TestRunPage, TestRunRead,
)

# The models live in tracertm.schemas.results (``tracertm schema test-run`` prints them); named here as before.
__all__ = [
    "ImportSummaryRead", "TestResultRead", "TestRunDetail", "TestRunImported", "TestRunPage", "TestRunRead",
    "allow_uploads", "install_results_routes",
]

API = "/api/v1"
UPLOAD_PATH = re.compile(r"/api/v1/projects/.+/test-runs/?")
# Raw bodies: the media type names the report's kind (the content is still detected, as for a file).
RAW_TYPES = {
    "application/xml": ".xml", "text/xml": ".xml", "application/json": ".json", "application/x-ndjson": ".ndjson",
}
MULTIPART = "multipart/form-data"
MAX_FILES = 32  # report files in one multipart upload (one run)
COMMIT_PATTERN = r"^[0-9a-fA-F]{4,64}$"  # 40 (SHA-1) or 64 (SHA-256) digits whole, or an abbreviation

ReportFormat = Literal["auto", "junit", "cucumber-json", "cucumber-messages"]
ResultStatus = Literal["passed", "failed", "skipped", "undefined", "pending", "error"]


_UPLOAD_BODY: dict[str, Any] = {
    "required": True,
    "description": "the report: JUnit XML, Cucumber JSON or Cucumber Messages NDJSON, or multipart file parts",
    "content": {
        "application/xml": {"schema": {"type": "string", "format": "binary"}},
        "application/json": {"schema": {"type": "string", "format": "binary"}},
        "application/x-ndjson": {"schema": {"type": "string", "format": "binary"}},
        MULTIPART: {"schema": {
            "type": "object",
            "required": ["file"],
            "properties": {
                "file": {"type": "string", "format": "binary", "description": "a report (repeat for several)"},
                "format": {"type": "string", "enum": ["auto", "junit", "cucumber-json", "cucumber-messages"]},
                "commit": {"type": "string", "pattern": COMMIT_PATTERN},
                "run_name": {"type": "string", "maxLength": 255},
            },
        }},
    },
}


def allow_uploads(app: FastAPI) -> None:
    """Let the test-run uploads through ``app``'s body limit, up to its settings' ``max_report_bytes``."""
    limits = list(getattr(app.state, "body_limits", []))
    limits.append(("POST", UPLOAD_PATH, app.state.settings.max_report_bytes))
    app.state.body_limits = limits


def install_results_routes(app: APIRouter) -> None:
    """Add the test-run routes to ``app`` (an app lets their uploads through: ``allow_uploads``)."""
    # ``:path``: project names may hold slashes ("acme/shop"), sent as they are or as %2F.
    base = f"{API}/projects/{{project:path}}/test-runs"

    @app.post(
        base, status_code=201, response_model=TestRunImported, tags=["test-runs"], operation_id="import_test_run",
        responses={
            200: {"model": TestRunImported, "description": "these reports were imported before: the existing run"},
            201: {"description": "imported as a new run (Location: the run)"},
            **responses(400, 401, 403, 404, 409, 413, 415, 422, 500, 503),
        },
        openapi_extra={"requestBody": _UPLOAD_BODY},
    )
    async def import_test_run(
        project: str,
        request: Request,
        actor: Annotated[str, Depends(writer)],
        format: Annotated[  # noqa: A002
            ReportFormat | None, Query(description="default: detected from the content")
        ] = None,
        commit: Annotated[
            str | None, Query(pattern=COMMIT_PATTERN, description="commit the tests ran against")
        ] = None,
        run_name: Annotated[str | None, Query(max_length=255, description="default: the report's suite name")] = None,
    ) -> Response:
        """Import a test report as one run of ``project``, in one transaction, exactly as ``tracertm results import``
        does (mapping by tag, file and line at ``commit``, then name; statistics of the scenarios that ran). The
        same report uploaded again answers 200 with the existing run and adds nothing. A malformed report is 422
        naming the file and line, and imports nothing. Needs a write token."""
        from starlette.concurrency import run_in_threadpool

        media = request.headers.get("content-type", "").split(";")[0].strip().lower()
        refuse_coded(request, "the report")
        params = {"format": format, "commit": commit, "run_name": run_name}
        if media == MULTIPART:
            sources, fields = await _multipart(request)
            for key, value in fields.items():
                if params[key] is not None:  # one of the two would be dropped without a word (the query's won)
                    raise ApiProblem(400, f"{key!r} is given both as a query parameter and as a multipart field; "
                                          "send it once", kind="bad-request")
                params[key] = value
        elif media in RAW_TYPES:
            body = in_charset(media, request.headers.get("content-type", ""), await request.body())
            sources = [(f"request-body{RAW_TYPES[media]}", body)]
        else:
            raise ApiProblem(415, "send the report as application/xml (JUnit), application/json (Cucumber JSON), "
                                  "application/x-ndjson (Cucumber Messages) or multipart/form-data file parts",
                             kind="unsupported-media-type")
        _check_params(params)
        imported = await run_in_threadpool(_import, request, project, sources, params, actor)
        run_id = imported["run"]["id"]
        status = 200 if imported["summary"]["duplicate"] else 201
        return JSONResponse(imported, status_code=status,
                            headers={"Location": f"{API}/projects/{path_segment(project)}/test-runs/{run_id}"})

    @app.get(base, response_model=TestRunPage, tags=["test-runs"], operation_id="list_test_runs",
             dependencies=[Depends(reader)], openapi_extra={"security": [{}]}, responses=READ_ERRORS)
    def list_test_runs(
        project: str,
        request: Request,
        session: ReadSession,
        limit: Annotated[int, Query(ge=1, le=MAX_LIMIT, description="page size")] = 50,
        cursor: Annotated[str | None, Query(max_length=MAX_CHARS,
                                            description="from the previous page's page.next")] = None,
    ) -> Response:
        """The project's imported runs, newest first, one page at a time."""
        from tracertm.results.queries import runs_page

        scoped = Projects(session).get(project, "project")
        items, next_cursor = runs_page(session, scoped, limit, cursor)  # a bad cursor: UsageError, a 400
        body = {"items": items, "page": {"next": next_cursor, "limit": limit}}
        return keyset_page(request, body, next_cursor, limit)

    @app.get(f"{base}/{{run_id}}", response_model=TestRunDetail, tags=["test-runs"], operation_id="get_test_run",
             dependencies=[Depends(reader)], openapi_extra={"security": [{}]}, responses=READ_ERRORS)
    def get_test_run(
        project: str,
        run_id: Annotated[str, PathParam(description="the run's id", json_schema_extra={"format": "uuid"})],
        request: Request,
        session: ReadSession,
        status: Annotated[ResultStatus | None, Query(description="only results with this status")] = None,
        limit: Annotated[int, Query(ge=1, le=MAX_LIMIT, description="results per page (with a cursor alone: the "
                                    "cursor's own)")] = DEFAULT_RESULTS,
        cursor: Annotated[str | None, Query(max_length=MAX_CHARS,
                                            description="from the previous page's page.next")] = None,
    ) -> Response:
        """One run and a page of its results, by test id: ``page.next`` (and the ``Link`` header) carry the next
        page's cursor, which keeps the query (``status``) and the page size."""
        from tracertm.results.pages import result_dict, results_page
        from tracertm.results.queries import get_run, run_dict

        scoped = Projects(session).get(project, "project")
        # An id that is no UUID names no run: 404 as an unknown one is (as a link path that is no number), not 422.
        try:
            wanted = uuid.UUID(run_id)
        except ValueError:
            wanted = None
        run = get_run(session, scoped, wanted) if wanted is not None else None
        if run is None:
            raise ApiProblem(404, f"project {scoped.name} has no test run {run_id}", kind="not-found")
        size = limit if "limit" in request.query_params or not cursor else None
        page = results_page(session, scoped, run_id=run.id, status=status, limit=size, cursor=cursor)
        body = {**run_dict(run), "results": [result_dict(row) for row in page.rows],
                "page": {"next": page.next_cursor, "limit": page.limit}}
        return keyset_page(request, body, page.next_cursor, page.limit)


_BOMS = (b"\xef\xbb\xbf", b"\xff\xfe", b"\xfe\xff")
# The XML declaration's encoding pseudo-attribute: dropped when the body is re-encoded as UTF-8 (it would then lie).
_DECLARED = re.compile(rb"""\A(\s*<\?xml[^>]*?)\s+encoding\s*=\s*(?:"[^"]*"|'[^']*')""")
_UTF8 = ("utf-8", "utf8")


def in_charset(media: str, content_type: str, body: bytes) -> bytes:
    """A raw body as the report's parser reads it, honouring the ``charset`` parameter of its Content-Type.

    XML (RFC 7303 §3.2: a byte order mark first, then the charset parameter, then the XML declaration): a body in
    another charset is decoded with it and handed on as UTF-8, its declaration's encoding dropped — sent as
    ``application/xml; charset=iso-8859-1`` without a declaration, its ``é`` was "malformed XML". ``charset=utf-8``
    leaves the body to the XML rules (many clients add it to whatever they send). JSON is UTF-8
    (RFC 8259 §8.1, which defines no charset parameter): another charset is refused (415), as its bytes would
    not be read as sent. A charset the body does not decode in, or no codec knows, is refused (415)."""
    charset = charset_of(content_type)
    if charset is None:
        return body
    if media not in ("application/xml", "text/xml"):
        refuse_json_charset(content_type, "a JSON report")
        return body
    if body.startswith(_BOMS):
        return body  # the byte order mark decides (RFC 7303 §3.2)
    import codecs

    try:
        name = codecs.lookup(charset).name
    except LookupError:
        raise ApiProblem(415, f"Content-Type charset={charset!r}: no such character encoding; send the report as "
                              "UTF-8, or name its encoding correctly", kind="unsupported-media-type") from None
    if name in _UTF8:  # what the parser reads without a declaration; a declaration of another one is believed, as
        return body   # clients add charset=utf-8 to whatever they send (the parser refuses what is neither)
    try:
        text = body.decode(name)
    except (UnicodeDecodeError, LookupError) as exc:  # LookupError: a codec that is no text encoding (rot13)
        reason = str(exc).split(":")[-1].strip() if isinstance(exc, UnicodeDecodeError) else "not a text encoding"
        raise ApiProblem(415, f"Content-Type charset={charset!r}: the body cannot be read in it ({reason}); send "
                              "the charset the report is written in, or the report as UTF-8",
                         kind="unsupported-media-type") from None
    # The declaration read in the UTF-8 made of it: in the body's own bytes (UTF-16) it was never found, and kept
    # naming UTF-16 the parser then refused as "encoding specified in XML declaration is incorrect".
    return _DECLARED.sub(rb"\1", text.encode("utf-8"), count=1)


async def _multipart(request: Request) -> tuple[list[tuple[str, bytes]], dict[str, str]]:
    """The ``file`` parts (name, bytes) and the text fields of a multipart upload."""
    from starlette.datastructures import UploadFile

    form = await request.form(max_files=MAX_FILES, max_fields=16)
    sources: list[tuple[str, bytes]] = []
    fields: dict[str, str] = {}
    try:
        for key, value in form.multi_items():
            if isinstance(value, UploadFile):
                if key != "file":
                    raise ApiProblem(400, f"multipart part {key!r}: send reports as 'file' parts", kind="bad-request")
                name = (value.filename or "").replace("\\", "/").rsplit("/", 1)[-1] or f"file{len(sources) + 1}"
                sources.append((name, _part_in_charset(name, value.headers.get("content-type", ""),
                                                       await value.read())))
            elif key in fields:  # the last would win without a word: a run stored against the other commit
                raise ApiProblem(400, f"multipart field {key!r} is given twice; send it once", kind="bad-request")
            elif key in ("format", "commit", "run_name"):
                fields[key] = value
            elif key == "file":  # a text field (``curl -F 'file=<report'`` reads no file): not "unknown"
                raise ApiProblem(400, "multipart field 'file' is text, not a file: attach the report as a file part "
                                      "(curl -F file=@report.xml)", kind="bad-request")
            else:
                raise ApiProblem(400, f"multipart field {key!r}: unknown; use file, format, commit, run_name",
                                 kind="bad-request")
    finally:
        await form.close()
    if not sources:
        raise ApiProblem(400, "the multipart upload has no 'file' part: attach the report as file=@report.xml",
                         kind="bad-request")
    return sources, fields


def _part_in_charset(name: str, content_type: str, data: bytes) -> bytes:
    """A multipart ``file`` part as ``in_charset`` reads a whole body of its Content-Type: a part sent as
    ``application/xml; charset=utf-16`` is read in that charset (it was read as UTF-8 and refused as malformed).
    Parts of other types (``application/octet-stream``, what curl's ``-F file=@`` sends) are read as files are."""
    media = content_type.split(";")[0].strip().lower()
    if media not in RAW_TYPES:
        return data
    try:
        return in_charset(media, content_type, data)
    except ApiProblem as problem:
        problem.detail = f"multipart part {name!r}: {problem.detail}"
        problem.args = (problem.detail,)
        raise


def _check_params(params: dict[str, Any]) -> None:
    """The multipart fields pass the checks the query parameters have."""
    fmt, commit, run_name = params["format"], params["commit"], params["run_name"]
    if fmt is not None and fmt not in ("auto", "junit", "cucumber-json", "cucumber-messages"):
        raise ApiProblem(422, f"format {fmt!r}: use auto, junit, cucumber-json or cucumber-messages",
                         kind="invalid-request")
    if commit is not None and not re.fullmatch(COMMIT_PATTERN, commit):
        raise ApiProblem(422, f"commit {commit!r}: a commit id (4 to 64 hex digits)", kind="invalid-request")
    if run_name is not None and (len(run_name) > 255 or "\x00" in run_name):
        raise ApiProblem(422, "run_name: at most 255 characters, no NUL", kind="invalid-request")


def _import(
    request: Request, project: str, sources: list[tuple[str, bytes]], params: dict[str, Any], actor: str
) -> dict[str, Any]:
    """The import (one transaction, under the project's write lock) and the run it made or found."""
    from pathlib import Path

    from tracertm.api.repository import project_root
    from tracertm.errors import ParseError
    from tracertm.results.options import api_names
    from tracertm.results.queries import get_run, run_dict
    from tracertm.results.stats import DEFAULT_WINDOW
    from tracertm.results.store import import_results

    settings = request.app.state.settings
    engine = request.app.state.write_engine
    for attempt in range(1, RENAME_ATTEMPTS + 1):
        # The project's name (the write lock is per name), read before the lock is waited for: its wait for a table
        # lock is bounded as a PATCH's read is, and counts against the same bound as the lock's (``write_place``).
        started = time.monotonic()
        with bounded_read(request, f"project {project}") as session:
            found = Projects(session).get(project, "project")
            name, project_id = found.name, found.id
            root = project_root(request.app.state, session, found)
        spent = time.monotonic() - started
        top = str(root) if root is not None else None
        window, pattern = DEFAULT_WINDOW, r"SC-\d+"
        if top:  # the served repository's configuration: its results window and scenario id tags
            from tracertm.config import load_settings

            configured = load_settings(Path(top))
            window = configured.results_window or DEFAULT_WINDOW
            pattern = configured.parser.scenario_id_pattern
        try:
            # Errors name the upload's parameters (?format=), not the CLI's options (--format): results.options.
            with write_place(request, name, spent) as turn, api_names():
                summary = import_results(
                    engine, name, sources, fmt=params["format"] or "auto", commit=params["commit"],
                    run_name=params["run_name"], repo=top, window=window, id_pattern=pattern,
                    max_size=settings.max_report_bytes, actor=actor, lock_timeout=turn.left, lock_waited=turn.waited,
                    on_lock=lambda session: still_writable(request, session),
                )
            break
        except ParseError as exc:
            raise ApiProblem(422, str(exc), kind="malformed-report", file=exc.path, line=exc.line) from None
        except NotFound:
            # The import looks the project up by this name under its lock: a sync that renamed the project in
            # between (``git remote set-url``) left no project of that name, and nothing was written. The project
            # the URL names is still there (else 404 now): import again under its new name.
            with bounded_read(request, f"project {project}") as session:
                if attempt == RENAME_ATTEMPTS or Projects(session).get(project, "project").name == name:
                    raise
    assert summary.run_id is not None
    with db.session(engine) as session:
        run = get_run(session, Projects(session).get(str(project_id), "project"), summary.run_id)
        assert run is not None
        return {"run": run_dict(run), "summary": summary.as_dict()}
