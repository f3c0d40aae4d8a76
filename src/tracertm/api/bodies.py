"""Request bodies in JSON, read one way on every route that takes one: a record's ``PATCH`` (whose fields depend
on the kind, so it reads the body itself) and the links' review routes (a model each, ``model_body``). FastAPI's own
body reading answers a body it cannot decode (nested too deeply, not UTF-8) with a bare 400, reads ``NaN`` as a
number and takes any content type; here each is the same 422 or 415 problem whichever route the body went to.
``refuse_coded`` and ``refuse_json_charset`` are the test-run uploads' too."""

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
_CHARSET = re.compile(r""";\s*charset\s*=\s*(?:"([^"]*)"|([^\s;]*))""", re.IGNORECASE)
UTF8_CHARSETS = ("utf-8", "utf8", "us-ascii")  # (US-ASCII text is UTF-8 text)


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


def charset_of(content_type: str) -> str | None:
    """The ``charset`` parameter of a Content-Type value, lower-cased; None when it names none."""
    found = _CHARSET.search(content_type)
    if found is None:
        return None
    return (found.group(1) if found.group(1) is not None else found.group(2)).strip().lower()


def refuse_coded(request: Request, what: str) -> None:
    """415 for a body sent with a Content-Encoding other than ``identity`` (RFC 9110 §15.5.16): none is decoded
    here, and read as they came the coded bytes were "not JSON" or "malformed XML" (gzip) — or taken as they stood
    when they happened to be the plain text (``Content-Encoding: br`` on a JSON text). ``what`` names the body in
    the problem's detail ("the report")."""
    coding = request.headers.get("content-encoding", "identity").strip().lower()
    if coding not in ("", "identity"):
        raise ApiProblem(415, f"Content-Encoding {coding!r} is not accepted; send {what} uncompressed",
                         kind="unsupported-media-type")


def refuse_json_charset(content_type: str, what: str) -> None:
    """415 for JSON sent with a charset other than UTF-8 (RFC 8259 §8.1: JSON is UTF-8, and defines no charset
    parameter): its bytes would not be read as sent — ISO-8859-1's "Ã©" is the UTF-8 of "é", stored as "é".
    ``what`` names the body in the problem's detail ("a JSON report")."""
    charset = charset_of(content_type)
    if charset is not None and charset not in UTF8_CHARSETS:
        raise ApiProblem(415, f"Content-Type charset={charset!r}: {what} is UTF-8 (RFC 8259); send it as UTF-8, "
                              "with no charset or charset=utf-8", kind="unsupported-media-type")


async def json_body(request: Request) -> Any:
    """The request's body read as JSON: 415 unless it is sent as JSON, uncoded, in UTF-8 (``refuse_coded``,
    ``refuse_json_charset``), 422 unless it is JSON (``_json_body``)."""
    content_type = request.headers.get("content-type", "")
    if content_type.split(";")[0].strip().lower() not in JSON_TYPES:
        raise ApiProblem(415, "send the body as application/json", kind="unsupported-media-type")
    refuse_coded(request, "the body")
    refuse_json_charset(content_type, "a JSON body")
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
