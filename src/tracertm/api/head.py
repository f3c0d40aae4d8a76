"""HEAD for every GET (RFC 9110 9.3.2: a general-purpose server supports it): an ASGI middleware that serves a HEAD
request as the GET of the same URL and drops the body, so the answer has the GET's status and headers
(``Content-Length``, ``ETag``, ``Link`` included) and nothing after them. It wraps the whole app: the API's routes,
the web view's pages and the static files alike. A 405's ``Allow`` that lists GET lists HEAD too."""

from __future__ import annotations

from starlette.types import ASGIApp, Message, Receive, Scope, Send

__all__ = ["HeadAsGet"]


class HeadAsGet:
    """Routes a HEAD request as a GET and sends its answer without the body."""

    def __init__(self, app: ASGIApp) -> None:
        self.app = app

    async def __call__(self, scope: Scope, receive: Receive, send: Send) -> None:
        if scope["type"] != "http":
            await self.app(scope, receive, send)
            return
        head = scope.get("method") == "HEAD"

        async def answer(message: Message) -> None:
            kind = message["type"]
            if kind == "http.response.start" and message.get("status") == 405:
                message = {**message, "headers": _allow_head(message.get("headers") or [])}
            elif head and kind == "http.response.body":
                if message.get("more_body", False):
                    return
                message = {"type": "http.response.body", "body": b"", "more_body": False}
            elif head and kind == "http.response.pathsend":  # a file response: nothing of it either
                message = {"type": "http.response.body", "body": b"", "more_body": False}
            await send(message)

        # A copy of the scope: the server's own stays HEAD, so it too knows that no body follows the headers.
        await self.app({**scope, "method": "GET"} if head else scope, receive, answer)


def _allow_head(headers: list[tuple[bytes, bytes]] | tuple[tuple[bytes, bytes], ...]) -> list[tuple[bytes, bytes]]:
    """The headers with ``HEAD`` added to an ``Allow`` that has ``GET``."""
    out: list[tuple[bytes, bytes]] = []
    for name, value in headers:
        if name.lower() == b"allow":
            methods = [m.strip() for m in value.decode("latin-1").split(",") if m.strip()]
            if "GET" in methods and "HEAD" not in methods:
                methods.insert(methods.index("GET") + 1, "HEAD")
                value = ", ".join(methods).encode("latin-1")
        out.append((name, value))
    return out
