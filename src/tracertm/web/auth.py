"""Who may read the pages: the API's own rule (``api.deps.reader``), with the token taken from a cookie.

A browser cannot send ``Authorization: Bearer`` on a link it follows, and a token in the URL would end up in
history, logs and ``Referer`` headers. So ``/login`` is a one-field form: the token is checked exactly as the API
checks it, then kept in an ``HttpOnly``, ``SameSite=Strict`` cookie (``Secure`` over HTTPS) that only the pages
read — the API itself still wants the header, so a page cannot be tricked into writing anything.
"""

from __future__ import annotations

from urllib.parse import parse_qs

from fastapi import Request
from fastapi.security import HTTPAuthorizationCredentials

from tracertm.api.deps import Credentials, check_token
from tracertm.web.render import COOKIE

MAX_AGE_S = 12 * 3600  # a working day; signing in again is one paste


def page_reader(request: Request, credentials: Credentials) -> None:
    """The dependency of every page: a bearer ``Authorization`` header if sent, else the sign-in cookie, checked as
    the API's ``reader`` checks a token (401 when the server requires tokens for reads and none is valid).

    Unlike the API, a page ignores an ``Authorization`` header of another scheme: a proxy's HTTP Basic sign-in in
    front of the server makes the browser send one with every page, and refusing it would send the reader to
    ``/login`` on every click, cookie or not. A ``Bearer`` header without a token (``Bearer`` alone, or spaces
    after it) is no other scheme but a bearer credential that cannot be verified: 401, as the API answers it,
    whether reads are open or not and whatever cookie is sent beside it."""
    if credentials is None and _unreadable_bearer(request):
        check_token(request, None, "read")  # raises the API's 401 for such a header
    if credentials is None:
        token = request.cookies.get(COOKIE)
        if token:
            credentials = HTTPAuthorizationCredentials(scheme="Bearer", credentials=token)
    if credentials is not None or request.app.state.settings.read_token_required:
        check_token(request, credentials, "read")


def _unreadable_bearer(request: Request) -> bool:
    """Whether the request's ``Authorization`` header names the bearer scheme (any case) when ``HTTPBearer`` read
    no credentials from it: no token after it (``Bearer``, ``Bearer   ``), or not ``Bearer <token>``."""
    scheme = request.headers.get("authorization", "").split(maxsplit=1)
    return bool(scheme) and scheme[0].casefold() == "bearer"


def token_is_valid(request: Request, token: str) -> bool:
    """Whether ``token`` is a live token of this server's database (any scope may read)."""
    from tracertm import db, tokens

    with db.session(request.app.state.engine) as session:
        return tokens.verify(session, token) is not None


def form_fields(body: bytes) -> dict[str, str]:
    """An ``application/x-www-form-urlencoded`` body (the first value of each field; undecodable bytes replaced)."""
    parsed = parse_qs(body.decode("utf-8", errors="replace"), keep_blank_values=True, max_num_fields=10)
    return {k: v[0] for k, v in parsed.items()}


def local_path(target: str | None) -> str:
    """``target`` when it is a path on this server, else ``/`` (never an open redirect to another host)."""
    if not target or not target.startswith("/") or target.startswith("//") or "\\" in target:
        return "/"
    return target


def same_origin(request: Request) -> bool:
    """A form post from one of our own pages: no ``Origin`` header (older browsers, curl) or the server's own."""
    origin = request.headers.get("origin")
    if origin is None:
        return True
    return origin == f"{request.url.scheme}://{request.url.netloc}"
