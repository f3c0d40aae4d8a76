"""Shared by every parser: turning bytes into text safely, and the canonical content hash."""

from __future__ import annotations

import datetime as _dt
import hashlib
import json
from collections.abc import Callable, Mapping
from typing import Any

from tracertm.errors import ParseError
from tracertm.parsers.records import ParseResult, ParserOptions

# Bump when a parser change alters what a file means, so every record is re-hashed (and re-versioned) once.
PARSER_VERSION = "2"

# Keys that say where something is (in the file, or which file), not what it says: excluded from the content
# hash, so reformatting or moving a file is not a new version.
_POSITIONAL_KEYS = frozenset({"line", "column", "gherkin_text", "file_path", "slug"})


# Record ids ("numbers") are keys of unique indexes; PostgreSQL refuses index entries over ~2,700 bytes. Longer ids
# (a scenario without an id tag is identified by its name) are a parse error of their file, not a failed sync.
MAX_ID_BYTES = 2000


def check_identities(result: ParseResult) -> None:
    """Raise ``ParseError`` (with every offending record) when a record id is too long to be a database key."""
    from tracertm.errors import Diagnostic

    problems: list[Diagnostic] = []
    for record in result.records:
        for rec in (record, *record.children):
            size = len(rec.number.encode("utf-8"))
            if size > MAX_ID_BYTES:
                hint = " (or give the scenario an id tag)" if rec.kind == "scenario" else ""
                problems.append(Diagnostic(
                    result.path, rec.line, 1,
                    f"{rec.kind} id is {size} bytes long, over the {MAX_ID_BYTES}-byte limit for ids; "
                    f"shorten it{hint}",
                ))
    if problems:
        raise ParseError.from_diagnostics(problems)


def decode_text(path: str, data: bytes, options: ParserOptions) -> str:
    """Return the text of a spec file, or raise ``ParseError`` for oversized, binary or non-UTF-8 input.

    A UTF-8 byte-order mark is accepted and dropped; CRLF and CR line ends become LF (line numbers are unchanged).
    """
    if len(data) > options.max_file_size:
        raise ParseError(
            path,
            0,
            0,
            f"file is {len(data)} bytes, over the {options.max_file_size}-byte limit; "
            "raise max_file_size in [tool.tracertm] if it is really a spec",
        )
    if data.startswith(b"\xef\xbb\xbf"):
        data = data[3:]
    nul = data.find(b"\x00")
    if nul != -1:
        line = data.count(b"\n", 0, nul) + 1
        raise ParseError(path, line, 0, f"binary content (NUL byte at offset {nul}); not a text spec file")
    try:
        text = data.decode("utf-8")
    except UnicodeDecodeError as exc:
        line = data.count(b"\n", 0, exc.start) + 1
        column = exc.start - (data.rfind(b"\n", 0, exc.start) + 1) + 1
        raise ParseError(
            path, line, column, f"invalid UTF-8 at byte offset {exc.start}; save the file as UTF-8"
        ) from None
    if "\r" in text:
        text = text.replace("\r\n", "\n").replace("\r", "\n")
    return text


def parse_text_safely(
    parse_text: Callable[[str, str, ParserOptions], ParseResult], path: str, data: bytes, options: ParserOptions
) -> ParseResult:
    """Decode ``data`` and run a parser on the text, so that every parser is total: a bug surfaces as a
    ``ParseError`` naming the file ("internal parser error (please report)"), never as a crash of the run."""
    text = decode_text(path, data, options)
    try:
        return parse_text(path, text, options)
    except ParseError:
        raise
    except Exception as exc:
        raise ParseError(path, 0, 0, f"internal parser error (please report): {type(exc).__name__}: {exc}") from exc


# Types that are already canonical / JSON-safe as they are (checked by exact type: subclasses take the slow path).
_PLAIN = frozenset({int, float, bool, type(None)})


def json_safe(value: Any) -> Any:
    """Dates to ISO strings, tuples to lists, recursively: what a JSON column or ``json.dumps`` accepts."""
    # Fast paths by exact type (the parsers' output is plain dicts, lists and scalars); the isinstance checks below
    # keep the general behaviour for anything else.
    t = type(value)
    if t is str or t in _PLAIN:
        return value
    if t is dict:
        return {k if type(k) is str else str(k): json_safe(v) for k, v in value.items()}
    if t is list or t is tuple:
        return [json_safe(v) for v in value]
    if isinstance(value, Mapping):
        return {str(k): json_safe(v) for k, v in value.items()}
    if isinstance(value, (list, tuple)):
        return [json_safe(v) for v in value]
    if isinstance(value, (_dt.date, _dt.datetime)):
        return value.isoformat()
    return value


def _canonical(value: Any) -> Any:
    t = type(value)  # fast paths by exact type, as in json_safe
    if t is str:
        return " ".join(value.split())
    if t in _PLAIN:
        return value
    if t is dict:
        return {k if type(k) is str else str(k): _canonical(v) for k, v in value.items() if k not in _POSITIONAL_KEYS}
    if t is list or t is tuple:
        return [_canonical(v) for v in value]
    if isinstance(value, Mapping):
        return {str(k): _canonical(v) for k, v in value.items() if k not in _POSITIONAL_KEYS}
    if isinstance(value, (list, tuple)):
        return [_canonical(v) for v in value]
    if isinstance(value, str):
        # Re-wrapping a paragraph or re-indenting is not a change of meaning.
        return " ".join(value.split())
    if isinstance(value, (_dt.date, _dt.datetime)):
        return value.isoformat()
    return value


def canonical_json(fields: Mapping[str, Any]) -> str:
    """The git-owned fields as canonical JSON: sorted keys, no whitespace, positions dropped, strings normalised."""
    return json.dumps(_canonical(fields), sort_keys=True, separators=(",", ":"), ensure_ascii=False)


def content_hash(kind: str, fields: Mapping[str, Any]) -> str:
    """sha256 hex of the canonical content, salted with the record kind and ``PARSER_VERSION``."""
    payload = f"tracertm:{PARSER_VERSION}:{kind}\n{canonical_json(fields)}"
    return hashlib.sha256(payload.encode("utf-8")).hexdigest()
