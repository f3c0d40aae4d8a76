"""User regexes under a time bound: a definition whose regex backtracks catastrophically — ``^(a|aa)+$`` against
a long step — must not hang ``sync``, ``check`` or ``tracertm steps``.

Python's ``re`` cannot be interrupted (a signal handler runs only between bytecodes), and no static check catches
every slow pattern: nested quantifiers are exponential, but ``(.*) and (.*)`` searched through a very long line is
quadratic too. So every pattern that comes from user code — a regex definition, a Cucumber Expression (its regex
holds the project's parameter types), a ``parse`` pattern with registered types — is compiled with the ``regex`` package (``re``'s syntax: ``VERSION0``) and
each match gets ``BUDGET`` seconds, thousands of times what a step needs. A match over budget raises ``TooSlow``;
the matcher reports the definition at its line and tries it no more in that run (``StepIndex``).
"""

from __future__ import annotations

from typing import TYPE_CHECKING

if TYPE_CHECKING:
    import regex

BUDGET = 0.5  # seconds per match; a step's match takes microseconds


class TooSlow(Exception):
    """A definition's pattern ran over ``BUDGET`` on one step text."""

    def __init__(self, text: str) -> None:
        super().__init__(text)
        self.text = text


def compile_pattern(source: str, flags: int = 0) -> regex.Pattern[str]:
    """``source`` (valid for ``re``, which the caller has checked) compiled for bounded matching: a
    ``regex.Pattern`` whose ``match``/``search``/``fullmatch`` take ``timeout=``. ``re``'s flag values are
    ``regex``'s."""
    import regex

    return regex.compile(source, flags | regex.VERSION0)


def describe(text: str, limit: int = 60) -> str:
    """A step text for a one-line message: its start and its length when long."""
    if len(text) <= limit:
        return repr(text)
    return f"{text[:limit]!r}... ({len(text)} characters)"


def slow_message(pattern: str, text: str) -> str:
    return (f"step definition {pattern!r} took over {BUDGET:g} s to match the step {describe(text)} "
            "(catastrophic backtracking: nested or overlapping quantifiers such as (a+)+); it is skipped — "
            "rewrite the regex so that each part can match a character one way only")
