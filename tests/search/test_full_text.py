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


def test_title_hits_come_first_across_kinds_on_both_databases(synced) -> None:  # type: ignore[no-untyped-def]
    """A hit whose title matches outranks one whose title does not, whatever the kinds, then the engine's score:
    bm25 scores tables of other lengths on other scales, and on SQLite the ADRs titled "…ledger…" came after a
    feature and scenarios that held "ledger" in their text only (PostgreSQL put them first). The best five are the
    records titled with the word, on both databases."""
    with db.session(synced) as session:
        hits = search(session, "ledger", limit=20)
        titled = [h for h in hits if "ledger" in h["title"].lower()]
        assert {h["kind"] for h in titled} == {"adr", "contract", "feature", "scenario"} and len(hits) > len(titled)
        assert hits[:len(titled)] == titled
        assert set(_ids(search(session, "ledger", limit=5))) == {"ADR-0003", "ADR-0006", "CTR-0002", "FEAT-3",
                                                                  "FEAT-6/SC-14"}
        for group in (titled, hits[len(titled):]):
            assert [h["rank"] for h in group] == sorted((h["rank"] for h in group), reverse=True)
        # The title alone matches the whole query, a phrase and an exclusion included.
        both = search(session, '"balanced ledger" OR "ledger database" OR postings', limit=2)
        assert set(_ids(both)) == {"CTR-0002", "FEAT-3"}


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



RULED = ("Feature: f\n  Rule: r\n    Refunds of wombats are capped\n    Scenario Outline: s\n      Given a <x>\n\n"
         "      Examples:\n        Platypus amounts first\n        | x |\n        | 1 |\n")


def test_a_rules_and_an_examples_description_find_their_scenario(git_repo: GitRepo, database_url: str) -> None:
    """A word only in a scenario's Rule description or an Examples block's description finds the scenario (search,
    its snippet and a list's text filter), and an edit of either moves the index (search read neither)."""
    git_repo.write("features/a.feature", RULED)
    git_repo.commit("ruled")
    assert tracertm.sync(git_repo.path, database_url=database_url).errors == []
    engine = db.make_engine(database_url)
    try:
        with db.session(engine) as session:
            project = Projects(session).resolve(None)
            for word in ("wombats", "platypus"):
                hits = search(session, word)
                assert _ids(hits) == ["a/s"] and f"<mark>{word}</mark>" in hits[0]["snippet"].lower(), (word, hits)
                listed = Records(session, "scenario").list(project, ListFilter(text=word)).rows
                assert [r.scenario_number for r, _ in listed] == ["s"], word
        git_repo.write("features/a.feature", RULED.replace("wombats", "numbats").replace("Platypus", "Echidna"))
        git_repo.commit("edited")
        tracertm.sync(git_repo.path, database_url=database_url)
        with db.session(engine) as session:
            found = [_ids(search(session, word)) for word in ("wombats", "platypus", "numbats", "echidna")]
            assert found == [[], [], ["a/s"], ["a/s"]]
    finally:
        engine.dispose()


def test_the_migration_indexes_existing_scenarios(empty_database_url: str) -> None:
    """Scenarios written before migration 0041 are found by their Rule's and Examples' descriptions after it, and
    those written after it too; its downgrade reads neither again (a scenario written after it is found by its
    title only)."""
    from tracertm.models import Feature, Project, Scenario

    engine = db.make_engine(empty_database_url)

    def add(number: str, rule: str, examples: str) -> None:
        with db.session(engine) as session:
            feature = session.query(Feature).one()
            session.add(Scenario(feature_id=feature.id, scenario_number=number, title=number,
                                 metadata_={"rule_description": f"Rule of {rule}"},
                                 examples=[{"description": f"Examples of {examples}", "rows": []}]))
            session.commit()

    def found(word: str) -> list[str]:
        with db.session(engine) as session:
            return sorted(h["number"] for h in search(session, word, limit=100))

    try:
        db.upgrade(engine, "0040")
        with db.session(engine) as session:
            project = Project(name="p")
            session.add(project)
            session.flush()
            session.add(Feature(project_id=project.id, feature_number="F", name="f"))
            session.commit()
        add("S1", "wombats", "platypus")
        db.upgrade(engine)
        add("S2", "wombats", "platypus")
        assert (found("wombats"), found("platypus")) == (["S1", "S2"], ["S1", "S2"])
        db.downgrade(engine, "0040")
        add("S3", "numbats", "echidnas")
        assert (found("wombats"), found("platypus"), found("numbats"), found("echidnas")) == ([], [], [], [])
        assert found("S3") == ["S3"]
    finally:
        engine.dispose()
