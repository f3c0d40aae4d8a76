"""A state recorded under a commit that is not on the main line: ``show --at``, the API's ``at`` and ``diff``'s
history method date it by the run of the main-line commit that found it (``history.standing``).

A reworded amend keeps the tree, so the hook's ``sync --ref`` of the new commit writes nothing: the revision names
the commit amended away. A ``--no-ff`` merge of a branch a hook synced: the merge's sync finds the branch's state
already recorded, under the branch's commit. Either way, the run of the new main-line commit is what records the
state there; a main-line commit before it still answers the older state. After a backfill, a later hook sync is
the last commit recorded, not the backfill's checkpoint (SQLite and PostgreSQL)."""

from __future__ import annotations

import datetime as dt
import json
from typing import Any

import pytest
from sqlalchemy import select

from apikit import api_client
from conftest import GitRepo
from tracertm.api.app import ApiSettings
from tracertm.cli import main
from tracertm.engine.sync import sync
from tracertm.errors import UsageError
from tracertm.history.backfill import backfill
from tracertm.trace.diff import diff

FEATURE = "features/a.feature"


def _feature(name: str, extra: str = "") -> str:
    return f"@FEAT-1\nFeature: {name}\n  @SC-1\n  Scenario: s\n    Given x\n{extra}"


def _hook_sync(repo: GitRepo, engine: Any) -> None:
    """What the hook runs after a commit, a merge or a checkout: ``sync --ref HEAD``."""
    sync(repo.path, engine=engine, project="shop", ref="HEAD", trigger="hook")


def _show_at(capsys: pytest.CaptureFixture[str], repo: GitRepo, url: str, commit: str) -> tuple[int, Any]:
    code = main(["show", "FEAT-1", "--at", commit, "--path", str(repo.path), "--database-url", url,
                 "--format", "json"])
    out, err = capsys.readouterr()
    return code, json.loads(out) if code == 0 else err.strip()


def _api_at(engine: Any, repo: GitRepo, commit: str) -> Any:
    with api_client(engine, ApiSettings(repositories={"shop": str(repo.path)})) as client:
        return client.get(f"/api/v1/features/FEAT-1/at/{commit}", params={"project": "shop"})


def _changes(repo: GitRepo, url: str, method: str) -> list[dict[str, Any]]:
    found = diff(repo.path, "HEAD~1", "HEAD", method=method, project="shop", database_url=url)
    assert found.method == method
    return [c.as_dict() for c in found.changes]


def _assert_head_is_a2(capsys: pytest.CaptureFixture[str], repo: GitRepo, engine: Any, url: str) -> None:
    code, rev = _show_at(capsys, repo, url, "HEAD")
    assert code == 0, rev
    assert (rev["version"], rev["snapshot"]["name"]) == (2, "A2")
    answer = _api_at(engine, repo, repo.head())
    assert answer.status_code == 200, answer.text
    assert answer.json()["version"] == 2
    # The main-line commit before: the state then, not the one recorded after it.
    code, rev = _show_at(capsys, repo, url, "HEAD~1")
    assert (code, rev["version"], rev["snapshot"]["name"]) == (0, 1, "A")


def _assert_diff_agrees(repo: GitRepo, engine: Any, url: str) -> None:
    backfill(repo.path, engine=engine, project="shop")
    expected = [{"action": "updated", "kind": "feature", "id": "FEAT-1", "path": FEATURE, "fields": ["name"]}]
    assert _changes(repo, url, "parse") == expected
    assert _changes(repo, url, "history") == expected


def _synced_then_reworded(repo: GitRepo, engine: Any) -> None:
    """Two commits, each synced by the hook, then the second reworded (``commit --amend``: the same tree)."""
    repo.write(FEATURE, _feature("A"))
    repo.commit("c0")
    _hook_sync(repo, engine)
    repo.write(FEATURE, _feature("A2"))
    repo.commit("c1")
    _hook_sync(repo, engine)
    repo.git("commit", "-q", "--amend", "-m", "c1 reworded")


def test_a_reworded_amend_answers_the_amended_state(
    git_repo: GitRepo, engine: Any, database_url: str, capsys: pytest.CaptureFixture[str]
) -> None:
    _synced_then_reworded(git_repo, engine)
    _hook_sync(git_repo, engine)  # the same tree: the sync writes nothing

    _assert_head_is_a2(capsys, git_repo, engine, database_url)
    _assert_diff_agrees(git_repo, engine, database_url)
    _assert_head_is_a2(capsys, git_repo, engine, database_url)


def test_a_no_ff_merge_of_a_synced_branch_answers_the_merged_state(
    git_repo: GitRepo, engine: Any, database_url: str, capsys: pytest.CaptureFixture[str]
) -> None:
    git_repo.write(FEATURE, _feature("A"))
    git_repo.commit("c0")
    _hook_sync(git_repo, engine)
    git_repo.git("checkout", "-q", "-b", "br")
    git_repo.write(FEATURE, _feature("A2"))
    git_repo.commit("c1")
    _hook_sync(git_repo, engine)
    git_repo.git("checkout", "-q", "main")  # (no hook on checkout)
    git_repo.git("merge", "-q", "--no-ff", "br", "-m", "merge br")
    _hook_sync(git_repo, engine)

    _assert_head_is_a2(capsys, git_repo, engine, database_url)
    _assert_diff_agrees(git_repo, engine, database_url)
    _assert_head_is_a2(capsys, git_repo, engine, database_url)
    # A commit of the merged branch: the history method cannot tell it, and says which and what can.
    with pytest.raises(UsageError) as refused:
        diff(git_repo.path, "HEAD~1", "br", method="history", project="shop", database_url=database_url)
    assert str(refused.value) == (
        f"diff --method history: br is not in the first-parent history of {git_repo.head()[:12]} the backfill "
        "recorded (a commit of a merged branch, or one after it); use --method parse, or run 'tracertm backfill "
        "--project shop' for a later commit of the main line")


def test_a_hook_sync_after_a_backfill_is_the_last_commit_recorded(
    git_repo: GitRepo, engine: Any, database_url: str, capsys: pytest.CaptureFixture[str]
) -> None:
    git_repo.write(FEATURE, _feature("One"))
    git_repo.commit("c1")
    backfill(git_repo.path, engine=engine, project="shop")
    git_repo.write(FEATURE, _feature("One", "  Oops\n"))  # does not parse: the record is kept as it was
    git_repo.commit("c2 broken")
    _hook_sync(git_repo, engine)

    code, rev = _show_at(capsys, git_repo, database_url, "HEAD")
    assert code == 0, rev
    assert (rev["version"], rev["snapshot"]["name"]) == (1, "One")
    answer = _api_at(engine, git_repo, git_repo.head())
    assert answer.status_code == 200, answer.text
    assert answer.json()["version"] == 1


def test_a_run_that_could_not_read_the_records_file_did_not_see_its_state(
    git_repo: GitRepo, engine: Any, database_url: str, capsys: pytest.CaptureFixture[str]
) -> None:
    """A commit whose file does not parse, synced after a later commit's: that run kept the record at the later
    commit's state (an ``errors`` run), which is no state of the broken commit — the main line's earlier revision
    answers, as before such runs were read."""
    git_repo.write(FEATURE, _feature("A"))
    git_repo.commit("c1")
    git_repo.write(FEATURE, "@FEAT-1\nFeature: broken\n  Scenario: s\n    Given x\n  Oops\n")
    git_repo.commit("c2 broken")
    git_repo.write(FEATURE, _feature("C"))
    git_repo.commit("c3")
    for ref in ("HEAD~2", "HEAD", "HEAD~1"):
        sync(git_repo.path, engine=engine, project="shop", ref=ref)
    code, rev = _show_at(capsys, git_repo, database_url, "HEAD~1")
    assert code == 0, rev
    assert (rev["version"], rev["snapshot"]["name"]) == (1, "A")


class _RunnerClock:
    """``datetime`` as a module of a CI runner whose clock is an hour behind the database's (and the other
    runner's): only ``datetime.now`` is off."""

    def __init__(self, skew: dt.timedelta) -> None:
        self._skew = skew

    def __getattr__(self, name: str) -> Any:
        return getattr(dt, name)

    @property
    def datetime(self) -> Any:
        skew = self._skew

        class _Skewed(dt.datetime):
            @classmethod
            def now(cls, tz: dt.tzinfo | None = None) -> Any:
                return dt.datetime.now(tz) - skew

        return _Skewed


def test_runs_are_dated_by_the_database_clock_not_the_runners(
    git_repo: GitRepo, engine: Any, database_url: str, capsys: pytest.CaptureFixture[str],
    monkeypatch: pytest.MonkeyPatch,
) -> None:
    """Two CI runners sharing one database, the second's clock an hour behind: its run of the reworded amend (which
    writes no revision) still ended after the first runner's revision, and ``show --at`` answers that state."""
    import tracertm.engine.sync
    import tracertm.fastpath
    from tracertm.models import SyncRun

    _synced_then_reworded(git_repo, engine)
    for module in (tracertm.engine.sync, tracertm.fastpath):
        monkeypatch.setattr(module, "dt", _RunnerClock(dt.timedelta(hours=1)))
    _hook_sync(git_repo, engine)
    main(["sync", "--ref", "HEAD", "--project", "shop", "--path", str(git_repo.path), "--database-url",
          database_url])  # the no-op fast path's run too
    capsys.readouterr()
    monkeypatch.undo()

    _assert_head_is_a2(capsys, git_repo, engine, database_url)
    with engine.connect() as conn:
        ends = [r.finished_at for r in conn.execute(select(SyncRun.finished_at).order_by(SyncRun.finished_at))]
    assert all(ends), ends
    assert max(ends) - min(ends) < dt.timedelta(minutes=30), ends  # one clock


def test_a_merged_branchs_commit_after_a_backfill_is_refused_as_one(
    git_repo: GitRepo, engine: Any, database_url: str, capsys: pytest.CaptureFixture[str]
) -> None:
    """The branch's commit holds the backfill's checkpoint in its first-parent history, but not the merge the hook
    synced after it, the last commit recorded: refused as a merged branch's commit (it was answered as one after
    the checkpoint, with advice to sync it), by ``show --at`` and the API's ``at`` alike."""
    git_repo.write(FEATURE, _feature("A"))
    git_repo.commit("c0")
    backfill(git_repo.path, engine=engine, project="shop")
    git_repo.git("checkout", "-q", "-b", "br")
    git_repo.write(FEATURE, _feature("A2"))
    side = git_repo.commit("c1")
    git_repo.git("checkout", "-q", "main")
    git_repo.git("merge", "-q", "--no-ff", "br", "-m", "merge br")
    _hook_sync(git_repo, engine)

    refusal = (f"not in the first-parent history of {git_repo.head()[:12]} that tracertm recorded (a commit of a "
               "merged branch); give the merge commit that brought it in, or a main-line commit")
    assert _show_at(capsys, git_repo, database_url, "br") == (2, f"tracertm: error: --at br: {refusal}")
    answer = _api_at(engine, git_repo, side)
    assert answer.status_code == 400, answer.text
    assert answer.json()["detail"] == f"commit {side}: {refusal}"
    _assert_head_is_a2(capsys, git_repo, engine, database_url)


@pytest.mark.parametrize("how", ["rebased away", "cherry-picked"])
def test_a_commit_no_merge_brought_in_is_not_refused_as_a_merged_branchs(
    git_repo: GitRepo, engine: Any, database_url: str, capsys: pytest.CaptureFixture[str], how: str
) -> None:
    """The original of a rebased commit (no ref holds it) and the source of a cherry-pick (on a branch never
    merged) were refused as "a commit of a merged branch; give the merge commit that brought it in": no merge did.
    A merged branch's commit is still told so (``test_a_merged_branchs_commit_after_a_backfill_is_refused_as_one``).
    """
    git_repo.write(FEATURE, _feature("A"))
    git_repo.commit("c0")
    git_repo.git("checkout", "-q", "-b", "br")
    git_repo.write(FEATURE, _feature("A2"))
    side = git_repo.commit("c1 on br")
    git_repo.git("checkout", "-q", "main")
    git_repo.write("README.md", "r\n")
    git_repo.commit("c2")
    if how == "rebased away":
        git_repo.git("rebase", "-q", "main", "br")
        git_repo.git("checkout", "-q", "main")
        git_repo.git("merge", "-q", "--ff-only", "br")
        git_repo.git("branch", "-q", "-D", "br")
    else:
        git_repo.git("cherry-pick", side)
    backfill(git_repo.path, engine=engine, project="shop")

    refusal = (f"not in the history of {git_repo.head()[:12]} that tracertm recorded (a commit of a branch not "
               "merged into it, or one a rebase or amend replaced); give a commit of that history")
    assert _show_at(capsys, git_repo, database_url, side) == (2, f"tracertm: error: --at {side}: {refusal}")
    answer = _api_at(engine, git_repo, side)
    assert (answer.status_code, answer.json()["detail"]) == (400, f"commit {side}: {refusal}")


def test_a_pure_move_after_a_merged_branch_answers_the_moved_path(
    git_repo: GitRepo, engine: Any, database_url: str, capsys: pytest.CaptureFixture[str]
) -> None:
    """A branch's edit merged with ``--no-ff`` (a revision named by a commit off the main line: the runs are read),
    then the file renamed (a ``moved`` revision keeps the version), then an unrelated commit: the state at the last
    commit is the move's, at the new path — it was the branch's revision (of the same version) at the old one, and
    ``diff --method history`` invented a move back."""
    moved = "features/renamed.feature"
    git_repo.write(FEATURE, _feature("A"))
    git_repo.write("features/b.feature", "@FEAT-2\nFeature: B\n")
    git_repo.commit("c0")
    _hook_sync(git_repo, engine)
    git_repo.git("checkout", "-q", "-b", "br")
    git_repo.write(FEATURE, _feature("A").replace("Given x", "Given y"))
    git_repo.commit("edit the scenario")
    _hook_sync(git_repo, engine)
    git_repo.git("checkout", "-q", "main")
    git_repo.git("merge", "-q", "--no-ff", "br", "-m", "merge br")
    _hook_sync(git_repo, engine)
    git_repo.git("mv", FEATURE, moved)
    git_repo.commit("rename")
    _hook_sync(git_repo, engine)
    git_repo.write("features/b.feature", "@FEAT-2\nFeature: B2\n")
    git_repo.commit("unrelated")
    _hook_sync(git_repo, engine)

    def at(commit: str) -> tuple[int, str, str]:
        code = main(["show", "SC-1", "--at", commit, "--path", str(git_repo.path), "--database-url", database_url,
                     "--format", "json"])
        out, err = capsys.readouterr()
        assert code == 0, err
        rev = json.loads(out)
        return rev["version"], rev["change"], rev["source_path"]

    assert at("HEAD~1") == (2, "moved", moved)
    assert at("HEAD") == (2, "moved", moved)
    backfill(git_repo.path, engine=engine, project="shop")
    expected = [{"action": "updated", "kind": "feature", "id": "FEAT-2", "path": "features/b.feature",
                 "fields": ["name"]}]
    assert _changes(git_repo, database_url, "parse") == expected
    assert _changes(git_repo, database_url, "history") == expected
    assert at("HEAD") == (2, "moved", moved)
