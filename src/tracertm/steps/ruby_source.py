"""The text of a Ruby source file, decoded as Ruby decodes a file it loads (``require``, ``load``: how cucumber-ruby
loads step definitions): UTF-8, unless a magic comment names another encoding (``# encoding: iso-8859-1``,
``# -*- coding: windows-1252 -*-``, ``# vim: set fileencoding=cp1252 :``) on the first line, or on the second below
a ``#!`` line, with only blanks before it. A UTF-8 byte-order mark is skipped and leaves such a comment in force
(Ruby then reads the rest in the encoding named), and its ``#!`` is no shebang to Ruby.

A step file Ruby loads in Latin-1 is read in Latin-1, so its step definitions count; one Ruby cannot load for its
encoding (a name Ruby does not know, an encoding it refuses for source, UTF-16) is a ``ParseError`` at the name, as
is a name Ruby knows and no Python codec decodes, and bytes that are no text in it are one at the first of them.

The rules are those of Ruby's parser (``parse.y``: ``parser_prepare``, ``comment_at_top``, ``parser_magic_comment``
with ``magic_comment_marker``, ``set_file_encoding``, ``parser_encode_length``, ``parser_set_encode``), ported as
they are, quirks included; Ruby's lines end at LF alone.
"""

from __future__ import annotations

from typing import NamedTuple

from tracertm.errors import ParseError
from tracertm.parsers.common import byte_position, check_readable, decode_checked, unix_line_ends
from tracertm.parsers.records import DEFAULT_OPTIONS, ParserOptions
from tracertm.steps.ruby_encodings import CODECS, NOT_ASCII, ruby_encoding

_FIX = "Ruby cannot load the file"
_RENAME = ("name the file's encoding as Ruby spells it (iso-8859-1, windows-1252), or save it as UTF-8 and remove "
           "the comment")
_SPACE = b" \t\n\v\f\r"  # ISSPACE
_QUOTES = b"'\":;"  # what parser_magic_comment skips before a name, and what ends one
_ENCODING_NAMES = (b"coding", b"encoding")


class RubyText(NamedTuple):
    """A Ruby file's text (CRLF and CR line ends as LF) and Ruby's name of the encoding it is read in when that is
    not UTF-8 (None: UTF-8)."""

    text: str
    encoding: str | None


def ruby_text(path: str, data: bytes, options: ParserOptions = DEFAULT_OPTIONS) -> RubyText:
    """The text of the Ruby file ``data`` in the encoding Ruby loads it in; a ``ParseError`` at the magic comment's
    encoding name, or at the byte, where that encoding cannot be read (and, as for every spec file,
    ``decode_text``'s for a file too big, binary, or not UTF-8 when no comment names another encoding)."""
    bom = check_readable(path, data, options)
    found = _declared(data, bom)
    if found is None:
        return RubyText(decode_checked(path, data, bom), None)
    offset, name = found
    encoding = _known(path, data, bom, offset, name)
    codec = CODECS[encoding]
    if encoding == "UTF-8":
        return RubyText(decode_checked(path, data, bom), None)
    if codec is None:
        line, column = byte_position(data, bom, offset)
        raise ParseError(path, line, column, f"the magic comment names {name} ({encoding}), which tracertm cannot "
                                             "decode; its step definitions are not read — save the file as UTF-8 "
                                             "and remove the comment")
    try:
        text = data[bom:].decode(codec)
    except UnicodeDecodeError as exc:
        start = exc.start + bom
        line, column = byte_position(data, bom, start)
        raise ParseError(path, line, column, f"invalid {name} at byte offset {start}, the encoding its magic "
                                             f"comment names; save the file in {name} or name its encoding") from None
    return RubyText(unix_line_ends(text), encoding)


def _known(path: str, data: bytes, bom: int, offset: int, name: str) -> str:
    """Ruby's name of the encoding ``name`` (at byte ``offset`` of ``data``), or the error Ruby raises for it."""
    encoding = ruby_encoding(name)
    problem = None
    if encoding is None:
        problem = f"the magic comment names {name}, which is no encoding Ruby knows"
    elif encoding in NOT_ASCII:
        problem = f"the magic comment names {name}, which Ruby refuses for source code (not ASCII-compatible)"
    if problem is None:
        assert encoding is not None
        return encoding
    line, column = byte_position(data, bom, offset)
    raise ParseError(path, line, column, f"{problem}; {_FIX} — {_RENAME}")


def _declared(data: bytes, bom: int) -> tuple[int, str] | None:
    """The byte offset and the name of the last encoding the magic comment of ``data`` names where Ruby looks for
    one (``comment_at_top``: the first line, or the second below a ``#!`` line that no byte-order mark precedes,
    blanks alone before its ``#``); None when there is none."""
    start = bom
    if not bom and data.startswith(b"#!"):  # parser_prepare: a shebang moves the comment to line 2
        end = data.find(b"\n")
        if end == -1:
            return None
        start = end + 1
    end = data.find(b"\n", start)
    line = data[start:] if end == -1 else data[start : end + 1]  # pend: the line end is part of the comment
    hash_at = len(line) - len(line.lstrip(_SPACE))
    if not line[hash_at : hash_at + 1] == b"#":
        return None
    comment = start + hash_at + 1
    names = _magic_comment(data[comment : start + len(line)])
    if names is None:  # not a magic comment: Ruby looks for "coding[:=] NAME" anywhere in it
        found = _file_encoding(data[comment : start + len(line)])
        names = [] if found is None else [found]
    if not names:
        return None
    # Ruby sets each in turn (an unknown one stops it there): the first one Ruby refuses, else the last.
    for at, name in names:
        if ruby_encoding(name) is None or ruby_encoding(name) in NOT_ASCII:
            return comment + at, name
    at, name = names[-1]
    return comment + at, name


def _magic_comment(text: bytes) -> list[tuple[int, str]] | None:
    """``parser_magic_comment`` of a comment's ``text`` (after its ``#``): the (offset, name) of each encoding it
    names, or None when the comment is no magic comment (neither ``-*- name: value; … -*-`` nor one ``name: value``
    alone)."""
    if len(text) <= 7:
        return None
    i, end, emacs = 0, len(text), False
    begin = _marker(text, 0, end)
    if begin is not None:
        close = _marker(text, begin, end)
        if close is None:
            return None
        i, end, emacs = begin, close - 3, True
    out: list[tuple[int, str]] = []
    while i < end:
        while i < end and (text[i] in _QUOTES or text[i] in _SPACE):
            i += 1
        name_start = i
        while i < end and text[i] not in _QUOTES and text[i] not in _SPACE:
            i += 1
        name = text[name_start:i]
        while i < end and text[i] in _SPACE:
            i += 1
        if i >= end:
            break
        if text[i] != ord(":"):
            if not emacs:
                return None
            continue
        i += 1
        while i < end and text[i] in _SPACE:
            i += 1
        if i >= end:
            break
        value_start, value_end, i = _value(text, i, end)
        skip = b";" + _SPACE if emacs else _SPACE
        while i < end and text[i] in skip:
            i += 1
        if not emacs and i < end:
            return None
        if name.replace(b"-", b"_").lower() in _ENCODING_NAMES:
            out.append((value_start, _without_eol(text[value_start:value_end])))
    return out


def _value(text: bytes, i: int, end: int) -> tuple[int, int, int]:
    """A magic comment's value at ``text[i]``: its start, its end and where reading goes on (a value in double
    quotes, backslash escaping a character, or one up to a blank, ``;`` or ``"``)."""
    if text[i] == ord('"'):
        i += 1
        start = i
        while i < end and text[i] != ord('"'):
            i += 2 if text[i] == ord("\\") else 1
        stop = min(i, end)
        return start, stop, min(i + 1, end)
    start = i
    while i < end and text[i] not in b'";' and text[i] not in _SPACE:
        i += 1
    return start, i, i


def _marker(text: bytes, start: int, end: int) -> int | None:
    """``magic_comment_marker``: where the text after the next ``-*-`` of ``text[start:end]`` starts, or None."""
    i = 2
    length = end - start
    while i < length:
        c = text[start + i]
        if c == ord("-"):
            if text[start + i - 1] == ord("*") and text[start + i - 2] == ord("-"):
                return start + i + 1
            i += 2
        elif c == ord("*"):
            if i + 1 >= length:
                return None
            if text[start + i + 1] != ord("-"):
                i += 4
            elif text[start + i - 1] != ord("-"):
                i += 2
            else:
                return start + i + 2
        else:
            i += 3
    return None


# set_file_encoding's skip table: a letter of "coding" at [6] → how far "coding" may start after the cursor.
_SHIFT = {ord(c): n for letters, n in (("Cc", 6), ("Oo", 5), ("Dd", 4), ("Ii", 3), ("Nn", 2), ("Gg", 1))
          for c in letters}


def _file_encoding(text: bytes) -> tuple[int, str] | None:
    """``set_file_encoding`` of a comment's ``text`` that is no magic comment: the (offset, name) after the first
    ``coding`` followed by ``:`` or ``=`` (blanks around it), or None."""
    i, end, separator = 0, len(text), False
    while True:
        if end - i <= 6:
            return None
        c = text[i + 6]
        if c in _SHIFT:
            i += _SHIFT[c]
            continue
        separator = c in b"=:"
        i += 6
        if not separator and text[i] not in _SPACE:
            continue
        if text[i - 6 : i].lower() == b"coding":
            break
    while True:
        i += 1
        while i < end and text[i] in _SPACE:
            i += 1
        if i >= end:
            return None
        if separator:
            break
        if text[i] not in b"=:":
            return None
        separator = True
        i += 1
    start = i
    while i < end and (text[i] in b"-_" or chr(text[i]).isascii() and chr(text[i]).isalnum()):
        i += 1
    return start, _without_eol(text[start:i])


def _without_eol(value: bytes) -> str:
    """``parser_encode_length``: an encoding name without Emacs's end-of-line suffix (``-unix``, ``-dos``,
    ``-mac``; ``utf8-mac`` is a name), as text (a byte that is not ASCII stays itself: no encoding has it)."""
    lower = value.lower()
    if len(value) > 5 and lower.endswith(b"-unix"):
        value = value[:-5]
    elif len(value) > 4 and lower.endswith((b"-dos", b"-mac")) and lower != b"utf8-mac":
        value = value[:-4]
    return value.decode("latin-1")


__all__ = ["RubyText", "ruby_text"]
