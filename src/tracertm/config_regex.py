"""The configuration's id and requirement patterns (``requirement_pattern``, ``feature_id_pattern``,
``scenario_id_pattern``) refused when they could take a hook for ever: ``re`` runs them on every file's text and every
tag, and cannot be interrupted. Two shapes of pattern are slow on some texts, and both are refused when the
configuration loads (``config._check_value``):

- a repeat whose rounds can share out the same text in more than one way, ``(\\d+)+``, ``(a|aa)+``: exponential
  (``backtracks``);
- repeats in a row that can each take part of the same run of characters, ``\\d*\\d*\\d*\\d*x``: a failing
  match tries every way to cut the run among them, polynomial with their number as the power — eight of them took
  ``check`` minutes on a line of 60 digits, and two, ``REQ-\\d*\\d*x``, 22 s on a line of 80,000
  (``repeats_in_a_row``; more than ``IN_A_ROW`` are refused). One at a time (``REQ-\\d+``, ``[A-Z]+-\\d+``) costs an
  attempt at most the length of its run, and the lines searched are capped (``parsers.id_search``): a search's time is
  bounded.
"""

from __future__ import annotations

import re
from importlib import import_module
from typing import Any

from tracertm.regex_items import chars as _chars
from tracertm.regex_items import matches as _matches

# The parse tree ``re`` compiles from (private modules, stable since 3.11; typeshed does not list them).
c: Any = import_module("re._constants")
_parse: Any = import_module("re._parser").parse

IN_A_ROW = 1  # repeats in a row over one run of characters accepted (``repeats_in_a_row``): with two, an attempt
# costs the run's length squared, and a search of a line of them its cube (``\d*\d*x``: 9 s for 2,000 digits)
_UNKNOWN: Any = ("unknown", None)  # a character that is not described: may be any
_SINGLE = (c.LITERAL, c.NOT_LITERAL, c.ANY, c.IN)
_REPEATS = (c.MAX_REPEAT, c.MIN_REPEAT, c.POSSESSIVE_REPEAT)
_APART = {frozenset(pair) for pair in (
    (c.CATEGORY_DIGIT, c.CATEGORY_NOT_DIGIT), (c.CATEGORY_SPACE, c.CATEGORY_NOT_SPACE),
    (c.CATEGORY_WORD, c.CATEGORY_NOT_WORD), (c.CATEGORY_SPACE, c.CATEGORY_DIGIT),
    (c.CATEGORY_SPACE, c.CATEGORY_WORD), (c.CATEGORY_DIGIT, c.CATEGORY_NOT_WORD),
)}


class _Tree:
    """One pattern's parse tree, and which characters its items can match (compared two by two)."""

    def __init__(self, pattern: str) -> None:
        self.parsed: Any = _parse(pattern)
        self.flags: int = self.parsed.state.flags
        # A group may turn case-folding on for itself only ((?i:...)): with any inline flag, compare case-folded
        # everywhere (over-cautious at worst).
        self.folded = bool(self.flags & re.IGNORECASE) or "(?" in pattern

    def disjoint(self, a: Any, b: Any) -> bool:
        """Whether no character can be matched by both single-character items."""
        if a is _UNKNOWN or b is _UNKNOWN:
            return False
        for listed, other in ((a, b), (b, a)):
            chars = _chars(listed)
            if chars is not None:
                if self.folded:
                    chars = list({v for ch in chars for v in (ch, ch.lower(), ch.upper(), ch.casefold())})
                return not any(_matches(other, ch, self.flags) is not False for ch in chars)
        return frozenset((_category(a), _category(b))) in _APART

    def overlap(self, a: list[Any], b: list[Any]) -> bool:
        return any(not self.disjoint(x, y) for x in a for y in b)

    def first(self, items: Any) -> tuple[list[Any], bool]:
        """The items a match of ``items`` can start with; whether it can be empty."""
        out: list[Any] = []
        for item in items:
            found, empty = self.first_of(*item)
            out += found
            if not empty:
                return out, False
        return out, True

    def first_of(self, op: Any, av: Any) -> tuple[list[Any], bool]:
        if op in _SINGLE:
            return [(op, av)], False
        if op is c.AT or op in (c.ASSERT, c.ASSERT_NOT):
            return [], True
        if op is c.SUBPATTERN:
            return self.first(av[3])
        if op is c.ATOMIC_GROUP:
            return self.first(av)
        if op in _REPEATS:
            found, empty = self.first(av[2])
            return found, empty or av[0] == 0
        if op is c.BRANCH:
            each = [self.first(branch) for branch in av[1]]
            return [f for found, _ in each for f in found], any(empty for _, empty in each)
        if op is c.GROUPREF_EXISTS:
            yes, no = self.first(av[1]), self.first(av[2]) if av[2] is not None else ([], True)
            return yes[0] + no[0], yes[1] or no[1]
        return [_UNKNOWN], True  # a backreference, a category outside a class...


def _category(item: Any) -> Any:
    op, av = item
    return av[0][1] if op is c.IN and len(av) == 1 and av[0][0] is c.CATEGORY else None


def _branches(op: Any, av: Any) -> list[Any]:
    """The alternatives of a ``|`` or of a conditional group (``(?(1)yes|no)``; a missing no is empty)."""
    return list(av[1]) if op is c.BRANCH else [av[1], av[2] or []]


def backtracks(pattern: str) -> bool:
    """Whether ``pattern`` (one that compiles) can backtrack exponentially: a repeat (``+``, ``*``, ``{2,}``,
    ``{20}``) whose body can match the same text in more than one way — ``(\\d+)+``, ``(\\w+\\s?)*``,
    ``(a|aa)+``, ``(a?a)+`` — so that a run of characters splits between the choices in exponentially many ways
    before a match fails.

    The test is LL(1)-like and conservative: inside a repeat, every choice (the alternatives of ``|``, a varying
    repeat's "once more" against "stop") must start with characters none of the others can start with, counting
    what may follow within the repeat (its next round). ``(-[A-Z]+)+`` and ``(\\.\\d+)*`` pass: the next round
    starts with a character the inner repeat cannot take. Choices outside any repeat (``\\d+\\d``) cost
    polynomial time at worst: ``repeats_in_a_row`` counts those. (``tracertm.steps.linear`` proves more, linear
    time, but only for anchored matches: a search for ``\\bREQ-\\d+\\b`` does not qualify.)"""
    tree = _Tree(pattern)

    def bad(items: Any, follow: list[Any], looping: bool) -> bool:
        after = follow  # what may come after each item, from the last one back
        for op, av in reversed(list(items)):
            if op is c.SUBPATTERN and bad(av[3], after, looping) or op is c.ATOMIC_GROUP and bad(av, after, looping):
                return True
            if op is c.BRANCH or op is c.GROUPREF_EXISTS:
                branches = _branches(op, av)
                if looping:
                    if len(branches) > 64:
                        return True  # not compared two by two
                    starts = []
                    for branch in branches:
                        found, empty = tree.first(branch)
                        starts.append(found + (after if empty else []))
                    if any(tree.overlap(x, y) for i, x in enumerate(starts) for y in starts[i + 1:]):
                        return True
                if any(bad(branch, after, looping) for branch in branches):
                    return True
            elif op in _REPEATS:
                low, high, body = av
                starts, _ = tree.first(body)
                if looping and low != high and op is not c.POSSESSIVE_REPEAT and tree.overlap(starts, after):
                    return True
                # Within a repeat of more than two rounds, what may follow the body is its next round. (What
                # follows the repeat itself is left out: a choice there is made once, not once a round. Two rounds,
                # ``(\\d+){2}``, split a run in n ways at most.)
                rounds = high > 2
                if bad(body, starts + (after if looping else []) if rounds else after, looping or rounds):
                    return True
            elif op in (c.ASSERT, c.ASSERT_NOT) and bad(av[1], [], looping):
                return True
            found, empty = tree.first_of(op, av)
            after = found + (after if empty else [])
        return False

    try:
        return bad(tree.parsed.data, [], False)
    except RecursionError:  # groups nested past the interpreter's limit
        return True


# A chain of repeats over one run of characters (``repeats_in_a_row``): the characters its last item can match (what
# the next item must share to go on with the run) and how many repeats of varying length it holds; None: no chain.
_Chain = tuple[list[Any], int] | None


def repeats_in_a_row(pattern: str) -> int:
    """The most repeats of varying length (by more than one: ``\\d+``, ``.*``, ``\\w{2,8}``; not ``-?``) in
    ``pattern`` (one that compiles) that can share one run of characters: each one next to the last, or with only
    items between them that can be empty or take the run's characters too. ``\\d*\\d*\\d*`` is 3, ``\\d+0\\d+`` 2,
    ``REQ-\\d+(\\.\\d+)*`` and ``[A-Z]+-\\d+`` 1 (the ``.`` and the ``-`` cut the run). Against a long run that then
    fails to match, ``re`` tries every way to cut the run among them: time to the power of their number. Conservative:
    two items share characters when their classes may (``\\w``, ``\\d``), a repeat's whole body counts, and an
    alternation or a group that may be skipped goes on with the longest of its chains."""
    tree = _Tree(pattern)
    most = 0

    def chars(items: Any) -> list[Any]:  # every single-character item ``items`` can match with
        out: list[Any] = []
        for op, av in items:
            if op in _SINGLE:
                out.append((op, av))
            elif op is c.SUBPATTERN:
                out += chars(av[3])
            elif op in _REPEATS:
                out += chars(av[2])
            elif op is c.ATOMIC_GROUP:
                out += chars(av)
            elif op is c.BRANCH or op is c.GROUPREF_EXISTS:
                out += [x for branch in _branches(op, av) for x in chars(branch)]
            elif op is not c.AT and op not in (c.ASSERT, c.ASSERT_NOT):
                out.append(_UNKNOWN)
        return out

    def merge(chains: list[_Chain]) -> _Chain:  # either way may have been taken: the longest, any character
        present = [chain for chain in chains if chain is not None]
        if not present:
            return None
        return [x for last, _ in present for x in last], max(count for _, count in present)

    def walk(items: Any, chain: _Chain) -> _Chain:
        nonlocal most
        for op, av in items:
            if op is c.SUBPATTERN:
                chain = walk(av[3], chain)
            elif op is c.ATOMIC_GROUP:
                chain = walk(av, chain)
            elif op is c.AT:
                continue  # takes no character: the run goes on
            elif op in (c.ASSERT, c.ASSERT_NOT):
                walk(av[1], None)  # its own chains; it takes no character either
            elif op is c.BRANCH or op is c.GROUPREF_EXISTS:
                chain = merge([walk(branch, chain) for branch in _branches(op, av)])
            elif op in _REPEATS and av[1] - av[0] > 1 and op is not c.POSSESSIVE_REPEAT:
                low, _high, body = av
                walk(body, None)  # the chains within one round (a repeat of them is ``backtracks``' to find)
                starts, _ = tree.first(body)
                count = chain[1] + 1 if chain is not None and tree.overlap(chain[0], starts) else 1
                most = max(most, count)
                grown: _Chain = (chars(body), count)
                chain = merge([grown, chain]) if low == 0 else grown
            elif op in _REPEATS:  # a fixed count, ``?``, or possessive (it never gives back): its body in a row
                low, high, body = av
                passed = chain
                for _ in range(max(1, min(high, IN_A_ROW + 1))):
                    passed = walk(body, passed)
                chain = merge([passed, chain]) if low == 0 else passed
            elif op in _SINGLE:
                chain = ([(op, av)], chain[1]) if chain and tree.overlap(chain[0], [(op, av)]) else None
            else:  # a backreference: any characters, or none
                chain = merge([chain, ([_UNKNOWN], chain[1] if chain else 0)])
        return chain

    try:
        walk(tree.parsed.data, None)
    except RecursionError:  # groups nested past the interpreter's limit
        return IN_A_ROW + 1
    return most


__all__ = ["IN_A_ROW", "backtracks", "repeats_in_a_row"]
