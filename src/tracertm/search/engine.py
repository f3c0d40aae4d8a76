"""Ranked full-text search with highlighted snippets, and the ``text`` filter of lists.

SQLite: FTS5 ``MATCH`` with ``bm25`` (title weighted 10×) and ``snippet()``. PostgreSQL: a ``tsquery`` of the same
parse (``syntax.to_tsquery``) against the generated ``search_vector`` column, ``ts_rank_cd`` and ``ts_headline``. Both rank higher = better.
"""

from __future__ import annotations

import html
from typing import Any

from sqlalchemy import Text, bindparam, column, func, literal_column, select, table, text
from sqlalchemy.orm import Session
from sqlalchemy.sql.elements import ColumnElement

from tracertm.errors import UsageError
from tracertm.models import Feature, Project
from tracertm.repositories.kinds import KINDS, Kind
from tracertm.search import syntax
from tracertm.search.documents import DOCUMENTS, PG_CONFIG, VECTOR_COLUMN

# A snippet is HTML: the record's text escaped, each matched word in <mark>…</mark>. The databases put two control
# characters around the words instead (no record text holds them), so that the text can be escaped and only the
# marks made tags: a title holding "<script>" or "<mark>" is shown as that text, wherever the snippet is rendered.
MARK_START, MARK_END = "<mark>", "</mark>"
_START, _END = "\x02", "\x03"
MAX_HITS = 100


def match_clause(session: Session, k: Kind, query: str, option: str = "text") -> ColumnElement[bool]:
    """A WHERE clause: rows of ``k`` matching ``query`` (the ``text`` filter of a list)."""
    document = DOCUMENTS[k.name]
    query = query.replace("\x00", " ")  # no database text can hold NUL
    if session.get_bind().dialect.name == "postgresql":
        vector: Any = literal_column(f"{document.table}.{VECTOR_COLUMN}")
        return vector.op("@@")(syntax.to_tsquery(syntax.parse(query, option), PG_CONFIG))  # type: ignore[no-any-return]
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
) -> list[dict[str, Any]]:
    """The best ``limit`` matches across ``kinds`` (default: every searchable kind), best first."""
    limit = max(1, min(limit, MAX_HITS))
    query = query.replace("\x00", " ")  # no database text can hold NUL
    groups = syntax.parse(query, "q")
    postgres = session.get_bind().dialect.name == "postgresql"
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
    hits.sort(key=lambda h: (-h["rank"], h["kind"], h["number"]))
    return hits[:limit]


def _base(k: Kind, project: Project | None, include_deleted: bool) -> tuple[Any, list[Any], list[Any]]:
    """The hit's columns, the FROM clause (the kind's table with its project) and the WHERE conditions."""
    table = k.table
    columns = [
        table.c.id, table.c[k.number].label("number"), table.c[k.title].label("title"), table.c.status,
        Project.name.label("project"),
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
    snippet = func.snippet(fts_name, -1, _START, _END, "…", 16).label("snippet")
    stmt = (
        select(*columns, rank, snippet)
        .select_from(joined.join(fts, fts.c.rowid == literal_column(f"{document.table}.rowid")))
        .where(fts_name.op("MATCH")(bindparam("fts_q", expression)), *where)
        .order_by(rank.desc())
        .limit(limit)
    )
    return [_hit(k, row) for row in session.execute(stmt).mappings()]


def _search_pg(
    session: Session, k: Kind, groups: list[list[syntax.Term]], project: Project | None, limit: int,
    include_deleted: bool,
) -> list[dict[str, Any]]:
    document = DOCUMENTS[k.name]
    tsquery = syntax.to_tsquery(groups, PG_CONFIG)
    vector: Any = literal_column(f"{document.table}.{VECTOR_COLUMN}")
    joined, columns, where = _base(k, project, include_deleted)
    rank = func.ts_rank_cd(vector, tsquery).label("rank")
    # The snippet's text is the record's text as SQLite indexes it, not the JSON of its step/condition lists.
    body: Any = literal_column(document.pg_text(document.table), Text)
    best = (
        select(*columns, rank, body.label("body"))
        .select_from(joined)
        .where(vector.op("@@")(tsquery), *where)
        .order_by(rank.desc())
        .limit(limit)
        .subquery()
    )
    headline = func.ts_headline(
        literal_column(f"'{PG_CONFIG}'"), best.c.body, tsquery,
        f"StartSel={_START}, StopSel={_END}, MaxWords=24, MinWords=8, FragmentDelimiter=…, MaxFragments=2",
    ).label("snippet")
    stmt = select(*[c for c in best.c if c.key != "body"], headline).order_by(best.c.rank.desc())
    return [_hit(k, row) for row in session.execute(stmt).mappings()]


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
        "snippet": highlighted(row["snippet"]),
    }


def highlighted(snippet: str | None) -> str:
    """A database's snippet as HTML: its text escaped, its matched words in ``<mark>``."""
    text = html.escape(snippet or "", quote=False)
    return text.replace(_START, MARK_START).replace(_END, MARK_END)
