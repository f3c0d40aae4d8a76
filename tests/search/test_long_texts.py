"""A record whose text is more than a PostgreSQL tsvector holds (1 MB of words and positions: an ADR with a large
image embedded as base64, random words between its '/' and '+') is synced on both databases. PostgreSQL refused the
row ("string is too long for tsvector"), and with it the whole sync, nothing written; SQLite indexed it. Since vector
version 4 (migration 0034) PostgreSQL indexes the first ``PG_TITLE_CHARS`` and ``PG_BODY_CHARS`` characters of the
title and the body; the rest is searched on SQLite only. A real repository and real databases."""

from __future__ import annotations

import base64
import random

from specs import adr

from conftest import GitRepo
from tracertm import db
from tracertm.engine.sync import sync
from tracertm.search.documents import PG_BODY_CHARS
from tracertm.search.engine import search


def test_a_text_longer_than_a_tsvector_holds_is_synced_and_searched(git_repo: GitRepo, database_url: str) -> None:
    image = base64.b64encode(random.Random(7).randbytes(1_200_000)).decode()
    assert len(image) > PG_BODY_CHARS  # past the bound, and (its words) more than 1 MB of a tsvector
    git_repo.write("docs/adr/0001-diagram.md", adr(1, "Numbat diagram", decision=f"![d](data:image/png;base64,{image})"
                                                   "\n\nThe okapi closes the text."))
    git_repo.write("docs/adr/0002-other.md", adr(2, "Wombat burrows"))
    git_repo.commit("a long ADR")
    result = sync(git_repo.path, database_url=database_url, project="p")
    assert not result.errors and result.counts["adr"]["created"] == 2, (result.errors, result.counts)
    engine = db.make_engine(database_url)
    try:
        with db.session(engine) as session:
            def found(query: str) -> list[str]:
                return sorted(h["number"] for h in search(session, query))

            assert (found("numbat"), found("wombat")) == (["ADR-0001"], ["ADR-0002"])
            assert found('"numbat diagram" decide') == ["ADR-0001"]  # the title and the context, before the cut
            sqlite = engine.dialect.name == "sqlite"
            assert found("okapi") == (["ADR-0001"] if sqlite else [])
    finally:
        engine.dispose()
