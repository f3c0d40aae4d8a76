"""Text from files and commits as a valid, contained part of a page: what HTML forbids shown visibly, and what
a value's bidirectional controls open closed at its end. Pure; the templates' renderer (``render``) and the
Markdown renderer (``markdown``) apply it."""

from __future__ import annotations

import re

# Code points a valid HTML document may not hold: C0 controls but tab, line feed, form feed and carriage return;
# DEL and the C1 controls; noncharacters. Files and commits may hold them (an escape sequence pasted from a
# terminal): a page shows each C0 control as its Control Pictures symbol (BEL as ␇, DEL as ␡), the rest as U+FFFD.
# Form feed is allowed in HTML but not in XML; it is shown as ␌ too.
_FORBIDDEN = re.compile("[\x00-\x08\x0b\x0c\x0e-\x1f\x7f-\x9f\ufdd0-\ufdef\ufffe\uffff%s]" % "".join(
    chr(plane << 16 | last) for plane in range(1, 17) for last in (0xFFFE, 0xFFFF)))
# Bidirectional embeddings, overrides and isolates (UAX #9), and what closes each.
_BIDI = re.compile("[\u202a-\u202e\u2066-\u2069]")
_EMBEDDING, _ISOLATE = "\u202c", "\u2069"  # PDF, PDI


def _visible(match: re.Match[str]) -> str:
    point = ord(match.group())
    if point < 0x20:
        return chr(0x2400 + point)
    return "\u2421" if point == 0x7F else "\ufffd"


def valid_text(html: str) -> str:
    """``html`` without the code points a document may not hold (``_FORBIDDEN``), each shown visibly instead."""
    return _FORBIDDEN.sub(_visible, html)


def bidi_closed(text: str) -> str:
    """``text`` with the bidirectional embeddings, overrides and isolates it leaves open closed at its end (one
    PDF or PDI each, innermost first), so that a value's right-to-left override (U+202E) cannot reverse the page's
    own words after it; balanced text (every legitimate use) is returned as it is."""
    if not _BIDI.search(text):
        return text
    stack: list[str] = []
    for ch in text:
        if ch in "\u202a\u202b\u202d\u202e":
            stack.append(_EMBEDDING)
        elif ch in "\u2066\u2067\u2068":
            stack.append(_ISOLATE)
        elif ch == _EMBEDDING and stack and stack[-1] == _EMBEDDING:
            stack.pop()
        elif ch == _ISOLATE and _ISOLATE in stack:
            while stack.pop() != _ISOLATE:  # a PDI also closes the embeddings opened inside its isolate
                pass
    return text + "".join(reversed(stack))


__all__ = ["bidi_closed", "valid_text"]
