"""String literals' values as each language's compiler reads them: escapes, Java text blocks, C# raw strings.

A step pattern is a string literal, and the pattern tracertm stores and matches is its value, not its source text:
``"\\U0001F600"`` is one emoji in Go and C#, ``"\\101"`` is "A" in Java and Go, ``"\\x41B"`` is "Л" in C# (one to
four hex digits) and "AB" in JavaScript (exactly two). An escape a language does not define stands for the
character after the backslash, as in JavaScript (``'\\('`` is ``(``); the other compilers refuse it, so a file that
compiles has none.
"""

from __future__ import annotations

import re
from typing import NamedTuple

_HEX = "[0-9a-fA-F]"
_C = {"n": "\n", "t": "\t", "r": "\r", "b": "\b", "f": "\f"}
# A lone surrogate stands for what is no character (an escape past U+10FFFF, bytes that are no UTF-8): JavaScript,
# Go and C# refuse such a literal, and ``parsing.storable`` turns it into an error at the definition's line.
NOT_A_CHARACTER = "\udfff"


class _Dialect(NamedTuple):
    escape: re.Pattern[str]  # group "bytes": a run of byte escapes (Go, Ruby); group "one": any other escape
    known: dict[str, str]  # one character after the backslash → what it stands for
    octal: bool  # ``\101`` is a character (Java), not bytes (Go, Ruby) nor itself


def _dialect(one: str, known: dict[str, str], byte_escape: str = "", octal: bool = False) -> _Dialect:
    run = rf"(?P<bytes>(?:\\(?:{byte_escape}))+)|" if byte_escape else ""
    return _Dialect(re.compile(rf"{run}\\(?P<one>{one}|\r\n|[\s\S])"), known, octal)


_DIALECTS = {
    "javascript": _dialect(rf"u\{{{_HEX}+\}}|u{_HEX}{{4}}|x{_HEX}{{2}}", {**_C, "v": "\v", "0": "\0"}),
    # Java: \s (Java 15) is a space, octal escapes up to \377; \uXXXX may repeat its u.
    "java": _dialect(rf"u+{_HEX}{{4}}|[0-3][0-7]{{2}}|[0-7]{{1,2}}", {**_C, "s": " "}, octal=True),
    "kotlin": _dialect(rf"u{_HEX}{{4}}", {k: _C[k] for k in "ntrb"}),
    # Go: \xHH and \ooo are bytes of the string's UTF-8, \U a code point in eight hex digits.
    "go": _dialect(rf"u{_HEX}{{4}}|U{_HEX}{{8}}", {**_C, "a": "\a", "v": "\v"},
                   byte_escape=rf"x{_HEX}{{2}}|[0-7]{{3}}"),
    # C#: \x takes one to four hex digits, \e (C# 13) is ESC.
    "csharp": _dialect(rf"u{_HEX}{{4}}|U{_HEX}{{8}}|x{_HEX}{{1,4}}", {**_C, "a": "\a", "v": "\v", "0": "\0",
                                                                    "e": "\x1b"}),
    # Ruby (double quotes): \u{...} may hold several code points; \x (one or two digits) and octal are bytes.
    "ruby": _dialect(rf"u\{{\s*{_HEX}+(?:\s+{_HEX}+)*\s*\}}|u{_HEX}{{4}}",
                     {**_C, "a": "\a", "v": "\v", "e": "\x1b", "s": " "},
                     byte_escape=rf"x{_HEX}{{1,2}}|[0-7]{{1,3}}"),
}
_DIALECTS["typescript"] = _DIALECTS["javascript"]


def _code_point(code: int) -> str:
    return chr(code) if code <= 0x10FFFF else NOT_A_CHARACTER


def _bytes(run: str) -> str:
    """A run of byte escapes (``\\xE2\\x9C\\x93``, ``\\342\\234\\223``) as the UTF-8 text they spell."""
    data = bytes(int(seq[1:], 16) if seq[0] == "x" else int(seq, 8) & 0xFF for seq in run.split("\\")[1:])
    try:
        return data.decode("utf-8")
    except UnicodeDecodeError:
        return NOT_A_CHARACTER


def unescape(body: str, language: str = "javascript") -> str:
    """The value of a string literal's ``body`` (the text between its quotes) with ``language``'s escapes
    (``javascript``, ``typescript``, ``java``, ``kotlin``, ``go``, ``csharp``, ``ruby``)."""
    dialect = _DIALECTS[language]

    def one(match: re.Match[str]) -> str:
        run = match.group("bytes") if dialect.escape.groupindex.get("bytes") else None
        if run:
            return _bytes(run)
        seq = match.group("one")
        if seq.startswith("u{"):
            return "".join(_code_point(int(code, 16)) for code in seq[2:-1].split())
        if seq[0] in "uUx" and len(seq) > 1:
            return _code_point(int(seq.lstrip("u") if seq[0] == "u" else seq[1:], 16))
        if dialect.octal and seq[0] in "01234567":
            return chr(int(seq, 8))
        if seq in ("\n", "\r\n"):
            return ""  # a line continuation
        return dialect.known.get(seq, seq)

    return dialect.escape.sub(one, body)


def java_text_block(raw: str) -> str | None:
    """The value of a Java text block (``\"\"\"`` newline ... ``\"\"\"``), as javac computes it (JLS 3.10.6):
    incidental indentation stripped (the least of the non-blank lines' and the closing delimiter's line), trailing
    spaces stripped, then escapes read (``\\<newline>`` joins lines, ``\\s`` is a space). None when ``raw`` is no
    text block."""
    if len(raw) < 7 or not raw.startswith('"""') or not raw.endswith('"""'):
        return None
    head, newline, content = raw[3:-3].partition("\n")
    if not newline or head.strip():
        return None  # javac: the opening delimiter must end its line
    lines = content.replace("\r\n", "\n").replace("\r", "\n").split("\n")
    significant = [ln for ln in lines[:-1] if ln.strip()] + [lines[-1]]  # the closing line counts, even blank
    indent = min(len(ln) - len(ln.lstrip(" \t\f")) for ln in significant)
    stripped = [ln[indent:].rstrip(" \t\f") for ln in lines]
    if not lines[-1].strip():
        stripped[-1] = ""  # the closing delimiter on a line of its own: the value ends with a line break
    return unescape("\n".join(stripped), "java")


def csharp_raw_string(raw: str) -> str | None:
    """The value of a C# 11 raw string literal (three or more quotes, no escapes): on one line its text; over
    several, the lines between the delimiters' lines, each without the closing line's whitespace. None when
    ``raw`` is no raw string literal (or an interpolated one)."""
    quotes = len(raw) - len(raw.lstrip('"'))
    if quotes < 3 or len(raw) < 2 * quotes or raw[-quotes:] != '"' * quotes:
        return None
    body = raw[quotes:-quotes]
    if "\n" not in body:
        return body
    first, _, rest = body.partition("\n")
    inner, _, closing = rest.rpartition("\n")
    if first.strip() or closing.strip():
        return None  # the compiler refuses text on the delimiters' lines of a multi-line raw string
    lines = inner.replace("\r\n", "\n").split("\n")
    if any(ln.strip() and not ln.startswith(closing) for ln in lines):
        return None  # a line indented less than the closing quotes: a compile error
    return "\n".join(ln[len(closing):] if ln.strip() else "" for ln in lines)
