"""User regexes under a time bound: a definition whose regex backtracks catastrophically — ``^(a|aa)+$`` against
a long step — must not hang ``sync``, ``check`` or ``tracertm steps``.

Python's ``re`` cannot be interrupted (a signal handler runs only between bytecodes), and no static check catches
every slow pattern: nested quantifiers are exponential, but ``(.*) and (.*)`` searched through a very long line is
quadratic too. So every pattern that comes from user code — a regex definition, a Cucumber Expression (its regex
holds the project's parameter types), a ``parse`` pattern with registered types — is compiled with the ``regex``
package (``re``'s syntax: ``VERSION0``) and each match gets ``BUDGET`` seconds, thousands of times what a step needs.
A match over budget raises ``TooSlow``; the matcher reports the definition at its line and tries it no more in that
run (``StepIndex``). A budget per match alone is no bound: a definition taking 0.3 s on each of a thousand steps never
runs over it, and the run takes five minutes. So the index also adds up what each definition's matches took, and one
past ``TOTAL`` seconds in all is reported and skipped the same way (``TooSlow`` with ``spent``).
"""

from __future__ import annotations

import re
from re import _parser as sre_parse  # type: ignore[attr-defined]  # Python's own regex parser (always loaded)
from typing import TYPE_CHECKING, Any

from re._constants import MAX_REPEAT, MIN_REPEAT, POSSESSIVE_REPEAT  # type: ignore[import-not-found]

if TYPE_CHECKING:
    import regex

BUDGET = 0.5  # seconds per match; a step's match takes microseconds
# Seconds per definition, all its matches of a run together (``StepIndex``): two thousand steps at a millisecond
# each, where the busiest of the large bench's 2,000 definitions spends about 10 ms on its 83,000 distinct texts.
TOTAL = 2.0
# The ``regex`` package writes a repeat's required copies out when it compiles (``a{1000000}`` is a million
# nodes, ~270 MB; ``(?:(?:a{1000}){1000}){1000}`` runs out of memory): a pattern whose items, so expanded, number
# more than this is refused before compiling (``TooLarge``). Step patterns come nowhere near it.
LARGEST = 10_000
# A repetition count in a pattern's source (a ``{`` in a class or escaped may be one too: the bound stays one).
_COUNTS = re.compile(r"\{(\d*)(?:,(\d*))?\}")


class TooSlow(Exception):
    """A definition's pattern ran over ``BUDGET`` on one step text — or, when ``spent`` is set, over that many
    seconds (``TOTAL``) in all its matches, ``text`` the step whose match took it past them."""

    def __init__(self, text: str, spent: float = 0.0) -> None:
        super().__init__(text)
        self.text = text
        self.spent = spent


class TooLarge(ValueError):
    """A pattern whose repeats expand past ``LARGEST`` items: ``size`` is how many."""

    def __init__(self, size: int) -> None:
        super().__init__(f"its repeats expand it to {size:,} items or more, past tracertm's limit of {LARGEST:,}")
        self.size = size


def expanded_size(items: Any) -> int:
    """How many items the parsed pattern ``items`` (``re._parser.parse``) is with each repeat's required copies
    written out — what the ``regex`` package compiles: ``(?:ab){3}c`` is 7. Iterative: nesting costs no stack."""
    total = 0
    pending: list[tuple[Any, int]] = [(items, 1)]  # (items, copies of them)
    while pending:
        current, copies = pending.pop()
        for op, arg in current:
            if op in (MAX_REPEAT, MIN_REPEAT, POSSESSIVE_REPEAT):
                pending.append((arg[2], copies * max(1, arg[0])))
                continue
            total += copies
            if total > LARGEST:
                return total
            subs = arg if isinstance(arg, (tuple, list)) else ()
            for sub in subs:
                if isinstance(sub, sre_parse.SubPattern):  # a group's, a lookaround's, a conditional's
                    pending.append((sub, copies))
                elif isinstance(sub, list):  # a branch's alternatives (a class's items are tuples)
                    pending.extend((alternative, copies) for alternative in sub
                                   if isinstance(alternative, sre_parse.SubPattern))
    return total


def check_size(source: str, flags: int = 0, items: Any = None) -> None:
    """``TooLarge`` when ``source`` (a Python regex; ``items`` its parse, when done) expands past ``LARGEST``
    items (``expanded_size``). Most patterns are let through without a parse: without repetition counts a pattern
    is no larger than its source, and none is larger than its source times the product of its counts."""
    if "{" not in source:
        return
    bound = len(source)
    for found in _COUNTS.finditer(source):
        digits = found.group(1)
        bound *= max(1, int(digits)) if 0 < len(digits) <= 9 else LARGEST + 1 if digits else 1
        if bound > LARGEST:
            break
    else:
        return
    if items is None:
        try:
            items = sre_parse.parse(source, flags)
        except (OverflowError, ValueError):  # a count past ``re``'s limit (or int()'s digits): larger still
            raise TooLarge(bound) from None
    size = expanded_size(items)
    if size > LARGEST:
        raise TooLarge(size)


def compile_pattern(source: str, flags: int = 0) -> regex.Pattern[str]:
    """``source`` (valid for ``re``, which the caller has checked) compiled for bounded matching: a
    ``regex.Pattern`` whose ``match``/``search``/``fullmatch`` take ``timeout=``. ``re``'s flag values are
    ``regex``'s. ``TooLarge`` (before compiling) when it would take more memory than a step pattern should."""
    import regex

    check_size(source, flags)
    return regex.compile(source, flags | regex.VERSION0)


def describe(text: str, limit: int = 60) -> str:
    """A step text for a one-line message: its start and its length when long."""
    if len(text) <= limit:
        return repr(text)
    return f"{text[:limit]!r}... ({len(text)} characters)"


def slow_message(pattern: str, slow: TooSlow) -> str:
    """The one-line finding of a definition ``slow`` says ran over its time budget: one step's, or all its steps'."""
    took = (f"took over {slow.spent:g} s in all to match the steps up to {describe(slow.text)}" if slow.spent
            else f"took over {BUDGET:g} s to match the step {describe(slow.text)}")
    return (f"step definition {pattern!r} {took} (catastrophic backtracking: nested or overlapping quantifiers such "
            "as (a+)+); it is skipped — rewrite the regex so that each part can match a character one way only")
