"""``tracertm watch`` when a file the sync reads vanishes mid-sync (a ``git checkout`` landing while the daemon
syncs): one log line saying the work tree changed, no traceback, and the daemon catches up with the new state.

Found auditing the daemon on behave's repository: a checkout during a reconcile removed a step module between the
scan and its read, and the daemon logged ``sync failed (FileNotFoundError ...)`` with a traceback."""

from __future__ import annotations

import logging
from typing import Any

import pytest

from conftest import GitRepo
from test_watch import Db, sqlite_db, start, stop_all, wait_for  # noqa: F401 - fixtures used by name
from tracertm.engine import step_sync
from tracertm.engine.scan import scan as real_scan
from tracertm.watcher import Watcher

STEPS = 'from behave import given\n\n\n@given("{text}")\ndef {name}(context):\n    pass\n'


def test_a_step_file_gone_mid_sync_is_one_line_and_the_daemon_catches_up(
        git_repo: GitRepo, sqlite_db: Db, stop_all: list[Watcher], monkeypatch: pytest.MonkeyPatch,
        caplog: pytest.LogCaptureFixture) -> None:
    git_repo.write("features/f.feature", "Feature: F\n  Scenario: S\n    Given a thing\n")
    git_repo.write("features/steps/a_steps.py", STEPS.format(text="a thing", name="a"))
    git_repo.write("features/steps/b_steps.py", STEPS.format(text="b thing", name="b"))
    git_repo.commit("seed")
    caplog.set_level(logging.INFO, logger="tracertm.watch")
    watcher = start(git_repo.path, sqlite_db.url)
    stop_all.append(watcher)
    armed = [True]

    def scan_then_checkout(*args: Any, **kwargs: Any) -> Any:
        """The scan of every step file that a sync of some paths matches the changed features' steps against;
        the work tree changes right after it, once."""
        snapshot = real_scan(*args, **kwargs)
        if armed:
            armed.clear()
            (git_repo.path / "features/steps/a_steps.py").unlink()
        return snapshot

    monkeypatch.setattr(step_sync, "scan", scan_then_checkout)
    git_repo.write("features/f.feature", "Feature: F\n  Scenario: S, edited\n    Given a thing\n")

    def failed() -> list[logging.LogRecord]:
        return [r for r in caplog.records if getattr(r, "fields", {}).get("event") == "sync_failed"]

    records = wait_for(failed, what="the failed sync's log line")
    assert not armed, "the file was removed mid-sync"
    assert [r.exc_info for r in records] == [None], "a work tree that changed mid-sync is no internal error"
    message = records[0].getMessage()
    assert "features/steps/a_steps.py: changed while this sync read the work tree" in message, message
    assert "\n" not in message
    wait_for(lambda: watcher.wait_idle(0) and sqlite_db.in_sync_with(git_repo.path), what="the daemon to catch up")
