"""A backfill of one new commit after the hook synced it parses as many files for a project of 30 features as for
one of 3. The merge that stands on the hook's rows (``history.synced``) read where each record's references are
written by parsing every linked spec file at the last synced commit again — 60 parses at 20 features, 600 at 200 —
although the links the syncs and the last backfill wrote hold exactly those lines (the rows' blobs are the
commit's). Now it parses only the files whose indexed blob is not the commit's (none here). Counted as the parse
pool is handed them; git processes and statements stay as they were. SQLite and PostgreSQL; what it writes is the
replay's (``test_backfill_after_hook_syncs_skips_replay``)."""

from __future__ import annotations

from collections.abc import Iterable
from typing import Any

import pytest
from sqlalchemy import text

from conftest import GitRepo, init_repo
from specs import adr
from tracertm import db
from tracertm.engine.parse import ParsePool
from tracertm.engine.sync import sync
from tracertm.history.backfill import backfill

SCENARIOS = 3  # per feature


def _feature(number: int, then: str = "it is paid") -> str:
    body = "".join(f"\n  @SC-{i}\n  Scenario: Pay {number}.{i}\n    Given a cart of {i}\n    Then {then}\n"
                   for i in range(1, SCENARIOS + 1))
    return f"@FEAT-{number} @ADR-0001\nFeature: Checkout {number}\n{body}"


def _parses_of_one_synced_commit(repo: GitRepo, url: str, features: int, monkeypatch: pytest.MonkeyPatch
                                 ) -> tuple[int, int]:
    """The files parsed by a backfill of one commit (a feature edited, its lines moved) that the hook synced, after a
    complete backfill of ``features`` features linked to an ADR; and the line its scenario's link points at."""
    repo.write("docs/adr/0001-use-git.md", adr(1, "Use git"))
    for n in range(1, features + 1):
        repo.write(f"features/checkout-{n}.feature", _feature(n))
    repo.commit("specs")
    assert not backfill(repo.path, database_url=url, project="shop", jobs=1).errors
    repo.write("features/checkout-1.feature", "# paid now\n" + _feature(1, "it is paid at once"))
    repo.commit("pay at once")
    engine = db.make_engine(url)
    parsed = [0]
    original = ParsePool.parse

    def counted(self: ParsePool, jobs_in: Iterable[Any], *args: Any, **kwargs: Any) -> Any:
        work = list(jobs_in)
        parsed[0] += len(work)
        return original(self, work, *args, **kwargs)

    try:
        assert not sync(repo.path, ref="HEAD", engine=engine, project="shop", trigger="hook").errors
        with monkeypatch.context() as m:
            m.setattr(ParsePool, "parse", counted)
            result = backfill(repo.path, engine=engine, project="shop", jobs=1)
        assert (result.mode, result.replayed, result.revisions, result.errors) == ("merged", 0, 0, [])
        with engine.connect() as conn:
            line = conn.execute(text("SELECT source_line FROM links WHERE source_ref = 'FEAT-1/SC-1'")).scalar_one()
    finally:
        engine.dispose()
    return parsed[0], line


def test_a_synced_commit_costs_the_same_parses_whatever_the_project_size(
    git_repo: GitRepo, tmp_path: Any, database_url: str, other_database_url: str, monkeypatch: pytest.MonkeyPatch
) -> None:
    small = _parses_of_one_synced_commit(git_repo, database_url, 3, monkeypatch)
    large = _parses_of_one_synced_commit(init_repo(tmp_path / "large"), other_database_url, 30, monkeypatch)
    assert large == small, (small, large)
    assert small[1] == 2  # the feature's @ADR-0001 tag, one line down (the hook's sync moved it; kept so)
