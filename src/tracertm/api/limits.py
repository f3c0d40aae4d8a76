"""An ASGI middleware that refuses oversized bodies (413) and NUL bytes in the URL (400) before any route runs."""

from __future__ import annotations

import json
from typing import Any

from starlette.types import ASGIApp, Message, Receive, Scope, Send

from tracertm.api.problems import PROBLEM_JSON, TYPE_BASE


class RequestLimits:
    """Buffers a request body up to ``max_body`` bytes (API bodies are small JSON documents) and answers 413 past it,
    whether or not the client sent a Content-Length; rejects NUL bytes in the path or the query (400), which no
    database text column can hold.

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
            await _problem(scope, send, 400, "NUL bytes are not allowed in the URL")
            return
        max_body, streamed = self._limit(scope)
        length = dict(scope.get("headers") or []).get(b"content-length")
        if length is not None and (not length.isdigit() or int(length) > max_body):
            await _problem(scope, send, 413, f"the request body is limited to {max_body} bytes")
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
                await _problem(scope, send, 413, f"the request body is limited to {max_body} bytes")
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
            await _problem(scope, send, 413, f"the request body is limited to {max_body} bytes")
        except _ClientGone:
            if started:
                raise


class _BodyTooLarge(Exception):
    """Raised into the route reading a streamed body past its limit (no exception handler of the app takes it)."""


class _ClientGone(Exception):
    """Raised into the route reading a streamed body when the client disconnects before sending all of it."""


async def _problem(scope: Scope, send: Send, status: int, detail: str) -> None:
    """Answer the request of ``scope`` with a problem, its members those of the app's own (``problems.problem``),
    ``instance`` the path as a route's ``request.url.path`` gives it."""
    from http import HTTPStatus

    from starlette.datastructures import URL

    body: dict[str, Any] = {
        "type": TYPE_BASE + ("body-too-large" if status == 413 else "bad-request"),
        "title": HTTPStatus(status).phrase,
        "status": status,
        "detail": detail,
        "instance": URL(scope=scope).path,
    }
    raw = json.dumps(body).encode()
    await send({
        "type": "http.response.start",
        "status": status,
        "headers": [(b"content-type", PROBLEM_JSON.encode()), (b"content-length", str(len(raw)).encode())],
    })
    await send({"type": "http.response.body", "body": raw})
