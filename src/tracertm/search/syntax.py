"""The search syntax, the same on SQLite and PostgreSQL (PostgreSQL's ``websearch_to_tsquery`` rules):

- ``idempotency key``  — every word must occur (in any order, anywhere in the record; words are stemmed);
- ``"idempotency key"`` — the words as a phrase;
- ``refund OR chargeback`` — either;
- ``ledger -postgres`` — ``ledger`` but not ``postgres``.

Punctuation is ignored: it separates words ('49.90' is the phrase "49 90"), accents are folded ('cafe'
finds 'Café'), and a number character such as '²' is part of its word ('m²' is neither 'm' nor 'm2'), as SQLite's
unicode61 tokenizer does; PostgreSQL's index folds its text alike (``documents.pg_fold``).
On SQLite the query becomes an FTS5 expression in which every word is quoted, so user text can never be read as
FTS5 syntax; on PostgreSQL a ``tsquery`` built from the same parse (``to_tsquery``:
each term a ``phraseto_tsquery``), so that ``OR`` and ``-`` mean the same on both (``websearch_to_tsquery`` read
``a OR -b`` as "a, or not b"). The common English words PostgreSQL's ``english`` configuration leaves out of its
index (``STOP_WORDS``) are left out of every query, on both: a search for ``the`` is refused on both instead of
finding everything on SQLite and nothing on PostgreSQL. A word is one of them once its accents are folded ('à' is
'a' in both indexes).
"""

from __future__ import annotations

import re
import unicodedata
from dataclasses import dataclass
from typing import Any

from tracertm.errors import UsageError
from tracertm.search.documents import FORMAT_CLASS, unformatted

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


def _combining_marks() -> str:
    """A regular-expression class body of every combining mark (Unicode categories Mn, Mc, Me), as ranges. Beyond
    plane 1 only plane 14's variation selectors are marks: scanning planes 0-1 and those alone takes some 30 ms,
    where every code point took a quarter of a second (paid by every search and list --text)."""
    marks = [c for c in (*range(0x20000), *range(0xE0100, 0xE01F0)) if unicodedata.category(chr(c))[0] == "M"]
    ranges: list[list[int]] = []
    for c in marks:
        if ranges and c == ranges[-1][1] + 1:
            ranges[-1][1] = c
        else:
            ranges.append([c, c])
    return "".join(re.escape(chr(a)) + ("-" + re.escape(chr(b)) if b > a else "") for a, b in ranges)


# A word: letters and digits ('_' and every punctuation mark separate words: '49.90' is the phrase "49 90",
# 'REQ-120' the phrase "req 120", on both databases), with the combining marks that follow its first letter:
# Devanagari and Tamil vowel signs, Arabic harakat, a decomposed accent. PostgreSQL's parser keeps 'हिन्दी' one word,
# so a query split at the marks (the phrase 'ह न द') found nothing there; SQLite's index reads marks as part of a
# word too (index version 3), and FTS5 reads the quoted word as it read the indexed text. Shared with the
# PostgreSQL snippet (engine), which must not cut a word's accent off its mark. A format character
# (``documents.FORMAT``: a soft hyphen, a word joiner) inside a word is part of it too, and dropped from the query's
# word (``parse``), as both indexes drop it.
WORD = re.compile(f"[^\\W_](?:[^\\W_]|[{_combining_marks()}]|{FORMAT_CLASS})*")


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
        words = tuple(unformatted(w).lower() for w in WORD.findall(phrase or ""))
        # Common words at either end of a phrase are left out (PostgreSQL's phraseto_tsquery drops them; SQLite
        # looked for them: '"the ledger"' found "the ledger" there, every "ledger" on PostgreSQL). Inside, they stay
        # (SQLite's phrase holds them; PostgreSQL keeps their places as a distance between the other words).
        while words and _common(words[0]):
            words = words[1:]
        while words and _common(words[-1]):
            words = words[:-1]
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
        raise UsageError(f"{option} {query!r}: needs at least one word to look for, other than common words such as "
                         "'the' (see README: search syntax)")
    return groups


def _common(word: str) -> bool:
    """``word`` (lower case) is a common word once its accents are folded, as both indexes fold them: 'à', 'À' and
    'İ' are the words 'a' and 'i' there. Compared unfolded, such a word stayed in the query: SQLite looked for 'a',
    PostgreSQL (whose index holds no 'a') for nothing, and a PostgreSQL snippet of a term of only such words failed
    (``à OR blanche`` was a server error)."""
    from tracertm.search.documents import fold

    return word in STOP_WORDS or (not word.isascii() and fold(word) in STOP_WORDS)


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

    Each term's words are folded as the indexed text is (``documents.fold``; neither accents nor number characters
    when ``fold_accents`` is false: a database not in UTF8 folds neither). The AND/OR calls nest as balanced trees,
    not as one chain: a chain of 250 terms nested deeper than SQLAlchemy's compiler (recursive) could go, a
    RecursionError."""
    from sqlalchemy import bindparam, case, func, literal_column, or_

    from tracertm.search.documents import fold

    regconfig: Any = literal_column(f"'{config}'::regconfig")
    # A tsquery no document matches: no lexeme of an index holds a space (the parser splits words at spaces).
    nothing: Any = literal_column("$$' '$$::tsquery")

    def term(t: Term) -> Any:
        words = [fold(w) for w in t.words] if fold_accents else list(t.words)
        phrase = func.phraseto_tsquery(regconfig, bindparam(None, " ".join(words), unique=True))
        # A word in which PostgreSQL's parser reads no word (a private-use character, or '½' in a database not in
        # UTF8, whose index keeps no stand-in letter for it: characters SQLite indexes) would drop out of the
        # phrase, and a term of only such words out of the query ('½ payment' finding every "payment"): the
        # term matches nothing instead, as no text PostgreSQL indexed can hold that word. ASCII letters and digits
        # are always a word to it: only the other words are asked (each check costs a call per query and kind).
        doubtful = [w for w in dict.fromkeys(words) if not w.isascii() and w not in STOP_WORDS]
        if not doubtful:
            return phrase
        unreadable = or_(*(func.numnode(func.phraseto_tsquery(regconfig, bindparam(None, w, unique=True))) == 0
                           for w in doubtful))
        return case((unreadable, nothing), else_=phrase)

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
