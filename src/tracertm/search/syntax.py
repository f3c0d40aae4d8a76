"""The search syntax, the same on SQLite and PostgreSQL (PostgreSQL's ``websearch_to_tsquery`` rules):

- ``idempotency key``  — every word must occur (in any order, anywhere in the record; words are stemmed);
- ``"idempotency key"`` — the words as a phrase;
- ``refund OR chargeback`` — either;
- ``ledger -postgres`` — ``ledger`` but not ``postgres``.

Punctuation inside words is ignored. On SQLite the query becomes an FTS5 expression in which every word is quoted,
so user text can never be read as FTS5 syntax.
"""

from __future__ import annotations

import re
from dataclasses import dataclass

from tracertm.errors import UsageError

_TOKEN = re.compile(r'(-?)"([^"]*)"?|(\S+)')
_WORD = re.compile(r"\w+", re.UNICODE)


@dataclass(frozen=True)
class Term:
    words: tuple[str, ...]  # one word, or a phrase
    negated: bool = False


def parse(query: str, option: str = "query") -> list[list[Term]]:
    """OR-groups of terms: the query matches when every group has a term that matches (and no negated one does)."""
    groups: list[list[Term]] = [[]]
    pending_or = False
    for m in _TOKEN.finditer(query):
        negated, phrase, bare = m.group(1) == "-", m.group(2), m.group(3)
        if bare is not None:
            if bare == "OR":
                pending_or = bool(groups[-1])
                continue
            negated = bare.startswith("-") and len(bare) > 1
            phrase = bare[1:] if negated else bare
        words = tuple(w.lower() for w in _WORD.findall(phrase or ""))
        if not words:
            continue
        term = Term(words, negated)
        if pending_or and not negated and groups[-1] and not groups[-1][-1].negated:
            groups[-1].append(term)
        else:
            groups.append([term])
        pending_or = False
    groups = [g for g in groups if g]
    if not any(not t.negated for g in groups for t in g):
        raise UsageError(f"{option} {query!r}: needs at least one word to look for (see README: search syntax)")
    return groups


def to_fts5(groups: list[list[Term]]) -> str:
    """An FTS5 MATCH expression for ``parse``'s result."""

    def quoted(term: Term) -> str:
        return '"' + " ".join(term.words).replace('"', '""') + '"'

    positive = []
    negative = []
    for group in groups:
        if group[0].negated:
            negative.append(quoted(group[0]))
        elif len(group) == 1:
            positive.append(quoted(group[0]))
        else:
            positive.append("(" + " OR ".join(quoted(t) for t in group) + ")")
    expression = " AND ".join(positive)
    for term in negative:
        expression += f" NOT {term}"
    return expression
