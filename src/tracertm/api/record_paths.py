"""Which path names a record and which names it as of a commit (``/{kind}/{ident}/at/{commit}``).

An id may hold slashes (``FEAT-2/SC-4``, a feature ``billing/refund``, one named ``at``), and so may a ref
(``release/1.0``). Routing reads the decoded path, where ``ADR-0001/at/release%2F1.0`` is
``ADR-0001/at/release/1.0``: no longer an ``at`` path, it reached the record route as an unknown id (404). The
rule that stays unambiguous reads the path as it was sent: the commit is its last segment, whose slashes the client
sends as ``%2F``, and the segment before it is ``at``; everything before that is the id (``show --at release/1.0``
is ``/at/release%2F1.0``).
"""

from __future__ import annotations

from typing import Any
from urllib.parse import unquote

from fastapi.routing import APIRoute
from starlette.convertors import Convertor, register_url_convertor
from starlette.routing import Match
from starlette.types import Scope

AT = "/at/{commit:path}"  # the suffix of the ``at`` routes; the commit is read from the raw path (raw_at)


class _RecordIdent(Convertor[str]):
    """A record's id in its own path, ``{ident:path}`` (``FEAT-2/SC-4`` holds a slash) that is not the path of one
    of the record's other routes: ``.../history`` and ``.../at/{commit}`` (GET). The GET of those paths was always
    theirs (they come first); their PATCH and DELETE were the record's (a record ``ADR-0001/history``), where the
    path takes no such method: now a 405 naming the methods it does take. (A commit holding ``%2F`` is refused by
    ``RecordPathRoute``: the decoded path this reads has a slash there.)"""

    regex = r"(?!.*/(?:history|at/[^/]+)$).*"

    def convert(self, value: str) -> str:
        return value

    def to_string(self, value: str) -> str:
        return value


class _RestorableIdent(_RecordIdent):
    """The id of a record git does not own, which has ``.../restore`` (POST) too: its GET was the record's."""

    regex = r"(?!.*/(?:history|restore|at/[^/]+)$).*"


RECORD_IDENT = {False: "tracertm_record_ident", True: "tracertm_restorable_ident"}  # by whether it has /restore
register_url_convertor(RECORD_IDENT[False], _RecordIdent())
register_url_convertor(RECORD_IDENT[True], _RestorableIdent())


def raw_at(scope: Scope, rest: str) -> tuple[str, str] | None:
    """``(ident, commit)`` when ``rest`` (the decoded path after ``/{kind}/``) is an ``at`` path as sent: the last
    segment of the raw path is the commit (``%2F`` a slash in it), the one before it is ``at``, and an id precedes
    them. None otherwise. Without a raw path (an ASGI server may omit it), the last decoded segment is the commit."""
    raw = scope.get("raw_path")
    if isinstance(raw, bytes):
        segments = raw.split(b"?", 1)[0].rsplit(b"/", 2)
        if len(segments) < 3 or unquote(segments[1].decode("latin-1")) != "at":
            return None
        commit = unquote(segments[2].decode("latin-1"))
    else:
        commit = rest.rsplit("/", 1)[-1]
    suffix = f"/at/{commit}"
    if not commit or not rest.endswith(suffix) or len(rest) == len(suffix):
        return None
    return rest[: -len(suffix)], commit


class RecordPathRoute(APIRoute):
    """An ``APIRoute`` that reads an ``at`` path as sent (``raw_at``): the ``at`` route (its path ends in ``AT``)
    matches only such a path, with the id and commit read from it; a record's own route (its ``ident`` is a
    ``_RecordIdent``) never matches one, so a PATCH there is the ``at`` route's 405. Every other route is as
    ``APIRoute``."""

    def matches(self, scope: Scope) -> tuple[Match, Scope]:
        match, child = super().matches(scope)
        if match is Match.NONE:
            return match, child
        params: dict[str, Any] = dict(child.get("path_params", {}))
        if self.path.endswith(AT):
            found = raw_at(scope, f"{params['ident']}/at/{params['commit']}")
            if found is None:
                return Match.NONE, {}
            child["path_params"] = {**params, "ident": found[0], "commit": found[1]}
        elif isinstance(self.param_convertors.get("ident"), _RecordIdent) and raw_at(scope, params["ident"]):
            return Match.NONE, {}
        return match, child
