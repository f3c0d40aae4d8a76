"""Regexes that match UTF-16 code units: JavaScript's without the ``u`` flag, and .NET's.

A JavaScript string is UTF-16, and a RegExp without the ``u`` (or ``v``) flag reads it — and its own source — one
code unit at a time: a character past U+FFFF (an emoji, 😀) is two, a surrogate pair. Its ``.`` takes half of one
(``/^.$/`` does not match "😀", ``/^.{2}$/`` does), a class holding one is a class of its two halves (``/^[😀]$/``
does not match "😀", ``/^[😀]+$/`` does) and ``\\uD83D\\uDE00`` is the emoji. .NET's ``Regex`` reads .NET's
UTF-16 strings alike, always. Python's ``re`` reads code points: such a definition is matched against the step text
with each of those characters split into its halves (``split``), its own pattern split alike before translation
(``split`` too, then ``escaped``), and what it captures joined again (``joined``, ``offset``). Texts without such a
character, nearly all, are matched as they are.

Cucumber Expressions are regexes too in these languages (``expression_counts_units``): cucumber-js's
(``@cucumber/cucumber-expressions`` builds ``new RegExp(source)``, without flags, from the expression and its
parameter types' regexes) and Reqnroll's (a .NET ``Regex``). A parameter type ``/./`` takes half of 😀 there,
``/.{2}/`` all of it.
"""

from __future__ import annotations

import re

_JS = frozenset({"javascript", "typescript"})
_ASTRAL = re.compile("[\U00010000-\U0010ffff]")
_SURROGATE = re.compile("[\ud800-\udfff]")


def counts_units(language: str, flags: str) -> bool:
    """Whether a regex written for ``language`` with ``flags`` reads its text as UTF-16 code units."""
    return language == "csharp" or language in _JS and not ("u" in flags or "v" in flags)


def expression_counts_units(language: str) -> bool:
    """Whether a Cucumber Expression's regex, in a step file of ``language``, reads its text as UTF-16 code units:
    cucumber-js's, whatever the flags of its parameter types' RegExps (cucumber-expressions keeps only their
    ``source``, after refusing g, i, m and y: a ``u`` is dropped), and Reqnroll's."""
    return counts_units(language, "")


def _halves(found: re.Match[str]) -> str:
    code = ord(found.group()) - 0x10000
    return chr(0xD800 + (code >> 10)) + chr(0xDC00 + (code & 0x3FF))


# The last text ``split`` looked at, and what it gave: a step's candidate definitions are matched one after another,
# and looking for such a character costs as much as a short match (a tuple: assigned whole, read whole by threads).
_last: tuple[str, str | None] = ("", None)


def split(text: str) -> str | None:
    """``text`` with each character past U+FFFF written as its two UTF-16 halves, or None when it has none."""
    global _last
    if text.isascii():
        return None
    last = _last
    if text == last[0]:
        return last[1]
    units = None if _ASTRAL.search(text) is None else _ASTRAL.sub(_halves, text)
    _last = (text, units)
    return units


def escaped(source: str) -> str:
    """A Python regex ``source`` with its halves written as escapes (``\\ud83d``), which ``re`` reads alike and which
    any output can show; ``regex.translate`` has taken an escaped half as itself already."""
    if source.isascii():
        return source
    return _SURROGATE.sub(lambda found: f"\\u{ord(found.group()):04x}", source)


def joined(value: str) -> str:
    """What ``split`` made of a text, or a part of it, as characters again; a lone half (JavaScript's ``(.)`` took
    one) is U+FFFD, as when it is written to UTF-8."""
    return value.encode("utf-16-le", "surrogatepass").decode("utf-16-le", "replace")


def offset(units: str, index: int, end: bool) -> int:
    """The position in the text of position ``index`` of ``split``'s ``units``; inside a character, before it (a
    start) or after it (an ``end``)."""
    head = units[:index].encode("utf-16-le", "surrogatepass")
    return len(head.decode("utf-16-le", "replace" if end else "ignore"))
