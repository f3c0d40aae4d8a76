"""Full-text search on SQLite (FTS5 kept by triggers) and PostgreSQL (generated tsvector): ranking, snippets, the
documented syntax, hostile queries, and an index that moves in the same transaction as the rows."""

from __future__ import annotations

import pytest
from sample import sync_sample

import tracertm
from conftest import GitRepo
from tracertm import db
from tracertm.errors import UsageError
from tracertm.models import ADR
from tracertm.repositories import Projects, Records, kind
from tracertm.schemas.filters import ListFilter
from tracertm.search.engine import search


@pytest.fixture
def synced(git_repo: GitRepo, database_url: str):  # type: ignore[no-untyped-def]
    sync_sample(git_repo, database_url)
    engine = db.make_engine(database_url)
    yield engine
    engine.dispose()


def _ids(hits: list[dict]) -> list[str]:  # type: ignore[type-arg]
    return [(h["feature"] + "/" if h["feature"] else "") + h["number"] for h in hits]


def test_ranked_hits_with_highlighted_snippets(synced) -> None:  # type: ignore[no-untyped-def]
    with db.session(synced) as session:
        hits = search(session, "idempotency key")
        assert hits, "the sample has an ADR and scenarios about idempotency keys"
        assert "ADR-0005" in _ids(hits)
        assert [h["rank"] for h in hits] == sorted((h["rank"] for h in hits), reverse=True)
        assert all("<mark>" in h["snippet"] for h in hits)
        only_adrs = search(session, "idempotency key", kinds=[kind("adrs")])
        assert {h["kind"] for h in only_adrs} == {"adr"}
        # Stemming: "postings" finds "posting"/"posted" forms alike on both backends.
        assert search(session, "posting") and _ids(search(session, "posting")) == _ids(search(session, "postings"))


def test_search_syntax(synced) -> None:  # type: ignore[no-untyped-def]
    with db.session(synced) as session:
        words = set(_ids(search(session, "ledger postings", limit=100)))
        ledger = set(_ids(search(session, "ledger", limit=100)))
        postings = set(_ids(search(session, "postings", limit=100)))
        assert words == ledger & postings
        assert set(_ids(search(session, "ledger OR postings", limit=100))) == ledger | postings
        assert set(_ids(search(session, "ledger -postings", limit=100))) == ledger - postings
        phrase = set(_ids(search(session, '"idempotency key"', limit=100)))
        assert phrase and phrase <= set(_ids(search(session, "idempotency key", limit=100)))
        with pytest.raises(UsageError, match="needs at least one word"):
            search(session, "-ledger")
        # A negated term after OR is "and not" on both databases (PostgreSQL's websearch_to_tsquery read it as "or
        # not", matching nearly everything there).
        assert set(_ids(search(session, "ledger OR -postings", limit=100))) == ledger - postings
        # Common words are left out of every query (PostgreSQL never indexes them): the same hits on both.
        assert set(_ids(search(session, "the ledger", limit=100))) == ledger
        with pytest.raises(UsageError, match="other than common words"):
            search(session, "the OR a")
        project = Projects(session).resolve(None)
        listed = {r.adr_number for r, _ in Records(session, "adr").list(project, ListFilter(text="ledger OR -postings")).rows}
        assert listed == {n for n in ledger - postings if n.startswith("ADR-")}


HOSTILE = ['"', "*", "NEAR(a b)", "title:ledger", "a AND", "OR OR", "'; DROP TABLE adrs; --", "ledger\x00", "^x",
           "(((", "ü", "日本語"]


def test_hostile_queries_are_never_syntax_errors(  # type: ignore[no-untyped-def]
        synced, subtests: pytest.Subtests) -> None:
    # One synced sample for every query (each only reads it), each query its own subtest.
    for query in HOSTILE:
        with subtests.test(query=query), db.session(synced) as session:
            try:
                search(session, query)
            except UsageError as exc:
                assert "needs at least one word" in str(exc)


def test_the_index_moves_with_the_rows_in_one_transaction(synced, git_repo: GitRepo, database_url: str) -> None:  # type: ignore[no-untyped-def]
    with db.session(synced) as session:
        project = Projects(session).resolve(None)
        session.add(ADR(project_id=project.id, adr_number="ADR-0100", title="Quokka habitat", status="proposed",
                        context="Marsupials everywhere."))
        session.flush()
        assert _ids(search(session, "quokka")) == ["ADR-0100"], "visible inside the writing transaction"
        assert _ids(search(session, "marsupials")) == ["ADR-0100"]
        session.rollback()
        assert search(session, "quokka") == [], "gone with the rollback"

    adr_file = next(p for p in sorted((git_repo.path / "docs/adr").glob("0005*.md")))
    adr_file.write_text(adr_file.read_text(encoding="utf-8").replace("dempotency", "mpotency"), encoding="utf-8")
    git_repo.commit("rename")
    tracertm.sync(git_repo.path, database_url=database_url, project="sample", ref="HEAD")
    with db.session(synced) as session:
        assert "ADR-0005" not in _ids(search(session, "idempotency", kinds=[kind("adr")]))
        assert "ADR-0005" in _ids(search(session, "impotency", kinds=[kind("adr")]))
        # Soft-deleted records leave the results unless asked for.
        adr_file.unlink()
        git_repo.commit("remove")
    tracertm.sync(git_repo.path, database_url=database_url, project="sample", ref="HEAD")
    with db.session(synced) as session:
        assert "ADR-0005" not in _ids(search(session, "impotency"))
        assert "ADR-0005" in _ids(search(session, "impotency", include_deleted=True))


def test_the_text_filter_of_lists(synced) -> None:  # type: ignore[no-untyped-def]
    with db.session(synced) as session:
        project = Projects(session).resolve(None)
        listed = [r.adr_number for r, _ in Records(session, "adr").list(project, ListFilter(text="ledger")).rows]
        found = sorted(h["number"] for h in search(session, "ledger", kinds=[kind("adr")], limit=100))
        assert listed == found and listed


def test_the_index_is_complete_at_the_schema_head(synced) -> None:  # type: ignore[no-untyped-def]
    """Guards the migration chain: a later migration that rebuilds a spec table on SQLite (batch mode) drops its
    triggers and renumbers its rowids; it must re-create them (``Document.sqlite_ddl``/``sqlite_rebuild``)."""
    from sqlalchemy import inspect, text

    from tracertm.search.documents import DOCUMENTS, VECTOR_COLUMN

    with synced.connect() as conn:
        for document in DOCUMENTS.values():
            rows = conn.execute(text(f"SELECT count(*) FROM {document.table}")).scalar()
            assert rows, document.table
            if conn.dialect.name == "sqlite":
                triggers = set(conn.execute(text(
                    "SELECT name FROM sqlite_master WHERE type = 'trigger' AND tbl_name = :t"), {"t": document.table}
                ).scalars())
                assert {f"{document.fts_table}_{s}" for s in ("ai", "ad", "au")} <= triggers
                indexed = conn.execute(text(
                    f"SELECT count(*) FROM {document.table} JOIN {document.fts_table} "
                    f"ON {document.fts_table}.rowid = {document.table}.rowid")).scalar()
                assert indexed == rows
            else:
                columns = {c["name"] for c in inspect(conn).get_columns(document.table)}
                assert VECTOR_COLUMN in columns
                assert conn.execute(text(
                    f"SELECT count(*) FROM {document.table} WHERE {VECTOR_COLUMN} IS NULL")).scalar() == 0
