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
    ``state.body_limits``; the first that matches replaces ``max_body`` for that request."""

    def __init__(self, app: ASGIApp, max_body: int) -> None:
        self.app, self.max_body = app, max_body

    def _limit(self, scope: Scope) -> int:
        state = getattr(scope.get("app"), "state", None)
        for method, pattern, limit in getattr(state, "body_limits", ()):
            if scope.get("method") == method and pattern.fullmatch(scope.get("path", "")):
                return int(limit)
        return self.max_body

    async def __call__(self, scope: Scope, receive: Receive, send: Send) -> None:
        if scope["type"] != "http":
            await self.app(scope, receive, send)
            return
        if "\x00" in scope.get("path", "") or b"%00" in scope.get("query_string", b""):
            await _problem(send, 400, "NUL bytes are not allowed in the URL")
            return
        max_body = self._limit(scope)
        length = dict(scope.get("headers") or []).get(b"content-length")
        if length is not None and (not length.isdigit() or int(length) > max_body):
            await _problem(send, 413, f"the request body is limited to {max_body} bytes")
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
                await _problem(send, 413, f"the request body is limited to {max_body} bytes")
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


async def _problem(send: Send, status: int, detail: str) -> None:
    from http import HTTPStatus

    body: dict[str, Any] = {
        "type": TYPE_BASE + ("body-too-large" if status == 413 else "bad-request"),
        "title": HTTPStatus(status).phrase,
        "status": status,
        "detail": detail,
    }
    raw = json.dumps(body).encode()
    await send({
        "type": "http.response.start",
        "status": status,
        "headers": [(b"content-type", PROBLEM_JSON.encode()), (b"content-length", str(len(raw)).encode())],
    })
    await send({"type": "http.response.body", "body": raw})
