"""``GET /{kind}/{id}/at/{commit}`` on a server far from the repository (no ``--path``, not run in it: dates
decide) answers what a plain ``tracertm sync`` of that commit stored, as a server that knows the repository does
(SQLite and PostgreSQL, through the test client).

A sync of a clean work tree writes revisions that name no commit; its run records HEAD and HEAD's date
(``history.dated``). Without the repository ``at`` dated those revisions by when the sync ran, which is after the
commit it synced: the first commit was "before" its own revision (404, "no revision at or before"), and each later
commit answered the revision of the commit before it. It also answered an ``annotated`` revision (an API edit, which
changes no file) for a commit made after the edit, where ``show --at`` answers the file's state."""

from __future__ import annotations

import datetime as dt
from typing import Any

from apikit import api_client, make_token
from conftest import GitRepo
from specs import adr
from tracertm.api import ApiSettings
from tracertm.engine.sync import sync

API = "/api/v1"
ADR = "docs/adr/0001-pay.md"


def _commit(repo: GitRepo, message: str, when: dt.datetime) -> str:
    stamp = when.isoformat(timespec="seconds")
    repo.git("add", "-A")
    repo.git("commit", "-q", "-m", message, env={"GIT_AUTHOR_DATE": stamp, "GIT_COMMITTER_DATE": stamp})
    return repo.head()


def _stored(engine: Any, repo: GitRepo) -> dict[str, Any]:
    """A clean work tree's plain sync, and the record as it stored it."""
    result = sync(repo.path, engine=engine, project="shop")
    assert not result.errors, result.errors
    with api_client(engine) as client:
        return client.get(f"{API}/adrs/ADR-0001").json()  # type: ignore[no-any-return]


def test_a_server_far_from_the_repository_answers_what_each_commits_sync_stored(git_repo: GitRepo,
                                                                                 engine: Any) -> None:
    # Commits made before they were synced (pulled, then synced), as every commit is: its date is before the sync's.
    now = dt.datetime.now(dt.timezone.utc)
    git_repo.write(ADR, adr(1, "Pay", decision="We will pay once."))
    first = _commit(git_repo, "adr", now - dt.timedelta(hours=2))
    stored = {first: _stored(engine, git_repo)}
    git_repo.write(ADR, adr(1, "Pay", decision="We will pay twice."))
    second = _commit(git_repo, "decision", now - dt.timedelta(hours=1))
    stored[second] = _stored(engine, git_repo)
    with api_client(engine) as client:  # a database-side edit: an ``annotated`` revision (version 3), no file
        edited = client.patch(f"{API}/adrs/ADR-0001", json={"approved_by": "ada"},
                              headers={"Authorization": f"Bearer {make_token(engine)}", "If-Match": '"2"'})
        assert edited.status_code == 200, edited.text
    # A commit after the edit that adds another ADR (a sync that writes no revision records no commit).
    git_repo.write("docs/adr/0002-ship.md", adr(2, "Ship"))
    third = _commit(git_repo, "another ADR", now + dt.timedelta(minutes=5))
    stored[third] = _stored(engine, git_repo)
    assert [stored[c]["version"] for c in (first, second, third)] == [1, 2, 3]

    near = ApiSettings(repositories={"shop": str(git_repo.path)})
    with api_client(engine) as far, api_client(engine, near) as close:
        for commit, record in stored.items():
            answer = far.get(f"{API}/adrs/ADR-0001/at/{commit}")
            assert answer.status_code == 200, (commit, answer.text)
            snapshot = answer.json()["snapshot"]
            # The file's fields as that commit's sync stored them; the same revision as a server at the repository.
            assert (snapshot["title"], snapshot["decision"]) == (record["title"], record["decision"]), commit
            expected = close.get(f"{API}/adrs/ADR-0001/at/{commit}")
            assert answer.json()["version"] == expected.json()["version"] == min(record["version"], 2), commit
            assert answer.json()["change"] == ("created" if commit == first else "updated"), commit


def test_commits_of_one_second_answer_their_own_states(git_repo: GitRepo, engine: Any) -> None:
    """A rebased branch's commits share their commit date (git's resolution is the second): each synced by a hook
    (``sync --ref``), in order. A commit between two changes of the record answers the earlier one, not the
    revision a later commit of the same second wrote — whether the commit wrote revisions of other records or only
    its run records it."""
    when = dt.datetime.now(dt.timezone.utc) - dt.timedelta(hours=1)
    git_repo.write(ADR, adr(1, "Pay", decision="We will pay once."))
    commits = [_commit(git_repo, "adr", when)]
    git_repo.write("notes.txt", "no spec file\n")  # a commit only its run records
    commits.append(_commit(git_repo, "notes", when))
    git_repo.write("docs/adr/0002-ship.md", adr(2, "Ship"))  # a commit with revisions of another record
    commits.append(_commit(git_repo, "another ADR", when))
    git_repo.write(ADR, adr(1, "Pay", decision="We will pay twice."))
    commits.append(_commit(git_repo, "decision", when))
    stored = {}
    for commit in commits:
        assert not sync(git_repo.path, engine=engine, project="shop", ref=commit).errors
        with api_client(engine) as client:
            stored[commit] = client.get(f"{API}/adrs/ADR-0001").json()
    near = ApiSettings(repositories={"shop": str(git_repo.path)})
    with api_client(engine) as far, api_client(engine, near) as close:
        for commit, record in stored.items():
            answer = far.get(f"{API}/adrs/ADR-0001/at/{commit}")
            assert answer.status_code == 200, (commit, answer.text)
            assert answer.json()["snapshot"]["decision"] == record["decision"], commits.index(commit)
            assert answer.json()["version"] == record["version"] == \
                close.get(f"{API}/adrs/ADR-0001/at/{commit}").json()["version"], commits.index(commit)


def test_a_backfill_whose_commit_dates_go_backwards(git_repo: GitRepo, engine: Any) -> None:
    """Commit dates that go backwards (2024, 2020, 2022, 2019), one backfill: ADR-0001 changes at the first and
    the third commit, ADR-0002 at the others. Dates alone put no revision of ADR-0001 at or before the second or
    the last commit (404); the order the backfill wrote the history in does, as a server at the repository answers."""
    from tracertm.history.backfill import backfill

    git_repo.write(ADR, adr(1, "Pay"))
    git_repo.write("docs/adr/0002-ship.md", adr(2, "Ship"))
    commits = [_commit(git_repo, "c1", dt.datetime(2024, 1, 1, tzinfo=dt.UTC))]
    for n, (path, decision, year) in enumerate([("docs/adr/0002-ship.md", "Ship twice.", 2020),
                                                (ADR, "Pay twice.", 2022), ("docs/adr/0002-ship.md", "Ship.", 2019)]):
        number, title = (1, "Pay") if path == ADR else (2, "Ship")
        git_repo.write(path, adr(number, title, decision=decision))
        commits.append(_commit(git_repo, f"c{n + 2}", dt.datetime(year, 1, 1, tzinfo=dt.UTC)))
    backfill(git_repo.path, engine=engine, project="shop")

    near = ApiSettings(repositories={"shop": str(git_repo.path)})
    with api_client(engine) as far, api_client(engine, near) as close:
        for commit in commits:
            answer = far.get(f"{API}/adrs/ADR-0001/at/{commit}")
            assert answer.status_code == 200, (commit, answer.text)
            expected = close.get(f"{API}/adrs/ADR-0001/at/{commit}").json()
            assert (answer.json()["version"], answer.json()["commit_sha"]) == (
                expected["version"], expected["commit_sha"]), commit
        assert [far.get(f"{API}/adrs/ADR-0001/at/{c}").json()["version"] for c in commits] == [1, 1, 2, 2]
