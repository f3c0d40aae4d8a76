"""Pure parsers: ``parse(kind, path, data)`` → ``ParseResult`` or ``ParseError``. No database, no git."""

from __future__ import annotations

from importlib import import_module

from tracertm.parsers.records import (
    DEFAULT_OPTIONS,
    FILE_KINDS,
    FileKind,
    ParseResult,
    ParserOptions,
    SpecRecord,
)

__all__ = ["parse", "ParseResult", "ParserOptions", "SpecRecord", "FileKind", "FILE_KINDS", "DEFAULT_OPTIONS"]

_MODULES = {
    "adr": "tracertm.parsers.adr",
    "contract": "tracertm.parsers.contract",
    "feature": "tracertm.parsers.feature",
    "step_definition": "tracertm.steps.records",  # step files (tracertm.steps)
}


def parse(kind: FileKind, path: str, data: bytes, options: ParserOptions = DEFAULT_OPTIONS) -> ParseResult:
    """Parse one file of ``kind`` (``adr``, ``contract`` or ``feature``); ``path`` is repository-relative POSIX."""
    from tracertm.parsers.common import check_identities

    module = import_module(_MODULES[kind])
    result: ParseResult = module.parse(path, data, options)
    check_identities(result)
    return result
