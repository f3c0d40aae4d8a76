"""Regular expressions of other languages → Python ``re``.

Step definitions in JavaScript, Java, Ruby, Go and C# use their own regex dialects; most patterns in the wild are
the common subset. What differs and is translated: named groups ``(?<name>…)`` → ``(?P<name>…)``, JavaScript's
``[^]``, Java's ``\\Q…\\E`` quoting, Ruby/Go ``\\z``/``\\A``, Ruby's ``\\h``, and the flags. What cannot be
translated (Unicode property classes ``\\p{…}``, JavaScript's ``v`` flag…) raises ``Untranslatable`` — a finding
for the definition, never a crash.
"""

from __future__ import annotations

import re

_FLAGS = {"i": re.IGNORECASE, "m": re.MULTILINE, "s": re.DOTALL, "x": re.VERBOSE, "u": 0, "g": 0, "y": 0, "d": 0,
          "a": re.ASCII}


class Untranslatable(Exception):
    """A regex Python's ``re`` cannot express the same way."""


def _unquote_java(source: str) -> str:
    """Java ``\\Q…\\E`` literal quoting → escaped text."""
    out: list[str] = []
    i = 0
    while True:
        start = source.find("\\Q", i)
        if start == -1 or (start > 0 and source[start - 1] == "\\"):
            out.append(source[i:])
            return "".join(out)
        end = source.find("\\E", start + 2)
        end = len(source) if end == -1 else end
        out.append(source[i:start] + re.escape(source[start + 2 : end]))
        i = end + 2


def translate(source: str, flags: str = "", language: str = "javascript") -> tuple[str, int]:
    """(Python regex source, ``re`` flags) for ``source`` written for ``language``; ``Untranslatable`` otherwise."""
    value = 0
    for letter in flags:
        if letter not in _FLAGS:
            raise Untranslatable(f"regex flag {letter!r} has no Python equivalent")
        value |= _FLAGS[letter]
    if language == "python":
        return source, value
    if re.search(r"(?<!\\)(?:\\\\)*\\[pP]\{", source):
        raise Untranslatable("Unicode property classes (\\p{...}) are not supported by Python's re")
    if language == "java":
        source = _unquote_java(source)
    out: list[str] = []
    i = 0
    n = len(source)
    while i < n:
        ch = source[i]
        if ch == "\\" and i + 1 < n:
            nxt = source[i + 1]
            if nxt == "z":
                out.append(r"\Z")
            elif nxt == "h" and language == "ruby":
                out.append("[0-9a-fA-F]")
            elif nxt == "/":
                out.append("/")
            elif nxt in "kK" and language in ("javascript", "typescript", "java", "csharp") and source[i + 2 : i + 3] == "<":
                end = source.find(">", i + 3)
                if end == -1:
                    raise Untranslatable("unterminated named back-reference")
                out.append(f"(?P={source[i + 3 : end]})")
                i = end + 1
                continue
            else:
                out.append(source[i : i + 2])
            i += 2
            continue
        if source.startswith("(?<", i) and i + 3 < n and source[i + 3] not in "=!":
            out.append("(?P<")
            i += 3
            continue
        if source.startswith("[^]", i):
            out.append(r"[\s\S]")
            i += 3
            continue
        out.append(ch)
        i += 1
    return "".join(out), value
