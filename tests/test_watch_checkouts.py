"""``tracertm watch`` beside git checkouts: a branch switch is one reconcile, however slowly git writes its files (its
smudge filter held at a gate) and however late it moves HEAD; an event that comes after a sync already read its file
syncs nothing; changes wait while git holds the index. Real git, real file-system events, bounded polling instead of
fixed sleeps (see ``test_watch``)."""

from __future__ import annotations

import os
import time
from pathlib import Path
from typing import Any

import pytest

from sqlalchemy import select

from conftest import GitRepo
from test_watch import (  # noqa: F401 - fixtures (dbx, sqlite_db, stop_all) are used by name
    WAIT_S, Db, adr, adr_path, dbx, gate_filter, gated_git, sqlite_db, start, stop_all, wait_for,
)
from tracertm import db
from tracertm.engine import sync as sync_module
from tracertm.models import Project
from tracertm.watcher import Watcher


def test_branch_switch_is_one_reconcile(git_repo: GitRepo, dbx: Db, stop_all: list[Watcher]) -> None:
    for i in range(1, 121):
        git_repo.write(adr_path(i), adr(i, f"Main {i}"))
    git_repo.commit("main")
    git_repo.git("checkout", "-q", "-b", "other")
    for i in range(1, 81):
        git_repo.write(adr_path(i), adr(i, f"Other {i}"))
    for i in range(81, 101):
        git_repo.remove(adr_path(i))
    for i in range(121, 151):
        git_repo.write(adr_path(i), adr(i, f"Other {i}"))
    git_repo.commit("other")
    expected = {adr_path(i): f"Other {i}" for i in range(1, 81)}
    expected |= {adr_path(i): f"Main {i}" for i in range(101, 121)}
    expected |= {adr_path(i): f"Other {i}" for i in range(121, 151)}
    git_repo.git("checkout", "-q", "main")

    w = start(git_repo.path, dbx.url, debounce_ms=200)  # the default quiet period
    stop_all.append(w)
    assert len(dbx.live()) == 120
    syncs, reconciles = w.stats.syncs, w.stats.reconciles

    git_repo.git("checkout", "-q", "other")
    wait_for(lambda: dbx.live() == expected, what="the other branch")
    assert w.wait_idle(WAIT_S)
    assert (w.stats.syncs - syncs, w.stats.reconciles - reconciles) == (1, 1)
    assert dbx.in_sync_with(git_repo.path)
    with db.session(dbx.engine) as s:
        assert s.execute(select(Project.last_synced_commit)).scalar_one() == git_repo.head()

    git_repo.write(adr_path(200), adr(200, "Committed"))  # a commit moves a ref: reconcile records the commit
    head = git_repo.commit("add 200")
    wait_for(lambda: adr_path(200) in dbx.live(), what="commit")

    def recorded() -> bool:
        with db.session(dbx.engine) as s:
            return s.execute(select(Project.last_synced_commit)).scalar_one() == head

    wait_for(recorded, what="last synced commit")


def two_branches(git_repo: GitRepo, n: int) -> str:
    """ADRs 1..n through the slow filter's attribute (not configured yet: ``gate_filter`` does that), "Main i" on
    main and "Other i" on branch ``other`` (its commit returned), main checked out."""
    git_repo.write(".gitattributes", "docs/adr/*.md filter=slow\n")
    for i in range(1, n + 1):
        git_repo.write(adr_path(i), adr(i, f"Main {i}"))
    git_repo.commit("main")
    git_repo.git("checkout", "-q", "-b", "other")
    for i in range(1, n + 1):
        git_repo.write(adr_path(i), adr(i, f"Other {i}"))
    other = git_repo.commit("other")
    git_repo.git("checkout", "-q", "main")
    return other


def test_a_slow_checkout_is_still_one_reconcile(
    git_repo: GitRepo, sqlite_db: Db, stop_all: list[Watcher], tmp_path: Path
) -> None:
    """git writes the files of a checkout one by one with pauses longer than the quiet period, for longer than the
    ceiling — as on a loaded machine, or with a slow smudge filter (git-lfs): here a real filter that waits at a
    gate before the last file. The daemon holds the batch while git holds the index and syncs once, when the
    checkout is complete."""
    two_branches(git_repo, 4)
    # The filter from here on: the setup's own checkouts need not be slow (``cat`` writes the same files).
    gate = tmp_path / "gate"
    gate_filter(git_repo, gate, adr_path(4))
    w = start(git_repo.path, sqlite_db.url, debounce_ms=100, ceiling_s=0.5)
    stop_all.append(w)
    syncs, reconciles = w.stats.syncs, w.stats.reconciles

    def held_past_the_ceiling() -> None:
        # Three files written, the fourth at the gate: the batch came due and is held again and again, each look a
        # quiet period (0.1 s) after the one before — six of them outlast the ceiling (0.5 s).
        wait_for(lambda: w.stats.held >= 6, what="the batch held during the checkout")

    gated_git(git_repo, gate, held_past_the_ceiling, "checkout", "-q", "other")
    wait_for(lambda: sqlite_db.live() == {adr_path(i): f"Other {i}" for i in range(1, 5)}, what="the other branch")
    assert w.wait_idle(WAIT_S)
    assert (w.stats.syncs - syncs, w.stats.reconciles - reconciles) == (1, 1), [
        (r.reconcile, r.paths) for r in list(w.history)
    ]


def test_a_checkout_that_moves_head_late_is_still_one_reconcile(
    git_repo: GitRepo, sqlite_db: Db, stop_all: list[Watcher], tmp_path: Path
) -> None:
    """git writes the index and lets go of it before it moves HEAD: on a loaded machine the gap between the two can
    outlast any quiet period (and the ceiling). Played here in two steps, as slow as one likes: ``read-tree -u``
    (the work tree and index of a checkout, through the slow filter so the batch is held) and then the HEAD update.
    The daemon keeps the batch while the index disagrees with HEAD and syncs once, a reconcile at the new commit;
    the late HEAD events find nothing new."""
    other = two_branches(git_repo, 2)
    gate = tmp_path / "gate"
    gate_filter(git_repo, gate, adr_path(2))  # (from here on: the setup need not be slow)
    # The wait for HEAD is bounded (git add moves no HEAD); here it must outlast the test's own slowest step.
    w = start(git_repo.path, sqlite_db.url, debounce_ms=100, ceiling_s=0.5, ref_wait_s=3 * WAIT_S)
    stop_all.append(w)
    syncs, reconciles = w.stats.syncs, w.stats.reconciles

    def held_while_git_holds_the_index() -> None:
        # The first file written, git at the gate before the second: the batch comes due while git holds the index.
        wait_for(lambda: w.stats.held >= 1, what="the batch held while git holds the index")

    gated_git(git_repo, gate, held_while_git_holds_the_index, "read-tree", "-m", "-u", "other")  # HEAD at main
    held = w.stats.held
    # The daemon looks at the batch again with git gone and keeps holding it: HEAD has not moved.
    wait_for(lambda: w.stats.held >= held + 2, what="the batch held after git let go of the index")
    assert w.stats.syncs == syncs, [(r.reconcile, r.paths) for r in list(w.history)]
    git_repo.git("symbolic-ref", "HEAD", "refs/heads/other")
    wait_for(lambda: sqlite_db.live() == {adr_path(i): f"Other {i}" for i in range(1, 3)}, what="the other branch")
    assert w.wait_idle(WAIT_S)
    assert (w.stats.syncs - syncs, w.stats.reconciles - reconciles) == (1, 1), [
        (r.reconcile, r.paths) for r in list(w.history)
    ]
    with db.session(sqlite_db.engine) as s:
        assert s.execute(select(Project.last_synced_commit)).scalar_one() == other


def test_a_late_event_about_a_file_already_synced_syncs_nothing(
    git_repo: GitRepo, sqlite_db: Db, stop_all: list[Watcher]
) -> None:
    """On a loaded machine the observers run behind the loop: an event can arrive after a sync that already read
    the file (the last files of a checkout, after the reconcile that ended it). Such an event, handed to the
    debouncer as a starved observer thread would, syncs nothing; a real change of the same file still syncs."""
    git_repo.write(adr_path(1), adr(1, "One"))
    git_repo.commit("one")
    w = start(git_repo.path, sqlite_db.url, debounce_ms=50, ceiling_s=0.2)
    stop_all.append(w)
    syncs = w.stats.syncs
    key = str(git_repo.path.resolve())

    w._debouncer.add(key, [adr_path(1)])  # late: the start-up reconcile read this very file
    w._debouncer.add(key, reconcile=True, refs=True)  # and HEAD's events, as that reconcile saw HEAD
    assert w.wait_idle(WAIT_S)
    assert w.stats.syncs == syncs, [(r.reconcile, r.paths) for r in list(w.history)]

    git_repo.write(adr_path(1), adr(1, "One, edited"))
    wait_for(lambda: sqlite_db.live() == {adr_path(1): "One, edited"}, what="the edit")
    assert w.wait_idle(WAIT_S)
    assert w.stats.syncs == syncs + 1
    w._debouncer.add(key, [adr_path(1)])  # the edit's events again, late
    assert w.wait_idle(WAIT_S)
    assert w.stats.syncs == syncs + 1, [(r.reconcile, r.paths) for r in list(w.history)]


def test_a_file_created_and_deleted_again_around_a_sync_that_read_it_is_deleted(
    git_repo: GitRepo, sqlite_db: Db, stop_all: list[Watcher], monkeypatch: pytest.MonkeyPatch
) -> None:
    """A file absent when the daemon took its signatures, written before the sync read it and deleted after (a
    writer creating and deleting files while the daemon syncs): the sync recorded it, and the events of its creation
    and deletion, which come after the sync, find it absent as the signature said. Absence read before a sync proves
    nothing about what the sync read: the deletion is synced (the daemon kept the record of a deleted file)."""
    git_repo.write(adr_path(1), adr(1, "One"))
    git_repo.commit("one")
    w = start(git_repo.path, sqlite_db.url, debounce_ms=50)
    stop_all.append(w)
    real_sync = sync_module.sync
    done: list[bool] = []

    def written_and_deleted_around_the_read(root: Path, paths: list[str] | None = None, **kwargs: Any) -> Any:
        aba = not done and adr_path(2) in (paths or ()) and not (git_repo.path / adr_path(2)).exists()
        if aba:
            git_repo.write(adr_path(2), adr(2, "Two, for a moment"))
        try:
            return real_sync(root, paths=paths, **kwargs)
        finally:
            if aba:
                git_repo.remove(adr_path(2))
                done.append(True)

    monkeypatch.setattr(sync_module, "sync", written_and_deleted_around_the_read)
    git_repo.write(adr_path(2), adr(2, "Two"))  # the batch that takes the signature: written and gone at once
    git_repo.remove(adr_path(2))
    wait_for(lambda: done and w.wait_idle(0) and sqlite_db.live() == {adr_path(1): "One"},
             what="the deleted file's record deleted")


def test_changes_wait_while_git_holds_the_index(git_repo: GitRepo, sqlite_db: Db, stop_all: list[Watcher]) -> None:
    """While ``.git/index.lock`` exists nothing syncs (observed through the ``held`` counter, not a sleep); when git
    lets go the changes sync in one batch. A lock a crashed git left behind (old) holds nothing up."""
    git_repo.write(adr_path(1), adr(1, "One"))
    git_repo.commit("one")
    w = start(git_repo.path, sqlite_db.url, debounce_ms=50, ceiling_s=0.2)
    stop_all.append(w)
    syncs = w.stats.syncs
    lock = git_repo.path / ".git" / "index.lock"
    lock.write_bytes(b"")
    try:
        git_repo.write(adr_path(1), adr(1, "One, edited"))
        git_repo.write(adr_path(2), adr(2, "Two"))
        # Held again and again, well past the ceiling (10 x 50 ms > 200 ms), and still nothing synced.
        wait_for(lambda: w.stats.held >= 10, what="the batch to be held")
        assert w.stats.syncs == syncs and sqlite_db.live() == {adr_path(1): "One"}
    finally:
        lock.unlink()
    wait_for(lambda: sqlite_db.live() == {adr_path(1): "One, edited", adr_path(2): "Two"}, what="the held changes")
    assert w.wait_idle(WAIT_S)
    assert w.stats.syncs - syncs == 1

    lock.write_bytes(b"")
    stale = time.time() - 3600
    os.utime(lock, (stale, stale))
    try:
        git_repo.write(adr_path(3), adr(3, "Three"))
        wait_for(lambda: adr_path(3) in sqlite_db.live(), what="a sync despite a stale lock")
    finally:
        lock.unlink()
