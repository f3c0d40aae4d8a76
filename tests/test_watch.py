"""``tracertm watch``: real file-system events in real git repositories, a real database (SQLite, and PostgreSQL
where it matters), bounded polling instead of fixed sleeps. The helpers here are those of every ``test_watch_*`` file;
the tests of git checkouts are in ``test_watch_checkouts``, those of database outages in
``test_watch_database_outage``."""

from __future__ import annotations

import errno
import json
import os
import signal
import subprocess
import sys
import threading
import time
from collections.abc import Callable, Iterator
from pathlib import Path
from typing import Any

import pytest
from sqlalchemy import select

from conftest import GitRepo
from tracertm import db
from tracertm.models import ADR, Project, SourceFile, SyncRun
from tracertm.engine.sync import sync
from tracertm.watcher import Watcher
from tracertm.watcher.repos import Repository, is_temp_name, split_targets

WAIT_S = 20.0  # an upper bound only: every wait polls and returns as soon as it holds


def adr(number: int, title: str, body: str = "We will do it.") -> str:
    return (
        f"# {number}. {title}\n\nStatus: accepted\n\n## Context\n\nAbout {title.lower()}.\n\n## Decision\n\n{body}\n"
    )


def adr_path(number: int, slug: str = "decision") -> str:
    return f"docs/adr/{number:04d}-{slug}.md"


def wait_for(predicate: Callable[[], Any], timeout: float = WAIT_S, what: str = "condition") -> Any:
    deadline = time.monotonic() + timeout
    while True:
        value = predicate()
        if value:
            return value
        if time.monotonic() > deadline:
            raise AssertionError(f"timed out after {timeout} s waiting for {what}")
        time.sleep(0.02)


class Db:
    """Reads of the database under test, on its own engine."""

    def __init__(self, url: str) -> None:
        self.url = url
        self.engine = db.make_engine(url)

    def adrs(self) -> dict[str, tuple[str, str, bool]]:
        """adr_number → (source_path, title, deleted), soft-deleted rows included."""
        with db.session(self.engine) as s:
            rows = s.execute(select(ADR).execution_options(include_deleted=True)).scalars()
            return {r.adr_number: (r.source_path or "", r.title, r.deleted_at is not None) for r in rows}

    def live(self) -> dict[str, str]:
        """source_path → title of live ADRs."""
        return {path: title for path, title, deleted in self.adrs().values() if not deleted}

    def in_sync_with(self, root: Path) -> bool:
        """A manual (dry-run) sync of the work tree would change nothing."""
        return not sync(root, dry_run=True, engine=self.engine).changed

    def close(self) -> None:
        self.engine.dispose()


@pytest.fixture
def dbx(database_url: str) -> Iterator[Db]:
    handle = Db(database_url)
    yield handle
    handle.close()


@pytest.fixture
def sqlite_db(tmp_path: Path, _sqlite_template: Path) -> Iterator[Db]:
    import shutil

    path = tmp_path / "watch.db"
    shutil.copy(_sqlite_template, path)
    handle = Db(f"sqlite:///{path}")
    yield handle
    handle.close()


def start(repo: Path | list[Path], url: str, **options: Any) -> Watcher:
    options.setdefault("debounce_ms", 100)
    targets = repo if isinstance(repo, list) else [repo]
    watcher = Watcher(targets, database_url=url, **options).start()
    wait_for(lambda: watcher.stats.reconciles >= len(watcher.repositories) and watcher.wait_idle(0), what="start-up")
    return watcher


@pytest.fixture
def stop_all() -> Iterator[list[Watcher]]:
    running: list[Watcher] = []
    yield running
    for w in running:
        w.stop()
    for w in running:
        w.join(30)


def gate_filter(repo: GitRepo, gate: Path, last: str) -> None:
    """Make the ``slow`` smudge filter (git-lfs-like) stop before writing ``last``, until ``open_gate(gate)``: git
    then holds the index, with the files before it written, for as long as the test needs — however loaded the
    machine, where a filter that slept a fixed time could end before the daemon had looked at the batch."""
    os.mkfifo(gate)
    repo.git("config", "filter.slow.smudge", f"case %f in *{last}) read go < '{gate}';; esac; cat")


def open_gate(gate: Path) -> bool:
    """Let the filter blocked on ``gate`` go on; False while it does not wait on it yet."""
    try:
        fd = os.open(gate, os.O_WRONLY | os.O_NONBLOCK)
    except OSError as exc:
        if exc.errno == errno.ENXIO:  # no reader yet
            return False
        raise
    with os.fdopen(fd, "w") as fifo:
        fifo.write("go\n")
    return True


def gated_git(repo: GitRepo, gate: Path, meanwhile: Callable[[], Any], *args: str) -> None:
    """``git ARGS``, its filter held at ``gate`` until ``meanwhile`` (waits on what the daemon does) has returned."""
    proc = subprocess.Popen(["git", *args], cwd=repo.path, start_new_session=True)
    try:
        meanwhile()
        wait_for(lambda: open_gate(gate), what="git's filter at the gate")
        assert proc.wait(WAIT_S) == 0
    finally:
        if proc.poll() is None:
            os.killpg(proc.pid, signal.SIGKILL)  # git and its filter (a session of their own), whatever failed
            proc.wait()


# ------------------------------------------------------------------------------------ create/edit/delete/rename


def test_database_follows_create_edit_save_rename_delete(git_repo: GitRepo, dbx: Db, stop_all: list[Watcher]) -> None:
    """Starting from a repository without any spec folder; each change arrives by itself."""
    w = start(git_repo.path, dbx.url)
    stop_all.append(w)
    assert dbx.live() == {}

    git_repo.write(adr_path(1), adr(1, "Use git"))  # docs/ appears: the watch set grows
    wait_for(lambda: dbx.live() == {adr_path(1): "Use git"}, what="create")

    git_repo.write(adr_path(1), adr(1, "Use git everywhere"))
    wait_for(lambda: dbx.live() == {adr_path(1): "Use git everywhere"}, what="edit")

    # An editor's atomic save: swap and temporary files, then a rename over the file.
    folder = git_repo.path / "docs" / "adr"
    (folder / ".0001-decision.md.swp").write_text("swap")
    (folder / ".#0001-decision.md").write_text("lock")
    tmp = folder / "0001-decision.md.tmp"
    tmp.write_text(adr(1, "Use git, saved atomically"))
    os.replace(tmp, folder / "0001-decision.md")
    wait_for(lambda: dbx.live() == {adr_path(1): "Use git, saved atomically"}, what="atomic save")
    # The commit is visible before the daemon records the sync in ``history``: wait for that too (a loaded
    # machine showed the previous record here).
    assert w.wait_idle(WAIT_S)
    assert w.history[-1].paths == 1  # the swap/lock/temp files were never part of a batch

    before = dbx.adrs()["ADR-0001"]
    os.rename(folder / "0001-decision.md", folder / "0001-renamed.md")
    wait_for(lambda: dbx.live() == {"docs/adr/0001-renamed.md": "Use git, saved atomically"}, what="rename")
    assert w.wait_idle(WAIT_S)
    assert before[0] == adr_path(1) and w.history[-1].counts["moved"] == 1

    git_repo.write(adr_path(2), adr(2, "Second"))
    wait_for(lambda: len(dbx.live()) == 2, what="second file")
    git_repo.remove("docs/adr/0001-renamed.md")
    wait_for(lambda: dbx.live() == {adr_path(2): "Second"}, what="delete")
    assert dbx.adrs()["ADR-0001"][2]  # soft-deleted, not gone

    shutil_rmtree(git_repo.path / "docs")  # a whole folder vanishes
    wait_for(lambda: dbx.live() == {}, what="folder removal")

    assert w.wait_idle(WAIT_S)
    assert dbx.in_sync_with(git_repo.path)  # same result as a manual sync
    assert w.stats.failures == 0
    assert w.stats.events_seen >= w.stats.events_recorded > 0


def shutil_rmtree(path: Path) -> None:
    import shutil

    shutil.rmtree(path)


def test_git_internals_and_non_spec_files_do_not_sync(
    git_repo: GitRepo, sqlite_db: Db, stop_all: list[Watcher]
) -> None:
    git_repo.write(adr_path(1), adr(1, "One"))
    git_repo.write("src/app.py", "print('x')\n")
    w = start(git_repo.path, sqlite_db.url)
    stop_all.append(w)
    syncs, reconciles = w.stats.syncs, w.stats.reconciles

    git_repo.git("add", "-A")  # writes .git/index and objects, moves no ref
    git_repo.write("src/app.py", "print('y')\n")
    git_repo.write("docs/notes.txt", "not a spec\n")
    git_repo.write("docs/adr/README.md", "# excluded by default\n")
    git_repo.write(adr_path(1), adr(1, "One, edited"))
    wait_for(lambda: sqlite_db.live() == {adr_path(1): "One, edited"}, what="edit")
    assert w.wait_idle(WAIT_S)
    assert w.stats.reconciles == reconciles
    # one sync (two if a loaded machine paused the test between truncating and writing the file), of one path
    assert 1 <= w.stats.syncs - syncs <= 2
    assert [r.paths for r in list(w.history)[syncs:]] == [1] * (w.stats.syncs - syncs)


# ---------------------------------------------------------------------------------------------------- bursts


def test_burst_of_500_writes_is_a_few_syncs(git_repo: GitRepo, sqlite_db: Db, stop_all: list[Watcher]) -> None:
    git_repo.write(adr_path(1), adr(1, "Seed"))
    w = start(git_repo.path, sqlite_db.url, debounce_ms=200)  # the default quiet period
    stop_all.append(w)
    syncs, seen = w.stats.syncs, w.stats.events_seen

    for i in range(1, 501):
        git_repo.write(adr_path(i), adr(i, f"Decision {i}"))
    wait_for(lambda: len(sqlite_db.live()) == 500, what="500 ADRs")
    assert w.wait_idle(WAIT_S)
    assert w.stats.events_seen - seen >= 500
    assert 1 <= w.stats.syncs - syncs <= 3
    assert sqlite_db.in_sync_with(git_repo.path)


# --------------------------------------------------------------------------------------------- workspaces


def test_workspace_finds_repositories_that_appear_later(
    tmp_path: Path, sqlite_db: Db, stop_all: list[Watcher]
) -> None:
    workspace = tmp_path / "ws"
    workspace.mkdir()
    first = _init_repo(workspace / "alpha")
    (first / "docs" / "adr").mkdir(parents=True)
    (first / adr_path(1)).write_text(adr(1, "Alpha"))
    (workspace / "not-a-repo").mkdir()
    assert split_targets([workspace]) == ([], [workspace.resolve()])

    w = start([workspace], sqlite_db.url, discover_every=0.3)
    stop_all.append(w)
    assert w.repositories == [first.resolve()]
    assert sqlite_db.live() == {adr_path(1): "Alpha"}

    second = _init_repo(workspace / "beta")
    (second / "docs" / "adr").mkdir(parents=True)
    (second / adr_path(7)).write_text(adr(7, "Beta"))
    wait_for(lambda: len(sqlite_db.live()) == 2, what="the new repository's ADR")
    with db.session(sqlite_db.engine) as s:
        assert sorted(s.execute(select(Project.name)).scalars()) == ["alpha", "beta"]
    (second / adr_path(7)).write_text(adr(7, "Beta, edited"))
    wait_for(lambda: "Beta, edited" in sqlite_db.live().values(), what="edit in the new repository")


def _init_repo(path: Path) -> Path:
    subprocess.run(["git", "init", "-q", "-b", "main", str(path)], check=True)
    return path


def test_configuration_change_rewatches(git_repo: GitRepo, sqlite_db: Db, stop_all: list[Watcher]) -> None:
    git_repo.write("decisions/0001-x.md", adr(1, "Elsewhere"))
    w = start(git_repo.path, sqlite_db.url)
    stop_all.append(w)
    assert sqlite_db.live() == {}
    git_repo.write(".tracertm.toml", 'adr_paths = ["decisions/*.md"]\n')
    wait_for(lambda: sqlite_db.live() == {"decisions/0001-x.md": "Elsewhere"}, what="reconfigured paths")
    git_repo.write("decisions/0001-x.md", adr(1, "Elsewhere, edited"))  # decisions/ is watched now
    wait_for(lambda: sqlite_db.live() == {"decisions/0001-x.md": "Elsewhere, edited"}, what="edit")


# --------------------------------------------------------------------------------------------- OS limits


def test_watch_limit_is_reported_in_one_line(
    git_repo: GitRepo,
    sqlite_db: Db,
    stop_all: list[Watcher],
    monkeypatch: pytest.MonkeyPatch,
    caplog: pytest.LogCaptureFixture,
) -> None:
    from watchdog.observers.api import BaseObserver

    def exhausted(*_args: Any, **_kwargs: Any) -> Any:
        raise OSError(errno.ENOSPC, "inotify watch limit reached")

    monkeypatch.setattr(BaseObserver, "schedule", exhausted)  # the OS boundary: no watch can be added
    git_repo.write(adr_path(1), adr(1, "Still reconciled"))
    w = start(git_repo.path, sqlite_db.url, reconcile_every=0.5)
    stop_all.append(w)
    assert w.stats.watch_limit_reached
    limit_lines = [r.getMessage() for r in caplog.records if "fs.inotify.max_user_watches" in r.getMessage()]
    assert len(limit_lines) == 1 and "\n" not in limit_lines[0]
    assert sqlite_db.live() == {adr_path(1): "Still reconciled"}  # the start-up reconcile still ran
    git_repo.write(adr_path(2), adr(2, "Caught by the periodic reconcile"))  # no watch will report this
    wait_for(lambda: len(sqlite_db.live()) == 2, what="the periodic reconcile")


def test_kernel_queue_overflow_triggers_a_reconcile(git_repo: GitRepo, sqlite_db: Db) -> None:
    """A real IN_Q_OVERFLOW: the daemon is stopped (SIGSTOP) while more events than the kernel queues happen in a
    watched folder, then continued; its reader finds the overflow and the daemon reconciles.

    The events come from appending to two files of a watched, non-spec folder in turn (the kernel merges only
    identical consecutive events), not from creating thousands of files: what the daemon then has to read, re-walk
    and scan stays small, so a slow, loaded machine only makes it slower, not wrong. Waits are upper bounds."""
    git_repo.write(adr_path(1), adr(1, "One"))
    noise = git_repo.path / "docs" / "noise"
    noise.mkdir(parents=True)
    daemon = Daemon(git_repo.path, sqlite_db.url)
    try:
        daemon.wait(lambda e: e.get("event") == "sync", "the start-up reconcile")
        limit = int(Path("/proc/sys/fs/inotify/max_queued_events").read_text())
        daemon.proc.send_signal(signal.SIGSTOP)
        try:
            # Each append queues a modify and a close-write event: twice the queue's size, whatever the daemon read
            # before it stopped. (Appending: truncating a file thousands of times is slow on ext4.)
            for i in range(limit):
                with open(noise / ("a.txt" if i % 2 else "b.txt"), "ab") as fh:
                    fh.write(b"x")
            # The queue is full: the kernel drops this file's events. Only a reconcile can find it.
            git_repo.write(adr_path(2), adr(2, "Lost in the overflow"))
        finally:
            daemon.proc.send_signal(signal.SIGCONT)
        daemon.wait(lambda e: e.get("event") == "overflow", "the overflow")

        def reconciled_after_overflow() -> bool:
            lines = list(daemon.lines)
            at = next(i for i, e in enumerate(lines) if e.get("event") == "overflow")
            return any(e.get("event") == "sync" and e.get("reconcile") for e in lines[at:])

        daemon.wait_for(reconciled_after_overflow, "the reconcile after an overflow")
        daemon.wait_for(lambda: len(sqlite_db.live()) == 2, "the lost file synced")
    finally:
        daemon.proc.send_signal(signal.SIGTERM)
        assert daemon.finish() == 0, daemon.tail()


# ------------------------------------------------------------------------------------------------- signals


class Daemon:
    """``python -m tracertm watch`` as a subprocess (run by ``wrapper``, e.g. ``nohup``, when given), with its JSON
    log lines collected."""

    def __init__(self, repo: Path, url: str, wrapper: list[str] | None = None) -> None:
        cmd = [*(wrapper or []), sys.executable, "-m", "tracertm", "watch", str(repo), "--database-url", url]
        cmd += ["--debounce", "50", "--log-format", "json", "-v"]
        self.proc = subprocess.Popen(cmd, stdout=subprocess.PIPE, stderr=subprocess.PIPE, text=True)
        self.lines: list[dict[str, Any]] = []
        self._reader = threading.Thread(target=self._read, daemon=True)
        self._reader.start()

    def _read(self) -> None:
        assert self.proc.stderr is not None
        for line in self.proc.stderr:
            self.lines.append(json.loads(line) if line.startswith("{") else {"message": line})

    def saw(self, predicate: Callable[[dict[str, Any]], bool]) -> bool:
        return any(predicate(e) for e in list(self.lines))

    def tail(self, n: int = 30) -> str:
        """The daemon's last log lines (for a failure message)."""
        return "\n".join(str(e.get("message", e)).rstrip() for e in list(self.lines)[-n:])

    def wait_for(self, predicate: Callable[[], Any], what: str, timeout: float = 3 * WAIT_S) -> Any:
        """``wait_for`` with a generous bound (a loaded machine) that shows the daemon's log when it runs out."""
        try:
            return wait_for(predicate, timeout, what)
        except AssertionError as exc:
            raise AssertionError(f"{exc}; the daemon logged:\n{self.tail()}") from None

    def wait(self, predicate: Callable[[dict[str, Any]], bool], what: str) -> None:
        """Until the daemon logs a line that ``predicate`` accepts."""
        self.wait_for(lambda: self.saw(predicate), what)

    def abort(self) -> None:
        """Two SIGTERMs, the second once the first is logged (it rolls the sync in flight back); the daemon must
        exit 0 within ``WAIT_S``."""
        self.proc.send_signal(signal.SIGTERM)
        self.wait(lambda e: e.get("event") == "signal", "the first signal")
        self.proc.send_signal(signal.SIGTERM)
        try:
            code = self.proc.wait(WAIT_S)
        except subprocess.TimeoutExpired:
            pytest.fail(f"the daemon still ran {WAIT_S:g} s after the second SIGTERM; it logged:\n{self.tail()}")
        assert code == 0, self.tail()

    def finish(self, timeout: float = 3 * WAIT_S) -> int:
        try:
            return self.proc.wait(timeout)
        finally:
            if self.proc.poll() is None:
                self.proc.kill()
            self._reader.join(5)

    def events(self) -> list[Any]:
        return [e.get("event") for e in self.lines]


def _start_a_big_sync(git_repo: GitRepo, url: str) -> Daemon:
    git_repo.write(adr_path(1), adr(1, "Seed"))
    daemon = Daemon(git_repo.path, url)
    wait_for(lambda: daemon.saw(lambda e: e.get("event") == "sync"), timeout=30, what="start-up reconcile")
    staging = git_repo.path.parent / "staging"  # written outside, moved in at once: one batch
    staging.mkdir()
    for i in range(2, 302):
        (staging / f"{i:04d}-decision.md").write_text(adr(i, f"Decision {i}"))
    os.rename(staging, git_repo.path / "docs" / "adr" / "batch")
    wait_for(
        lambda: daemon.saw(lambda e: "sync started" in e["message"] and "paths=300" in e["message"]),
        what="the big sync to start",
    )
    return daemon


def _consistent(dbx: Db) -> int:
    """Records and file rows agree and no run is left half-done; returns the number of live ADRs."""
    live = dbx.live()
    with db.session(dbx.engine) as s:
        assert s.execute(select(SyncRun.status).where(SyncRun.status == "running")).first() is None
        live_files = s.execute(select(SourceFile.path).where(SourceFile.deleted_at.is_(None))).scalars().all()
    assert sorted(live_files) == sorted(live)
    return len(live)


@pytest.mark.parametrize("database_url", ["sqlite", "postgresql"], indirect=True)
def test_sigterm_during_a_sync_exits_0_and_leaves_the_database_consistent(git_repo: GitRepo, dbx: Db) -> None:
    daemon = _start_a_big_sync(git_repo, dbx.url)
    daemon.proc.send_signal(signal.SIGTERM)
    assert daemon.finish() == 0
    events = daemon.events()
    assert "signal" in events and events[-1] == "stop"
    # The signal came while the sync ran; that sync was finished, not abandoned.
    big = [i for i, e in enumerate(daemon.lines) if e.get("event") == "sync" and e.get("paths") == 300]
    assert big and big[0] > events.index("signal")
    assert _consistent(dbx) == 301
    assert dbx.in_sync_with(git_repo.path)


@pytest.mark.parametrize("database_url", ["sqlite", "postgresql"], indirect=True)
def test_second_signal_rolls_the_sync_in_flight_back(git_repo: GitRepo, dbx: Db) -> None:
    """The sync in flight is held at the write lock by another writer (this test), so it cannot commit before the
    second signal: the outcome is decided, and the daemon must leave promptly with nothing written, even though
    the lock is still held when it goes."""
    git_repo.write(adr_path(1), adr(1, "Seed"))
    daemon = Daemon(git_repo.path, dbx.url)
    try:
        wait_for(lambda: daemon.saw(lambda e: e.get("event") == "sync"), timeout=30, what="start-up reconcile")
        with db.write_session(dbx.engine, git_repo.path.name):
            staging = git_repo.path.parent / "staging"
            staging.mkdir()
            for i in range(2, 302):
                (staging / f"{i:04d}-decision.md").write_text(adr(i, f"Decision {i}"))
            os.rename(staging, git_repo.path / "docs" / "adr" / "batch")
            wait_for(
                lambda: daemon.saw(lambda e: "sync started" in e["message"] and "paths=300" in e["message"]),
                what="the big sync to start",
            )
            daemon.proc.send_signal(signal.SIGTERM)
            wait_for(lambda: daemon.saw(lambda e: e.get("event") == "signal"), what="the first signal")
            daemon.proc.send_signal(signal.SIGINT)
            assert daemon.finish() == 0  # while the lock is still held: the wait was cancelled
    finally:
        if daemon.proc.poll() is None:
            daemon.proc.kill()
            daemon.finish()
    assert daemon.saw(lambda e: e.get("event") == "aborted")
    assert not daemon.saw(lambda e: "Traceback" in e.get("message", ""))
    assert _consistent(dbx) == 1


def huge_feature(scenarios: int) -> str:
    """One feature of ``scenarios`` three-line scenarios: gherkin alone reads its lines for seconds."""
    return "Feature: Huge\n\n" + "".join(f"  Scenario: s{i}\n    Given step {i}\n\n" for i in range(scenarios))


def test_abort_stops_the_sync_inside_the_parse_of_a_huge_file(
    git_repo: GitRepo, sqlite_db: Db, stop_all: list[Watcher], tmp_path: Path, monkeypatch: pytest.MonkeyPatch,
    caplog: pytest.LogCaptureFixture,
) -> None:
    """A feature of 12,000 scenarios parses for seconds (gherkin's reading of its 36,000 lines, then its records
    and their hashes). The abort (the daemon's second signal) was seen only once that parse was done: the daemon
    went on for 2 to 7 s. Now the parse looks at the sync's cancel flag at its safe points: the abort, landing
    once the parse of that file has begun, stops it there, before the parse returns, with the same rollback line."""
    import tracertm.engine.parse as parsing

    git_repo.write("features/seed.feature", "Feature: Seed\n\n  Scenario: One\n    Given a step\n")
    w = start(git_repo.path, sqlite_db.url)
    stop_all.append(w)
    began, returned = threading.Event(), threading.Event()
    real = parsing.parse_one

    def observed(path: str, *args: Any) -> Any:
        if path != "features/huge.feature":
            return real(path, *args)
        began.set()
        outcome = real(path, *args)  # (raises once the sync is cancelled inside it)
        returned.set()
        return outcome

    monkeypatch.setattr(parsing, "parse_one", observed)
    aside = tmp_path / "huge.feature"  # written aside, moved in at once: one event, the file whole
    aside.write_text(huge_feature(12_000))
    os.rename(aside, git_repo.path / "features" / "huge.feature")
    assert began.wait(WAIT_S), "the huge file's parse did not begin"
    w.abort()
    w.join(WAIT_S)
    assert w._thread is not None and not w._thread.is_alive(), "the daemon's loop still runs"
    assert not returned.is_set(), "the abort took effect only once the huge file was parsed"
    aborted = [r.getMessage() for r in caplog.records if r.getMessage().startswith("aborted the sync in flight")]
    assert aborted == ["aborted the sync in flight; its transaction was rolled back (sync cancelled; nothing was "
                       "written)"]
    with db.session(sqlite_db.engine) as s:  # nothing of the aborted sync written, no run left running
        assert s.execute(select(SyncRun.status).where(SyncRun.status == "running")).first() is None
        assert s.execute(select(SourceFile.path)).scalars().all() == ["features/seed.feature"]


def test_the_daemon_parses_with_forkserver(git_repo: GitRepo, sqlite_db: Db) -> None:
    daemon = _start_a_big_sync(git_repo, sqlite_db.url)  # 300 files: enough for a parse pool
    try:
        wait_for(lambda: len(sqlite_db.live()) == 301, timeout=60, what="the big sync")
        commands = []
        for task in Path(f"/proc/{daemon.proc.pid}/task").iterdir():  # any thread may have started it
            for child in _read(task / "children").split():
                commands.append(_read(Path(f"/proc/{child}/cmdline")).replace("\0", " "))
        assert any("forkserver" in c for c in commands), commands
    finally:
        daemon.proc.send_signal(signal.SIGTERM)
        assert daemon.finish() == 0


def _read(path: Path) -> str:
    """A /proc file's text; empty when its thread or process ended after it was listed (a git command, say)."""
    try:
        return path.read_text()
    except OSError:
        return ""


# ------------------------------------------------------------------------------------------------ pieces


def test_editor_temporary_names() -> None:
    for name in (".0001-x.md.swp", "0001-x.md~", ".#0001-x.md", "0001-x.md.tmp", "4913", "x.md___jb_tmp___"):
        assert is_temp_name(name), name
    for name in ("0001-x.md", "checkout.feature", "api.yaml"):
        assert not is_temp_name(name), name


def test_git_events_that_matter(git_repo: GitRepo) -> None:
    git_repo.commit("init")
    repo = Repository.open(git_repo.path)
    gd = repo.git_dirs[0]

    def kind(rel: str) -> bool:
        return repo.classify("git", gd, "modified", False, [str(gd / rel)]).reconcile

    assert kind("HEAD") and kind("HEAD.lock") and kind("refs/heads/main.lock") and kind("packed-refs")
    assert not kind("index") and not kind("objects/ab/cdef") and not kind("FETCH_HEAD")
    assert not kind("refs/remotes/origin/main") and not kind("logs/HEAD")
    plan = {(str(s.path), s.recursive) for s in repo.watch_plan()}
    assert (str(gd), False) in plan and (str(gd / "refs"), True) in plan
    assert not any(Path(p).name == "objects" for p, _ in plan)


def test_cli_rejects_bad_options(tmp_path: Path) -> None:
    from tracertm.cli import main

    assert main(["watch", str(tmp_path / "missing")]) == 2
    assert main(["watch", str(tmp_path), "--debounce", "-5"]) == 2
    assert main(["watch", str(tmp_path), "--reconcile-every", "0"]) == 2


def test_library_entry_point_is_callable(tmp_path: Path) -> None:
    import tracertm
    from tracertm.errors import UsageError

    with pytest.raises(UsageError, match="no such folder"):
        tracertm.watch([tmp_path / "missing"])


def test_a_folder_made_while_the_watches_are_set_up_is_watched(
    git_repo: GitRepo, sqlite_db: Db, stop_all: list[Watcher], monkeypatch: pytest.MonkeyPatch
) -> None:
    """The spec folder appears after the watch plan was read and before the root's watch exists (a repository
    found in a workspace while it is being filled): it made no event, yet its files' edits must be seen."""
    plan = Repository.watch_plan
    made: list[bool] = []

    def plan_then_mkdir(self: Repository) -> Any:
        specs = plan(self)
        if not made:
            made.append(True)
            git_repo.write(adr_path(1), adr(1, "Early"))
        return specs

    monkeypatch.setattr(Repository, "watch_plan", plan_then_mkdir)
    w = start(git_repo.path, sqlite_db.url, reconcile_every=3600)
    stop_all.append(w)
    assert sqlite_db.live() == {adr_path(1): "Early"}  # the start-up reconcile found the file
    git_repo.write(adr_path(1), adr(1, "Early, edited"))
    wait_for(lambda: sqlite_db.live() == {adr_path(1): "Early, edited"}, what="the edit in the late folder")
