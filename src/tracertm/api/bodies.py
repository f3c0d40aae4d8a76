"""Request bodies in JSON, read one way on every route that takes one: a record's ``PATCH`` (whose fields depend
on the kind, so it reads the body itself) and the links' review routes (a model each, ``model_body``). FastAPI's own
body reading answers a body it cannot decode (nested too deeply, not UTF-8) with a bare 400, reads ``NaN`` as a
number and takes any content type; here each is the same 422 or 415 problem whichever route the body went to."""

from __future__ import annotations

import json
import re
from collections.abc import Awaitable, Callable
from typing import Any, TypeVar

from fastapi import Request
from fastapi.exceptions import RequestValidationError
from pydantic import BaseModel

from tracertm.api.problems import ApiProblem

M = TypeVar("M", bound=BaseModel)
JSON_TYPES = ("application/json", "application/merge-patch+json")


class _NotAJsonNumber(ValueError):
    """``NaN``, ``Infinity`` or ``-Infinity``: Python reads them, JSON has no such numbers."""


def _not_json(constant: str) -> Any:
    """``json.loads``' hook for ``NaN``, ``Infinity`` and ``-Infinity``, which Python reads but JSON has not."""
    raise _NotAJsonNumber(f"{constant} is not a JSON number")


# A JSON text's strings, and the constants outside them: the first constant matched is where the decoder stopped.
_CONSTANT_OUTSIDE_STRINGS = re.compile(r'"(?:[^"\\]|\\.)*"|(-?Infinity|NaN)')
# The same for an integer of more digits than ``int`` converts (``sys.get_int_max_str_digits``: 4,300): a run of
# digits outside strings, the first of that length not part of a fraction or an exponent (those are floats).
_LONG_INTEGER_OUTSIDE_STRINGS = re.compile(r'"(?:[^"\\]|\\.)*"|(?<![.eE+0-9-])(-?[0-9]{4301,})(?![.eE0-9])')


def _json_body(body: bytes) -> Any:
    """``body`` read as JSON; one that is not is refused with 422, "the body is not JSON (REASON) at character N"
    (by ``problems``' handler of ``RequestValidationError``, as FastAPI refuses a body its decoder stops in)."""
    try:
        return json.loads(body, parse_constant=_not_json)
    except json.JSONDecodeError as e:
        reason, at = e.msg, e.pos
    except _NotAJsonNumber as e:  # (the hook is not told where: the constant outside a string is)
        reason, text = str(e), body.decode("utf-8", "replace")
        at = next((m.start(1) for m in _CONSTANT_OUTSIDE_STRINGS.finditer(text) if m.group(1)), 0)
    except RecursionError:
        raise ApiProblem(422, "the body is not JSON (it nests too deeply)", kind="invalid-request") from None
    except UnicodeDecodeError as e:
        raise ApiProblem(422, f"the body is not JSON (not UTF-8, UTF-16 or UTF-32 text: byte {e.start})",
                         kind="invalid-request") from None
    except ValueError:  # not a JSONDecodeError: an integer of more digits than ``int`` converts (it was a 500)
        reason, text = "a number of more than 4,300 digits", body.decode("utf-8", "replace")
        at = next((m.start(1) for m in _LONG_INTEGER_OUTSIDE_STRINGS.finditer(text) if m.group(1)), 0)
    raise RequestValidationError([{"type": "json_invalid", "loc": ("body", at), "msg": "JSON decode error",
                                   "input": {}, "ctx": {"error": reason}}], body=body)


async def json_body(request: Request) -> Any:
    """The request's body read as JSON: 415 unless it is sent as JSON, 422 unless it is JSON (``_json_body``)."""
    content_type = request.headers.get("content-type", "")
    if content_type.split(";")[0].strip().lower() not in JSON_TYPES:
        raise ApiProblem(415, "send the body as application/json", kind="unsupported-media-type")
    return _json_body(await request.body())


def model_body(model: type[M]) -> Callable[[Request], Awaitable[M]]:
    """A dependency giving the request's body as ``model`` (``json_body``; a body the model refuses is a 422 naming
    the field). Declared after the token's dependency, the body is not read for a request the token refuses. The
    route declares the body for OpenAPI itself (``openapi``)."""

    async def read(request: Request) -> M:
        return model.model_validate(await json_body(request))

    return read


def openapi(model: type[BaseModel]) -> dict[str, Any]:
    """The ``openapi_extra`` of a route whose body ``model_body`` reads: ``model``'s schema as its request body."""
    return {"requestBody": {"required": True, "content": {"application/json": {"schema": model.model_json_schema()}}}}
