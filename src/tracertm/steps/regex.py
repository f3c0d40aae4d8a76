"""Regular expressions of other languages → Python ``re``.

Step definitions in JavaScript, Java, Ruby, Go and C# use their own regex dialects; most patterns in the wild are
the common subset. What differs and is translated: named groups ``(?<name>…)`` → ``(?P<name>…)``, JavaScript's
``[^]``, Java's ``\\Q…\\E`` quoting, Ruby/Go ``\\z``/``\\A``, Ruby's ``\\h``, and the flags. What cannot be
translated (Unicode property classes ``\\p{…}``, JavaScript's ``v`` flag…) raises ``Untranslatable`` — a finding
for the definition, never a crash.

Python's ``\\w``, ``\\d``, ``\\s`` and ``\\b`` are Unicode-aware; other languages' are not (``ascii_classes``):
JavaScript's ``\\w``, ``\\d`` and ``\\b`` are ASCII (its ``\\s`` is Unicode), Java's (and Kotlin's), Ruby's and
Go's (RE2) ``\\w``, ``\\d`` and ``\\s`` are ASCII, Go's ``\\b`` too (Java's ``\\b`` is Unicode-aware before JDK 19;
Ruby's is left as Python's). .NET (Reqnroll) classes are Unicode, as Python's. ``/^the user (\\w+) logs in$/``
does not match "the user José logs in" in cucumber-js, nor ``{int}`` "٣".
"""

from __future__ import annotations

import re

_FLAGS = {"i": re.IGNORECASE, "m": re.MULTILINE, "s": re.DOTALL, "x": re.VERBOSE, "u": 0, "g": 0, "y": 0, "d": 0,
          "a": re.ASCII}


_WORD = "a-zA-Z0-9_"
# Per language: the ASCII-only shorthand classes, each as (outside a character class, inside one or None when it
# cannot be written there: left as Python's).
_SPACE = {"go": "\\t\\n\\f\\r ", "default": " \\t\\n\\x0b\\f\\r"}
_ASCII = {
    "d": (r"[0-9]", "0-9"), "D": (r"[^0-9]", None),
    "w": (f"[{_WORD}]", _WORD), "W": (f"[^{_WORD}]", None),
}
_ASCII_SPACE = {"s": ("[{}]", "{}"), "S": ("[^{}]", None)}
_ASCII_BOUNDARY = {"b": (r"(?a:\b)", None), "B": (r"(?a:\B)", None)}  # inside a class \b is a backspace
_SPACE_LANGUAGES = frozenset({"java", "kotlin", "ruby", "go"})
_BOUNDARY_LANGUAGES = frozenset({"javascript", "typescript", "go"})
_UNICODE_LANGUAGES = frozenset({"python", "csharp"})


def ascii_classes(source: str, language: str) -> str:
    """``source`` (a Python regex) with the shorthand classes ``language`` defines as ASCII-only written so (see the
    module docstring): ``\\d`` → ``[0-9]``, ``\\w`` → ``[a-zA-Z0-9_]``, ``\\b`` → ``(?a:\\b)``... Idempotent."""
    if language in _UNICODE_LANGUAGES or "\\" not in source:  # only escapes are rewritten
        return source
    table = dict(_ASCII)
    if language in _SPACE_LANGUAGES:
        space = _SPACE.get(language, _SPACE["default"])
        table.update({k: (out.format(space), inside and inside.format(space)) for k, (out, inside) in
                      _ASCII_SPACE.items()})
    if language in _BOUNDARY_LANGUAGES:
        table.update(_ASCII_BOUNDARY)
    out: list[str] = []
    in_class = False
    i, n = 0, len(source)
    while i < n:
        ch = source[i]
        if source.startswith("(?a:\\", i) and not in_class:  # written by this function already
            out.append(source[i : i + 6])
            i += 6
            continue
        if ch == "\\" and i + 1 < n:
            written = table.get(source[i + 1])
            replacement = None if written is None else written[1] if in_class else written[0]
            out.append(source[i : i + 2] if replacement is None else replacement)
            i += 2
            continue
        if ch == "[" and not in_class:
            in_class = True
            out.append(ch)
            i += 1
            if source.startswith("^", i):
                out.append("^")
                i += 1
            if source.startswith("]", i):  # a leading ] is literal in Python
                out.append("]")
                i += 1
            continue
        if ch == "]" and in_class:
            in_class = False
        out.append(ch)
        i += 1
    return "".join(out)


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
    return ascii_classes("".join(out), language), value
