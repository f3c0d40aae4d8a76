"""``tracertm watch`` and a SQLite file whose pages are damaged ("database disk image is malformed"): no retry
mends it, only the file restored or built again. The repository is parked — logged once, in the one line
``tracertm sync`` prints (the file, and what mends it; no traceback), not retried with backoff — and once the file
is replaced the next change syncs everything into the new one. A real damaged file, a real daemon (stopped with
SIGTERM, killed if it does not stop, even when a check fails)."""

from __future__ import annotations

import signal
from pathlib import Path
from typing import Any

from conftest import GitRepo, init_repo, run_cli
from damaged_db import damaged_at_open, damaged_copy
from specs import adr
from test_watch import Daemon
from test_watch_permanent_errors import daemons  # noqa: F401 - a fixture used by name
from tracertm.watcher.failures import PARKED


def _damage(repo: GitRepo, path: Path, *, at_open: bool = False) -> None:
    """``repo`` synced into ``path``, then the first bytes of the pages of ``projects`` and ``adrs`` overwritten
    (the header intact: SQLite opens the file and meets the damage when a sync reads those tables); ``at_open``:
    those of the schema's page instead (SQLite meets the damage on connecting, ``damaged_at_open``)."""
    synced = path.with_name("synced.db")
    assert run_cli("sync", str(repo.path), "--database-url", f"sqlite:///{synced}").returncode == 0
    (damaged_at_open if at_open else damaged_copy)(synced, path)


def _failures(daemon: Daemon, root: Path) -> list[dict[str, Any]]:
    return [e for e in list(daemon.lines) if e.get("event") == "sync_failed" and e.get("repository") == str(root)]


def _dropped(daemon: Daemon, root: Path) -> int:
    return sum(1 for e in list(daemon.lines) if e.get("message", "").startswith(f"{root}: dropped "))


def test_a_damaged_file_parks_the_repository_until_the_file_is_replaced(
        tmp_path: Path, daemons: list[Daemon]) -> None:
    repo = init_repo(tmp_path / "repo")
    repo.write("docs/adr/0001-seed.md", adr(1, "Seed"))
    repo.commit("seed")
    path = tmp_path / "specs.db"
    _damage(repo, path)
    url = f"sqlite:///{path}"

    daemon = Daemon(repo.path, url)
    daemons.append(daemon)
    daemon.wait_for(lambda: _failures(daemon, repo.path), "the start-up reconcile to fail")
    failure = _failures(daemon, repo.path)[0]
    assert failure["level"] == "error" and failure.get("retry") == "on_change", failure
    assert failure["message"] == (
        f"{repo.path}: sync failed ({path} is damaged (database disk image is malformed); restore it from a "
        "backup, or move it aside and run 'tracertm sync PATH' to build a new one ('tracertm backfill PATH' for "
        f"the history; API edits, test results and tokens are only in the database)); {PARKED}"), failure
    assert "traceback" not in failure, failure
    daemon.wait_for(lambda: _dropped(daemon, repo.path), "the failed reconcile to be dropped")

    # An edit is tried once more (a change may have mended it), fails the same way, and is not logged again.
    repo.write("docs/adr/0002-more.md", adr(2, "More"))
    daemon.wait_for(lambda: _dropped(daemon, repo.path) >= 2, "the retry after the edit to fail")
    assert len(_failures(daemon, repo.path)) == 1, daemon.tail()

    # The file moved aside: the next change finds the path names no file any more, and syncs everything (the
    # edit dropped while the file was damaged included) into a new one.
    path.rename(tmp_path / "damaged.db")
    repo.write("docs/adr/0003-late.md", adr(3, "Late"))
    daemon.wait(lambda e: e.get("event") == "sync" and e.get("repository") == str(repo.path), "the new file synced")
    synced = [e for e in daemon.lines if e.get("event") == "sync"][0]
    assert synced["reconcile"] and synced["counts"]["created"] == 3, synced
    daemon.proc.send_signal(signal.SIGTERM)
    assert daemon.finish() == 0, daemon.tail()
    (stop,) = [e for e in daemon.lines if e.get("event") == "stop"]
    assert stop["pending"] == [], stop  # no failed batch kept for a retry with backoff
    assert len(_failures(daemon, repo.path)) == 1, daemon.tail()
    assert not [e for e in daemon.lines if "retrying with backoff" in e.get("message", "")], daemon.tail()


def test_a_file_damaged_where_connecting_reads_it_is_named_as_tracertm_sync_names_it(
        tmp_path: Path, daemons: list[Daemon]) -> None:
    # The damage met on connecting was logged as "cannot use database URL: database disk image is malformed; check
    # --database-url": a URL to check, where the file needs restoring.
    repo = init_repo(tmp_path / "repo")
    repo.write("docs/adr/0001-seed.md", adr(1, "Seed"))
    repo.commit("seed")
    path = tmp_path / "specs.db"
    _damage(repo, path, at_open=True)

    daemon = Daemon(repo.path, f"sqlite:///{path}")
    daemons.append(daemon)
    daemon.wait_for(lambda: _failures(daemon, repo.path), "the start-up reconcile to fail")
    failure = _failures(daemon, repo.path)[0]
    assert failure["level"] == "error" and failure.get("retry") == "on_change", failure
    assert failure["message"].startswith(
        f"{repo.path}: sync failed ({path} is damaged (database disk image is malformed); restore it from a "
        "backup, or move it aside and run 'tracertm sync PATH'"), failure
    assert failure["message"].endswith(PARKED) and "traceback" not in failure, failure
    daemon.proc.send_signal(signal.SIGTERM)
    assert daemon.finish() == 0, daemon.tail()
    assert not [e for e in daemon.lines if e.get("event") == "database_down"], daemon.tail()
