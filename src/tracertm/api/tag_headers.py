"""The ``If-Match`` and ``If-None-Match`` headers as one value each, read by one dependency per header that every
route taking them uses (records' GET, PATCH, DELETE and restore; a link's GET and review; ``POST /links/review``).

RFC 9110 5.3: a field sent on several lines is one list, the lines joined with ", ". FastAPI's ``Header()`` hands a
route the first line alone, so ``If-Match: *`` then ``If-Match: "1"`` was read as ``*`` and wrote over versions the
client never read, and an ``If-None-Match`` naming the current ETag on its second line never answered 304.
"""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass
from typing import Any

from fastapi import Header, Request

from tracertm.api.deps import MAX_TAG_LIST, tag_list
from tracertm.api.problems import ApiProblem


@dataclass(frozen=True)
class TagHeader:
    """A conditional header as received: ``text``, every field line joined (what errors quote), and ``tags``, its
    members (``["*"]`` or the entity tags listed)."""

    text: str
    tags: list[str]


def tags_of(header: TagHeader | None) -> list[str] | None:
    """The members of a header, None when it was not sent."""
    return None if header is None else header.tags


def read_tag_header(request: Request, name: str) -> TagHeader | None:
    """Every line of header ``name`` joined into one list (None when none was sent): 422 past ``MAX_TAG_LIST``
    characters together, 400 when ``*`` is not alone (``tag_list``)."""
    lines = request.headers.getlist(name)
    if not lines:
        return None
    text = ", ".join(lines)
    if len(text) > MAX_TAG_LIST:
        raise ApiProblem(422, f"{name}: {len(text)} characters (every line of it together); at most {MAX_TAG_LIST} "
                              "are read: send fewer tags", kind="invalid-request")
    tags = tag_list(text, name)
    assert tags is not None  # text is not None
    return TagHeader(text, tags)


def _documented(description: str | None) -> Any:
    """The ``Header()`` that documents a conditional header in the OpenAPI document (a parameter's default, not in
    ``Annotated``: the closures' annotations are strings, which cannot name a local). Its value is read whole by
    ``read_tag_header``, so the length is checked there (on every line together), not by FastAPI (the first)."""
    return Header(None, description=description, json_schema_extra={"maxLength": MAX_TAG_LIST})


def if_match_header(description: str | None = None) -> Callable[..., TagHeader | None]:
    """A dependency giving a route's ``If-Match`` (every line of it), documented with ``description``."""

    def if_match_dependency(request: Request, if_match: str | None = _documented(description)) -> TagHeader | None:
        return read_tag_header(request, "If-Match")

    return if_match_dependency


def if_none_match_header(description: str | None = None) -> Callable[..., TagHeader | None]:
    """A dependency giving a route's ``If-None-Match`` (every line of it), documented with ``description``."""

    def if_none_match_dependency(request: Request,
                                 if_none_match: str | None = _documented(description)) -> TagHeader | None:
        return read_tag_header(request, "If-None-Match")

    return if_none_match_dependency
