"""Regular expressions of other languages → Python ``re``.

Step definitions in JavaScript, Java, Ruby, Go and C# use their own regex dialects; most patterns in the wild are
the common subset. What differs and is translated: named groups ``(?<name>…)`` → ``(?P<name>…)`` and their
back-references; JavaScript's ``[]`` (matches nothing) and ``[^]`` (anything), its identity escapes (``\\z`` is
"z") and ``\\u{…}``; Java's ``\\Q…\\E`` quoting and ``\\x{…}``; ``\\cJ``; Ruby/Go ``\\z``, Ruby's ``\\h``, Go's
``[[:alpha:]]``; a brace that starts no repetition (a literal in JavaScript, Go, Ruby and .NET); inside a class, a
``[``, ``&&`` or leading ``]`` as the language reads it (written escaped, so that Python neither misreads them nor
warns); and the flags. What cannot be translated (Unicode property classes ``\\p{…}``, Java's and Ruby's class
intersections and nested classes, .NET's class subtraction, JavaScript's ``v`` flag…) raises ``Untranslatable``
— a finding for the definition, never a crash; what the language's own engine refuses (Java's ``{int}``, a
JavaScript syntax error under the ``u`` flag) raises ``Refused`` — an error, as the framework fails on it.

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
_CONTROL_ESCAPES = frozenset({"javascript", "typescript", "java", "kotlin", "ruby", "csharp"})  # \cJ
_SHORTHANDS = frozenset({"\\d", "\\D", "\\w", "\\W", "\\s", "\\S"})
_QUANTIFIER = re.compile(r"\{(\d+)(,\d*)?\}")
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
    if nxt == "z" and not in_class:
        return "\\Z", i + 2
    if nxt == "h" and language == "ruby":
        return ("0-9a-fA-F" if in_class else "[0-9a-fA-F]"), i + 2
    if nxt == "/":
        return "/", i + 2
    if nxt == "e" and (language in _JVM or language == "ruby"):
        return "\\x1b", i + 2
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
        return f"(?P={source[i + 3 : end]})", end + 1
    return source[i : i + 2], i + 2


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
    while i < n:
        ch = source[i]
        if ch == "]" and items:  # elsewhere than JavaScript a leading ] is literal
            return "[" + "^" * negate + "".join(items) + "]", i + 1
        starts_range = True
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
            atom, starts_range = "-", False
            i += 1
        else:
            atom = "\\" + ch if ch in _CLASS_SPECIAL else ch
            i += 1
        # After \d a - is literal (JavaScript), or an error (Python: kept so, as Python reads it).
        shorthand = atom in _SHORTHANDS and language != "python"
        ranges = starts_range and not shorthand and not (items and items[-1] == "-")
        items.append(atom)
    return source[start:], n  # unterminated: Python's error says so


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
    return ascii_classes("".join(out), language), value
