"""Whether a string is text every database and UTF-8 reader holds; a file's lines as its reader sees them."""

from __future__ import annotations

import re

__all__ = ["file_lines", "is_text", "unnamable_file"]

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
