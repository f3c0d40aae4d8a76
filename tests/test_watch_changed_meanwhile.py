"""``tracertm watch`` when a sync fails because a file changed while it read the work tree (a save landing
mid-sync, again and again under continuous writes): the batch is synced again like a fresh change, once the
files are quiet, not after a database outage's growing backoff.

Found by a colleague's daemon under continuous writes: after five such failures it took 18 s to complete a sync,
the retries waiting 0.5, 1, 2, 4, 8 s although each failure was itself a change the quiet period covers."""

from __future__ import annotations

import errno
import logging
import threading
import time
from pathlib import Path
from typing import Any

import pytest

from conftest import GitRepo
from specs import feature
from test_watch import Db, dbx, start, stop_all  # noqa: F401 - fixtures used by name
from tracertm.engine import sync as sync_module
from tracertm.engine.reading import changed_meanwhile
from tracertm.errors import ConflictError
from tracertm.watcher import Watcher
from tracertm.watcher.debounce import Debouncer
from tracertm.watcher.failures import retried_when_quiet
from tracertm.watcher.logs import LOGGER
from tracertm.watcher.stats import Health
from waiting import until

FAILURES = 5  # as the colleague's daemon met them
DEBOUNCE_MS = 100
# An upper bound for the five retries and the sync that succeeds, each after a quiet period and a sync of six small
# files: 100 quiet periods, generous for a shared CI machine. The old backoff alone waited 0.5 + 1 + 2 + 4 + 8 s.
LIMIT_S = 100 * DEBOUNCE_MS / 1000


def _path(n: int) -> str:
    return f"features/f{n}.feature"


def test_a_file_changed_while_a_sync_read_it_is_synced_again_once_the_files_are_quiet(
        git_repo: GitRepo, dbx: Db, stop_all: list[Watcher], monkeypatch: pytest.MonkeyPatch,
        caplog: pytest.LogCaptureFixture) -> None:
    for n in range(FAILURES + 1):
        git_repo.write(_path(n), feature(n + 1, f"Feature {n}"))
    git_repo.commit("seed")
    caplog.set_level(logging.INFO, logger=LOGGER)
    watcher = start(git_repo.path, dbx.url, debounce_ms=DEBOUNCE_MS)
    stop_all.append(watcher)
    gone: list[int] = []
    real_scan = sync_module.scan

    def scan_then_save(*args: Any, **kwargs: Any) -> Any:
        """A writer saving the files one after another while the daemon syncs them: right after each of the
        daemon's first five scans, the file it took away last is back, edited, and the next one is gone, so the
        read the scan planned fails. The test's own syncs (another thread) scan undisturbed."""
        snapshot = real_scan(*args, **kwargs)
        if threading.current_thread().name == "tracertm-watch" and len(gone) < FAILURES:
            if gone:
                git_repo.write(_path(gone[-1]), feature(gone[-1] + 1, f"Feature {gone[-1]}, saved again"))
            gone.append(len(gone))
            git_repo.remove(_path(gone[-1]))
        return snapshot

    monkeypatch.setattr(sync_module, "scan", scan_then_save)
    began = time.monotonic()
    for n in range(FAILURES + 1):
        git_repo.write(_path(n), feature(n + 1, f"Feature {n}, edited"))
    until(lambda: len(gone) == FAILURES and watcher.wait_idle(0) and dbx.in_sync_with(git_repo.path),
          "database equal to a fresh sync after the writer stopped", LIMIT_S)
    took = time.monotonic() - began

    failed = [r for r in caplog.records if getattr(r, "fields", {}).get("event") == "sync_failed"]
    assert [getattr(r, "fields")["retry"] for r in failed] == ["on_quiet"] * FAILURES, [  # noqa: B009
        r.getMessage() for r in failed]
    assert {r.levelno for r in failed} == {logging.INFO}, "a file saved mid-sync is no error of the repository"
    assert all(r.getMessage().endswith("changes kept, syncing again once the files are quiet") for r in failed)
    assert "features/f4.feature: changed while this sync read the work tree" in failed[-1].getMessage()
    assert watcher.stats.failures == FAILURES
    assert not [r for r in caplog.records if "backoff" in r.getMessage()], "no retry waited on the backoff"
    assert took < LIMIT_S


ROOT = Path("/repo")
CHANGED = changed_meanwhile(ROOT, FileNotFoundError(errno.ENOENT, "No such file or directory",
                                                    str(ROOT / "features/a.feature")))


def test_the_retry_is_a_fresh_change_and_a_failure_with_no_change_behind_it_waits_on_the_backoff() -> None:
    now = [100.0]
    debouncer = Debouncer(quiet=0.2, ceiling=2.0, clock=lambda: now[0])
    debouncer.add("/repo", ["features/a.feature"], now=99.0)
    [batch] = debouncer.pop_due()
    health = Health()

    assert retried_when_quiet(ROOT, debouncer, batch, health, CHANGED)
    assert debouncer.next_due() == pytest.approx(100.2)  # the quiet period after the failure, no backoff
    assert health == Health(quiet_retry=1)  # down, failures, parked: as they were
    debouncer.add("/repo", ["features/a.feature"], now=100.1)  # the change that broke the read, reported late
    debouncer.add("/repo", ["features/b.feature"], now=101.95)  # writes go on: the ceiling, from the failure
    assert debouncer.next_due() == pytest.approx(102.0)

    now[0] = 102.0
    [again] = debouncer.pop_due()
    assert retried_when_quiet(ROOT, debouncer, again, health, CHANGED)  # events came since: a fresh change again
    now[0] = 102.2
    [again] = debouncer.pop_due()
    assert not retried_when_quiet(ROOT, debouncer, again, health, CHANGED), "no event since: the caller's backoff"
    assert len(debouncer) == 0
    lost = ConflictError("another writer held the database (deadlock detected); run it again")
    assert not retried_when_quiet(ROOT, debouncer, again, Health(), lost)
