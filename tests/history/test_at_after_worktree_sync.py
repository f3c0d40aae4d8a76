"""``show --at`` and the API's ``/at/{commit}`` after a plain ``tracertm sync`` of the work tree.

A work tree whose synced files are exactly HEAD's: the sync's revisions are HEAD's state, so ``--at HEAD`` (and a
later commit that did not change the file) answers them — dated by the HEAD the run recorded, the revisions
themselves untouched (no commit, no author: the sync read none). A dirty work tree: the answer says why there is
none, in one line, instead of a bare "not found" (SQLite and PostgreSQL)."""

from __future__ import annotations

import json
from typing import Any

import pytest
from sqlalchemy import select

from apikit import api_client
from conftest import GitRepo, init_repo
from specs import adr
from tracertm.api.app import ApiSettings
from tracertm.cli import main
from tracertm.engine.sync import sync
from tracertm.history.backfill import backfill
from tracertm.models import SpecRevision, SyncRun

ADR = "docs/adr/0001-pay.md"


def _show_at(capsys: pytest.CaptureFixture[str], repo: GitRepo, url: str, commit: str) -> tuple[int, Any]:
    code = main(["show", "ADR-0001", "--at", commit, "--path", str(repo.path), "--database-url", url,
                 "--format", "json"])
    out, err = capsys.readouterr()
    return code, json.loads(out) if code == 0 else err.strip()


def _api_at(engine: Any, repo: GitRepo, commit: str) -> Any:
    with api_client(engine, ApiSettings(repositories={"shop": str(repo.path)})) as client:
        return client.get(f"/api/v1/adrs/ADR-0001/at/{commit}", params={"project": "shop"})


def test_a_clean_work_tree_sync_answers_at_head_and_later_commits(
    git_repo: GitRepo, engine: Any, database_url: str, capsys: pytest.CaptureFixture[str]
) -> None:
    git_repo.write(ADR, adr(1, "Pay"))
    first = git_repo.commit("adr")
    sync(git_repo.path, engine=engine, project="shop")

    code, rev = _show_at(capsys, git_repo, database_url, "HEAD")
    assert code == 0, rev
    assert (rev["version"], rev["change"], rev["commit_sha"], rev["source_path"]) == (1, "created", None, ADR)
    answer = _api_at(engine, git_repo, first)
    assert answer.status_code == 200, answer.text
    assert answer.json()["version"] == 1

    # A later commit that does not change the file: the same state.
    git_repo.write("README.md", "hello\n")
    later = git_repo.commit("readme")
    code, rev = _show_at(capsys, git_repo, database_url, later)
    assert code == 0 and rev["version"] == 1, rev
    assert _api_at(engine, git_repo, later).status_code == 200

    # The file changes, committed, then synced from the (clean) work tree: each commit answers its own version.
    git_repo.write(ADR, adr(1, "Pay", decision="We will do it twice."))
    second = git_repo.commit("decision")
    sync(git_repo.path, engine=engine, project="shop")
    assert _show_at(capsys, git_repo, database_url, second)[1]["version"] == 2
    assert _show_at(capsys, git_repo, database_url, later)[1]["version"] == 1

    with engine.connect() as conn:  # the revisions themselves carry no commit (nothing was rewritten)
        stored = conn.execute(select(SpecRevision.version, SpecRevision.commit_sha)).all()
        runs = conn.execute(select(SyncRun.commit_sha).where(SyncRun.commit_sha.is_not(None))).scalars().all()
    assert sorted(stored) == [(1, None), (2, None)]
    assert sorted(runs) == sorted([first, second])


def test_a_dirty_work_tree_sync_says_why_there_is_no_answer(
    git_repo: GitRepo, engine: Any, database_url: str, capsys: pytest.CaptureFixture[str]
) -> None:
    git_repo.write(ADR, adr(1, "Pay"))
    git_repo.commit("adr")
    git_repo.write(ADR, adr(1, "Pay", decision="Not committed yet."))  # dirty
    sync(git_repo.path, engine=engine, project="shop")

    # HEAD's file holds a content no revision has: its state then was never recorded.
    code, message = _show_at(capsys, git_repo, database_url, "HEAD")
    assert code == 2
    assert len(message.splitlines()) == 1 and "uncommitted files" in message and "tracertm backfill" in message
    answer = _api_at(engine, git_repo, git_repo.head())
    assert answer.status_code == 404 and "uncommitted files" in answer.json()["detail"], answer.text

    # Committed and synced again (a no-op: the content is in the database already): the file at HEAD holds
    # version 1's content, so version 1 is HEAD's state.
    git_repo.commit("commit it")
    sync(git_repo.path, engine=engine, project="shop")
    code, rev = _show_at(capsys, git_repo, database_url, "HEAD")
    assert code == 0 and rev["version"] == 1 and "Not committed yet." in rev["snapshot"]["decision"], rev
    assert _api_at(engine, git_repo, git_repo.head()).json()["version"] == 1


def test_an_edit_synced_before_its_commit_is_that_commits_state(
    git_repo: GitRepo, engine: Any, database_url: str, capsys: pytest.CaptureFixture[str]
) -> None:
    """A clean sync (v1, dated by its HEAD), the file edited and synced before it is committed (v2, no commit), then
    committed and synced clean (a no-op): --at the new HEAD is v2, --at the first commit still v1 — the file at each
    commit tells (v1 was answered for both before)."""
    git_repo.write(ADR, adr(1, "Pay", decision="One."))
    first = git_repo.commit("one")
    sync(git_repo.path, engine=engine, project="shop")
    git_repo.write(ADR, adr(1, "Pay", decision="Two."))
    sync(git_repo.path, engine=engine, project="shop")  # dirty: v2
    second = git_repo.commit("two")
    sync(git_repo.path, engine=engine, project="shop")  # clean, nothing to write

    code, rev = _show_at(capsys, git_repo, database_url, second)
    assert code == 0 and rev["version"] == 2 and "Two." in rev["snapshot"]["decision"], rev
    code, rev = _show_at(capsys, git_repo, database_url, first)
    assert code == 0 and rev["version"] == 1 and "One." in rev["snapshot"]["decision"], rev
    assert _api_at(engine, git_repo, second).json()["version"] == 2
    assert _api_at(engine, git_repo, first).json()["version"] == 1

    # An edit synced and then thrown away: the commit still holds v2's content.
    git_repo.write(ADR, adr(1, "Pay", decision="Three, never committed."))
    sync(git_repo.path, engine=engine, project="shop")  # v3, no commit
    git_repo.git("checkout", "--", ADR)
    code, rev = _show_at(capsys, git_repo, database_url, second)
    assert code == 0 and rev["version"] == 2, rev


def test_a_staged_but_uncommitted_file_is_not_head(
    git_repo: GitRepo, engine: Any, database_url: str, capsys: pytest.CaptureFixture[str]
) -> None:
    """The work tree equals the index, the index differs from HEAD: not HEAD's state — the record is not in HEAD at
    all; once committed, HEAD holds it."""
    git_repo.write("docs/adr/0002-other.md", adr(2, "Other"))
    git_repo.commit("other")
    git_repo.write(ADR, adr(1, "Pay"))
    git_repo.git("add", ADR)
    sync(git_repo.path, engine=engine, project="shop")
    code, message = _show_at(capsys, git_repo, database_url, "HEAD")
    assert code == 2 and "no revision at or before HEAD" in message, message
    git_repo.commit("pay")
    code, rev = _show_at(capsys, git_repo, database_url, "HEAD")
    assert code == 0 and rev["version"] == 1, rev


def test_clean_head_is_told_from_what_changed_not_from_timestamps(git_repo: GitRepo) -> None:
    """The clean-HEAD check (``sync._clean_head``) reads git's index and the scan's dirty files, not the whole tree:
    a file only touched is still HEAD's; an edited, an untracked, a staged and a deleted spec file are not; a
    changed file outside the spec folders does not matter."""
    import os

    from tracertm.config import load_settings
    from tracertm.engine.scan import Location, scan
    from tracertm.engine.sync import _clean_head

    git_repo.write(ADR, adr(1, "Pay"))
    git_repo.write("docs/adr/0002-ship.md", adr(2, "Ship"))
    head = git_repo.commit("adrs")
    location = Location.find(git_repo.path)
    settings = load_settings(location.root)

    def clean() -> str | None:
        snapshot = scan(location, settings)
        try:
            return _clean_head(snapshot, settings)
        finally:
            snapshot.close()

    assert clean() == head
    path = git_repo.path / ADR
    os.utime(path, (1, 1))  # stat-dirty, same content
    assert clean() == head
    git_repo.write("notes.txt", "not a spec file\n")
    assert clean() == head
    git_repo.write(ADR, adr(1, "Pay twice"))
    assert clean() is None
    git_repo.git("add", ADR)  # staged, not committed
    assert clean() is None
    git_repo.git("reset", "-q", "--hard")
    assert clean() == head
    git_repo.write("docs/adr/0003-new.md", adr(3, "New"))  # untracked
    assert clean() is None
    (git_repo.path / "docs/adr/0003-new.md").unlink()
    (git_repo.path / "docs/adr/0002-ship.md").unlink()  # deleted in the work tree
    assert clean() is None


def test_a_commit_after_the_last_recorded_one_answers_only_what_its_file_still_holds(
    git_repo: GitRepo, engine: Any, database_url: str, capsys: pytest.CaptureFixture[str]
) -> None:
    # Backfilled up to ``first``; later commits were never synced. One that leaves the file alone is answered from
    # the newest revision; one that changes the record is refused in one line, not answered with the old content.
    git_repo.write(ADR, adr(1, "Pay"))
    first = git_repo.commit("adr")
    backfill(git_repo.path, engine=engine, project="shop")
    git_repo.write("README.md", "hello\n")
    untouched = git_repo.commit("readme")
    code, rev = _show_at(capsys, git_repo, database_url, untouched)
    assert code == 0 and (rev["version"], rev["commit_sha"]) == (1, first), rev

    git_repo.write(ADR, adr(1, "Pay", decision="We will do it twice."))
    changed = git_repo.commit("decision, not synced")
    code, err = _show_at(capsys, git_repo, database_url, changed)
    assert code == 2 and "\n" not in err and "changed after" in err and first[:12] in err, err
    answer = _api_at(engine, git_repo, changed)
    assert answer.status_code != 200 and "changed after" in answer.text, answer.text

    sync(git_repo.path, engine=engine, project="shop")  # recorded now: answered
    code, rev = _show_at(capsys, git_repo, database_url, changed)
    assert code == 0 and rev["version"] == 2, rev


def test_an_unknown_commit_is_404_without_the_servers_path(git_repo: GitRepo, engine: Any) -> None:
    # (it was 400 naming the repository's absolute path on the server, in an answer anyone may read)
    git_repo.write(ADR, adr(1, "Pay"))
    git_repo.commit("adr")
    sync(git_repo.path, engine=engine, project="shop")
    answer = _api_at(engine, git_repo, "deadbeef")
    assert answer.status_code == 404, answer.text
    assert "no such commit" in answer.text and str(git_repo.path) not in answer.text


def test_a_commit_only_another_project_records_is_404_far_from_the_repository(
    git_repo: GitRepo, engine: Any, tmp_path: Any,
) -> None:
    """A server without the repository dates a commit by what the database records: it took another project's
    commit (another repository's) and answered shop's revision as of that commit's date. Only the record's own
    project's revisions and runs name the commits it knows."""
    git_repo.write(ADR, adr(1, "Pay"))
    ours = git_repo.commit("adr")
    sync(git_repo.path, engine=engine, project="shop")
    other = init_repo(tmp_path / "other")
    other.write(ADR, adr(1, "Other"))
    theirs = other.commit("other's adr")
    sync(other.path, engine=engine, project="other")
    with api_client(engine, ApiSettings()) as client:
        known = client.get(f"/api/v1/adrs/ADR-0001/at/{ours}", params={"project": "shop"})
        foreign = client.get(f"/api/v1/adrs/ADR-0001/at/{theirs}", params={"project": "shop"})
    assert known.status_code == 200 and known.json()["snapshot"]["title"] == "Pay", known.text
    assert foreign.status_code == 404 and "no revision or sync run of this project" in foreign.text, foreign.text
