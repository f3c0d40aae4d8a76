"""The search syntax, the same on SQLite and PostgreSQL (PostgreSQL's ``websearch_to_tsquery`` rules):

- ``idempotency key``  — every word must occur (in any order, anywhere in the record; words are stemmed);
- ``"idempotency key"`` — the words as a phrase;
- ``refund OR chargeback`` — either;
- ``ledger -postgres`` — ``ledger`` but not ``postgres``.

Punctuation is ignored: it separates words ('49.90' is the phrase "49 90"), and accents are folded ('cafe'
finds 'Café'), as SQLite's unicode61 tokenizer does; PostgreSQL's index folds its text alike (``documents.pg_fold``).
On SQLite the query becomes an FTS5 expression in which every word is quoted, so user text can never be read as
FTS5 syntax; on PostgreSQL a ``tsquery`` built from the same parse (``to_tsquery``:
each term a ``phraseto_tsquery``), so that ``OR`` and ``-`` mean the same on both (``websearch_to_tsquery`` read
``a OR -b`` as "a, or not b"). The common English words PostgreSQL's ``english`` configuration leaves out of its
index (``STOP_WORDS``) are left out of every query, on both: a search for ``the`` is refused on both instead of
finding everything on SQLite and nothing on PostgreSQL.
"""

from __future__ import annotations

import re
from dataclasses import dataclass
from typing import Any

from tracertm.errors import UsageError

# PostgreSQL's ``english`` stop words (``tsearch_data/english.stop``, from the Snowball project): never indexed there.
STOP_WORDS = frozenset(
    "i me my myself we our ours ourselves you your yours yourself yourselves he him his himself she her hers herself "
    "it its itself they them their theirs themselves what which who whom this that these those am is are was were be "
    "been being have has had having do does did doing a an the and but if or because as until while of at by for "
    "with about against between into through during before after above below to from up down in out on off over "
    "under again further then once here there when where why how all any both each few more most other some such no "
    "nor not only own same so than too very s t can will just don should now".split()
)

# The longest query the API (``q``, ``text``) and the CLI (``search``, ``list --text``) accept, in characters.
MAX_QUERY_LENGTH = 500

_TOKEN = re.compile(r'(-?)"([^"]*)"?|(\S+)')
# A word: letters and digits, as SQLite's unicode61 tokenizer reads them ('_' and every punctuation mark separate
# words: '49.90' is the phrase "49 90", 'REQ-120' the phrase "req 120", on both databases).
_WORD = re.compile(r"[^\W_]+", re.UNICODE)


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
        if not words or all(w in STOP_WORDS for w in words):
            continue
        term = Term(words, negated)
        if pending_or and not negated and groups[-1] and not groups[-1][-1].negated:
            groups[-1].append(term)
        else:
            groups.append([term])
        pending_or = False
    groups = [g for g in groups if g]
    if not any(not t.negated for g in groups for t in g):
        raise UsageError(f"{option} {query!r}: needs at least one word to look for, other than common words such as "
                         "'the' (see README: search syntax)")
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


def to_tsquery(groups: list[list[Term]], config: str, *, fold_accents: bool = True) -> Any:
    """A PostgreSQL ``tsquery`` expression for ``parse``'s result (``config``: the text search configuration), with
    the meaning ``to_fts5`` gives it: groups AND-ed, the terms of a group OR-ed, a negated group AND NOT.

    Each term's words are folded as the indexed text is (``documents.fold``; not accents when ``fold_accents`` is
    false: a database not in UTF8 does not fold them). The AND/OR calls nest as balanced trees, not as one chain: a
    chain of 250 terms nested deeper than SQLAlchemy's compiler (recursive) could go, a RecursionError."""
    from sqlalchemy import bindparam, func, literal_column

    from tracertm.search.documents import fold

    regconfig: Any = literal_column(f"'{config}'::regconfig")

    def term(t: Term) -> Any:
        words = [fold(w) for w in t.words] if fold_accents else list(t.words)
        return func.phraseto_tsquery(regconfig, bindparam(None, " ".join(words), unique=True))

    positive = [g for g in groups if not g[0].negated]
    negative = [g[0] for g in groups if g[0].negated]
    query = _balanced(func.tsquery_and, [_balanced(func.tsquery_or, [term(t) for t in g]) for g in positive])
    if negative:  # "and not any of them": NOT (n1 OR n2 ...)
        query = func.tsquery_and(query, func.tsquery_not(_balanced(func.tsquery_or, [term(t) for t in negative])))
    return query


def _balanced(combine: Any, parts: list[Any]) -> Any:
    """``combine`` (a two-argument SQL function) over ``parts`` as a balanced tree: depth log2(n), not n."""
    while len(parts) > 1:
        parts = [combine(parts[i], parts[i + 1]) if i + 1 < len(parts) else parts[i] for i in range(0, len(parts), 2)]
    return parts[0]
