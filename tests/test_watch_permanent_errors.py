"""``tracertm watch`` and the failures of one repository that no retry mends — its project in the database belongs
to another repository, its configuration is invalid — and a database refusing the work as it is set up (read-only).

A repository's lasting failure is logged once, with what to do, and the repository waits for a change (of a file
or of its configuration) instead of being retried with backoff for ever; the other repositories go on syncing. A
read-only database is an outage: logged once, retried with backoff, and synced into as soon as it is writable
again. Every daemon is a real process, stopped with SIGTERM (killed if it does not stop) even when a check fails.
"""

from __future__ import annotations

import signal
from collections.abc import Callable, Iterator
from pathlib import Path
from typing import Any

import pytest
from sqlalchemy import text
from sqlalchemy.engine import make_url

from conftest import _pg_admin_url, _pg_execute_autocommit, init_repo, run_cli, sqlite_only
from specs import adr
from test_watch import Daemon, Db, dbx  # noqa: F401 - fixtures used by name


@pytest.fixture
def daemons() -> Iterator[list[Daemon]]:
    """The daemons a test starts: each one still running at its end is killed and reaped."""
    started: list[Daemon] = []
    yield started
    for daemon in started:
        if daemon.proc.poll() is None:
            daemon.proc.kill()
        daemon.finish()


def _stop(daemon: Daemon) -> dict[str, Any]:
    """SIGTERM; the daemon must exit 0. Its ``stop`` line."""
    daemon.proc.send_signal(signal.SIGTERM)
    assert daemon.finish() == 0, daemon.tail()
    stops = [e for e in daemon.lines if e.get("event") == "stop"]
    assert stops, daemon.tail()
    return stops[-1]


def _started(daemon: Daemon, root: Path) -> int:
    return sum(1 for e in list(daemon.lines) if e.get("message", "").startswith(f"sync started {root} "))


def _failures(daemon: Daemon, root: Path) -> list[dict[str, Any]]:
    return [e for e in list(daemon.lines) if e.get("event") == "sync_failed" and e.get("repository") == str(root)]


def _dropped(daemon: Daemon, root: Path) -> int:
    return sum(1 for e in list(daemon.lines) if e.get("message", "").startswith(f"{root}: dropped "))


# SQLite only: the parking is the daemon's; the refusal's store path runs on PostgreSQL in
# tests/test_project_mismatch_hints.py::test_each_verb_names_what_it_takes[postgresql].
@sqlite_only
def test_a_project_of_another_repository_parks_only_that_repository_until_a_change(
        tmp_path: Path, dbx: Db, daemons: list[Daemon]) -> None:  # noqa: F811
    """Two unrelated repositories in folders of the same name get the same project name: the second one's sync
    is refused (``tracertm sync`` exits 2). The daemon logs that once and keeps no batch to retry with backoff: it
    tries again when the repository changes — a spec edit fails again, silently; naming the project in
    ``.tracertm.toml`` syncs it, the dropped edit with it — and keeps syncing the repository next to it."""
    first = init_repo(tmp_path / "elsewhere" / "x")
    first.write("docs/adr/0001-first.md", adr(1, "First"))
    first.commit("first")
    assert run_cli("sync", str(first.path), "--database-url", dbx.url).returncode == 0
    workspace = tmp_path / "ws"
    clash = init_repo(workspace / "x")
    clash.write("docs/adr/0001-other.md", adr(1, "Other"))
    clash.commit("unrelated")
    refused = run_cli("sync", str(clash.path), "--database-url", dbx.url)
    assert refused.returncode == 2 and "belongs to another repository" in refused.stderr
    healthy = init_repo(workspace / "healthy")
    healthy.write("docs/adr/0001-seed.md", adr(1, "Seed"))
    healthy.commit("seed")

    daemon = Daemon(workspace, dbx.url)
    daemons.append(daemon)
    daemon.wait_for(lambda: _failures(daemon, clash.path), "the refused sync")
    failure = _failures(daemon, clash.path)[0]
    assert failure["level"] == "error" and failure.get("retry") == "on_change", failure
    message = failure["message"]
    assert "belongs to another repository" in message and 'set project = "NAME" in .tracertm.toml' in message
    assert "--project" not in message  # (an option ``watch`` does not have)
    assert message.endswith("not retrying until one of its files or its configuration changes"), message
    assert "traceback" not in failure
    daemon.wait(lambda e: e.get("event") == "sync" and e.get("repository") == str(healthy.path), "healthy synced")

    # An edit that cannot help is tried once more (a change may have mended it), and not logged again.
    dropped = _dropped(daemon, clash.path)
    clash.write("docs/adr/0002-more.md", adr(2, "More"))
    daemon.wait_for(lambda: _dropped(daemon, clash.path) > dropped, "the retry after the edit to fail")
    # The other repository goes on syncing meanwhile.
    healthy.write("docs/adr/0002-next.md", adr(2, "Next"))
    daemon.wait(lambda e: e.get("event") == "sync" and e.get("repository") == str(healthy.path)
                and not e.get("reconcile") and e.get("counts", {}).get("created") == 1, "the healthy edit synced")
    stop = _stop(daemon)
    assert len(_failures(daemon, clash.path)) == 1, daemon.tail()
    # No failed batch was kept for a retry with backoff: nothing of it was pending when the daemon stopped.
    assert stop["pending"] == [], stop

    # Started again: refused again (logged once more: a new process); the configuration names a project of its
    # own and the repository is synced in full at once, the edit made while it was refused included.
    daemon = Daemon(workspace, dbx.url)
    daemons.append(daemon)
    daemon.wait_for(lambda: _dropped(daemon, clash.path), "the refused sync")
    clash.write(".tracertm.toml", 'project = "x-clash"\n')
    daemon.wait(lambda e: e.get("event") == "sync" and e.get("project") == "x-clash", "the renamed project synced")
    synced = [e for e in daemon.lines if e.get("event") == "sync" and e.get("project") == "x-clash"][0]
    assert synced["reconcile"] and synced["counts"]["created"] == 2, synced
    assert daemon.saw(lambda e: e.get("event") == "repository_ok" and e.get("repository") == str(clash.path))
    # Without the setting it is refused again; the database is mended instead (the other repository's project
    # renamed), which the daemon cannot see: the next edit syncs everything the refused syncs dropped.
    dropped = _dropped(daemon, clash.path)
    clash.remove(".tracertm.toml")
    daemon.wait_for(lambda: _dropped(daemon, clash.path) > dropped, "the refusal after the setting went")
    assert len(_failures(daemon, clash.path)) == 2, daemon.tail()
    with dbx.engine.begin() as conn:
        conn.execute(text("UPDATE projects SET name = 'x-first' WHERE name = 'x'"))
    clash.write("docs/adr/0003-late.md", adr(3, "Late"))
    # The name 'x' free now, the folder's sync goes on in the project it was synced as, 'x-clash' (the one that
    # records this folder, which the read verbs answer for it too), not in a new 'x': the late ADR is its only news.
    late = [e for e in daemon.lines if e.get("event") == "sync" and e.get("project") == "x-clash"]
    daemon.wait(lambda e: e.get("event") == "sync" and e.get("project") == "x-clash" and e not in late,
                "the mended repository synced")
    synced = [e for e in daemon.lines if e.get("event") == "sync" and e.get("project") == "x-clash"][len(late)]
    assert synced["reconcile"] and synced["counts"]["created"] == 1, synced
    _stop(daemon)
    assert len(_failures(daemon, clash.path)) == 2, daemon.tail()


# SQLite only: an invalid configuration stops the daemon before any database work (the fixed sync is a plain one,
# run on PostgreSQL by tests/test_watch.py::test_database_follows_create_edit_save_rename_delete[postgresql]).
@sqlite_only
def test_an_invalid_configuration_is_logged_once_and_waits_for_the_fix(
        tmp_path: Path, dbx: Db, daemons: list[Daemon]) -> None:  # noqa: F811
    """An invalid ``.tracertm.toml`` is said once, naming its line and what to write, and that the repository waits
    for it; no sync is tried (to fail on it a second time, "retrying with backoff") until it is fixed."""
    repo = init_repo(tmp_path / "repo")
    repo.write("docs/adr/0001-seed.md", adr(1, "Seed"))
    repo.write(".tracertm.toml", 'lock_timeout = "soon"\n')
    repo.commit("seed")
    daemon = Daemon(repo.path, dbx.url)
    daemons.append(daemon)
    daemon.wait(lambda e: e.get("message") == f"{repo.path}: configuration invalid; not syncing"
                or e.get("event") == "sync_failed", "the start-up reconcile")
    assert not _failures(daemon, repo.path), daemon.tail()
    errors = [e for e in daemon.lines if e.get("event") == "config_error"]
    assert len(errors) == 1, daemon.tail()
    assert errors[0]["message"] == (f"{repo.path}: {repo.path}/.tracertm.toml:1: lock_timeout must be a number, e.g. "
                                    "lock_timeout = 60; not syncing it until its configuration changes")
    before_the_fix = len(daemon.lines)
    repo.write(".tracertm.toml", "lock_timeout = 30\n")
    daemon.wait(lambda e: e.get("event") == "sync" and e.get("counts", {}).get("created") == 1, "the fixed sync")
    # The recovery is an event of its own, for those who follow the log by ``event`` (it had none).
    mended = [e for e in daemon.lines if e.get("event") == "config_ok"]
    assert [(e["message"], e["repository"]) for e in mended] == [
        (f"{repo.path}: configuration valid again", errors[0]["repository"])], daemon.tail()
    stop = _stop(daemon)
    assert not _failures(daemon, repo.path), daemon.tail()
    assert not [e for e in daemon.lines[:before_the_fix] if e.get("message", "").startswith("sync started")]
    assert stop["failures"] >= 1 and stop["pending"] == [], stop


@pytest.fixture
def read_only(dbx: Db) -> Iterator[Callable[[bool], None]]:  # noqa: F811
    """Turn PostgreSQL's ``default_transaction_read_only`` of the test's database on or off (reset at the end)."""
    admin = _pg_admin_url()
    assert admin
    name = make_url(dbx.url).database

    def set_to(on: bool) -> None:
        value = "on" if on else "off"
        _pg_execute_autocommit(admin, f'ALTER DATABASE "{name}" SET default_transaction_read_only = {value}')

    yield set_to
    _pg_execute_autocommit(admin, f'ALTER DATABASE "{name}" RESET default_transaction_read_only')


@pytest.mark.parametrize("database_url", ["postgresql"], indirect=True)
def test_a_read_only_database_is_an_outage_that_ends_when_it_is_writable(
        tmp_path: Path, dbx: Db, read_only: Callable[[bool], None], daemons: list[Daemon]) -> None:  # noqa: F811
    """PostgreSQL refusing writes (a read-only database or role, a hot standby) is said once in one line — what
    the server said and what to check, no traceback — the changes are kept and retried with backoff, and once the
    database is writable again they are synced: the daemon's pooled connections, opened read-only, are not reused."""
    repo = init_repo(tmp_path / "repo")
    repo.write("docs/adr/0001-seed.md", adr(1, "Seed"))
    repo.commit("seed")
    read_only(True)
    daemon = Daemon(repo.path, dbx.url)
    daemons.append(daemon)
    daemon.wait(lambda e: e.get("event") in ("database_down", "sync_failed"), "the outage")
    down = [e for e in daemon.lines if e.get("event") == "database_down"]
    assert len(down) == 1 and "traceback" not in down[0], down
    assert down[0]["error"] == ("the database refused the work: cannot execute INSERT in a read-only transaction "
                                "(ReadOnlySqlTransaction); check the database role's privileges and settings")
    assert not daemon.saw(lambda e: e.get("event") == "sync_failed")
    daemon.wait_for(lambda: _started(daemon, repo.path) >= 2, "a retry")  # (with the connections opened read-only)
    read_only(False)
    daemon.wait(lambda e: e.get("event") == "database_up", "the recovery")
    daemon.wait(lambda e: e.get("event") == "sync" and e.get("counts", {}).get("created") == 1, "the kept sync")
    stop = _stop(daemon)
    assert stop["pending"] == [], stop
    assert len([e for e in daemon.lines if e.get("event") == "database_down"]) == 1
    assert dbx.live() == {"docs/adr/0001-seed.md": "Seed"}
