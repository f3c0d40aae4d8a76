"""A backfill of one new commit after a complete backfill sends the database as many statements for a project of 30
scenarios as for one of 300. The link rebuild that ends every backfill (``links.rebuild``) made its step and test
links follow each scenario's path and id with one guarded ``UPDATE`` per live scenario of the project (sent as one
``executemany``, run by the database row by row) — 2,000 statements for a one-file commit of a project of 2,000
scenarios, none of which changed a row. Now only the scenarios whose links name another path or id are updated.
Counted as the database runs them: a statement of ``executemany`` once per parameter set. SQLite and PostgreSQL."""

from __future__ import annotations

from typing import Any

from sqlalchemy import event

from conftest import GitRepo, init_repo
from specs import adr
from tracertm import db
from tracertm.history.backfill import backfill

SCENARIOS = 10  # per feature


def _feature(number: int) -> str:
    body = "".join(f"\n  @SC-{i}\n  Scenario: Pay {number}.{i}\n    Given a cart of {i}\n    Then it is paid\n"
                   for i in range(1, SCENARIOS + 1))
    return f"@FEAT-{number} @ADR-0001\nFeature: Checkout {number}\n{body}"


def _statements_of_one_new_commit(repo: GitRepo, url: str, features: int) -> int:
    """The statements of a backfill of one commit (an ADR no record refers to, edited) after a complete backfill of
    a project of ``features`` features, each of ``SCENARIOS`` scenarios linked to another ADR. (An edit of the ADR
    they refer to moves the target version of each of their links: a cost that follows what changed.)"""
    repo.write("docs/adr/0001-use-git.md", adr(1, "Use git"))
    repo.write("docs/adr/0002-use-queues.md", adr(2, "Use queues"))
    for n in range(1, features + 1):
        repo.write(f"features/checkout-{n}.feature", _feature(n))
    repo.commit("specs")
    assert not backfill(repo.path, database_url=url, project="shop", jobs=1).errors
    repo.write("docs/adr/0002-use-queues.md", adr(2, "Use queues", decision="We will use queues everywhere."))
    repo.commit("decide")
    engine = db.make_engine(url)
    count = [0]

    def record(_conn: Any, _cursor: Any, _sql: str, parameters: Any, _context: Any, many: bool) -> None:
        count[0] += len(parameters) if many else 1

    event.listen(engine, "before_cursor_execute", record)
    try:
        result = backfill(repo.path, engine=engine, project="shop", jobs=1)
    finally:
        event.remove(engine, "before_cursor_execute", record)
        engine.dispose()
    assert (result.mode, result.commits, result.revisions) == ("resumed", 1, 1)
    return count[0]


def test_one_new_commit_costs_the_same_statements_whatever_the_project_size(
    git_repo: GitRepo, tmp_path: Any, database_url: str, other_database_url: str
) -> None:
    small = _statements_of_one_new_commit(git_repo, database_url, 3)
    large = _statements_of_one_new_commit(init_repo(tmp_path / "large"), other_database_url, 30)
    assert large == small, (small, large)
