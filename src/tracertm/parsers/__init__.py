"""Pure parsers: ``parse(kind, path, data)`` → ``ParseResult`` or ``ParseError``. No database, no git."""

from __future__ import annotations

from collections.abc import Iterable
from importlib import import_module

from tracertm.parsers.records import (
    DEFAULT_OPTIONS,
    FILE_KINDS,
    FileKind,
    ParseResult,
    ParserOptions,
    SpecRecord,
)

__all__ = [
    "parse", "preload", "ParseResult", "ParserOptions", "SpecRecord", "FileKind", "FILE_KINDS", "DEFAULT_OPTIONS"
]

_MODULES = {
    "adr": "tracertm.parsers.adr",
    "contract": "tracertm.parsers.contract",
    "feature": "tracertm.parsers.feature",
    "step_definition": "tracertm.steps.records",  # step files (tracertm.steps)
}


def preload(kinds: Iterable[FileKind]) -> None:
    """Import the parsers of ``kinds`` now, not at the first ``parse``: for a caller that overlaps the import with
    other work (a pre-commit hook, with the git process listing the index)."""
    for kind in set(kinds):
        import_module(_MODULES[kind])


def parse(kind: FileKind, path: str, data: bytes, options: ParserOptions = DEFAULT_OPTIONS) -> ParseResult:
    """Parse one file of ``kind`` (``adr``, ``contract`` or ``feature``); ``path`` is repository-relative POSIX."""
    from tracertm.parsers.common import check_identities

    module = import_module(_MODULES[kind])
    result: ParseResult = module.parse(path, data, options)
    check_identities(result)
    return result
