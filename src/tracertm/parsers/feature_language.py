"""Why gherkin refused a feature file written in another language, said in one line that says what to do.

Gherkin reads a file in the language its ``# language:`` header names — English without one, and only a header above
the first line that is neither blank nor a comment. A French feature without its header (or with it below a tag
line, or as ``# language: FR``, a code gherkin does not know) was refused with an error at every keyword line,
``expected: #EOF, #Language, #TagLine, #FeatureLine, #Comment, #Empty, got 'Fonctionnalité: Remboursement'``,
none of them naming the cause. The cascade all comes from that one cause, so it is reported as one error.

Reqnroll and SpecFlow read a culture name gherkin does not know (``# language: de-DE``) in its neutral language
(``de``); cucumber refuses it. ``gherkin_language_fallback = true`` reads it as Reqnroll does
(``FallbackTokenMatcher``); without it, the error names that setting.
"""

from __future__ import annotations

import re
import unicodedata
from collections.abc import Mapping, Sequence
from typing import Any

from gherkin.parser_types import Location
from gherkin.token_matcher import TokenMatcher

from tracertm.errors import Diagnostic

__all__ = ["FallbackTokenMatcher", "fallback_language", "file_language", "language_diagnosis"]

# gherkin's own header pattern (``gherkin.token_matcher``), and any header at all (``# language: fr-FR!``).
_HEADER = re.compile(r"^\s*#\s*language\s*:\s*([a-zA-Z\-_]+)\s*$")
_ANY_HEADER = re.compile(r"^\s*#\s*language\s*:\s*(\S+)\s*$")
_UNKNOWN = re.compile(r"Language not supported: (.*)")
_GOT = re.compile(r"got '(.*)'$", re.DOTALL)
# The keywords that open a block (``Fonctionnalité:``, ``Scénario:``): a step keyword (``* ``, ``Soit``) is too short
# and too shared to tell a language by.
_BLOCKS = ("feature", "rule", "background", "scenario", "scenarioOutline", "examples")


def fallback_language(code: str) -> str | None:
    """The language Reqnroll and SpecFlow read the ``# language:`` code ``code`` in when gherkin knows no such code:
    its part before the first ``-``, if gherkin knows that one (``hu-HU`` → ``hu``; ``ReqnrollGherkinDialectProvider
    .GetDialect``). None for a code gherkin knows, one without ``-``, or one whose part it does not know either."""
    from gherkin.dialect import DIALECTS

    base = code.split("-", 1)[0]
    return base if code not in DIALECTS and "-" in code and base in DIALECTS else None


class FallbackTokenMatcher(TokenMatcher):
    """gherkin's token matcher, which with ``fallback`` (``gherkin_language_fallback = true``) reads a
    ``# language:`` code gherkin does not know in the language its part before ``-`` names, as Reqnroll and SpecFlow
    read it (``# language: hu-HU`` as ``hu``: ``fallback_language``); without, it is gherkin's."""

    def __init__(self, fallback: bool = False) -> None:
        self._fallback = fallback  # (before gherkin's __init__, which changes to the default dialect)
        super().__init__()

    def _change_dialect(self, dialect_name: str, location: Location | None = None) -> None:
        base = fallback_language(dialect_name) if self._fallback else None
        super()._change_dialect(base or dialect_name, location)


def file_language(text: str, fallback: bool = False) -> str:
    """The language gherkin reads the feature file ``text`` in: its ``# language:`` header's (above the first line
    that is not blank or a comment), else English (``fallback``: see ``FallbackTokenMatcher``)."""
    written = _reading(text)[0]
    return (fallback_language(written) if fallback else None) or written


def language_diagnosis(text: str, diagnostics: Sequence[Diagnostic], fallback: bool = False) -> Diagnostic | None:
    """The one error that explains gherkin's ``diagnostics`` (file order) of the feature file ``text``, when they
    come from its language: an unknown ``# language:`` code, a keyword of another language than the one gherkin
    reads the file in (no header, or one below the first line that is not a comment), or a keyword written
    decomposed (NFD). None when they come from something else. ``fallback``: the file was read with
    ``gherkin_language_fallback`` (``fallback_language``)."""
    from gherkin.dialect import DIALECTS

    if not diagnostics:
        return None
    first = diagnostics[0]
    unknown = _UNKNOWN.fullmatch(first.message)
    if unknown is not None:
        return _at(first, _unknown_language(unknown.group(1)))
    got = _GOT.search(first.message)
    if got is None:
        return None
    line = got.group(1).strip()
    written, header_line = _reading(text)
    current = file_language(text, fallback)
    if _keyword(line, current) is not None:
        return None  # a keyword of the file's own language: the error is another one
    nfc = _keyword(unicodedata.normalize("NFC", line), current)
    if nfc is not None:
        return _at(first, f"{nfc + ':'!r} is written decomposed (NFD: its accents as characters of their own), which "
                          "gherkin does not read as the keyword; save the file with its text composed (NFC)")
    codes = [c for c in DIALECTS if c != current and _keyword(line, c) is not None]
    if not codes:
        return None
    keyword = _keyword(line, codes[0]) or ""
    named = _named(current)
    late = _late_header(text, codes)
    if late is not None:
        number, code = late
        return _at(first, f"{keyword + ':'!r} is a keyword of {_named(code)}, but gherkin reads this file in "
                          f"{named}: it reads '# language: {code}' (line {number}) only above the first line that "
                          "is not blank or a comment; move it to the top of the file")
    others = f" (or {', '.join(codes[1:4])}{', …' if len(codes) > 4 else ''})" if len(codes) > 1 else ""
    if header_line is not None:
        return _at(first, f"{keyword + ':'!r} is a keyword of {_named(codes[0])}, not of {named}, the language its "
                          f"'# language: {written}' (line {header_line}) names: make it '# language: {codes[0]}'"
                          f"{others}")
    return _at(first, f"{keyword + ':'!r} is a keyword of {_named(codes[0])}, not of {named}, the language gherkin "
                      f"reads a file in without a header: write '# language: {codes[0]}'{others} as its first line")


def _unknown_language(code: str) -> str:
    """What to do about the ``# language:`` code ``code`` that gherkin does not know."""
    from gherkin.dialect import DIALECTS

    near = next((c for c in DIALECTS if _code_key(c) == _code_key(code)), None)
    if near is not None:
        return f"gherkin knows no language {code!r} (codes are case-sensitive); write '# language: {near}'"
    base = fallback_language(code)
    if base is not None:  # (a culture name, as SpecFlow users write it: only Reqnroll and SpecFlow read it)
        return (f"gherkin knows no language {code!r}; Reqnroll and SpecFlow read it as {base!r}: set "
                "gherkin_language_fallback = true in the configuration")
    return (f"gherkin knows no language {code!r}; write one of its codes (fr, de, es, pt, ja, zh-CN…: cucumber's "
            "list of Gherkin languages)")


def _at(where: Diagnostic, message: str) -> Diagnostic:
    return Diagnostic(where.path, where.line, where.column, message, where.severity)


def _code_key(code: str) -> str:
    return code.casefold().replace("_", "-")


def _keyword(line: str, code: str) -> str | None:
    """The block keyword of language ``code`` that ``line`` opens with (as gherkin matches it: ``Keyword:``)."""
    from gherkin.dialect import DIALECTS

    spec: Mapping[str, Any] | None = DIALECTS.get(code)
    if spec is None:
        return None
    return next((k for block in _BLOCKS for k in spec[block] if line.startswith(k + ":")), None)


def _named(code: str) -> str:
    from gherkin.dialect import DIALECTS

    spec: Mapping[str, Any] | None = DIALECTS.get(code)
    name = spec.get("name") if spec is not None else None
    return f"{name} ({code})" if isinstance(name, str) else repr(code)


def _reading(text: str) -> tuple[str, int | None]:
    """The language ``text``'s header names, as written, and the line of that header (None: English by default)."""
    for number, line in enumerate(text.split("\n", 200)[:200], 1):
        match = _HEADER.match(line)
        if match:
            return match.group(1), number
        if line.strip() and not line.lstrip().startswith("#"):
            break
    return "en", None


def _late_header(text: str, codes: Sequence[str]) -> tuple[int, str] | None:
    """A ``# language:`` header naming one of ``codes`` below the first line gherkin reads a header above."""
    seen_content = False
    for number, line in enumerate(text.split("\n", 200)[:200], 1):
        match = _ANY_HEADER.match(line)
        if match and seen_content and match.group(1) in codes:
            return number, match.group(1)
        if line.strip() and not line.lstrip().startswith("#"):
            seen_content = True
    return None
