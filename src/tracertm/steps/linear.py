"""Which user regexes need no time bound: those Python's backtracking engine runs in time linear in the step text.

Every user pattern is matched under a time budget (``tracertm.steps.bounded``), and the budget is most of a match's
cost: the ``regex`` package reads the clock as it goes (about 5 µs a match against 0.6 µs for ``re``), and a cold
sync with step files matches tens of thousands of texts. Most projects' patterns cannot backtrack much — ``the
{word} is {int}``, ``^I type "([^"]*)"$`` — and this module proves it for them, so that they run on ``re``.

The proof is conservative: a pattern qualifies when each way of reading its alternations and optional groups
(at most ``COMBINATIONS`` of them) is a flat sequence of single characters, character classes and repeats of one
character or class, where each repeat whose length varies is followed by the end of the pattern or by a character
(or a repeat of at least one) that it cannot match itself. Such a repeat has one length at most that lets the rest
go on — anything shorter leaves one of its own characters where the next item needs another —, so the engine tries
each reading once, each in time linear in the text: ``(a|aa)+``, ``(.*) and (.*)`` and ``(\\w+)+`` do not qualify.
Only a match anchored where it starts (``match``/``fullmatch``) counts: a search tries every position.
"""

from __future__ import annotations

import functools
import re
from collections.abc import Sequence
from re import _parser as sre_parse  # type: ignore[attr-defined]  # Python's own regex parser (always loaded)
from typing import Any

from re._constants import (  # type: ignore[import-not-found]
    ANY, AT, AT_BEGINNING, AT_END, AT_END_STRING, BRANCH, IN, LITERAL, MAX_REPEAT, MIN_REPEAT, NOT_LITERAL,
    SUBPATTERN,
)

from tracertm.regex_items import Item
from tracertm.regex_items import chars as _chars
from tracertm.regex_items import matches as _matches

# Readings of a pattern's alternations and optional groups tried at most: the engine's work is bounded by their
# number times the text's length.
COMBINATIONS = 64
# Items that match exactly one character.
_SINGLE = frozenset({LITERAL, NOT_LITERAL, ANY, IN})


def linear(items: Any, flags: int) -> bool:
    """Whether the parsed pattern ``items`` (``re._parser.parse(source, flags)``; ``flags`` its final flags)
    matches at one position (``match`` or ``fullmatch``) in time linear in the text (see the module docstring)."""
    if flags & (re.IGNORECASE | re.LOCALE):
        return False  # the characters compared below would be case-folded
    try:
        readings = _readings(list(items))
    except RecursionError:  # groups nested past the interpreter's limit (``re`` takes a few hundred)
        return False
    return readings is not None and all(_deterministic(reading, flags) for reading in readings)


@functools.lru_cache(maxsize=1024)
def linear_source(source: str, flags: int = 0) -> bool:
    """``linear`` of a pattern's source (projects repeat the same rests of their expressions: cached)."""
    try:
        items = sre_parse.parse(source, flags)
    except (re.error, RecursionError):
        return False
    return linear(items, items.state.flags)


def _readings(items: Sequence[Item]) -> list[list[Item]] | None:
    """Every flat reading of ``items`` (alternations and optional groups chosen each way; groups opened), or None
    when an item is none of those ``linear`` knows or there are over ``COMBINATIONS`` readings."""
    out: list[list[Item]] = [[]]
    for op, arg in items:
        if op in _SINGLE or op is AT:
            choices: list[list[Item]] | None = [[(op, arg)]]
        elif op is SUBPATTERN:
            _, add, remove, inner = arg
            choices = _readings(inner) if not (add or remove) else None
        elif op is BRANCH:
            choices = []
            for alternative in arg[1]:
                each = _readings(alternative)
                if each is None:
                    return None
                choices.extend(each)
        elif op in (MAX_REPEAT, MIN_REPEAT):
            low, high, inner = arg
            if len(inner) == 1 and inner[0][0] in _SINGLE:
                choices = [[(op, (low, high, inner[0]))]]  # a repeat of one character: an item of its own
            elif high == 1:
                once = _readings(inner)
                choices = None if once is None else once + ([[]] if low == 0 else [])
            else:
                choices = None
        else:
            return None
        if choices is None or len(out) * len(choices) > COMBINATIONS:
            return None
        out = [reading + choice for reading in out for choice in choices]
    return out


def _deterministic(reading: list[Item], flags: int) -> bool:
    """Whether each varying repeat of the flat ``reading`` has at most one length that lets the rest go on."""
    last = len(reading) - 1
    for i, (op, arg) in enumerate(reading):
        if op is AT:
            if not ((i == 0 and arg is AT_BEGINNING) or (i == last and arg in (AT_END, AT_END_STRING))):
                return False
        elif op in (MAX_REPEAT, MIN_REPEAT):
            low, high, item = arg
            if low == high or i == last:
                continue
            op_next, arg_next = reading[i + 1]
            if op_next is AT:
                continue  # the end (any other anchor there was refused above)
            following = arg_next[2] if op_next in (MAX_REPEAT, MIN_REPEAT) and arg_next[0] >= 1 else (
                (op_next, arg_next) if op_next in _SINGLE else None)
            if following is None or not _disjoint(item, following, flags):
                return False
    return True


def _disjoint(a: Item, b: Item, flags: int) -> bool:
    """Whether no character matches both single-character items (False when that is not known)."""
    for listed, other in ((a, b), (b, a)):
        chars = _chars(listed)
        if chars is not None:
            return not any(_matches(other, c, flags) is not False for c in chars)
    return False
