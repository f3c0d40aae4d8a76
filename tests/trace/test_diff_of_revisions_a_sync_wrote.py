"""``tracertm diff``'s history method over a backfill merged onto the rows syncs wrote first (README, Backfill: the
everyday setup, a hook or a plain ``sync`` before the backfill). An audit found:

- a change synced from a clean work tree (its run records HEAD, as ``show --at`` dates it) has no commit of its own
  and the backfill leaves it so: the history method skipped it and said "no spec changes", while parsing reports
  the update;
- a change synced from uncommitted files has no date at all: the history method cannot tell which commit holds it,
  so ``auto`` parses and ``--method history`` says so in one line (it said to run a backfill, which changes
  nothing: it dates no such revision);
- the backfill's last commit missing from the clone (a force-push) was git's raw "bad object" error, exit 2.

Real git repositories, SQLite and PostgreSQL."""

from __future__ import annotations

import json
import subprocess
from typing import Any

import pytest

from conftest import GitRepo
from raw_sql import as_json, set_marker, sql
from specs import adr
from tracertm.engine.parsed_by import PARSER_OUTPUT, PARSER_OUTPUT_KEY
from tracertm.engine.sync import sync
from tracertm.errors import UsageError
from tracertm.history.backfill import backfill
from tracertm.parsers.common import content_hash
from tracertm.trace.diff import diff

PATH = "docs/adr/0001-use-x.md"


def _changes(result: Any) -> list[tuple[Any, ...]]:
    return [(c.action, c.kind, c.id, c.fields) for c in result.changes]


def test_a_change_synced_from_a_clean_work_tree_is_in_the_history_diff(
        git_repo: GitRepo, engine: Any, database_url: str) -> None:
    git_repo.write(PATH, adr(1, "Use X"))
    first = git_repo.commit("one")
    sync(git_repo.path, engine=engine)
    git_repo.write(PATH, adr(1, "Use X", decision="We use X and Y."))
    second = git_repo.commit("two")
    sync(git_repo.path, engine=engine)  # a clean work tree: the run records HEAD
    backfill(git_repo.path, engine=engine)

    parsed = diff(git_repo.path, first, second, method="parse")
    assert _changes(parsed) == [("updated", "adr", "ADR-0001", ("decision",))]
    for method in ("auto", "history"):
        recorded = diff(git_repo.path, first, second, method=method, database_url=database_url)
        assert recorded.method == "history" and _changes(recorded) == _changes(parsed), method


def _as_older_parsers_read(url: str, number: str) -> None:
    """ADR ``number``'s row and revision as an older tracertm whose parser read its decision otherwise left them
    (``engine.parsed_by``): the first sync after the upgrade reads its unchanged file again and versions it."""
    (snapshot,), = sql(url, "SELECT snapshot FROM spec_revisions WHERE number = :n", n=number)
    older = {**as_json(snapshot), "decision": "As the older parser read it."}
    older_hash = content_hash("adr", older)
    sql(url, "UPDATE spec_revisions SET snapshot = :s, content_hash = :h WHERE number = :n",
        s=json.dumps(older), h=older_hash, n=number)
    sql(url, "UPDATE adrs SET decision = :d, content_hash = :h WHERE adr_number = :n",
        d=older["decision"], h=older_hash, n=number)
    set_marker(url, PARSER_OUTPUT_KEY, PARSER_OUTPUT - 1)


def test_an_upgrade_re_read_is_no_change_of_the_commit_it_is_dated_by(
        git_repo: GitRepo, engine: Any, database_url: str) -> None:
    """The version the first sync after an upgrade gives a record whose unchanged file the new parsers read
    otherwise is dated at the HEAD that sync recorded (README, "How sync decides"): the history method reported it
    as a change of the last commit, which did not touch the file, where parsing reports none. It holds the state
    from the commit its file last changed at; ``history`` still lists it."""
    git_repo.write(PATH, adr(1, "Use X"))
    git_repo.write("docs/adr/0002-use-y.md", adr(2, "Use Y"))
    first = git_repo.commit("one")
    git_repo.write("docs/adr/0002-use-y.md", adr(2, "Use Y", decision="We use Y, then Z."))
    second = git_repo.commit("two")
    backfill(git_repo.path, engine=engine)
    _as_older_parsers_read(database_url, "ADR-0001")
    sync(git_repo.path, engine=engine)  # the upgrade's re-read: ADR-0001 version 2, dated at HEAD (second)
    assert sql(database_url, "SELECT version, change FROM spec_revisions WHERE number = 'ADR-0001' "
               "ORDER BY version") == [(1, "created"), (2, "updated")]

    expected = [("updated", "adr", "ADR-0002", ("decision",))]
    for method in ("auto", "history", "parse"):
        found = diff(git_repo.path, first, second, method=method, database_url=database_url)
        assert (found.method, _changes(found)) == ("parse" if method == "parse" else "history", expected), method
    # A later commit that does change the file is a change, by both methods.
    git_repo.write(PATH, adr(1, "Use X", decision="We use X and W."))
    third = git_repo.commit("three")
    backfill(git_repo.path, engine=engine)
    for method in ("history", "parse"):
        found = diff(git_repo.path, second, third, method=method, database_url=database_url)
        assert _changes(found) == [("updated", "adr", "ADR-0001", ("decision",))], method
        assert _changes(diff(git_repo.path, first, third, method=method, database_url=database_url)) == [
            ("updated", "adr", "ADR-0001", ("decision",)), *expected], method


def test_a_change_synced_before_its_commit_is_parsed(git_repo: GitRepo, engine: Any, database_url: str) -> None:
    git_repo.write(PATH, adr(1, "Use X"))
    first = git_repo.commit("one")
    sync(git_repo.path, engine=engine)
    git_repo.write(PATH, adr(1, "Use X", decision="We use X and Y."))
    sync(git_repo.path, engine=engine)  # the edit, before it is committed: a revision with no commit to date it by
    second = git_repo.commit("two")
    git_repo.write("docs/adr/0002-use-z.md", adr(2, "Use Z"))
    third = git_repo.commit("three")
    backfill(git_repo.path, engine=engine)

    parsed = diff(git_repo.path, first, second, method="parse")
    assert _changes(parsed) == [("updated", "adr", "ADR-0001", ("decision",))]
    found = diff(git_repo.path, first, second, database_url=database_url)
    assert found.method == "parse" and _changes(found) == _changes(parsed)
    # Why, truly (an undated revision, which no backfill dates: suggesting one helped nothing), and where.
    with pytest.raises(UsageError) as refused:
        diff(git_repo.path, first, second, method="history", database_url=database_url)
    assert str(refused.value) == (
        "diff --method history: ADR-0001 has a revision synced from uncommitted files (a work tree or index that "
        f"differed from HEAD), which no commit dates, so the revisions cannot tell its state at {first}; use "
        "--method parse")
    # At every later commit that undated revision may be ADR-0001's state too (the backfill dated none of it).
    later = diff(git_repo.path, second, third, database_url=database_url)
    assert later.method == "parse" and _changes(later) == [("created", "adr", "ADR-0002", ())]


def test_a_clone_without_the_backfill_last_commit_is_parsed(
        git_repo: GitRepo, engine: Any, database_url: str, tmp_path: Any) -> None:
    for n in (1, 2, 3):
        git_repo.write(f"docs/adr/000{n}-a{n}.md", adr(n, f"A{n}"))
        git_repo.commit(f"c{n}")
    backfill(git_repo.path, engine=engine, project="p")
    subprocess.run(["git", "reset", "-q", "--hard", "HEAD~1"], cwd=git_repo.path, check=True)
    clone = tmp_path / "clone"
    subprocess.run(["git", "clone", "-q", f"file://{git_repo.path}", str(clone)], check=True)
    first, second = (subprocess.run(["git", "rev-parse", ref], cwd=clone, capture_output=True, text=True,
                                    check=True).stdout.strip() for ref in ("HEAD~1", "HEAD"))

    found = diff(clone, first, second, project="p", database_url=database_url)
    assert found.method == "parse" and _changes(found) == [("created", "adr", "ADR-0002", ())]
    with pytest.raises(UsageError, match=r"the backfill's last commit [0-9a-f]{12} is not in this repository"):
        diff(clone, first, second, method="history", project="p", database_url=database_url)


def _shallow_clone(origin: GitRepo, depth: int) -> GitRepo:
    """A ``git clone --depth`` of ``origin`` beside it (a file:// URL: a local path would ignore ``--depth``)."""
    dest = origin.path.parent / f"shallow-{depth}"
    GitRepo(origin.path.parent).git("clone", "-q", "--depth", str(depth), f"file://{origin.path}", str(dest))
    clone = GitRepo(dest)
    assert clone.git("rev-parse", "--is-shallow-repository") == "true"
    return clone


@pytest.mark.parametrize("merged", [True, False], ids=["sync-then-backfill", "backfill"])
def test_a_shallow_clone_diffs_by_parsing(git_repo: GitRepo, engine: Any, database_url: str, merged: bool) -> None:
    """A database backfilled from a full clone, read from a CI-like shallow clone: the revisions before the clone's
    boundary name commits it cannot place, so the history method could not tell that the records existed at the
    older commit (every one was ``created``). ``auto`` parses; ``--method history`` says why in one line."""
    git_repo.write(PATH, adr(1, "Use X"))
    git_repo.write("docs/adr/0002-use-y.md", adr(2, "Use Y"))
    git_repo.commit("one")
    for i in (2, 3, 4):
        git_repo.write(PATH, adr(1, "Use X", decision=f"Edit {i}."))
        git_repo.commit(f"edit {i}")
    if merged:
        sync(git_repo.path, engine=engine, ref="HEAD")
    backfill(git_repo.path, engine=engine)
    clone = _shallow_clone(git_repo, 2)
    expected = [("updated", "adr", "ADR-0001", ("decision",))]
    assert _changes(diff(git_repo.path, "HEAD~1", "HEAD", database_url=database_url)) == expected

    project = git_repo.path.name  # (the clone's own name would be its origin's)
    found = diff(clone.path, "HEAD~1", "HEAD", project=project, database_url=database_url)
    assert (found.method, _changes(found)) == ("parse", expected)
    with pytest.raises(UsageError) as refused:
        diff(clone.path, "HEAD~1", "HEAD", method="history", project=project, database_url=database_url)
    boundary = clone.git("rev-parse", "HEAD~1")
    assert str(refused.value) == (
        f"diff --method history: this clone is shallow (its history stops at {boundary[:12]}) and the recorded "
        "revisions name commits it does not hold, so which of them come before HEAD~1 cannot be told; run 'git "
        "fetch --unshallow' or use --method parse")
