"""Regular expressions of other languages → Python ``re``.

Step definitions in JavaScript, Java, Ruby, Go and C# use their own regex dialects; most patterns in the wild are
the common subset. What differs and is translated: named groups ``(?<name>…)`` → ``(?P<name>…)`` and their
back-references; JavaScript's ``[]`` (matches nothing) and ``[^]`` (anything), its identity escapes (``\\z`` is
"z") and ``\\u{…}``; Java's ``\\Q…\\E`` quoting and ``\\x{…}``; ``\\cJ``; Ruby/Go ``\\z``, Ruby's ``\\h``, Go's
``[[:alpha:]]``; a brace that starts no repetition (a literal in JavaScript, Go, Ruby and .NET); inside a class, a
``[``, ``&&`` or leading ``]`` as the language reads it (written escaped, so that Python neither misreads them nor
warns); and the flags. What cannot be translated (Unicode property classes ``\\p{…}``, Java's and Ruby's class
intersections and nested classes, .NET's class subtraction…) raises ``Untranslatable`` — a finding for the
definition, never a crash; what the language's own engine refuses (Java's ``{int}``, a JavaScript syntax error
under the ``u`` flag, a JavaScript flag cucumber-js fails on: ``g``, ``y``, ``d``, ``v``) raises ``Refused`` — an
error, as the framework fails on it.

Python's ``\\w``, ``\\d``, ``\\s`` and ``\\b`` are Unicode-aware, and its ``.`` stops at \\n alone; other
languages' differ (``language_classes``): JavaScript's ``\\w``, ``\\d`` and ``\\b`` are ASCII, its ``\\s`` is
Unicode but not Python's (the BOM U+FEFF is one, \\x1c-\\x1f and NEL U+0085 are not), its ``.`` stops at \\n,
\\r, U+2028 and U+2029 too; Java's (and Kotlin's), Ruby's and Go's (RE2) ``\\w``, ``\\d`` and ``\\s`` are ASCII
(RE2's ``\\s`` without \\v), Go's ``\\b`` too (Java's ``\\b`` is Unicode-aware before JDK 19; Ruby's is left as
Python's), Java's ``.`` stops at \\n, \\r, NEL, U+2028 and U+2029; .NET's (Reqnroll) ``\\s`` is
``[\\f\\n\\r\\t\\v\\x85\\p{Z}]`` (without \\x1c-\\x1f), its other classes Unicode as Python's. ``\\S`` is
the complement, inside a class too, as ``\\D`` and ``\\W`` are (``_complemented``); where the s flag holds, ``.``
matches everything. ``/^the user (\\w+) logs in$/`` does not match "the user José logs in" in cucumber-js, nor
``{int}`` "٣", nor ``{}`` "x\\u2028y". Checked against node and Java. (JavaScript's and .NET's UTF-16 code units:
``tracertm.steps.utf16``.)
"""

from __future__ import annotations

import functools
import re

_FLAGS = {"i": re.IGNORECASE, "m": re.MULTILINE, "s": re.DOTALL, "x": re.VERBOSE, "u": 0, "g": 0, "y": 0, "d": 0,
          "a": re.ASCII}


_WORD = "a-zA-Z0-9_"
_ASCII = {
    "d": (r"[0-9]", "0-9"), "D": (r"[^0-9]", None),
    "w": (f"[{_WORD}]", _WORD), "W": (f"[^{_WORD}]", None),
}
_ASCII_BOUNDARY = {"b": (r"(?a:\b)", None), "B": (r"(?a:\B)", None)}  # inside a class \b is a backspace
_BOUNDARY_LANGUAGES = frozenset({"javascript", "typescript", "go"})
_JVM_LANGUAGES = ("java", "kotlin")
# What each language's ``\s`` matches, where Python's str ``\s`` (``str.isspace``: also \x1c-\x1f and NEL, not the
# BOM) says otherwise: JavaScript's WhiteSpace and LineTerminator; java.util.regex's and Onigmo's ASCII set; RE2's,
# without \v; .NET's [\f\n\r\t\v\x85\p{Z}].
_UNICODE_SPACE = "\xa0\u1680" + "".join(map(chr, range(0x2000, 0x200B))) + "\u2028\u2029\u202f\u205f\u3000"  # \p{Z}
_JS_SPACE = "\t\n\v\f\r " + _UNICODE_SPACE + "\ufeff"
_SPACES = {
    "javascript": _JS_SPACE, "typescript": _JS_SPACE, **dict.fromkeys((*_JVM_LANGUAGES, "ruby"), " \t\n\v\f\r"),
    "go": "\t\n\f\r ", "csharp": "\t\n\v\f\r \x85" + _UNICODE_SPACE,
}
# The characters ``.`` does not match without the s flag (DOTALL), where they are more than Python's \n: the line
# terminators of JavaScript and of java.util.regex (without UNIX_LINES, which tracertm refuses: ``(?d)``). Ruby's,
# Go's and .NET's ``.`` stop at \n alone, as Python's.
_JS_LINE_ENDS = "\n\r\u2028\u2029"
_LINE_ENDS = {"javascript": _JS_LINE_ENDS, "typescript": _JS_LINE_ENDS,
              **dict.fromkeys(_JVM_LANGUAGES, "\n\r\x85\u2028\u2029")}


def _code(c: int) -> str:
    """Code point ``c`` as an escape Python's ``re`` reads alike in and out of a class."""
    return f"\\x{c:02x}" if c < 0x100 else f"\\u{c:04x}" if c < 0x10000 else f"\\U{c:08x}"


def _ranges(chars: str, complement: bool = False) -> str:
    """The inside of a Python class matching ``chars`` (or every other character), as escaped ranges."""
    codes = sorted(set(map(ord, chars)))
    spans: list[list[int]] = []
    for c in codes:
        if spans and spans[-1][1] == c - 1:
            spans[-1][1] = c
        else:
            spans.append([c, c])
    if complement:
        after = [-1, *(hi for _, hi in spans)]  # the gaps between the spans, and before and after them
        before = [*(lo for lo, _ in spans), 0x110000]
        spans = [[a + 1, b - 1] for a, b in zip(after, before) if a + 1 < b]
    return "".join(_code(lo) if lo == hi else f"{_code(lo)}-{_code(hi)}" for lo, hi in spans)


_PYTHON_SPACE = frozenset(c for c in map(chr, range(0x3001)) if c.isspace())  # (none above U+3000)


@functools.cache  # built once per language, at its first definition
def _table(language: str) -> dict[str, tuple[str, str | None]]:
    """The shorthand classes ``language`` reads otherwise than Python, each as (outside a character class, inside one
    or None when it cannot be written there: left as Python's)."""
    table = {} if language == "csharp" else dict(_ASCII)  # .NET's \d and \w are Unicode, as Python's
    space = _SPACES.get(language)
    if space is not None:
        table.update(_space_classes(space))
    if language in _BOUNDARY_LANGUAGES:
        table.update(_ASCII_BOUNDARY)
    return table


def _space_classes(space: str) -> dict[str, tuple[str, str | None]]:
    """``\\s`` and ``\\S`` for a language whose ``\\s`` is ``space``. Written with Python's own ``\\S`` where that
    is exact and the list is not of ASCII characters alone: a class holding characters past U+00FF costs Python's
    ``re`` a bitmap of the whole BMP to compile (0.15 ms; 3 ms for the complement of a few spaces, each of its
    characters set one by one), a category nothing."""
    spaces, extra = _ranges(space), _ranges("".join(_PYTHON_SPACE - set(space)))
    listed: dict[str, tuple[str, str | None]] = {
        "s": (f"[{spaces}]", spaces), "S": (f"[^{spaces}]", _ranges(space, complement=True))}
    if not set(space) <= _PYTHON_SPACE:  # JavaScript's, with the BOM: listed
        # \S inside a class: every other character (no whitespace character has another case, so re.I agrees).
        return listed
    # Python's \S, and the characters Python's \s takes and this language's does not.
    others = {"s": (f"[^\\S{extra}]", spaces), "S": (f"[\\S{extra}]", f"\\S{extra}")}
    return {key: (listed[key][0] if space.isascii() else others[key][0], others[key][1]) for key in listed}


# The languages whose regexes ``translate`` reads (Python's own are left as written).
LANGUAGES = ("javascript", "typescript", "java", "kotlin", "ruby", "go", "csharp")
_DOTS = {language: f"[^{_ranges(ends)}]" for language, ends in _LINE_ENDS.items()}
_FLAG_GROUP = re.compile(r"\(\?([aiLmsux]*)(?:-([imsx]+))?([:)])")
_ALREADY = ("(?a:\\b)", "(?a:\\B)")  # written by ``language_classes``


def language_classes(source: str, language: str, flags: int = 0) -> str:
    """``source`` (a Python regex, compiled with ``flags``) with its ``.`` and the shorthand classes ``language``
    reads otherwise written as it reads them (see the module docstring): ``\\d`` → ``[0-9]``, ``\\w`` →
    ``[a-zA-Z0-9_]``, ``\\b`` → ``(?a:\\b)``, JavaScript's ``\\s`` with the BOM and without \\x1c, its ``.`` without
    U+2028 (but where the s flag holds)... Idempotent."""
    if language not in LANGUAGES or ("\\" not in source and "." not in source):  # only escapes and dots change
        return source
    table = _table(language)
    dot = _DOTS.get(language)
    out: list[str] = []
    # Per open group, whether ``.`` matches every character there (DOTALL), whether # starts a comment (VERBOSE) and
    # whether case is ignored (IGNORECASE).
    modes = [(bool(flags & re.DOTALL), bool(flags & re.VERBOSE), bool(flags & re.IGNORECASE))]
    in_class = everything = False  # (a class of both \s and \S holds every character, in any language)
    complements = "D" in table and ("\\D" in source or "\\W" in source)  # (``_complemented``)
    i, n = 0, len(source)
    while i < n:
        ch = source[i]
        if ch == "\\" and i + 1 < n:
            i = _shorthand(source, i, out, table, "inside" if in_class and not everything else
                           "everything" if in_class else "outside")
        elif in_class:
            in_class = ch != "]"
            out.append(ch)
            i += 1
        elif ch == "[":
            end = _class_start(source, i, out)
            in_class, everything = True, _spaces_and_others(source, end)
            complemented = _complemented(source, i, end, modes[-1][2]) if complements and not everything else None
            if complemented is not None:  # written whole
                out[-1], i = complemented
                in_class = False
            else:
                i = end
        elif ch == "(":
            i = _group_start(source, i, out, modes)
        elif ch == ")":
            if len(modes) > 1:
                modes.pop()
            out.append(ch)
            i += 1
        elif ch == "#" and modes[-1][1]:  # a verbose pattern's comment, to the end of its line: as written
            end = source.find("\n", i)
            end = n if end == -1 else end
            out.append(source[i:end])
            i = end
        else:
            out.append(dot if ch == "." and dot is not None and not modes[-1][0] else ch)
            i += 1
    return "".join(out)


def _shorthand(source: str, i: int, out: list[str], table: dict[str, tuple[str, str | None]], where: str) -> int:
    """Copies the escape at ``source[i]`` to ``out``, written from ``table`` for ``where`` it is: ``inside`` a class,
    in a class holding ``everything`` (``_spaces_and_others``) or ``outside`` one; the index after it."""
    written = table.get(source[i + 1])
    inside = table.get("S", ("", None))[1] or ""
    if where != "outside" and inside.startswith("\\S") and source.startswith(inside, i):
        out.append(inside)  # \S written with Python's own already (``_space_classes``): exact as it is
        return i + len(inside)
    if where == "everything" and source[i + 1] in "sS":
        written = None  # the class holds every character, in Python as in the language
    replacement = None if written is None else written[1] if where != "outside" else written[0]
    out.append(source[i : i + 2] if replacement is None else replacement)
    return i + 2


def _class_start(source: str, i: int, out: list[str]) -> int:
    """Copies the opening of the class at ``source[i]`` (``[``, a ``^``, a leading ``]``, literal in Python) to
    ``out``; the index after it."""
    end = i + 1 + source.startswith("^", i + 1)
    end += source.startswith("]", end)
    out.append(source[i:end])
    return end


def _spaces_and_others(source: str, i: int) -> bool:
    """Whether the class whose items start at ``source[i]`` holds both ``\\s`` and ``\\S``: every character, in Python
    as in the language (``[\\s\\S]``, JavaScript's ``[^]``), for nothing of the cost of listing them."""
    found: set[str] = set()
    while i < len(source) and source[i] != "]":
        if source[i] == "\\":
            found.add(source[i + 1 : i + 2])
            i += 1
        i += 1
    return {"s", "S"} <= found


# What \D and \W leave out where they are ASCII (JavaScript, Java, Ruby, Go): the digits, the word characters.
_COMPLEMENTS = {"D": "0123456789", "W": "0123456789ABCDEFGHIJKLMNOPQRSTUVWXYZ_abcdefghijklmnopqrstuvwxyz"}


def _complemented(source: str, start: int, items: int, fold: bool) -> tuple[str, int] | None:
    """The class opening at ``source[start]`` (its items from ``items``) written anew when it holds ``\\D`` or
    ``\\W`` of a language where they are ASCII, and the index after it; None when it holds neither. Python's are
    Unicode (``[\\D]`` would miss "٣", ``[^\\W]`` take "é"), and a class cannot hold the complement of an ASCII set
    but by listing the whole rest of Unicode (costly to compile): such a class matches every character but the
    digits (word characters) its other items leave out — a class of those few, negated (or not, when the class
    is). The other items are read by Python on ASCII characters, where every language reads them alike; under
    ``fold`` (IGNORECASE) what they leave out has both cases or neither, so the class matches ignoring case too."""
    left: set[str] | None = None
    kept: list[str] = []
    i = items
    while i < len(source) and source[i] != "]":
        step = 2 if source[i] == "\\" else 1
        item = source[i : i + step]
        if item[1:] in _COMPLEMENTS:
            shared = set(_COMPLEMENTS[item[1:]])
            left = shared if left is None else left & shared  # ([\D\W] leaves out what both leave out)
        else:
            kept.append(item)
        i += step
    if left is None or i >= len(source):  # (unterminated: Python's error says so)
        return None
    negated = source.startswith("^", start + 1)
    others = source[start + 1 + negated : items] + "".join(kept)  # (a leading ] is literal in Python too)
    if others:
        try:
            escape = "\\" if others.startswith("^") else ""  # not a negation
            taken = re.compile(f"[{escape}{others}]", re.IGNORECASE if fold else 0)
        except re.error:
            return None  # the whole pattern's error says so
        left = {c for c in left if not taken.match(c)}
    chars = _ranges("".join(left))
    if negated:
        return (f"[{chars}]" if chars else "(?!)"), i + 1
    return (f"[^{chars}]" if chars else "[\\s\\S]"), i + 1


def _group_start(source: str, i: int, out: list[str], modes: list[tuple[bool, bool, bool]]) -> int:
    """Copies the opening of the group at ``source[i]`` (``(``) to ``out``, with its flags' modes pushed on
    ``modes`` (a global ``(?s)`` changes the current ones); the index after it. A ``(?#…)`` comment and an
    ``(?a:\\b)`` written already are copied whole."""
    if source.startswith(_ALREADY, i):
        out.append(source[i : i + 7])
        return i + 7
    if source.startswith("(?#", i):
        end = source.find(")", i)
        end = len(source) if end == -1 else end + 1
        out.append(source[i:end])
        return end
    found = _FLAG_GROUP.match(source, i)
    if found is None:
        modes.append(modes[-1])
        out.append("(")
        return i + 1
    on, off = found.group(1), found.group(2) or ""
    dotall, verbose, fold = modes[-1]
    mode = ("s" in on or dotall and "s" not in off, "x" in on or verbose and "x" not in off,
            "i" in on or fold and "i" not in off)
    if found.group(3) == ")":
        modes[-1] = mode
    else:
        modes.append(mode)
    out.append(found.group())
    return found.end()


class Untranslatable(Exception):
    """A regex Python's ``re`` cannot express the same way."""


class Refused(Exception):
    """A regex the language's own engine refuses (the framework fails to load the definition); ``engine`` names it."""

    def __init__(self, engine: str, message: str) -> None:
        super().__init__(message)
        self.engine = engine


_JS = frozenset({"javascript", "typescript"})
_JVM = frozenset({"java", "kotlin"})
# Go's (RE2's) POSIX classes, ASCII as RE2 documents them, as the inside of a Python class.
_POSIX = {
    "alnum": "0-9A-Za-z", "alpha": "A-Za-z", "ascii": "\\x00-\\x7f", "blank": "\\t ", "cntrl": "\\x00-\\x1f\\x7f",
    "digit": "0-9", "graph": "!-~", "lower": "a-z", "print": " -~", "punct": "!-/:-@\\[-`{-~",
    "space": "\\t\\n\\x0b\\f\\r ", "upper": "A-Z", "word": "0-9A-Za-z_", "xdigit": "0-9A-Fa-f",
}
# Written escaped when literal inside a class: Python reads them (``]``, ``\``, ``-``, a leading ``^``) or warns
# that a later Python will (``[``: a nested set; ``&&``, ``--``, ``||``, ``~~``: set operations).
_CLASS_SPECIAL = frozenset("\\]-[^&~|")
# The letters JavaScript escapes mean something: any other escaped letter is the letter itself (without the u flag).
_JS_ESCAPES = frozenset("bBdDfnrsStvwWxuck0123456789pP")
# What escapes itself in JavaScript with the u flag (its SyntaxCharacter and /): any other character is an error.
_JS_IDENTITY = frozenset("^$\\.*+?()[]{}|/")
_CONTROL_ESCAPES = frozenset({"javascript", "typescript", "java", "kotlin", "ruby", "csharp"})  # \cJ
_SURROGATES = re.compile(r"\\u(d[89ab][0-9a-f]{2})\\u(d[c-f][0-9a-f]{2})", re.IGNORECASE)
_QUANTIFIER = re.compile(r"\{(\d+)(,\d*)?\}")
_DIGITS = re.compile(r"[0-9]+")
# ``^`` and ``$`` of a JavaScript regex with the m flag: at its line terminators, \r, U+2028 and U+2029 too (Python's
# MULTILINE knows \n alone).
_JS_LINE_ANCHORS = {"^": "(?:^|(?<=[\\r\\u2028\\u2029]))", "$": "(?:$|(?=[\\r\\u2028\\u2029]))"}
# The largest repetition count each language's engine takes, and its name there: java.util.regex and .NET read an
# int (past it: "Illegal repetition range", "out of range"), RE2 refuses over 1000 ("invalid repeat count"),
# Onigmo over 100000 ("too big number for repeat range"). JavaScript's syntax has no limit.
_REPEAT_LIMITS = {"java": (2**31 - 1, "Java"), "kotlin": (2**31 - 1, "Java"), "csharp": (2**31 - 1, ".NET"),
                  "go": (1000, "Go"), "ruby": (100_000, "Ruby")}


def _unquote(source: str) -> str:
    """Java's and RE2's ``\\Q…\\E`` literal quoting → escaped text."""
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


def _escape(source: str, i: int, language: str, unicode: bool, in_class: bool) -> tuple[str, int]:
    """The Python form of the escape at ``source[i]`` (a backslash), and the index after it."""
    nxt = source[i + 1]
    if language in _JS and nxt.isascii() and nxt.isalpha() and nxt not in _JS_ESCAPES:
        if unicode:
            raise Refused("JavaScript", f"\\{nxt} at index {i} is not an escape: a syntax error with the u flag")
        return nxt, i + 2  # an identity escape: the letter itself
    if unicode and language in _JS and not (nxt.isascii() and nxt.isalnum()) and nxt not in _JS_IDENTITY and not (
            in_class and nxt == "-"):
        # With the u flag only syntax characters and / escape themselves (a - too, in a class): \- \" \é are errors
        raise Refused("JavaScript", f"\\{nxt} at index {i} is not an escape: a syntax error with the u flag")
    if "\ud800" <= nxt <= "\udfff":  # half of a character past U+FFFF, escaped (``steps.utf16``): itself
        return nxt, i + 2
    pair = _SURROGATES.match(source, i) if unicode and language in _JS else None
    if pair is not None:  # with the u flag an escaped surrogate pair is the character it encodes
        high, low = (int(half, 16) for half in pair.groups())
        return f"\\U{0x10000 + (high - 0xD800) * 0x400 + low - 0xDC00:08x}", pair.end()
    if nxt == "z" and not in_class:
        return "\\Z", i + 2
    if nxt == "h" and language == "ruby":
        return ("0-9a-fA-F" if in_class else "[0-9a-fA-F]"), i + 2
    if nxt == "/":
        return "/", i + 2
    if nxt == "e" and (language in _JVM or language == "ruby"):
        return "\\x1b", i + 2
    if language in _JVM:
        jvm = _jvm_escape(source, i, in_class)
        if jvm is not None:
            return jvm
    control = source[i + 2 : i + 3]
    if nxt == "c" and language in _CONTROL_ESCAPES and control.isascii() and control.isalpha():
        return f"\\x{ord(source[i + 2]) % 32:02x}", i + 3  # a control character: \cJ is a line feed
    braced = (nxt == "u" and (unicode or language == "ruby")) or (nxt == "x" and (language in _JVM or language in
                                                                                  ("go", "ruby")))
    if braced and source.startswith("{", i + 2):
        end = source.find("}", i + 3)
        digits = source[i + 3 : end] if end != -1 else ""
        if not digits or any(c not in "0123456789abcdefABCDEF" for c in digits):
            raise Untranslatable(f"the escape {source[i : i + 3]}… is not a code point")
        return f"\\U{min(int(digits, 16), 0x110000):08x}", end + 1  # beyond Unicode: Python's error says so
    if (nxt in "kK" and not in_class and (language in _JS or language in _JVM or language == "csharp")
            and source.startswith("<", i + 2)):
        end = source.find(">", i + 3)
        if end == -1:
            raise Untranslatable("unterminated named back-reference")
        name = source[i + 3 : end]
        return (f"(?({name})(?P={name}))" if language in _JS else f"(?P={name})"), end + 1
    if nxt in "123456789" and not in_class and language in _JS:
        # JavaScript's back-reference to a group that took no part in the match matches nothing (/^(a)?b\1$/ takes
        # "b"), where Python's fails: only when the group matched does it match the group's text.
        number = _DIGITS.match(source, i + 1)
        end = number.end() if number else i + 2
        return f"(?({source[i + 1 : end]}){source[i:end]})", end
    return source[i : i + 2], i + 2


# java.util.regex's horizontal (``\h``) and vertical (``\v``, since Java 8: not Python's \x0b alone) whitespace, as
# the inside of a Python class; ``\H`` and ``\V`` are their complements.
_JVM_WHITESPACE = {"h": " \t\xa0\u1680\u180e" + "".join(map(chr, range(0x2000, 0x200B))) + "\u202f\u205f\u3000",
                   "v": "\n\x0b\f\r\x85\u2028\u2029"}
_OCTAL = frozenset("01234567")


def _jvm_escape(source: str, i: int, in_class: bool) -> tuple[str, int] | None:
    """The Python form of the java.util.regex escape at ``source[i]`` that Python reads otherwise or refuses, and the
    index after it; None for the others. ``\\h``/``\\v`` (whitespace: Python has no ``\\h``, its ``\\v`` is \\x0b
    alone), ``\\0`` and one to three octal digits (Python's ``\\0`` takes two at most: Java's ``\\0101`` is "A",
    Python's a backspace and "1"), ``\\N{name}`` (Java 9; its brace is no repetition)."""
    nxt = source[i + 1]
    if nxt.lower() in _JVM_WHITESPACE:
        chars = _JVM_WHITESPACE[nxt.lower()]
        if nxt.islower():
            return (_ranges(chars) if in_class else f"[{_ranges(chars)}]"), i + 2
        return (_ranges(chars, complement=True) if in_class else f"[^{_ranges(chars)}]"), i + 2
    if nxt == "0":  # Pattern.o(): \0n, \0nn, \0mnn with m at most 3
        digits = 0
        while digits < 3 and source[i + 2 + digits : i + 3 + digits] in _OCTAL:  # ("" is not in it)
            digits += 1
        if digits == 3 and source[i + 2] > "3":
            digits = 2
        if not digits:
            raise Refused("Java", f"\\0 at index {i} is not followed by an octal digit (Illegal octal escape "
                                  "sequence) — write \\00 for the NUL character")
        return _code(int(source[i + 2 : i + 2 + digits], 8)), i + 2 + digits
    if nxt == "N" and source.startswith("{", i + 2) and source.find("}", i + 3) != -1:
        end = source.find("}", i + 3)
        return source[i : end + 1], end + 1  # Python's \N{name} reads Unicode's names as Java does
    return None


def _class(source: str, start: int, language: str, unicode: bool) -> tuple[str, int]:
    """The Python form of the character class opening at ``source[start]`` (``[``), and the index after it. Literal
    characters Python would read otherwise are escaped; constructs it lacks raise ``Untranslatable``."""
    n = len(source)
    i = start + 1
    negate = source.startswith("^", i)
    i += negate
    if language in _JS and source.startswith("]", i):  # JavaScript's [] matches nothing, [^] anything
        return ("[\\s\\S]" if negate else "(?!)"), i + 1
    items: list[str] = []
    ranges = False  # the last item may start a range (a single character, not itself a range's end)
    after_class: str | None = None  # the last item, when it is a class (\d, Java's \h, Go's [:alpha:]...)
    while i < n:
        ch = source[i]
        if ch == "]" and items:  # elsewhere than JavaScript a leading ] is literal
            return "[" + "^" * negate + "".join(items) + "]", i + 1
        starts_range = True
        start_of_item = i
        if ch == "\\" and i + 1 < n:
            atom, i = _escape(source, i, language, unicode, in_class=True)
        elif ch == "[" and source.startswith("[:", i) and language in ("go", "ruby"):
            end = source.find(":]", i + 2)
            name = source[i + 2 : end] if end != -1 else ""
            if language == "go" and name in _POSIX:
                atom, i = _POSIX[name], end + 2
            else:
                raise Untranslatable(f"the POSIX class [:{name}:] is not supported by Python's re")
        elif ch == "[" and (language in _JVM or language == "ruby"):
            raise Untranslatable("a class nested in a class ([a[b]]) is not supported by Python's re")
        elif ch == "&" and source.startswith("&&", i) and (language in _JVM or language == "ruby"):
            raise Untranslatable("class intersection (&&) is not supported by Python's re")
        elif ch == "-" and source.startswith("-[", i) and language == "csharp":
            raise Untranslatable("class subtraction (-[...]) is not supported by Python's re")
        elif ch == "-" and ranges and i + 1 < n and source[i + 1] != "]":  # a range from the last item to the next
            escape = _class_escape_at(source, i + 1, language) if source.startswith("\\", i + 1) else None
            if escape is not None and language in _JS and not unicode:
                atom = "\\-"  # [a-\d]: a, - and the digits in JavaScript (Annex B), not a range Python refuses
            elif escape is not None and language != "python":  # (Python's own re refuses it: its own error)
                raise _class_range_refused(language, i, escape, "end")
            else:
                atom, starts_range = "-", False
            i += 1
        elif ch == "-" and after_class and source[i + 1 : i + 2] not in ("]", "") and (
                language == "ruby" or language in _JS and unicode):
            raise _class_range_refused(language, i, after_class, "start")
        else:
            atom = "\\" + ch if ch in _CLASS_SPECIAL else ch
            i += 1
        # After \d a - is literal (JavaScript, Java, Go, .NET), or an error (Python: kept so, as Python reads it;
        # Ruby and JavaScript with the u flag refuse it above).
        after_class = _class_escape_at(source, start_of_item, language) if language != "python" else None
        ranges = starts_range and after_class is None and not (items and items[-1] == "-")
        items.append(atom)
    return source[start:], n  # unterminated: Python's error says so


def _class_escape_at(source: str, i: int, language: str) -> str | None:
    """The class written at ``source[i]`` inside a class, as written (``\\d``, ``\\W``, Java's ``\\h`` and ``\\v``,
    Ruby's hex ``\\h``, Go's ``[:alpha:]``), or None: an item that can be no end of a range."""
    if language == "go" and source.startswith("[:", i) and source.find(":]", i + 2) != -1:
        return source[i : source.find(":]", i + 2) + 2]
    letter = source[i + 1 : i + 2] if source.startswith("\\", i) else ""
    if letter and (letter in "dDwWsS" or letter in "hHvV" and language in _JVM
                   or letter == "h" and language == "ruby"):
        return source[i : i + 2]
    return None


def _class_range_refused(language: str, i: int, escape: str, end: str) -> Refused:
    """``Refused`` for a class ``escape`` at the ``end`` ("start" or "end") of the range whose - is at index ``i``:
    in the engine's own words. JavaScript refuses both ends only with the u or v flag (without them the - is
    literal, Annex B), Ruby both ends, Java, .NET and Go only the end (``[\\d-z]``: a literal -); Python's ``re``
    refuses both itself."""
    if language in _JS:
        engine, words = "JavaScript", "a syntax error with the u flag (Invalid character class)"
    elif language in _JVM:
        engine, words = "Java", "java.util.regex refuses it (Illegal character range)"
    elif language == "ruby":
        engine, words = "Ruby", "Ruby refuses it ({})".format(
            "unmatched range specifier in char-class" if end == "start" else "char-class value at end of range")
    elif language == "go":
        engine, words = "Go", "RE2 refuses it (invalid escape sequence), and godog panics when it registers the step"
    else:
        engine, words = ".NET", f"Reqnroll's .NET Regex refuses it (Cannot include class {escape} in character range)"
    return Refused(engine, f"the range at index {i} has the class {escape} at its {end}: {words} — escape the '-' "
                           "as \\- (or move it to the end of the class)")


def _brace(source: str, i: int, language: str, unicode: bool) -> tuple[str, int]:
    """A ``{`` outside a class: a quantifier, or (where the language reads it so) a literal brace."""
    found = _QUANTIFIER.match(source, i)
    if found is None and source.startswith("{,", i) and language in ("ruby", "python"):
        found = _QUANTIFIER.match("{0" + source[i + 1 :])  # Ruby's {,n}: Python's too
    if found is not None:
        largest, engine = _REPEAT_LIMITS.get(language, (0, ""))
        for count in (found.group(1), (found.group(2) or ",")[1:]) if largest else ():
            if len(count) > 10 or count and int(count) > largest:
                shown = count if len(count) <= 20 else f"{count[:20]}... ({len(count)} digits)"
                raise Refused(engine, f"the repetition count {shown} at index {i} is larger than its regex engine "
                                      f"allows ({largest}) — write a smaller count")
        end = i + len(found.group()) - (found.string is not source)  # (``{,n}`` was matched as ``{0,n}``)
        return source[i:end], end
    if language in _JVM:
        raise Refused("Java", f"'{{' at index {i} does not start a repetition ({{n}}, {{n,}}, {{n,m}}): "
                              "java.util.regex refuses it (Illegal repetition) — escape it as \\{")
    if unicode and language in _JS:
        raise Refused("JavaScript", f"a lone '{{' at index {i} is a syntax error with the u flag — escape it "
                                    "as \\{")
    return "\\{", i + 1


def _python_classes(source: str) -> str:
    """A Python regex with its classes written out as Python reads them today, so that compiling it raises no
    FutureWarning (a nested set, set operations) naming tracertm's lines to the user."""
    if "[" not in source:
        return source
    out: list[str] = []
    i, n = 0, len(source)
    while i < n:
        if source[i] == "\\" and i + 1 < n:
            out.append(source[i : i + 2])
            i += 2
        elif source[i] == "[":
            text, i = _class(source, i, "python", False)
            out.append(text)
        else:
            out.append(source[i])
            i += 1
    return "".join(out)


_INLINE_FLAGS = re.compile(r"\(\?([a-zA-Z]*(?:-[a-zA-Z]+)?)(\)|:)")


def _inline_flags(letters: str, language: str) -> str:
    """Python's letters for an inline flag group's ``letters`` (``i``, ``i-m``); Ruby's ``m`` is Python's ``s``,
    Java's ``u`` (Unicode case folding) is what Python's ``re`` does anyway. ``Untranslatable`` for a flag Python
    lacks (Go's and Java's ``U``, Java's ``d``, .NET's ``n``...)."""
    out = []
    for letter in letters:
        letter = "s" if language == "ruby" and letter == "m" else letter
        if letter == "u" and language in _JVM:
            continue
        if letter not in "imsx-":
            raise Untranslatable(f"the inline flag {letter!r} has no Python equivalent")
        out.append(letter)
    return "".join(out).rstrip("-")


_LOOKAROUNDS = ("(?<=", "(?<!", "(?=", "(?!")


def _js_syntax(source: str, unicode: bool) -> None:
    """``Refused`` for what JavaScript's RegExp syntax refuses and Python's ``re`` takes once translated: a quantifier
    of ``\\b``, ``\\B``, ``^``, ``$`` or a quantifier ("Nothing to repeat"; ``\\b`` is a group in the translation,
    ``a*+`` possessive in Python), of a lookbehind, or of a lookahead with the u flag ("Invalid quantifier"); with
    the u flag a lone ``]`` or ``}`` ("Lone quantifier brackets", as a lone ``{`` is: ``_brace``)."""
    groups: list[str] = []  # the open groups' openings: a lookaround's, or "("
    repeats = ""  # what a quantifier here would repeat, when JavaScript refuses to: its name
    i, n = 0, len(source)
    while i < n:
        ch = source[i]
        count = _QUANTIFIER.match(source, i) if ch == "{" else None
        if repeats and (ch in "*+?" or count is not None):
            raise Refused("JavaScript", f"the quantifier at index {i} repeats {repeats}, a syntax error — remove it")
        repeats = ""
        if ch in "*+?" or count is not None:  # a quantifier, lazy or not: another one after it repeats it
            i = count.end() if count is not None else i + 1
            i += source.startswith("?", i)
            repeats = "a repetition"  # (Python's possessive a*+ and a{2}+)
            continue
        if ch == "\\":
            escaped = source[i + 1 : i + 2]
            repeats = f"the assertion \\{escaped}" if escaped in ("b", "B") else ""
            braced = unicode and escaped == "u" and source.startswith("{", i + 2) and source.find("}", i) > 0
            i = source.find("}", i) + 1 if braced else i + 2  # (\u{…}: its braces are no quantifier's)
            continue
        if ch == "[":
            i = _js_class_end(source, i)
            continue
        if ch == "(":
            groups.append(next((k for k in _LOOKAROUNDS if source.startswith(k, i)), "("))
            i += 1 + source.startswith("?", i + 1)  # ((?: its ? is no quantifier)
            continue
        if ch == ")" and groups:
            opening = groups.pop()
            repeats = "a lookbehind" if opening in _LOOKAROUNDS[:2] else \
                "a lookahead" if opening in _LOOKAROUNDS[2:] and unicode else ""
        elif ch in "^$":
            repeats = f"the assertion {ch}"
        elif ch in "]}" and unicode:
            raise Refused("JavaScript", f"a lone '{ch}' at index {i} is a syntax error with the u flag — escape it "
                                        f"as \\{ch}")
        i += 1


def _js_class_end(source: str, start: int) -> int:
    """The index after the JavaScript class opening at ``source[start]``: its first unescaped ``]`` ends it, even
    right after the ``[`` or ``[^`` (``[]``, ``[^]``)."""
    i = start + 1 + source.startswith("^", start + 1)
    while i < len(source) and source[i] != "]":
        i += 2 if source[i] == "\\" else 1
    return i + 1


def _js_flags(flags: str) -> str:
    """A RegExp's ``flags`` as JavaScript gives them (``RegExp.prototype.flags``: in the order dgimsuvy)."""
    return "".join(letter for letter in "dgimsuvy" if letter in flags)


def translate(source: str, flags: str = "", language: str = "javascript") -> tuple[str, int]:
    """(Python regex source, ``re`` flags) for ``source`` written for ``language``; ``Untranslatable`` when Python's
    ``re`` cannot say the same, ``Refused`` when the language's own engine rejects it."""
    value = 0
    sticky = [letter for letter in "gy" if letter in flags]
    if sticky and language in _JS:
        # A RegExp keeps where its last match ended when it has either flag (``lastIndex``): cucumber-js matches each
        # step twice, and the second match starts past the text ("Cannot read properties of null"), in a dry run too.
        raise Refused("JavaScript", f"with the {' and '.join(sticky)} flag the regex remembers where its last match "
                                    "ended, and cucumber-js's second match of each step fails — remove the flag")
    unknown = [letter for letter in "dv" if letter in flags]
    if unknown and language in _JS:
        # cucumber's TreeRegexp finds a match's groups with regexp-match-indices, which parses the RegExp again with
        # regexp-tree: it knows the flags gimsuxy only, and throws as soon as a step matches (a dry run too).
        raise Refused("JavaScript", f"with the {' and '.join(unknown)} flag cucumber-js stops as soon as a step "
                                    f"matches (SyntaxError: Invalid flags: {_js_flags(flags)}, from "
                                    "regexp-match-indices: its regexp-tree knows the flags gimsuxy only) — remove "
                                    "the flag"
                                    + (" (u gives the Unicode mode)" if "v" in unknown else ""))
    for letter in flags:
        if letter not in _FLAGS:
            raise Untranslatable(f"regex flag {letter!r} has no Python equivalent")
        value |= _FLAGS[letter]
    if language == "python":  # Python's own syntax: only its classes are written out (``_class``)
        return _python_classes(source), value
    if re.search(r"(?<!\\)(?:\\\\)*\\[pP][{A-Za-z]", source):
        raise Untranslatable("Unicode property classes (\\p{...}) are not supported by Python's re")
    if language in _JVM or language == "go":  # RE2 quotes with \Q…\E too
        source = _unquote(source)
    unicode = "u" in flags or "v" in flags
    if language in _JS:
        _js_syntax(source, unicode)
    lines = language in _JS and "m" in flags
    out: list[str] = []
    # Per open group (the whole pattern first), the scoped flag groups to close with it: elsewhere than in
    # JavaScript an inline ``(?i)`` holds to the end of the group it is in, its later alternatives too, while
    # Python takes one only at the start of the pattern; ``a(?i)b|c`` is written ``a(?i:b)|(?i:c)``.
    scoped: list[list[str]] = [[]]
    i = 0
    n = len(source)
    while i < n:
        ch = source[i]
        inline = _INLINE_FLAGS.match(source, i) if ch == "(" and language not in _JS else None
        if ch == "\\" and i + 1 < n:
            text, i = _escape(source, i, language, unicode, in_class=False)
        elif ch == "[":
            text, i = _class(source, i, language, unicode)
        elif ch == "{":
            text, i = _brace(source, i, language, unicode)
        elif ch in "^$" and lines:
            text, i = _JS_LINE_ANCHORS[ch], i + 1
        elif inline is not None:
            letters = _inline_flags(inline.group(1), language)
            if inline.group(2) == ":":  # (?i:...): a group of its own
                text, i = f"(?{letters}:", inline.end()
                scoped.append([])
            elif not out and "-" not in letters:  # at the start: Python's global form
                text, i = f"(?{letters})" if letters else "", inline.end()
            else:
                text, i = f"(?{letters}:", inline.end()
                scoped[-1].append(letters)
        elif source.startswith("(?<", i) and i + 3 < n and source[i + 3] not in "=!":
            text, i = "(?P<", i + 3
            scoped.append([])
        elif ch == "(":
            text, i = ch, i + 1
            scoped.append([])
        elif ch == ")" and len(scoped) > 1:
            text, i = ")" * len(scoped.pop()) + ch, i + 1
        elif ch == "|" and scoped[-1]:  # the next alternative starts under the same flags
            pending = scoped[-1]
            text, i = ")" * len(pending) + "|" + "".join(f"(?{letters}:" for letters in pending), i + 1
        else:
            text, i = ch, i + 1
        out.append(text)
    out.append(")" * len(scoped[0]))
    return language_classes("".join(out), language, value), value
