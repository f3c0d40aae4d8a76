"""JSON for PostgreSQL's ``jsonb``, whose numbers are ``numeric``: a float comes back a float.

``json.dumps`` writes a float of 1e16 or more with an exponent (``1e+20``, ``1.5e+300``). ``numeric`` keeps the
value and the digits after the point its text gave, and writes it back without the exponent: ``1e+20`` came back
``100000000000000000000`` — an integer to every JSON reader that tells them apart (Python's, tracertm's own) — and
``1.2345678901234567e+19`` as ``12345678901234567000``, which is not the float that was stored. SQLite keeps the
text as it was written, so the two databases answered one ``PATCH`` differently. ``dumps`` writes such a float
positionally with a ``.0`` (``100000000000000000000.0``), which ``numeric`` keeps, and reads back as the same
float (its shortest digits, zeros after them, are exact enough to round to it). A sync's bulk writes encode
their JSON texts themselves (``engine.apply``), through ``positional`` too, on both databases (SQLite reads the
text back as the same float).
"""

from __future__ import annotations

import json
import re
from decimal import Decimal
from typing import Any

__all__ = ["dumps", "positional"]

# Strings, and the numbers outside them written with a positive exponent: only a float is (json.dumps writes an int
# with all its digits), and only from 1e16 up (below, its repr has no exponent).
_EXPONENT_OUTSIDE_STRINGS = re.compile(r'"(?:[^"\\]|\\.)*"|(-?[0-9](?:\.[0-9]+)?e\+[0-9]+)')


def _positional(match: re.Match[str]) -> str:
    number = match.group(1)
    if number is None:  # a string: as it is
        return match.group(0)
    return f"{Decimal(number):f}.0"


def positional(text: str) -> str:
    """The JSON text ``text`` (as ``json.dumps`` writes it) with every float written with an exponent written out."""
    if "e+" not in text:  # (no float that large; a string holding "e+" costs one search)
        return text
    return _EXPONENT_OUTSIDE_STRINGS.sub(_positional, text)


def dumps(value: Any) -> str:
    """``value`` as ``json.dumps`` writes it (SQLAlchemy's default), through ``positional``: the engine's
    ``json_serializer`` on PostgreSQL."""
    return positional(json.dumps(value))
