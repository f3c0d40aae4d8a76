"""``search``'s ``limit`` from the Python API: outside 1..100 it is refused, as ``--limit`` and ``?limit=`` are. It
was clamped without a word: ``limit=0`` (a caller asking for nothing, or a count gone to zero) gave one hit, and
``limit=500`` a hundred."""

from __future__ import annotations

import pytest

from search_adrs import adr_engine
from tracertm import db
from tracertm.errors import UsageError
from tracertm.search.engine import MAX_HITS, search

OKAPIS = [("ADR-0001", "Okapi habitat", "Forest."), ("ADR-0002", "Okapi diet", "Leaves.")]


@pytest.mark.parametrize("limit", [0, -1, MAX_HITS + 1, 500])
def test_a_limit_out_of_range_is_a_usage_error(database_url: str, limit: int) -> None:
    with adr_engine(database_url, OKAPIS) as engine, db.session(engine) as session:
        with pytest.raises(UsageError) as caught:
            search(session, "okapi", limit=limit)
        assert str(caught.value) == f"limit={limit}: give a whole number from 1 to {MAX_HITS}"


@pytest.mark.parametrize("limit", [1, 2, MAX_HITS])
def test_a_limit_in_range_is_how_many_hits_at_most(database_url: str, limit: int) -> None:
    with adr_engine(database_url, OKAPIS) as engine, db.session(engine) as session:
        assert [h["number"] for h in search(session, "okapi", limit=limit)] == ["ADR-0001", "ADR-0002"][:limit]
