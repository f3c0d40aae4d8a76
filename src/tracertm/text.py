"""Whether a string is text every database and UTF-8 reader holds."""

from __future__ import annotations

__all__ = ["is_text"]


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
