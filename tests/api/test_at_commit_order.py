"""``GET /{kind}/{id}/at/{commit}`` answers the revision current at that commit, by commit order (SQLite and
PostgreSQL, through the test client), as ``show --at`` does.

History: ADR-0001 created (C1), updated (C2), a commit touching no spec file (C3), then a pure ``git mv`` (C4: a
``moved`` revision that keeps version 2). The commits were made on four days and synced one by one afterwards (a CI
backlog, ``sync --ref`` catching up). The API answered, for C2 and C3, the ``moved`` revision of C4 with its new
path, which did not exist yet:

- with the repository (a server started inside it), it picked "the newest revision with the version" git's
  first-parent history named, and a pure move shares the version;
- without it, it dated C3 (a commit that wrote no revision) by the wall-clock start of the sync run that recorded
  it, not by the commit's own date (now ``sync_runs.committed_at``).
"""

from __future__ import annotations

import warnings
from collections.abc import Iterator
from typing import Any

import pytest

from apikit import api_client
from conftest import GitRepo
from specs import adr
from tracertm.api import ApiSettings
from tracertm.engine.sync import sync
from tracertm.history.at import record_at

with warnings.catch_warnings():
    warnings.simplefilter("ignore")
    from fastapi.testclient import TestClient

API = "/api/v1"
OLD, NEW = "docs/adr/0001-use-postgres.md", "docs/adr/0001-use-pg.md"


def _commit(repo: GitRepo, message: str, day: int) -> str:
    when = f"2024-01-0{day}T10:00:00+00:00"
    repo.git("add", "-A")
    repo.git("commit", "-q", "-m", message, env={"GIT_AUTHOR_DATE": when, "GIT_COMMITTER_DATE": when})
    return repo.head()


@pytest.fixture
def history(git_repo: GitRepo, engine: Any) -> dict[str, str]:
    """C1..C4 made first, then synced one by one, oldest first (each sync runs long after its commit)."""
    c: dict[str, str] = {}
    git_repo.write(OLD, adr(1, "Use PostgreSQL", decision="We will use PostgreSQL 16."))
    git_repo.write("docs/adr/0002-use-kafka.md", adr(2, "Use Kafka"))
    c["created"] = _commit(git_repo, "init", 1)
    git_repo.write(OLD, adr(1, "Use PostgreSQL", decision="We will use PostgreSQL 17."))
    c["updated"] = _commit(git_repo, "edit", 2)
    git_repo.write("notes.txt", "unrelated\n")
    c["other"] = _commit(git_repo, "other", 3)
    git_repo.git("mv", OLD, NEW)
    c["moved"] = _commit(git_repo, "move", 4)
    for sha in c.values():
        result = sync(git_repo.path, engine=engine, project="shop", ref=sha)
        assert not result.errors, result.errors
    return c


def _clients(engine: Any, repo: GitRepo) -> Iterator[tuple[str, TestClient]]:
    for where, settings in (("inside the repository", ApiSettings(repositories={"shop": str(repo.path)})),
                            ("outside the repository", ApiSettings())):
        with api_client(engine, settings) as client:
            yield where, client


def _at(client: TestClient, commit: str) -> tuple[int, str, str, str]:
    response = client.get(f"{API}/adrs/ADR-0001/at/{commit}")
    assert response.status_code == 200, (commit, response.status_code, response.text[:300])
    body = response.json()
    return body["version"], body["change"], body["commit_sha"], body["source_path"]


def test_at_a_commit_before_a_pure_move_is_not_the_move(history: dict[str, str], git_repo: GitRepo,
                                                        engine: Any) -> None:
    c = history
    expected = {
        c["created"]: (1, "created", c["created"], OLD),
        c["updated"]: (2, "updated", c["updated"], OLD),
        c["other"]: (2, "updated", c["updated"], OLD),  # no revision of its own: the one current then
        c["moved"]: (2, "moved", c["moved"], NEW),
    }
    for where, client in _clients(engine, git_repo):
        for commit, wanted in expected.items():
            assert _at(client, commit) == wanted, (where, commit)
            assert _at(client, commit[:12]) == wanted, (where, commit[:12])


def test_the_api_answers_what_show_at_answers(history: dict[str, str], git_repo: GitRepo, engine: Any) -> None:
    """With the repository the API uses the CLI's own walk of git's first-parent chain (``history.at``)."""
    for where, client in _clients(engine, git_repo):
        for commit in history.values():
            cli = record_at(engine, "shop", "adr", "ADR-0001", commit, path=git_repo.path)
            assert cli is not None
            assert _at(client, commit) == (cli["version"], cli["change"], cli["commit"], cli["path"]), (where, commit)
