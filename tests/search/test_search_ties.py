"""Hits of equal rank come in one total order — number, project, feature, id — in the database's query and in the
merge of kinds alike: the web view's page N is the slice of the best ``N × PAGE_SIZE``, so a tie that the query
broke one way at one limit and another way at the next put a record on two pages and another on none (found when
PostgreSQL test databases began to be reused: rows stored out of number order)."""

from __future__ import annotations

from conftest import GitRepo
from tracertm import db
from tracertm.engine.sync import sync
from tracertm.search.engine import search

TIES = 12


def _adr(number: int) -> str:
    return f"---\nid: {number}\n---\n# Tie {number}\n\nDate: 2024-01-01\n\n## Status\n\nAccepted\n\n## Context\n\nThe okapi rule.\n"


def test_every_limit_keeps_the_best_of_one_order(git_repo: GitRepo, database_url: str) -> None:
    # Files named against their numbers: the rows are stored in the reverse of the order ties are ranked in.
    for n in range(1, TIES + 1):
        git_repo.write(f"docs/adr/{chr(ord('a') + TIES - n)}-tie.md", _adr(n))
    git_repo.commit("ties")
    assert not sync(git_repo.path, database_url=database_url).errors
    engine = db.make_engine(database_url)
    try:
        with db.session(engine) as session:
            every = search(session, "okapi", limit=TIES)
            assert [h["number"] for h in every] == sorted(h["number"] for h in every)
            assert len({h["rank"] for h in every}) == 1 and len(every) == TIES
            for limit in range(1, TIES):
                assert search(session, "okapi", limit=limit) == every[:limit], limit
            pages = [h for first in range(0, TIES, 5) for h in search(session, "okapi", limit=first + 5)[first:]]
            assert pages == every
    finally:
        engine.dispose()
