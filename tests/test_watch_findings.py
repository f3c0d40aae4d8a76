"""``tracertm watch`` logs each spec finding once, as ``tracertm sync`` prints it (``path:line:col: message``, the
path absolute), and once more when it is gone — not again on every later sync or reconcile that still finds it —
and at most ``MAX_FINDING_LINES`` finding lines per sync. It used to log only ``errors=N`` for a reconcile, and
for a sync of some files every error again on every sync, with no line when a file was fixed."""

from __future__ import annotations

import os
import signal
import subprocess
import sys
import threading
from collections.abc import Iterator
from pathlib import Path

import pytest

from conftest import GitRepo
from specs import adr
from test_watch import WAIT_S, Db, sqlite_db, wait_for  # noqa: F401 - fixtures used by name
from tracertm.errors import Diagnostic
from tracertm.watcher.findings import MAX_FINDING_LINES
from tracertm.watcher.findings import FindingLog

BROKEN = "---\nstatus: [bad\n---\n# 2. Broken\n"
MESSAGE = "malformed YAML front matter"


class TextDaemon:
    """``python -m tracertm watch`` in its default text log format, its stderr lines collected."""

    def __init__(self, repo: Path, url: str, *, verbose: bool) -> None:
        cmd = [sys.executable, "-m", "tracertm", "watch", str(repo), "--database-url", url, "--debounce", "50"]
        if verbose:
            cmd.append("-v")
        self.proc = subprocess.Popen(cmd, stdout=subprocess.DEVNULL, stderr=subprocess.PIPE, text=True)
        self.lines: list[str] = []
        self._reader = threading.Thread(target=self._read, daemon=True)
        self._reader.start()

    def _read(self) -> None:
        assert self.proc.stderr is not None
        for line in self.proc.stderr:
            self.lines.append(line.rstrip("\n"))

    def count(self, text: str) -> int:
        return sum(text in line for line in list(self.lines))

    def syncs(self) -> int:
        """Sync lines logged (a sync of some files or a full reconcile)."""
        return sum(" info synced " in line or " info reconciled " in line for line in list(self.lines))

    def wait(self, what: str, predicate: object) -> None:
        assert callable(predicate)
        try:
            wait_for(predicate, 3 * WAIT_S, what)
        except AssertionError as exc:
            raise AssertionError(f"{exc}; the daemon logged:\n" + "\n".join(self.lines[-30:])) from None

    def stop(self) -> int:
        try:
            if self.proc.poll() is None:
                self.proc.send_signal(signal.SIGTERM)
            return self.proc.wait(3 * WAIT_S)
        finally:
            if self.proc.poll() is None:
                self.proc.kill()
                self.proc.wait()
            self._reader.join(5)


@pytest.fixture
def daemons() -> Iterator[list[TextDaemon]]:
    """Every daemon a test starts is stopped, also when the test fails."""
    started: list[TextDaemon] = []
    yield started
    for daemon in started:
        daemon.stop()


@pytest.mark.parametrize("verbose", [False, True], ids=["default", "verbose"])
def test_a_broken_file_is_logged_once_and_once_more_when_fixed(
    git_repo: GitRepo, sqlite_db: Db, daemons: list[TextDaemon], verbose: bool  # noqa: F811
) -> None:
    git_repo.write("docs/adr/0001-first.md", adr(1, "First"))
    git_repo.commit("first")
    daemon = TextDaemon(git_repo.path, sqlite_db.url, verbose=verbose)
    daemons.append(daemon)
    daemon.wait("the start-up reconcile", lambda: daemon.syncs() >= 1)
    root = git_repo.path.resolve()
    finding = f"{root}/docs/adr/0002-broken.md:3:1: {MESSAGE}"

    git_repo.write("docs/adr/0002-broken.md", BROKEN)
    daemon.wait("the broken file's line", lambda: daemon.count(finding))
    assert daemon.count(" warning " + finding) == 1, "\n".join(daemon.lines)

    # Syncs that still find it, of other files, of the broken file itself with the error unchanged, and a full
    # reconcile (a commit moves HEAD), each wait for their own sync line: none repeats the finding.
    before = daemon.syncs()
    git_repo.write("docs/adr/0001-first.md", adr(1, "First, renamed"))
    daemon.wait("the unrelated file's sync", lambda: daemon.syncs() > before)
    before = daemon.syncs()
    git_repo.write("docs/adr/0002-broken.md", BROKEN + "\nMore text below the error.\n")
    daemon.wait("the broken file's second sync", lambda: daemon.syncs() > before)
    before = daemon.syncs()
    git_repo.commit("both")
    daemon.wait("the reconcile of the commit", lambda: daemon.count(" info reconciled ") >= 2)

    git_repo.write("docs/adr/0002-broken.md", adr(2, "Fixed"))
    resolved = f"{root}/docs/adr/0002-broken.md:3:1: resolved: {MESSAGE}"
    daemon.wait("the fixed file's line", lambda: daemon.count(resolved))
    assert daemon.stop() == 0
    assert daemon.count(finding) == 1, "\n".join(daemon.lines)
    assert daemon.count(resolved) == 1, "\n".join(daemon.lines)
    assert daemon.count("errors=1") >= 3  # the syncs did find it each time
    if verbose:
        assert daemon.count("finding(s) logged before and unchanged") >= 3


def test_a_sync_logs_a_bounded_number_of_finding_lines(
    git_repo: GitRepo, sqlite_db: Db, daemons: list[TextDaemon]  # noqa: F811
) -> None:
    git_repo.write("docs/adr/0001-first.md", adr(1, "First"))
    daemon = TextDaemon(git_repo.path, sqlite_db.url, verbose=False)
    daemons.append(daemon)
    daemon.wait("the start-up reconcile", lambda: daemon.syncs() >= 1)
    broken = MAX_FINDING_LINES + 5
    staging = git_repo.path.parent / "staging"  # written outside, moved in at once: one sync
    staging.mkdir()
    for i in range(broken):
        (staging / f"{i + 10:04d}-broken.md").write_text(BROKEN, encoding="utf-8")
    os.rename(staging, git_repo.path / "docs" / "adr" / "batch")
    more = "... and 5 more new or resolved finding(s); run 'tracertm check'"
    daemon.wait("the overflow line", lambda: daemon.count(more))
    assert daemon.count(MESSAGE) == MAX_FINDING_LINES, "\n".join(daemon.lines)

    before = daemon.syncs()
    git_repo.write("docs/adr/0001-first.md", adr(1, "First, renamed"))
    daemon.wait("the unrelated file's sync", lambda: daemon.syncs() > before)
    git_repo.write("docs/adr/0001-first.md", BROKEN.replace("2. Broken", "1. First"))
    first = f"docs/adr/0001-first.md:3:1: {MESSAGE}"
    daemon.wait("the newly broken file's line", lambda: daemon.count(first))
    assert daemon.stop() == 0
    assert daemon.count(MESSAGE) == MAX_FINDING_LINES + 1, "\n".join(daemon.lines)
    assert daemon.count(more) == 1


def _err(path: str, line: int, message: str = "bad", severity: str = "error") -> Diagnostic:
    return Diagnostic(path, line, 1, message, severity)


def test_a_finding_that_moves_is_logged_at_its_new_place_and_not_as_resolved() -> None:
    log = FindingLog()
    assert log.update("r", [_err("a.md", 3)], [], None).new == [_err("a.md", 3)]
    change = log.update("r", [_err("a.md", 5)], [], ["a.md"])
    assert change.new == [_err("a.md", 5)] and change.resolved == []


def test_a_sync_of_some_files_keeps_the_findings_of_the_others() -> None:
    log = FindingLog()
    log.update("r", [_err("a.md", 3), _err("b.md", 1, "w", "warning")], [], None)
    change = log.update("r", [], [], ["c.md"])
    assert not change and change.unchanged == 2
    # A file read on the side (not among the synced paths) adds what it says, takes nothing away.
    change = log.update("r", [_err("b.md", 9, "dup")], [], ["c.md"])
    assert change.new == [_err("b.md", 9, "dup")] and change.resolved == []
    # A reconcile reports every finding: one it no longer reports is resolved.
    change = log.update("r", [_err("b.md", 1, "w", "warning")], [], None)
    assert change.new == [] and sorted(change.resolved, key=str) == [_err("a.md", 3), _err("b.md", 9, "dup")]


def test_dangling_links_are_logged_once_and_not_resolved_by_a_reconcile_that_does_not_repeat_them() -> None:
    log = FindingLog()
    link = _err("a.md", 4, "dangling link", "warning")
    assert log.update("r", [], [link], ["a.md"]).new == [link]
    assert not log.update("r", [], [link], None)  # reported again: not news
    assert not log.update("r", [], [], None)  # a reconcile reports only the links it creates: proves nothing
    assert not log.update("r", [], [link], ["b.md"])
    log.update("r", [], [], ["a.md"])  # a.md read without it: fixed
    assert log.update("r", [], [link], ["a.md"]).new == [link]


@pytest.mark.parametrize("how", ["renumbered", "deleted"])
def test_a_finding_cured_by_an_edit_of_another_file_is_resolved_by_that_sync(
    git_repo: GitRepo, sqlite_db: Db, daemons: list[TextDaemon], how: str  # noqa: F811
) -> None:
    """b.yaml loses CTR-0001 to a.yaml (an error of b.yaml). Renumbering or deleting a.yaml — a sync of a.yaml
    alone — lets b.yaml take the id over: that sync reads b.yaml too, so it logs b.yaml's error resolved, not the
    next full reconcile (up to ``--reconcile-every`` later, or never when the daemon stops first)."""
    git_repo.write("contracts/a.yaml", "id: CTR-0001\ntitle: A\ntype: service\n")
    git_repo.write("contracts/b.yaml", "id: CTR-0001\ntitle: B\ntype: service\n")
    git_repo.commit("init")
    daemon = TextDaemon(git_repo.path, sqlite_db.url, verbose=False)
    daemons.append(daemon)
    root = git_repo.path.resolve()
    finding = f"{root}/contracts/b.yaml:1:1: contract CTR-0001 is already defined in contracts/a.yaml"
    daemon.wait("b.yaml's error", lambda: daemon.count(finding))

    before = daemon.syncs()
    if how == "renumbered":
        git_repo.write("contracts/a.yaml", "id: CTR-0002\ntitle: A\ntype: service\n")
    else:
        git_repo.remove("contracts/a.yaml")
    daemon.wait("a.yaml's sync", lambda: daemon.syncs() > before)
    # A later sync's line comes after every line of that one: what it logged is complete by then.
    before = daemon.syncs()
    git_repo.write("contracts/c.yaml", "id: CTR-0003\ntitle: C\ntype: service\n")
    daemon.wait("c.yaml's sync", lambda: daemon.syncs() > before)
    assert daemon.stop() == 0
    resolved = f"{root}/contracts/b.yaml:1:1: resolved: contract CTR-0001 is already defined in contracts/a.yaml"
    assert daemon.count(resolved) == 1, "\n".join(daemon.lines)
    assert daemon.count(" info reconciled ") == 1  # the start-up reconcile only: a sync of a.yaml resolved it
