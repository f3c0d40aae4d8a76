"""Ranked full-text search with highlighted snippets, and the ``text`` filter of lists.

SQLite: FTS5 ``MATCH`` with ``bm25`` (title weighted 10×) and ``snippet()``. PostgreSQL: a ``tsquery`` of the same
parse (``syntax.to_tsquery``) against the generated ``search_vector`` column, ``ts_rank_cd``, and a snippet cut here
(``_snippet``) from the record's text. Both rank higher = better, after what they agree on: a hit whose title alone
matches the query comes before one whose title does not (``TITLE_MATCH``), whatever the kinds.
"""

from __future__ import annotations

import bisect
import html
import re
from typing import Any

from sqlalchemy import String, Text, bindparam, column, func, literal_column, select, table, text
from sqlalchemy.orm import Session
from sqlalchemy.sql.elements import ColumnElement

from tracertm.errors import UsageError
from tracertm.models import Feature, Project
from tracertm.repositories.kinds import KINDS, Kind
from tracertm.search import syntax
from tracertm.search.documents import DOCUMENTS, PG_CONFIG, VECTOR_COLUMN, fold, unformatted

# A snippet is HTML: the record's text escaped, each matched word in <mark>…</mark>. The databases put two control
# characters around the words instead, so that the text can be escaped and only the marks made tags: a title
# holding "<script>" or "<mark>" is shown as that text, wherever the snippet is rendered. A record's text may hold
# those characters too (a file can): they are taken out of it first (``_unmarked``, ``_sqlite_snippet``), so that
# only the search's own marks become tags.
MARK_START, MARK_END = "<mark>", "</mark>"
_START, _END = "\x02", "\x03"
MAX_HITS = 100
# Whether the hit's title alone matches the query: the first key of the hits' order. The engines' scores weigh a
# title match more within one table only: bm25's scores of a short table (ADRs) and a long one (scenarios) are of
# other scales, and an ADR titled with the word came after scenarios that had it in their steps, on SQLite only.
TITLE_MATCH = "title_match"


def match_clause(session: Session, k: Kind, query: str, option: str = "text") -> ColumnElement[bool]:
    """A WHERE clause: rows of ``k`` matching ``query`` (the ``text`` filter of a list)."""
    document = DOCUMENTS[k.name]
    query = query.replace("\x00", " ")  # no database text can hold NUL
    if session.get_bind().dialect.name == "postgresql":
        vector: Any = literal_column(f"{document.table}.{VECTOR_COLUMN}")
        tsquery = syntax.to_tsquery(syntax.parse(query, option), PG_CONFIG, fold_accents=_utf8(session))
        return vector.op("@@")(tsquery)  # type: ignore[no-any-return]
    expression = syntax.to_fts5(syntax.parse(query, option))
    fts = document.fts_table
    inner = text(f"SELECT rowid FROM {fts} WHERE {fts} MATCH :fts_q").bindparams(fts_q=expression)
    return literal_column(f"{document.table}.rowid").in_(inner)


def search(
    session: Session,
    query: str,
    *,
    kinds: list[Kind] | None = None,
    project: Project | None = None,
    limit: int = 20,
    include_deleted: bool = False,
    option: str = "q",
) -> list[dict[str, Any]]:
    """The best ``limit`` matches across ``kinds`` (default: every searchable kind), best first. ``option`` names
    the query where a usage error about it names it (the API's ``q``, the command line's ``QUERY``). A ``limit``
    outside 1..``MAX_HITS`` is a ``UsageError``, as the command line's ``--limit`` and the API's ``limit`` are."""
    # Refused, not clamped: a library caller's limit=0 got one hit and limit=500 a hundred, with nothing said.
    if isinstance(limit, bool) or not isinstance(limit, int) or not 1 <= limit <= MAX_HITS:
        raise UsageError(f"limit={limit!r}: give a whole number from 1 to {MAX_HITS}")
    query = query.replace("\x00", " ")  # no database text can hold NUL
    groups = syntax.parse(query, option)
    postgres = session.get_bind().dialect.name == "postgresql"
    # Each kind once: a kind named twice (``--kind adrs,adr``, ``?kind=adrs&kind=adrs``) listed each hit twice.
    kinds = list(dict.fromkeys(kinds or []))
    if kinds and not any(k.searchable for k in kinds):
        raise UsageError(f"kind: {', '.join(k.plural for k in kinds)} are not indexed for full-text search; "
                         "search adrs, contracts, features or scenarios")
    hits: list[dict[str, Any]] = []
    for k in kinds or [k for k in KINDS.values() if k.searchable]:
        if not k.searchable:
            continue
        hits += _search_pg(session, k, groups, project, limit, include_deleted) if postgres else _search_sqlite(
            session, k, syntax.to_fts5(groups), project, limit, include_deleted
        )
    hits.sort(key=_order)
    for hit in hits:
        del hit[TITLE_MATCH]  # the order's, not the hit's (the API's and the CLI's hits have no such field)
    return hits[:limit]


def _order(hit: dict[str, Any]) -> tuple[Any, ...]:
    """Best first: title matches first (``TITLE_MATCH``), then by rank; ties in the order each kind's query gives
    them (``_ties``): a page of results is the slice of the best ``first + PAGE_SIZE`` (web.pages), so the rows a
    query keeps at its limit must be the ones this order puts first, or ties at the limit would fall on no page or
    on two."""
    return (not hit[TITLE_MATCH], -hit["rank"], hit["kind"], hit["number"], hit["project"], hit["feature"] or "",
            hit["id"])


def _ties(k: Kind, postgres: bool) -> list[Any]:
    """What orders a kind's hits of equal rank, as ``_order`` does: number, project, feature, id — text in code
    point order (PostgreSQL's "C" collation; SQLite compares bytes), a UUID by its bytes."""
    keys: list[Any] = [k.table.c[k.number], Project.name]
    if k.name == "scenario":
        keys.append(Feature.feature_number)
    keys = [key.collate("C") if postgres and isinstance(key.type, String) else key for key in keys]
    return [*keys, k.table.c.id]


def _base(k: Kind, project: Project | None, include_deleted: bool) -> tuple[Any, list[Any], list[Any]]:
    """The hit's columns, the FROM clause (the kind's table with its project) and the WHERE conditions."""
    table = k.table
    columns = [
        table.c.id, table.c[k.number].label("number"), table.c[k.title].label("title"), table.c.status,
        Project.name.label("project"), table.c.deleted_at,
    ]
    if k.name == "scenario":
        columns.append(Feature.feature_number.label("feature"))
        joined = table.join(Feature.__table__, table.c.feature_id == Feature.id).join(
            Project.__table__, Feature.project_id == Project.id
        )
        owner = Feature.project_id
    else:
        joined = table.join(Project.__table__, table.c.project_id == Project.id)
        owner = table.c.project_id
    where: list[Any] = []
    if project is not None:
        where.append(owner == project.id)
    if not include_deleted:
        where.append(table.c.deleted_at.is_(None))
        if k.name == "scenario":
            where.append(Feature.deleted_at.is_(None))
    return joined, columns, where


def _search_sqlite(
    session: Session, k: Kind, expression: str, project: Project | None, limit: int, include_deleted: bool
) -> list[dict[str, Any]]:
    document = DOCUMENTS[k.name]
    fts = table(document.fts_table, column("rowid"))
    fts_name: Any = literal_column(document.fts_table)  # FTS5's auxiliary functions take the table itself
    joined, columns, where = _base(k, project, include_deleted)
    # bm25 is lower-is-better; negate so that every backend ranks higher = better.
    rank = (-func.bm25(fts_name, 10.0, 1.0)).label("rank")
    # The title alone matches: the same expression with FTS5's column filter ("title : (...)" holds its NOT too);
    # one more look-up in the index per query and kind, the rowids it gives read once.
    titled = text(f"SELECT rowid FROM {document.fts_table} WHERE {document.fts_table} MATCH :fts_title_q")
    title_match = literal_column(f"{document.table}.rowid").in_(
        titled.bindparams(fts_title_q=f"{{title}} : ({expression})")).label(TITLE_MATCH)
    snippet = func.snippet(fts_name, -1, _START, _END, "…", 16).label("snippet")
    # The same fragment without marks: what the record's text holds there, its own \x02/\x03 included.
    plain = func.snippet(fts_name, -1, "", "", "…", 16).label("plain")
    stmt = (
        select(*columns, rank, title_match, snippet, plain)
        .select_from(joined.join(fts, fts.c.rowid == literal_column(f"{document.table}.rowid")))
        .where(fts_name.op("MATCH")(bindparam("fts_q", expression)), *where)
        .order_by(title_match.desc(), rank.desc(), *_ties(k, False))
        .limit(limit)
        # _base filters deleted rows itself: the session's default filter would hide a deleted feature, and with
        # it every scenario of it, from a search that includes deleted records.
        .execution_options(include_deleted=True)
    )
    rows = [dict(row) for row in session.execute(stmt).mappings()]
    for row in rows:
        # Without the spaces the body's joins leave at its ends (an empty description or decision: " Given …",
        # "Forest rules.  "), as PostgreSQL's snippet (_fragment) has none.
        row["snippet"] = _sqlite_snippet(row["snippet"] or "", row.pop("plain") or "").strip()
    return [_hit(k, row) for row in rows]


def _unmarked(text: str) -> str:
    """``text`` without the marker characters (each a space: they separate words, as both databases index them)."""
    return text.replace(_START, " ").replace(_END, " ")


def _sqlite_snippet(marked: str, plain: str) -> str:
    """SQLite's snippet with only its own marks: ``marked`` is ``plain`` (the same fragment, as the text has it)
    with the marks inserted, so whatever ``marked`` holds beyond ``plain`` is a mark, and every marker character
    of ``plain`` is the record's own (replaced, ``_unmarked``). Where a mark stands beside the same character of the
    text either may be taken for the mark: the result is the same."""
    out: list[str] = []
    j = 0
    for char in marked:
        if j < len(plain) and char == plain[j]:
            out.append(_unmarked(char))
            j += 1
        else:
            out.append(char)  # inserted by snippet(): only ever _START or _END
    return "".join(out)


def _search_pg(
    session: Session, k: Kind, groups: list[list[syntax.Term]], project: Project | None, limit: int,
    include_deleted: bool,
) -> list[dict[str, Any]]:
    document = DOCUMENTS[k.name]
    utf8 = _utf8(session)
    tsquery = syntax.to_tsquery(groups, PG_CONFIG, fold_accents=utf8)
    vector: Any = literal_column(f"{document.table}.{VECTOR_COLUMN}")
    joined, columns, where = _base(k, project, include_deleted)
    rank = func.ts_rank_cd(vector, tsquery).label("rank")
    # The title alone matches: the vector's title words (weight A) only, positions kept for phrases.
    title_match = func.ts_filter(vector, literal_column("'{a}'::\"char\"[]")).op("@@")(tsquery).label(TITLE_MATCH)
    # The snippet's text is the record's text as SQLite indexes it, not the JSON of its step/condition lists.
    body: Any = literal_column(document.pg_text(document.table), Text)
    stmt = (
        select(*columns, rank, title_match, body.label("body"))
        .select_from(joined)
        .where(vector.op("@@")(tsquery), *where)
        .order_by(title_match.desc(), rank.desc(), *_ties(k, True))
        .limit(limit)
        .execution_options(include_deleted=True)  # as in _search_sqlite
    )
    rows = [{**row, "body": _unmarked(row["body"] or "")} for row in session.execute(stmt).mappings()]
    terms = list(dict.fromkeys(tuple(_folded(w, utf8) for w in t.words) for g in groups for t in g if not t.negated))
    matches = _matcher(session, [w for t in terms for w in t], [row["body"] or "" for row in rows], utf8)
    for row in rows:
        row["snippet"] = _snippet(row.pop("body") or "", terms, matches, utf8)
    return [_hit(k, row) for row in rows]


# PostgreSQL's snippet is cut here, not by ts_headline: ts_headline parses the raw text, in which '49.90' or 'Café'
# are not the words the folded index matched (no mark), and it drops whatever reads as a markup tag ("Pay <amount>"
# showed as "Pay  "), where the snippet must be the record's text, escaped. A window of SNIPPET_WORDS words around
# the most matched words, as SQLite's snippet() (16 tokens), and a second one for matches the first
# leaves out (as ts_headline did).
SNIPPET_WORDS = 16
SNIPPET_FRAGMENTS = 2  # as ts_headline's MaxFragments was
_SNIPPET_WORD = syntax.WORD  # a word and its combining marks, as the query reads it


def _folded(word: str, utf8: bool) -> str:
    """A word as PostgreSQL's index reads it (lower case, no format characters; accents folded on a UTF8
    database)."""
    return fold(word.lower()) if utf8 else unformatted(word.lower())


def _matcher(session: Session, query_words: list[str], texts: list[str], utf8: bool) -> dict[str, set[str]]:
    """The (folded, lower-case) words of ``texts`` that share a lexeme with a query word, each with the query words
    it shares one with: one round trip, in which PostgreSQL stems each candidate word as its index does. A candidate
    shares its first letter with a query word (Snowball's English stemmer changes endings only, so a word and its
    stem begin alike)."""
    wanted = {w for w in query_words if w not in syntax.STOP_WORDS}
    initials = {w[0] for w in wanted}
    candidates = {
        w for body in texts for w in (_folded(m.group(), utf8) for m in _SNIPPET_WORD.finditer(body))
        if w[0] in initials
    }
    if not wanted or not candidates:
        return {}
    rows = session.execute(
        text("SELECT w, tsvector_to_array(to_tsvector(CAST(:config AS regconfig), w)) FROM unnest(CAST(:words AS "
             "text[])) AS w"),
        {"config": PG_CONFIG, "words": sorted(wanted | candidates)},
    ).all()
    lexemes = {w: set(ls or ()) for w, ls in rows}
    found = {w: {q for q in wanted if lexemes.get(w, set()) & lexemes.get(q, set())} for w in candidates}
    return {w: qs for w, qs in found.items() if qs}


def _phrase_hits(words: list[str], terms: list[tuple[str, ...]], matches: dict[str, set[str]]) -> dict[int, int]:
    """The positions of ``words`` (a text's folded words) where a term occurs, as the index matched it: a word alone,
    or a phrase's words in a row ('v1.2' marks 'v1' and '2' of "v1.2", not the 'v1' of "v1.10" nor a '2' elsewhere,
    as SQLite's snippet marks them). A common word inside a phrase, which PostgreSQL does not index, is any word
    there, as its phrase query has it (a distance). Each position maps to the last position of the occurrence it is
    part of: an occurrence is one mark, from its first word to its last, as SQLite marks a phrase."""
    positions: dict[str, list[int]] = {}
    for i, word in enumerate(words):
        for q in matches.get(word, ()):
            positions.setdefault(q, []).append(i)
    out: dict[int, int] = {}
    for term in terms:
        slots = [j for j, w in enumerate(term) if w in positions]
        if len(slots) < len([w for w in term if w not in syntax.STOP_WORDS]):
            continue  # a word of it occurs nowhere in this text
        for p in positions[term[slots[0]]]:
            start = p - slots[0]
            if start + len(term) <= len(words) and all(term[j] in matches.get(words[start + j], ()) for j in slots):
                last = start + slots[-1]
                for j in slots:
                    out[start + j] = max(out.get(start + j, last), last)
    return out


def _snippet(body: str, terms: list[tuple[str, ...]], matches: dict[str, set[str]], utf8: bool) -> str:
    """``body``'s best windows of words (at most SNIPPET_FRAGMENTS, in text order, joined by "…"), the words where
    the query's terms occur (``_phrase_hits``) between the mark characters (see :func:`highlighted`)."""
    tokens = list(_SNIPPET_WORD.finditer(body))
    if not tokens:
        return body
    occurrences = _phrase_hits([_folded(m.group(), utf8) for m in tokens], terms, matches)
    marked = sorted(occurrences)
    size = min(SNIPPET_WORDS, len(tokens))
    starts: list[int] = []
    left = marked
    while left and len(starts) < SNIPPET_FRAGMENTS:
        # The window holding the most matches not shown yet; then centred on them as far as the text allows.
        best = max(range(len(left)), key=lambda i: (bisect.bisect_left(left, left[i] + size) - i, -i))
        first, last = left[best], left[bisect.bisect_left(left, left[best] + size) - 1]
        start = max(0, min(first - (size - (last - first + 1)) // 2, len(tokens) - size))
        for other in starts:  # next to a window shown, not over it (its matches are all outside it)
            if abs(start - other) < size:
                start = other + size if first >= other + size else max(0, other - size)
        starts.append(start)
        left = [j for j in left if not start <= j < start + size]
    spans: list[list[int]] = []  # [first token, last token]; windows that touch make one fragment
    for start in sorted(starts or [0]):
        end_token = min(start + size, len(tokens)) - 1
        if spans and start <= spans[-1][1] + 1:
            spans[-1][1] = max(spans[-1][1], end_token)
        elif start < len(tokens):
            spans.append([start, end_token])
    fragments = [_fragment(body, tokens, occurrences, first, last) for first, last in spans]
    return ("…" if spans[0][0] else "") + "…".join(fragments) + ("…" if spans[-1][1] < len(tokens) - 1 else "")


def _fragment(body: str, tokens: list[re.Match[str]], hits: dict[int, int], start: int, end_token: int) -> str:
    """The text from token ``start`` to token ``end_token`` (to the end of the text if that is the last token), each
    occurrence of a term in ``hits`` (its first token → its last) one mark."""
    begin = 0 if start == 0 else tokens[start].start()
    end = len(body) if end_token == len(tokens) - 1 else tokens[end_token].end()
    out, at, i = [], begin, start
    while i <= end_token:
        if i not in hits:
            i += 1
            continue
        # A phrase's occurrence ('49.90', "idempotency key") is one mark, as SQLite marks it; where the window
        # ends inside it, the mark ends there too.
        last, j = hits[i], i + 1
        while j <= last:  # occurrences that overlap this one make one mark with it
            last, j = max(last, hits.get(j, last)), j + 1
        last = min(last, end_token)
        out += [body[at:tokens[i].start()], _START, body[tokens[i].start():tokens[last].end()], _END]
        at, i = tokens[last].end(), last + 1
    out.append(body[at:end])
    return "".join(out).strip()


def _utf8(session: Session) -> bool:
    """The PostgreSQL database's encoding is UTF8: its index folds accents (migration 0020) and number characters
    (0028) then only, and the query must fold them alike. Read from the connection's parameters (sent at connect
    time), not by a query."""
    info = getattr(session.connection().connection.driver_connection, "info", None)
    encoding = info.parameter_status("server_encoding") if info is not None else None
    return encoding in (None, "UTF8")


def _hit(k: Kind, row: Any) -> dict[str, Any]:
    status = row["status"]
    return {
        "kind": k.name,
        "id": row["id"],
        "number": row["number"],
        "feature": row.get("feature"),
        "project": row["project"],
        "title": row["title"],
        "status": status.value if hasattr(status, "value") else str(status),
        "rank": float(row["rank"] or 0.0),
        TITLE_MATCH: bool(row[TITLE_MATCH]),
        "snippet": highlighted(row["snippet"]),
        # With deleted records included a hit must say it is one, as a list's record does (its ``deleted_at``).
        "deleted_at": row["deleted_at"],
    }


def highlighted(snippet: str | None) -> str:
    """A database's snippet as HTML: its text escaped, its matched words in ``<mark>``."""
    text = html.escape(snippet or "", quote=False)
    return text.replace(_START, MARK_START).replace(_END, MARK_END)
