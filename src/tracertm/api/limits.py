"""ASGI middleware that refuses requests before any route runs: oversized bodies (413), NUL bytes or
percent-encoded bytes that are not UTF-8 in the URL (400), a ``Host`` the server does not answer (400), a CORS
preflight it does not grant (400) — each as the API's problem+json (under ``/api``) or the pages' HTML error."""

from __future__ import annotations

import re

from starlette.datastructures import Headers
from starlette.middleware.cors import CORSMiddleware
from starlette.responses import Response
from starlette.types import ASGIApp, Message, Receive, Scope, Send


class RequestLimits:
    """Buffers a request body up to ``max_body`` bytes (API bodies are small JSON documents) and answers 413 past it,
    whether or not the client sent a Content-Length; rejects NUL bytes in the path or the query (400), which no
    database text column can hold, and percent-encoded bytes that are not UTF-8 (400, ``not_utf8``).

    Routes that take larger bodies (test report uploads) register ``(method, path regex, bytes)`` in the app's
    ``state.body_limits``; the first that matches replaces ``max_body`` for that request. Their bodies are not
    buffered here but counted while the route reads them (``_streamed``): the route checks the request's token
    first, so an unauthenticated upload is answered 401 without a byte of its body being read."""

    def __init__(self, app: ASGIApp, max_body: int) -> None:
        self.app, self.max_body = app, max_body

    def _limit(self, scope: Scope) -> tuple[int, bool]:
        """The body limit of this request, and whether a route registered it (then the body is streamed)."""
        state = getattr(scope.get("app"), "state", None)
        for method, pattern, limit in getattr(state, "body_limits", ()):
            if scope.get("method") == method and pattern.fullmatch(scope.get("path", "")):
                return int(limit), True
        return self.max_body, False

    async def __call__(self, scope: Scope, receive: Receive, send: Send) -> None:
        if scope["type"] != "http":
            await self.app(scope, receive, send)
            return
        if "\x00" in scope.get("path", "") or b"%00" in scope.get("query_string", b""):
            await _problem(scope, receive, send, 400, "NUL bytes are not allowed in the URL")
            return
        where = not_utf8(scope.get("raw_path") or b"", scope.get("query_string") or b"")
        if where is not None:
            await _problem(scope, receive, send, 400, f"{where}: its percent-encoded bytes are not UTF-8; encode the "
                           "text as UTF-8 (é is %C3%A9, not %E9)")
            return
        max_body, streamed = self._limit(scope)
        length = dict(scope.get("headers") or []).get(b"content-length")
        if length is not None and (not length.isdigit() or int(length) > max_body):
            await _problem(scope, receive, send, 413, f"the request body is limited to {max_body} bytes")
            return
        if streamed:
            await self._streamed(scope, receive, send, max_body)
            return
        if scope.get("method") in ("GET", "HEAD", "OPTIONS", "DELETE") and length is None:
            await self.app(scope, receive, send)
            return
        chunks: list[bytes] = []
        size = 0
        while True:
            message = await receive()
            if message["type"] == "http.disconnect":
                return
            body = message.get("body", b"")
            size += len(body)
            if size > max_body:
                await _problem(scope, receive, send, 413, f"the request body is limited to {max_body} bytes")
                return
            chunks.append(body)
            if not message.get("more_body", False):
                break
        sent = False

        async def replay() -> Message:
            nonlocal sent
            if not sent:
                sent = True
                return {"type": "http.request", "body": b"".join(chunks), "more_body": False}
            return await receive()

        await self.app(scope, replay, send)

    async def _streamed(self, scope: Scope, receive: Receive, send: Send, max_body: int) -> None:
        """Run the route with a ``receive`` that counts the body as the route reads it: past ``max_body`` (or when
        the client goes away mid-body) reading stops, and the answer is the same 413 (or nothing) as for a
        buffered body. A route that answers before reading (401, 403, 404) never reads the body at all."""
        size = 0
        complete = started = False

        async def counted() -> Message:
            nonlocal size, complete
            if complete:
                return await receive()
            message = await receive()
            if message["type"] == "http.disconnect":
                raise _ClientGone
            size += len(message.get("body", b""))
            if size > max_body:
                raise _BodyTooLarge
            complete = not message.get("more_body", False)
            return message

        async def watched(message: Message) -> None:
            nonlocal started
            started = started or message["type"] == "http.response.start"
            await send(message)

        try:
            await self.app(scope, counted, watched)
        except _BodyTooLarge:
            if started:
                raise
            await _problem(scope, receive, send, 413, f"the request body is limited to {max_body} bytes")
        except _ClientGone:
            if started:
                raise


def not_utf8(raw_path: bytes, query: bytes) -> str | None:
    """Where the URL's percent-encoded bytes are not UTF-8 (``caf%E9``, Latin-1's é; ``%FF``; an encoded
    surrogate), or None: "query parameter 'tag'", "a query parameter's name", "the path". The server would decode
    them to U+FFFD and answer a question nobody asked (a filter on ``caf\ufffd``: an empty page, no error)."""
    from urllib.parse import unquote_to_bytes

    def bad(raw: bytes) -> bool:
        try:
            unquote_to_bytes(raw).decode("utf-8")
        except UnicodeDecodeError:
            return True
        return False

    if b"%" in query or not query.isascii():
        for pair in query.split(b"&"):
            name, _, value = pair.partition(b"=")
            if bad(name.replace(b"+", b" ")):
                return "a query parameter's name"
            if bad(value.replace(b"+", b" ")):
                return f"query parameter {name.decode('ascii', 'replace')!r}"
    if (b"%" in raw_path or not raw_path.isascii()) and bad(raw_path):
        return "the path"
    return None


class _BodyTooLarge(Exception):
    """Raised into the route reading a streamed body past its limit (no exception handler of the app takes it)."""


class _ClientGone(Exception):
    """Raised into the route reading a streamed body when the client disconnects before sending all of it."""


async def refuse(scope: Scope, receive: Receive, send: Send, status: int, detail: str, kind: str) -> None:
    """Answer the request of ``scope`` before any route runs, as the route would have: under ``/api`` a problem like
    the app's own (``problems.problem``: the same members, ``instance`` the encoded path), elsewhere the web view's
    HTML error page with the pages' security headers (a browser shows it; problem+json there was neither readable
    nor covered by the pages' CSP, nosniff and frame headers)."""
    from starlette.requests import Request

    from tracertm.api.problems import instance_of, is_api_path, problem

    response: Response
    if is_api_path(str(scope.get("path", ""))):
        response = problem(status, detail, kind=kind, instance=instance_of(scope))
    else:
        from tracertm.web.routes import error_page

        response = error_page(Request(scope), status, detail)
    await response(scope, receive, send)


async def _problem(scope: Scope, receive: Receive, send: Send, status: int, detail: str) -> None:
    """A limit's refusal: 413 ``body-too-large`` or 400 ``bad-request`` (``refuse``)."""
    await refuse(scope, receive, send, status, detail, "body-too-large" if status == 413 else "bad-request")


class TrustedHosts:
    """Refuses (400) a request whose ``Host`` is not one of ``hosts`` (any port): a page of another site that
    rebinds its DNS name to 127.0.0.1 reaches a loopback server with its own name as the Host, and reads are open by
    default, so a loopback server answers only its loopback names (``serve``: plus ``--allowed-host``). Unlike
    Starlette's ``TrustedHostMiddleware``, an IPv6 literal (``[::1]:8765``) is read whole, and the refusal is a
    problem under ``/api`` and the HTML error page elsewhere (``refuse``)."""

    def __init__(self, app: ASGIApp, hosts: tuple[str, ...]) -> None:
        self.app, self.hosts = app, frozenset(h.lower().rstrip(".") for h in hosts)

    async def __call__(self, scope: Scope, receive: Receive, send: Send) -> None:
        if scope["type"] in ("http", "websocket"):
            header = dict(scope.get("headers") or []).get(b"host", b"").decode("latin-1")
            name = host_name(header) if well_formed_host(header) else None
            if name not in self.hosts:
                shown = name if name is not None else (repr(header) if header else "(none)")
                await refuse(scope, receive, send, 400, f"Host {shown}: this server answers only "
                             f"{', '.join(sorted(self.hosts))} (tracertm serve --allowed-host NAME adds one)",
                             "bad-host")
                return
        await self.app(scope, receive, send)


# A Host header as RFC 9110 writes it: a name or an IPv6 literal in brackets, then an optional ``:`` and a port.
_HOST = re.compile(r"(?:\[[0-9A-Za-z:.%]+\]|[^\[\]:@/\s]+)(?::([0-9]{1,5}))?")


def well_formed_host(header: str) -> bool:
    """Whether a ``Host`` header is a name (or ``[IPv6]``) and at most a port of 1 to 65535: a header that only
    starts with an answered name (``localhost:1@evil.com``, ``localhost:abc``) is no such name."""
    match = _HOST.fullmatch(header.strip())
    return match is not None and (match.group(1) is None or 1 <= int(match.group(1)) <= 65535)


def host_name(host: str) -> str:
    """The name of a ``Host`` header without its port, lower case, a trailing dot dropped: ``[::1]:80`` is
    ``[::1]``, ``Localhost.:8765`` is ``localhost``."""
    host = host.strip().lower()
    if host.startswith("["):
        end = host.find("]")
        return host[:end + 1] if end > 0 else host
    return host.split(":", 1)[0].rstrip(".")


class ProblemCors(CORSMiddleware):
    """Starlette's ``CORSMiddleware`` whose refused preflight under ``/api`` is a problem (400 ``cors-refused``,
    naming what was refused and what the server allows) instead of its plain-text "Disallowed CORS origin": every
    error of the API is problem+json. The ``Vary`` and ``Access-Control-*`` headers it sets are kept."""

    async def __call__(self, scope: Scope, receive: Receive, send: Send) -> None:
        from tracertm.api.problems import instance_of, is_api_path, problem

        if scope["type"] != "http" or scope["method"] != "OPTIONS":
            await super().__call__(scope, receive, send)
            return
        headers = Headers(scope=scope)
        if "origin" in headers and "access-control-request-method" in headers and is_api_path(str(scope["path"])):
            response: Response = self.preflight_response(request_headers=headers)
            if response.status_code == 400:
                refused = bytes(response.body).decode("utf-8", "replace").removeprefix("Disallowed CORS ")
                kept = {k: v for k, v in response.headers.items()
                        if k.lower() == "vary" or k.lower().startswith("access-control-")}
                detail = (f"CORS preflight refused ({refused}): this server allows the origins "
                          f"{', '.join(self.allow_origins) or '(none)'} (tracertm serve --cors-origin), the "
                          f"methods {', '.join(self.allow_methods)} and the headers "
                          f"{', '.join(sorted(self.allow_headers))}")
                response = problem(400, detail, kind="cors-refused", instance=instance_of(scope), headers=kept)
            await response(scope, receive, send)
            return
        await super().__call__(scope, receive, send)
