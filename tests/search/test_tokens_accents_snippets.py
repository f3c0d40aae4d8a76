"""Search reads words alike on SQLite and PostgreSQL: punctuation separates words and accents are folded (SQLite's
unicode61 tokenizer; PostgreSQL's index through ``documents.pg_fold``, migration 0020); a long query builds its
tsquery without a RecursionError; PostgreSQL's snippet is the record's text, escaped, even where it reads as markup;
the CLI refuses a query over the API's length limit; a wrong status names the kind as people write it."""

from __future__ import annotations

import pytest
from sqlalchemy import text

from search_adrs import adr_engine
from tracertm import db
from tracertm.cli import main
from tracertm.errors import UsageError
from tracertm.models import ADR, Project
from tracertm.repositories import Records, kind
from tracertm.schemas.filters import ListFilter
from tracertm.search.engine import search

PUNCTUATED = ("Every POST /payments/{id}/refunds request is logged. Amount 49.90 EUR, order-1001-attempt-1, "
              "REQ-120, node.js, foo@bar.com, v2.0, 192.168.0.1, http://example.com/path and payment.refunded events.")
ACCENTED = "Le café crème est naïve, dit José: Über-Éclair."
MARKUP = "Pay <amount> in <currency> with <b>bold</b> care."


@pytest.fixture
def records(database_url: str):  # type: ignore[no-untyped-def]
    adrs = [("ADR-0001", "Payments", PUNCTUATED), ("ADR-0002", "Naming", ACCENTED), ("ADR-0003", "Amounts", MARKUP),
            ("ADR-0004", "Other", "nothing й here")]
    with adr_engine(database_url, adrs) as engine:
        yield engine


def _numbers(session, query: str) -> list[str]:  # type: ignore[no-untyped-def]
    return sorted(h["number"] for h in search(session, query, limit=100))


PUNCTUATED_QUERIES = [
    "refunds", "refund", "49.90", '"49 90"', "1001", "REQ-120", "120", "node.js", "node", "js", "foo@bar.com",
    "foo", "v2.0", "192.168.0.1", "example.com", "path", "payment.refunded", "/payments/{id}/refunds",
    "order-1001-attempt-1"]
ACCENTED_QUERIES = ["cafe", "café", "CAFÉ", "creme", "naive", "uber", "jose", "eclair", "Éclair"]


# Every query against one database of each kind (the queries only read it): each query that fails is named.
def test_punctuation_separates_words_on_both_databases(records) -> None:  # type: ignore[no-untyped-def]
    wrong = []
    with db.session(records) as session:
        project = session.query(Project).one()
        for query in PUNCTUATED_QUERIES:
            found = _numbers(session, query)
            listed = [r.adr_number for r, _ in Records(session, "adr").list(project, ListFilter(text=query)).rows]
            if (found, listed) != (["ADR-0001"], ["ADR-0001"]):
                wrong.append((query, found, listed))
    assert wrong == []
    # A phrase of the split words is a phrase: the words out of order do not match.
    with db.session(records) as session:
        assert _numbers(session, '"90 49"') == []


def test_accents_are_folded_on_both_databases(records) -> None:  # type: ignore[no-untyped-def]
    with db.session(records) as session:
        wrong = [(query, found) for query in ACCENTED_QUERIES if (found := _numbers(session, query)) != ["ADR-0002"]]
    assert wrong == []


def test_letters_that_are_not_accented_latin_keep_their_marks(records) -> None:  # type: ignore[no-untyped-def]
    """SQLite folds Latin letters only: 'й' is not 'и' there, nor on PostgreSQL."""
    with db.session(records) as session:
        assert _numbers(session, "й") == ["ADR-0004"]
        assert _numbers(session, "и") == []


def test_a_query_of_hundreds_of_words_is_answered(records) -> None:  # type: ignore[no-untyped-def]
    """240 terms: PostgreSQL's tsquery nested one call per term, deeper than SQLAlchemy's compiler could go."""
    with db.session(records) as session:
        assert _numbers(session, " ".join(["x"] * 240)) == []
        assert _numbers(session, " OR ".join(["refunds"] + [f"w{i}" for i in range(200)])) == ["ADR-0001"]
        assert _numbers(session, "refunds " + " ".join(f"-w{i}" for i in range(200))) == ["ADR-0001"]
        project = session.query(Project).one()
        rows = Records(session, "adr").list(project, ListFilter(text=" ".join(["cafe"] * 99))).rows
        assert [r.adr_number for r, _ in rows] == ["ADR-0002"]


def test_the_snippet_is_the_text_escaped_with_marks(records) -> None:  # type: ignore[no-untyped-def]
    with db.session(records) as session:
        [hit] = search(session, "care")
        assert "Pay &lt;amount&gt; in &lt;currency&gt; with &lt;b&gt;bold&lt;/b&gt; <mark>care</mark>." in (
            hit["snippet"]), hit["snippet"]
        [hit] = search(session, "49.90")
        assert "Amount <mark>49.90</mark> EUR" in hit["snippet"], hit["snippet"]
        [hit] = search(session, "cafe")
        assert "Le <mark>café</mark> crème" in hit["snippet"], hit["snippet"]
        [hit] = search(session, "refund")
        assert "/<mark>refunds</mark> request" in hit["snippet"], hit["snippet"]


def test_the_migration_rebuilds_existing_vectors(empty_database_url: str) -> None:
    """A record written before migration 0020 is found by its split and folded words after it."""
    engine = db.make_engine(empty_database_url)
    try:
        db.upgrade(engine, "0019")
        with engine.begin() as conn:
            conn.execute(text("INSERT INTO projects (id, name) VALUES (:id, 'p')"), {"id": _uuid(conn)})
        with db.session(engine) as session:
            project = session.query(Project).one()
            session.add(ADR(project_id=project.id, adr_number="ADR-0001", title="Café", status="accepted",
                            context=PUNCTUATED))
            session.commit()
        db.upgrade(engine)
        with db.session(engine) as session:
            for query in ("cafe", "49.90", "refunds", "REQ-120"):
                assert _numbers(session, query) == ["ADR-0001"], query
        db.downgrade(engine, "0019")
        if engine.dialect.name == "postgresql":  # version 1 again: '49.90' one token, as before
            with engine.connect() as conn:
                assert conn.execute(text("SELECT count(*) FROM adrs WHERE search_vector @@ "
                                         "to_tsquery('english', '''49.90''')")).scalar() == 1
    finally:
        engine.dispose()


def _uuid(conn) -> str:  # type: ignore[no-untyped-def]
    import uuid

    value = uuid.uuid4()
    return str(value) if conn.dialect.name == "postgresql" else value.hex


def test_the_cli_refuses_a_query_over_500_characters(  # type: ignore[no-untyped-def]
    capsys: pytest.CaptureFixture[str], tmp_path
) -> None:
    url = f"sqlite:///{tmp_path / 'x.db'}"
    assert main(["search", "x" * 501, "--database-url", url]) == 2
    err = capsys.readouterr().err
    assert err.strip().count("\n") == 0 and "QUERY: 501 characters; at most 500" in err, err


@pytest.mark.parametrize(("kind_name", "status", "message"), [
    ("adr", "Accepted", "status 'Accepted': not an ADR status"),
    ("contract", "nope", "status 'nope': not a contract status"),
])
def test_a_wrong_status_names_the_kind(  # type: ignore[no-untyped-def]
    records, kind_name: str, status: str, message: str
) -> None:
    with db.session(records) as session:
        project = session.query(Project).one()
        with pytest.raises(UsageError, match=message):
            Records(session, kind(kind_name).name).list(project, ListFilter(status=[status]))
