"""Whether a string is text every database and UTF-8 reader holds; a file's lines and character columns as its
reader sees them."""

from __future__ import annotations

import re

__all__ = ["ByteColumns", "char_column", "file_lines", "is_text", "unnamable_file"]

_LINE_END = re.compile(r"\r\n?|\n")


def is_text(value: str) -> bool:
    """Whether ``value`` encodes as UTF-8: no lone surrogate, which is what Python makes of bytes that are not UTF-8
    (a file name read with ``surrogateescape``, a command-line argument) and what JSON's ``"\\ud800"`` decodes to.
    Neither database stores one, and nothing could print it back."""
    if value.isascii():
        return True
    try:
        value.encode("utf-8")
    except UnicodeEncodeError:
        return False
    return True


def unnamable_file(exc: UnicodeEncodeError) -> str | None:
    """The one line for a file name the locale's encoding cannot hold, or None when ``exc`` is no such error. git
    lists names as UTF-8, and Python hands a name to the operating system in the locale's encoding: under a Latin-1
    locale ``features/\u0444.feature`` cannot be named at all (its bytes on disk are UTF-8 still)."""
    import codecs
    import sys

    names = codecs.lookup(sys.getfilesystemencoding()).name
    if names == "utf-8" or codecs.lookup(exc.encoding).name != names or not isinstance(exc.object, str):
        return None
    return (f"the locale's encoding ({names}) cannot name the file {exc.object!r}; run tracertm under a UTF-8 "
            "locale, e.g. LC_ALL=C.UTF-8")


def file_lines(text: str) -> list[str]:
    """The lines of a file's ``text`` as git, editors and tracertm's parsers number them: LF, CRLF and CR end a line,
    nothing else (``str.splitlines`` ends one at a form feed, \\x0b, \\x1c-\\x1e, NEL, U+2028 and U+2029 too, and its
    numbers then run ahead of the file's). As with ``splitlines``, a last line end starts no empty line."""
    lines = _LINE_END.split(text) if "\r" in text else text.split("\n")
    if lines[-1] == "":
        lines.pop()
    return lines


def char_column(prefix: bytes) -> int:
    """The 1-based column, in characters, of what follows ``prefix``: the UTF-8 bytes of its line before it.
    tree-sitter and Python's ``ast`` count columns in bytes; editors and GitHub annotations count characters."""
    return (len(prefix) if prefix.isascii() else len(prefix.decode("utf-8", "replace"))) + 1


class ByteColumns:
    """Character columns of a source whose parser counts a line's UTF-8 bytes (Python's ``ast``: ``col_offset``).
    A source all ASCII (nearly every one) costs one check; the others are split into lines on first use."""

    def __init__(self, source: str | bytes) -> None:
        self._source = source
        self._ascii = source.isascii()
        self._lines: list[str] | None = None

    def column(self, line: int, offset: int) -> int:
        """The 1-based character column of the 0-based byte ``offset`` on the 1-based ``line``."""
        if self._ascii or offset <= 0:
            return offset + 1
        if self._lines is None:
            source = self._source
            # (A UTF-8 BOM is no character of line 1 to Python's parser.)
            self._lines = file_lines(source if isinstance(source, str) else source.decode("utf-8-sig", "replace"))
        if not 0 < line <= len(self._lines):
            return offset + 1
        return char_column(self._lines[line - 1].encode("utf-8", "replace")[:offset])

    def of(self, node: object) -> int:
        """The column where a Python ``ast`` node starts (its ``lineno`` and ``col_offset``); 0 for one with no
        place."""
        offset = getattr(node, "col_offset", None)
        return 0 if offset is None else self.column(getattr(node, "lineno", 0), offset)
