"""Single-character items of a regex as Python's own parser reads them (``re._parser``): which characters one
lists and whether one matches a character. Shared by ``tracertm.steps.linear`` (user step patterns that need no time
bound) and ``tracertm.config_regex`` (configured id patterns refused when they backtrack), outside the ``steps``
package: the configuration is read on the hook path, which imports nothing of step matching."""

from __future__ import annotations

import re
from typing import Any

from re._constants import (  # type: ignore[import-not-found]
    ANY, CATEGORY, CATEGORY_DIGIT, CATEGORY_NOT_DIGIT, CATEGORY_NOT_SPACE, CATEGORY_NOT_WORD, CATEGORY_SPACE,
    CATEGORY_WORD, IN, LITERAL, NEGATE, NOT_LITERAL, RANGE,
)

__all__ = ["FINITE", "Item", "chars", "matches"]

Item = tuple[Any, Any]
_CATEGORIES = {CATEGORY_DIGIT: r"\d", CATEGORY_NOT_DIGIT: r"\D", CATEGORY_SPACE: r"\s", CATEGORY_NOT_SPACE: r"\S",
               CATEGORY_WORD: r"\w", CATEGORY_NOT_WORD: r"\W"}
FINITE = 512  # a class of more characters than this is not listed out (``chars``)


def chars(item: Item) -> list[str] | None:
    """The characters a single-character item matches when it lists them (a literal, a class of literals and small
    ranges); None otherwise."""
    op, arg = item
    if op is LITERAL:
        return [chr(arg)]
    if op is not IN:
        return None
    found: list[str] = []
    for sub, value in arg:
        if sub is LITERAL:
            found.append(chr(value))
        elif sub is RANGE and value[1] - value[0] < FINITE:
            found.extend(chr(n) for n in range(value[0], value[1] + 1))
        else:
            return None  # NEGATE, CATEGORY, a large range
        if len(found) > FINITE:
            return None
    return found


def matches(item: Item, c: str, flags: int) -> bool | None:
    """Whether the single-character item matches ``c`` (None when not known)."""
    op, arg = item
    if op is LITERAL:
        return chr(arg) == c
    if op is NOT_LITERAL:
        return chr(arg) != c
    if op is ANY:
        return c != "\n" or bool(flags & re.DOTALL)
    negate = hit = False
    for sub, value in arg:
        if sub is NEGATE:
            negate = True
        elif sub is LITERAL:
            hit = hit or chr(value) == c
        elif sub is RANGE:
            hit = hit or value[0] <= ord(c) <= value[1]
        elif sub is CATEGORY and value in _CATEGORIES:
            hit = hit or re.fullmatch(_CATEGORIES[value], c, re.ASCII if flags & re.ASCII else 0) is not None
        else:
            return None
    return hit != negate
