"""A backfill after the history it recorded was rewritten (``commit --amend``, a rebase, ``reset --hard`` + new
commits) keeps the trail whole (SQLite and PostgreSQL): the revisions of commits no longer on the branch stay (the
database observed them), the rewritten commits are numbered after them, no version is written twice, no commit is
recorded twice, and every record's ``version`` is the number of its revisions, 1..n. The rows end at HEAD's state."""

from __future__ import annotations

import json
from typing import Any

import pytest
from sqlalchemy import text

from conftest import GitRepo
from specs import adr
from tracertm.cli import main
from tracertm.engine.sync import sync
from tracertm.history.backfill import backfill
from tracertm.trace.diff import diff

A = "docs/adr/0001-one.md"
B = "docs/adr/0002-two.md"


def _trail(engine: Any, number: str) -> list[tuple[int, str, str | None]]:
    """The record's revisions (version, change, commit), after checking the trail's invariants with SQL."""
    with engine.connect() as conn:
        revs = [tuple(r) for r in conn.execute(text(
            "SELECT version, change, commit_sha FROM spec_revisions WHERE number = :n ORDER BY version, created_at"),
            {"n": number})]
        (version,) = conn.execute(text("SELECT version FROM adrs WHERE adr_number = :n"), {"n": number}).one()
        dup_versions = conn.execute(text(
            "SELECT version FROM spec_revisions WHERE number = :n GROUP BY version HAVING count(*) > 1"),
            {"n": number}).all()
        twice = conn.execute(text(
            "SELECT commit_sha FROM spec_revisions WHERE number = :n AND commit_sha IS NOT NULL "
            "GROUP BY commit_sha HAVING count(*) > 1"), {"n": number}).all()
    assert not dup_versions, revs
    assert not twice, revs
    assert [v for v, _, _ in revs] == list(range(1, len(revs) + 1)), revs
    assert version == len(revs), revs
    return [(int(v), str(c), s) for v, c, s in revs]


def _at_head(repo: GitRepo, engine: Any) -> None:
    """The rows are HEAD's state: a sync of HEAD would change nothing."""
    result = sync(repo.path, ref="HEAD", engine=engine, project="p", dry_run=True)
    assert not result.changed, [(op.action, op.number) for op in result.operations]


def _history(database_url: str, number: str, capsys: pytest.CaptureFixture[str]) -> list[tuple[int, str, str]]:
    assert main(["history", number, "--database-url", database_url, "--project", "p", "--format", "json"]) == 0
    return [(r["version"], r["change"], r["commit_sha"]) for r in json.loads(capsys.readouterr().out)]


def test_amended_commit_is_numbered_after_the_one_it_replaced(
        git_repo: GitRepo, engine: Any, database_url: str, capsys: pytest.CaptureFixture[str]) -> None:
    git_repo.write(A, adr(1, "One"))
    c1 = git_repo.commit("c1")
    git_repo.write(A, adr(1, "One", decision="Second thoughts."))
    c2 = git_repo.commit("c2")
    backfill(git_repo.path, engine=engine, project="p")
    git_repo.write(A, adr(1, "One", decision="Second thoughts, amended."))
    git_repo.git("add", "-A")
    git_repo.git("commit", "-q", "--amend", "-m", "c2 amended")
    amended = git_repo.head()

    result = backfill(git_repo.path, engine=engine, project="p")

    trail = [(1, "created", c1), (2, "updated", c2), (3, "updated", amended)]
    assert _trail(engine, "ADR-0001") == trail
    assert _history(database_url, "ADR-0001", capsys) == trail
    assert result.orphaned == 1
    _at_head(git_repo, engine)
    backfill(git_repo.path, engine=engine, project="p")  # and a run after it adds nothing
    assert _trail(engine, "ADR-0001") == trail


def test_rebase_that_drops_a_commit(git_repo: GitRepo, engine: Any, database_url: str,
                                    capsys: pytest.CaptureFixture[str]) -> None:
    git_repo.write(A, adr(1, "One"))
    c1 = git_repo.commit("c1")
    git_repo.write(A, adr(1, "One", decision="Dropped later."))
    c2 = git_repo.commit("c2")
    git_repo.write(B, adr(2, "Two"))
    c3 = git_repo.commit("c3")
    backfill(git_repo.path, engine=engine, project="p")
    git_repo.git("rebase", "-q", "--onto", c1, c2)  # c2 is gone; c3 is replayed onto c1
    c3_new = git_repo.head()
    assert c3_new != c3

    result = backfill(git_repo.path, engine=engine, project="p")

    # ADR-0001 goes back to c1's content: the rewrite, not a commit of the branch, changed it (the final sync of
    # HEAD records it). ADR-0002's content is c3's: the replayed c3 changes nothing the database does not have.
    trail_a = [(1, "created", c1), (2, "updated", c2), (3, "updated", c3_new)]
    assert _trail(engine, "ADR-0001") == trail_a
    assert _trail(engine, "ADR-0002") == [(1, "created", c3)]
    assert _history(database_url, "ADR-0001", capsys) == trail_a
    assert result.orphaned == 2
    _at_head(git_repo, engine)


def test_reset_and_new_commits(git_repo: GitRepo, engine: Any, database_url: str,
                               capsys: pytest.CaptureFixture[str]) -> None:
    git_repo.write(A, adr(1, "One"))
    git_repo.write(B, adr(2, "Two"))
    c1 = git_repo.commit("c1")
    git_repo.write(A, adr(1, "One", decision="X."))
    c2 = git_repo.commit("c2")
    git_repo.write(A, adr(1, "One", decision="Y."))
    c3 = git_repo.commit("c3")
    backfill(git_repo.path, engine=engine, project="p")
    git_repo.git("reset", "-q", "--hard", "HEAD~2")
    git_repo.write(A, adr(1, "One", decision="Z."))
    d2 = git_repo.commit("d2")
    git_repo.remove(A)
    git_repo.write(B, adr(2, "Two", decision="W."))
    d3 = git_repo.commit("d3")

    result = backfill(git_repo.path, engine=engine, project="p")

    trail_a = [(1, "created", c1), (2, "updated", c2), (3, "updated", c3), (4, "updated", d2), (5, "deleted", d3)]
    assert _trail(engine, "ADR-0001") == trail_a
    assert _trail(engine, "ADR-0002") == [(1, "created", c1), (2, "updated", d3)]
    assert _history(database_url, "ADR-0001", capsys) == trail_a
    assert result.orphaned == 2
    _at_head(git_repo, engine)


def test_reset_new_commits_and_a_sync_before_the_backfill(git_repo: GitRepo, engine: Any) -> None:
    """A sync of the rewritten work tree ran in between (a post-commit hook): the merge keeps its revision."""
    git_repo.write(A, adr(1, "One"))
    c1 = git_repo.commit("c1")
    git_repo.write(A, adr(1, "One", decision="X."))
    c2 = git_repo.commit("c2")
    backfill(git_repo.path, engine=engine, project="p")
    git_repo.git("reset", "-q", "--hard", "HEAD~1")
    git_repo.write(A, adr(1, "One", decision="Y."))
    git_repo.commit("d2")
    git_repo.write(A, adr(1, "One", decision="Z."))
    git_repo.commit("d3")
    sync(git_repo.path, engine=engine, project="p")

    result = backfill(git_repo.path, engine=engine, project="p")

    # The rewritten commits before the sync are not written: the sync's revision stands for the branch's state
    # there, and a backfilled revision numbered behind the old history's would break the trail.
    assert _trail(engine, "ADR-0001") == [(1, "created", c1), (2, "updated", c2), (3, "updated", None)]
    assert result.orphaned == 1
    _at_head(git_repo, engine)


def test_a_history_that_shares_no_commit_is_a_rewrite_from_its_root(
        git_repo: GitRepo, engine: Any, database_url: str, capsys: pytest.CaptureFixture[str]) -> None:
    """main backfilled, then moved onto an orphan branch that merged it (``--allow-unrelated-histories``: the old
    main is the merge's second parent), so the new first-parent chain shares no commit with the one recorded. Its
    commits are recorded after the kept revisions, each once, from its root (which does not hold ADR-0001: deleted
    there, as a ``sync --ref`` of it would); they were grafted before them, and ``show --at`` the merge said
    ADR-0001 came later, where the merge holds it, and ``diff --method history`` disagreed with parse."""
    git_repo.write(A, adr(1, "One"))
    c1 = git_repo.commit("c1")
    git_repo.write(A, adr(1, "One", decision="X."))
    c2 = git_repo.commit("c2")
    backfill(git_repo.path, engine=engine, project="p")
    git_repo.git("checkout", "-q", "--orphan", "other")
    git_repo.git("rm", "-rqf", ".")
    git_repo.write(B, adr(2, "Two"))
    o1 = git_repo.commit("o1")
    git_repo.git("merge", "-q", "--allow-unrelated-histories", "-m", "merge main into other", "main")
    merge = git_repo.head()
    git_repo.git("branch", "-f", "main", "other")
    git_repo.git("checkout", "-q", "main")
    git_repo.write(A, adr(1, "One", decision="Y."))
    c3 = git_repo.commit("c3")

    result = backfill(git_repo.path, engine=engine, project="p")

    trail_a = [(1, "created", c1), (2, "updated", c2), (3, "deleted", o1), (4, "restored", merge), (5, "updated", c3)]
    assert _trail(engine, "ADR-0001") == trail_a
    assert _trail(engine, "ADR-0002") == [(1, "created", o1)]
    assert _history(database_url, "ADR-0001", capsys) == trail_a
    assert result.orphaned == 2
    _at_head(git_repo, engine)
    assert main(["show", "ADR-0001", "--at", "HEAD~1", "--path", str(git_repo.path), "--project", "p",
                 "--database-url", database_url, "--format", "json"]) == 0
    assert json.loads(capsys.readouterr().out)["version"] == 4
    for older, newer in (("HEAD~2", "HEAD~1"), ("HEAD~1", "HEAD")):
        changes = [diff(git_repo.path, older, newer, method=m, project="p", database_url=database_url).changes
                   for m in ("history", "parse")]
        assert [c.as_dict() for c in changes[0]] == [c.as_dict() for c in changes[1]], (older, newer)
    backfill(git_repo.path, engine=engine, project="p")  # and a run after it adds nothing
    assert _trail(engine, "ADR-0001") == trail_a


def test_the_summary_says_how_many_commits_left_the_branch(
        git_repo: GitRepo, database_url: str, capsys: pytest.CaptureFixture[str]) -> None:
    git_repo.write(A, adr(1, "One"))
    git_repo.commit("c1")
    git_repo.write(A, adr(1, "One", decision="Second thoughts."))
    git_repo.commit("c2")
    argv = ["backfill", str(git_repo.path), "--database-url", database_url, "--project", "p"]
    assert main(argv) == 0
    assert "no longer holds" not in capsys.readouterr().err
    git_repo.write(A, adr(1, "One", decision="Second thoughts, amended."))
    git_repo.git("add", "-A")
    git_repo.git("commit", "-q", "--amend", "-m", "c2 amended")
    assert main(argv) == 0
    err = capsys.readouterr().err
    assert "note: the history of HEAD no longer holds 1 commit an earlier backfill recorded" in err, err


def test_a_record_the_final_sync_deletes_is_dated_by_the_commit(git_repo: GitRepo, engine: Any) -> None:
    """A scenario of a commit reset away, in a file the new commits do not touch: the replay leaves it, and the
    merge's final ``sync --ref`` deletes it, at HEAD. Its ``deleted_at`` was that sync's time, not the author date
    of HEAD that its ``deleted`` revision names (README: not the time of the backfill)."""
    feature = "Feature: A\n\n  Scenario: First\n    Given a thing\n"
    git_repo.write("features/a.feature", feature)
    git_repo.commit("c1", date="2023-01-01T10:00:00Z")
    git_repo.write("features/a.feature", feature + "\n  Scenario: Extra\n    Given x\n")
    git_repo.commit("c2", date="2023-01-02T10:00:00Z")
    backfill(git_repo.path, engine=engine, project="p")
    git_repo.git("reset", "-q", "--hard", "HEAD~1")
    git_repo.write("features/b.feature", "Feature: B\n\n  Scenario: Other\n    Given b\n")
    git_repo.commit("c3", date="2023-01-03T10:00:00Z")

    backfill(git_repo.path, engine=engine, project="p")

    with engine.connect() as conn:
        (deleted_at,) = conn.execute(text("SELECT deleted_at FROM scenarios WHERE deleted_at IS NOT NULL")).one()
    assert str(deleted_at).startswith("2023-01-03 10:00:00"), deleted_at
    _at_head(git_repo, engine)


def _revisions(engine: Any) -> int:
    with engine.connect() as conn:
        return int(conn.execute(text("SELECT count(*) FROM spec_revisions")).scalar_one())


def test_the_summary_counts_the_revisions_of_another_branch_and_its_final_sync(
        git_repo: GitRepo, engine: Any, database_url: str, capsys: pytest.CaptureFixture[str]) -> None:
    """An orphan branch backfilled after main (no commit shared: replayed from its root): ADR-0002 is created,
    ADR-0001 deleted at its commit. The summary (JSON and text) said 1 revision when the final ``sync --ref`` wrote
    the deletion: its revisions were not counted."""
    git_repo.write(A, adr(1, "One"))
    git_repo.commit("c1")
    git_repo.write(A, adr(1, "One", decision="X."))
    git_repo.commit("c2")
    git_repo.git("checkout", "-q", "--orphan", "other")
    git_repo.git("rm", "-rqf", ".")
    git_repo.write(B, adr(2, "Two"))
    git_repo.commit("o1")
    git_repo.git("checkout", "-q", "main")
    argv = ["backfill", str(git_repo.path), "--database-url", database_url, "--project", "p", "--quiet"]
    assert main(argv) == 0
    before = _revisions(engine)

    assert main([*argv, "--ref", "other", "--format", "json"]) == 0

    summary = json.loads(capsys.readouterr().out)
    assert summary["revisions"] == _revisions(engine) - before == 2, summary
    assert [c for _, c, _ in _trail(engine, "ADR-0001")] == ["created", "updated", "deleted"]


def test_the_summary_counts_the_deletion_after_a_reset(
        git_repo: GitRepo, engine: Any, database_url: str, capsys: pytest.CaptureFixture[str]) -> None:
    """``reset --hard`` to an older commit, no new commit: the record the reset took away gets its ``deleted``
    revision from the final ``sync --ref``, and the summary says so (it said 0 revisions)."""
    git_repo.write(A, adr(1, "One"))
    git_repo.commit("c1")
    git_repo.write(B, adr(2, "Two"))
    git_repo.commit("c2")
    argv = ["backfill", str(git_repo.path), "--database-url", database_url, "--project", "p"]
    assert main([*argv, "--quiet"]) == 0
    git_repo.git("reset", "-q", "--hard", "HEAD~1")
    before = _revisions(engine)

    assert main(argv) == 0

    out, err = capsys.readouterr()
    assert _revisions(engine) - before == 1
    assert ": 1 commit, 1 revision, 0 errors in " in out, out
    progress = [line for line in err.splitlines() if line.startswith("backfill: ")]
    assert progress[-1].endswith(" 1 revisions (100%)"), err  # and the progress ends on that figure
    assert [c for _, c, _ in _trail(engine, "ADR-0002")] == ["created", "deleted"]
    _at_head(git_repo, engine)
