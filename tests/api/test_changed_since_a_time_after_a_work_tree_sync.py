"""``changed_since`` a time dates a plain ``tracertm sync``'s revisions (a clean work tree: no commit of their own,
HEAD recorded on the run) by HEAD's commit date, as ``changed_since`` a commit and ``/at/{commit}`` do, and as the
revisions of a hook's ``sync --ref`` of that commit are dated (SQLite and PostgreSQL, list, count and facets).

They were dated by when the sync ran: a record last changed by a commit made before the time, but synced after it,
was listed as changed since then — only when a plain sync, not a hook, had recorded it."""

from __future__ import annotations

import datetime as dt
from typing import Any

import pytest

from apikit import api_client
from conftest import GitRepo
from specs import adr
from tracertm.engine.sync import sync

API = "/api/v1"


def _commit(repo: GitRepo, message: str, when: dt.datetime) -> str:
    stamp = when.isoformat(timespec="seconds")
    repo.git("add", "-A")
    repo.git("commit", "-q", "-m", message, env={"GIT_AUTHOR_DATE": stamp, "GIT_COMMITTER_DATE": stamp})
    return repo.head()


@pytest.mark.parametrize("hook", [False, True], ids=["plain-sync", "hook-sync"])
def test_a_time_between_two_commits_lists_the_later_commits_records(git_repo: GitRepo, engine: Any,
                                                                     hook: bool) -> None:
    now = dt.datetime.now(dt.timezone.utc)
    git_repo.write("docs/adr/0001-pay.md", adr(1, "Pay"))
    git_repo.write("docs/adr/0002-ship.md", adr(2, "Ship"))
    first = _commit(git_repo, "two ADRs", now - dt.timedelta(hours=2))
    assert not sync(git_repo.path, engine=engine, project="shop", ref=first if hook else None).errors
    git_repo.write("docs/adr/0002-ship.md", adr(2, "Ship", decision="We will ship twice."))
    second = _commit(git_repo, "ship twice", now - dt.timedelta(hours=1))
    assert not sync(git_repo.path, engine=engine, project="shop", ref=second if hook else None).errors

    between = (now - dt.timedelta(minutes=90)).isoformat()
    with api_client(engine) as client:
        for since in (between, first):  # the time between the commits, and the first commit itself
            page = client.get(f"{API}/projects/shop/adrs", params={"changed_since": since, "count": "true"}).json()
            assert [item["number"] for item in page["items"]] == ["ADR-0002"], (since, page)
            assert page["total"] == 1, since
            facets = client.get(f"{API}/facets", params={"kind": "adrs", "changed_since": since}).json()
            assert facets["total"] == 1, (since, facets)
        earlier = (now - dt.timedelta(hours=3)).isoformat()
        page = client.get(f"{API}/projects/shop/adrs", params={"changed_since": earlier}).json()
        assert [item["number"] for item in page["items"]] == ["ADR-0001", "ADR-0002"]
