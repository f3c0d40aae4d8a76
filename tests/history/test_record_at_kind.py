"""``record_at`` (the README's "fields as of a tag") takes a record kind as the rest of the Python API names it.

An unknown kind reached the revisions' ``entity_type`` column, whose enum refused it with SQLAlchemy's
``StatementError`` (a traceback naming the SQL); ``"adrs"``, the name ``Records(session, "adrs")`` takes, failed the
same way. Now the name is checked first: an unknown one is a one-line ``UsageError`` listing the kinds."""

from __future__ import annotations

import pytest
from sqlalchemy.engine import Engine

import tracertm
from conftest import GitRepo
from specs import adr, feature
from tracertm.errors import UsageError
from tracertm.history.backfill import record_at


def _synced(git_repo: GitRepo, database_url: str) -> str:
    git_repo.write("docs/adr/0001-storage.md", adr(1, "Storage"))
    git_repo.write("features/login.feature", feature(1, "Login"))
    commit = git_repo.commit("specs")
    tracertm.sync(git_repo.path, ref=commit, database_url=database_url, project="p")
    return commit


@pytest.mark.parametrize("kind", ["adr", "adrs", "ADR"])
def test_the_kind_is_named_as_records_names_it(git_repo: GitRepo, database_url: str, engine: Engine,
                                                kind: str) -> None:
    commit = _synced(git_repo, database_url)
    at = record_at(engine, "p", kind, "ADR-0001", commit, path=git_repo.path)
    assert at is not None and (at["kind"], at["number"], at["version"]) == ("adr", "ADR-0001", 1)


def test_a_feature_named_in_the_plural_too(git_repo: GitRepo, database_url: str, engine: Engine) -> None:
    commit = _synced(git_repo, database_url)
    at = record_at(engine, "p", "features", "FEAT-1", commit, path=git_repo.path)
    assert at is not None and (at["kind"], at["version"]) == ("feature", 1)


def test_an_unknown_kind_is_a_one_line_usage_error(git_repo: GitRepo, database_url: str, engine: Engine) -> None:
    commit = _synced(git_repo, database_url)
    with pytest.raises(UsageError) as caught:
        record_at(engine, "p", "decision", "ADR-0001", commit, path=git_repo.path)
    assert str(caught.value) == ("kind 'decision': unknown kind; use one of adrs, contracts, features, scenarios, "
                                 "step-definitions, test-cases")
