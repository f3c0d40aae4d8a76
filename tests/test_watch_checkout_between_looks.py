"""A git checkout that runs whole between two of the daemon's looks at the index, its events still on their way (the
observers run behind the loop on a loaded machine): the daemon never sees git hold the index, and the first of the
checkout's events (git deletes the old files before it writes the new ones) come due as an ordinary edit. Synced as
such, they recorded a state of neither commit — a record deleted that the checkout wrote back elsewhere, 'deleted'
then 'restored' where a sync before and one after record a move (test_watch_real_saves' checkout of hundreds of
specs, 'checkout main', on both databases: twice in 30 runs of that test at -n 3 under load, once in a run of the
watch tests at -n 4). The refs have moved since the last reconcile: the batch becomes that reconcile, which reads
the finished checkout. Real git; the observers' lag is played by holding their events back, then handing them to
the debouncer in the order git made them."""

from __future__ import annotations

import pytest

from conftest import GitRepo
from test_watch import WAIT_S, Db, adr_path, dbx, start, stop_all, wait_for
from test_watch_sync_overtaken_by_git import branch_moving_adr_3, changes
from tracertm.watcher import Watcher

__all__ = ["dbx", "stop_all"]  # fixtures, used by name


def test_the_first_events_of_a_checkout_git_finished_unseen_sync_the_finished_checkout(
    git_repo: GitRepo, dbx: Db, stop_all: list[Watcher], monkeypatch: pytest.MonkeyPatch
) -> None:
    branch_moving_adr_3(git_repo)
    w = start(git_repo.path, dbx.url)
    stop_all.append(w)
    key = str(git_repo.path.resolve())
    syncs = w.stats.syncs

    add, held_back = w._debouncer.add, []  # the observers' events from here on, held back (to the end)
    monkeypatch.setattr(w._debouncer, "add", lambda *args, **kwargs: held_back.append(kwargs.get("refs")))
    git_repo.git("checkout", "-q", "main")  # whole, HEAD moved: the daemon saw none of it
    wait_for(lambda: any(held_back), what="the checkout's events, up to HEAD's")

    add(key, [adr_path(3, "moved")])  # the old file deleted: the first event, due alone
    assert w.wait_idle(WAIT_S)
    add(key, [adr_path(3)])  # the rest, late: the new file, then HEAD's events
    add(key, reconcile=True, refs=True)
    assert w.wait_idle(WAIT_S)
    assert dbx.live() == {adr_path(i): f"Decision {i}" for i in (1, 2, 3)}
    assert changes(dbx, "ADR-0003") == ["created", "moved"]
    assert [(r.reconcile, r.counts["moved"], r.counts["deleted"]) for r in list(w.history)[syncs:]] == [(True, 1, 0)]
    assert w.stats.failures == 0
