"""The text of a Python source file, decoded as CPython decodes it (PEP 263, PEP 3120): UTF-8, unless a coding
comment (``# -*- coding: latin-1 -*-``) on its first line, or on its second below a comment or blank first line,
names another encoding; a UTF-8 byte-order mark allows no other.

A step module Python imports in Latin-1 is read in Latin-1, so its patterns are the strings behave or pytest-bdd
register and match the feature's steps; a UTF-8 file whose comment names Latin-1 is read in Latin-1 too, as Python
reads it. What Python cannot import — an encoding it does not know, a byte that is no character of the encoding
named, a byte-order mark beside another encoding's comment — is a ``ParseError`` at its place, as a syntax error
is: never a pattern read in another encoding than Python's.

The rules are those of CPython's tokenizer (``Parser/tokenizer.c``: ``check_coding_spec``, ``get_coding_spec``,
``get_normal_name``), which ``ast.parse`` of bytes and ``import`` follow. ``tokenize.detect_encoding`` is not used:
it refuses a comment line holding bytes that are not UTF-8 (``# café`` in Latin-1 above the coding comment), which
CPython reads.
"""

from __future__ import annotations

import re

from tracertm.errors import ParseError
from tracertm.parsers.common import byte_position, check_readable, decode_checked, unix_line_ends
from tracertm.parsers.records import DEFAULT_OPTIONS, ParserOptions

# ``get_coding_spec``: a line of blanks then ``#``, and in the comment ``coding:`` or ``coding=``, blanks, then the
# name (ASCII letters, digits, ``-``, ``_``, ``.``: ``\w`` of a bytes pattern is ASCII).
_CODING = re.compile(rb"[ \t\f]*#.*?coding[:=][ \t]*([-\w.]+)")
# ``check_coding_spec``: a first line that is blank or a comment lets the second line name the encoding.
_BLANK_OR_COMMENT = re.compile(rb"[ \t\f]*(?:#|$)")
_LINE = re.compile(rb"[^\r\n]*")

_FIX = "Python cannot import the module"
_RENAME = "name the file's encoding, or save it as UTF-8 and remove the comment"


def python_text(path: str, data: bytes, options: ParserOptions = DEFAULT_OPTIONS) -> str:
    """The text of the Python file ``data`` in the encoding CPython reads it in, CRLF and CR line ends as LF; a
    ``ParseError`` at the coding comment, or at the byte, where CPython could not read it (and, as for every spec
    file, ``decode_text``'s for a file too big, binary, or not UTF-8 when no comment names another encoding)."""
    bom = check_readable(path, data, options)
    cookie = _coding_comment(data, bom)
    if cookie is None:
        return decode_checked(path, data, bom)
    line, column, name = cookie
    encoding = _normal_name(name)
    if encoding == "utf-8":  # the default, named: a byte-order mark may come with it
        return decode_checked(path, data, bom)
    if bom:
        raise ParseError(path, line, column, f"the file starts with a UTF-8 byte-order mark and its coding "
                                             f"comment names {name}; {_FIX} — remove the one that is wrong")
    try:
        text = data.decode(encoding)
    except UnicodeDecodeError as exc:
        at, byte = byte_position(data, 0, exc.start)
        raise ParseError(path, at, byte, f"invalid {name} at byte offset {exc.start}, the encoding its coding "
                                         f"comment names; {_FIX} — save the file in {name} or name its encoding"
                         ) from None
    except LookupError:  # an unknown name, or a codec of bytes or of text only (base64, rot13)
        raise ParseError(path, line, column, f"the coding comment names {name}, which is no text encoding "
                                             f"Python knows; {_FIX} — {_RENAME}") from None
    except ValueError as exc:  # a codec that refuses the bytes otherwise (idna: a label too long)
        raise ParseError(path, line, column, f"the file is no {name} text ({exc}); {_FIX} — {_RENAME}") from None
    return unix_line_ends(text)


def _coding_comment(data: bytes, start: int) -> tuple[int, int, str] | None:
    """The line, column and name as written of the encoding the coding comment of ``data`` names, as CPython's
    tokenizer finds it in the text after the byte-order mark (``start``): in the first line, or in the second below
    a blank or comment line. Lines end at LF, CRLF or CR (``compile`` makes each an LF before it looks)."""
    position = start
    for number in (1, 2):
        line = _LINE.match(data, position)
        assert line is not None  # it matches the empty string
        found = _CODING.match(line.group())
        if found is not None:
            return number, found.start(1) + 1, found.group(1).decode("ascii")
        if not _BLANK_OR_COMMENT.match(line.group()) or line.end() == len(data):
            return None
        position = line.end() + (2 if data.startswith(b"\r\n", line.end()) else 1)
    return None


def _normal_name(name: str) -> str:
    """CPython's ``get_normal_name``: the spellings of UTF-8 and Latin-1 it knows as those, from the first 12
    characters, lower case, ``_`` as ``-``; any other name as written (the codec registry reads it)."""
    head = name[:12].lower().replace("_", "-")
    if head == "utf-8" or head.startswith("utf-8-"):
        return "utf-8"
    if head in ("latin-1", "iso-8859-1", "iso-latin-1") or head.startswith(("latin-1-", "iso-8859-1-",
                                                                             "iso-latin-1-")):
        return "iso-8859-1"
    return name


__all__ = ["python_text"]
