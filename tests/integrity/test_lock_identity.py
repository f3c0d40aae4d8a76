"""One project, one write lock: whatever name a writer reaches a project by (two clones of a repository whose remote
was renamed), its writes serialise; the project keeps its name; and a backfill notices any sync that wrote to the
project between its batches, also one that registered its run before the backfill looked."""

from __future__ import annotations

import subprocess
import sys
import threading
import time
from collections.abc import Callable
from pathlib import Path
from typing import Any

import pytest
from sqlalchemy import func, select, text

from conftest import GitRepo
from specs import adr
from tracertm import db
from tracertm.engine.identity import RepoIdentity, former_names
from tracertm.engine.sync import sync
from tracertm.errors import EXIT_CONFLICT, ConflictError, LockTimeoutError
from tracertm.models import ADR, Project, SpecRevision, SyncRun

OLD_URL = "https://git.example.com/acme/old.git"
NEW_URL = "https://git.example.com/acme/new.git"
WAIT_S = 60  # an upper bound on waiting for a condition; never a pace


def _clones(source: GitRepo, tmp_path: Path) -> tuple[GitRepo, GitRepo]:
    """Two clones of ``source``: ``a`` still has the old remote URL, ``b`` the new one (the repository was renamed
    from acme/old to acme/new)."""
    out = []
    for which, url in (("a", OLD_URL), ("b", NEW_URL)):
        where = tmp_path / which / "specs"
        subprocess.run(["git", "clone", "-q", str(source.path), str(where)], check=True)
        clone = GitRepo(where)
        clone.git("remote", "set-url", "origin", url)
        out.append(clone)
    return out[0], out[1]


def _source(git_repo: GitRepo, count: int = 4) -> GitRepo:
    for n in range(1, count + 1):
        git_repo.write(f"docs/adr/{n:04d}-d.md", adr(n, f"Decision {n}"))
    git_repo.commit("decisions")
    return git_repo


def _identity(repo: GitRepo, url: str) -> RepoIdentity:
    return RepoIdentity(repo.path, url, named_from_remote=True)


def _projects(engine: Any) -> list[tuple[str, str | None]]:
    with db.session(engine) as s:
        rows = s.execute(select(Project.name, Project.repo_url).order_by(Project.name))
        return [(name, url) for name, url in rows]


def _title(engine: Any, number: str) -> str:
    with db.session(engine) as s:
        return str(s.execute(select(ADR.title).where(ADR.adr_number == number)).scalar_one())


def _until(condition: Callable[[], bool], what: str) -> None:
    deadline = time.monotonic() + WAIT_S
    while not condition():
        if time.monotonic() > deadline:
            raise AssertionError(f"timed out waiting until {what}")
        time.sleep(0.01)


class _Thread(threading.Thread):
    """A thread that keeps what its target returned or raised."""

    def __init__(self, target: Callable[[], Any]) -> None:
        super().__init__(daemon=True)
        self._fn = target
        self.result: Any = None
        self.error: BaseException | None = None

    def run(self) -> None:
        try:
            self.result = self._fn()
        except BaseException as exc:  # noqa: BLE001 - handed to the test
            self.error = exc

    def outcome(self) -> Any:
        self.join(WAIT_S * 2)
        assert not self.is_alive(), "the thread did not end"
        return self.error if self.error is not None else self.result


# ------------------------------------------------------------------------------------------ one project, one lock


def test_the_project_keeps_its_name_when_clones_disagree_about_the_remote(
    git_repo: GitRepo, tmp_path: Path, database_url: str
) -> None:
    a, b = _clones(_source(git_repo), tmp_path)
    engine = db.make_engine(database_url)
    try:
        assert sync(a.path, engine=engine).project == "acme/old"
        assert sync(b.path, engine=engine).project == "acme/new"  # the remote was renamed: so is the project
        for round_ in range(3):  # the clone with the old URL no longer renames it back, nor resets its URL
            a.write("docs/adr/0001-d.md", adr(1, f"Decision 1, round {round_} in a"))
            assert sync(a.path, engine=engine).project == "acme/new"
            assert _projects(engine) == [("acme/new", NEW_URL)]
            assert _title(engine, "ADR-0001") == f"Decision 1, round {round_} in a"  # a's work, same project
            b.write("docs/adr/0002-d.md", adr(2, f"Decision 2, round {round_} in b"))
            assert sync(b.path, engine=engine).project == "acme/new"
            assert _projects(engine) == [("acme/new", NEW_URL)]
        with db.session(engine) as s:
            project = s.execute(select(Project)).scalar_one()
            assert former_names(project) == ["acme/old"]
        assert _title(engine, "ADR-0002") == "Decision 2, round 2 in b"
    finally:
        engine.dispose()


def test_a_writer_under_the_old_name_holds_the_lock_of_the_project(
    git_repo: GitRepo, tmp_path: Path, database_url: str
) -> None:
    """The lock is the project's, not the name's: while a writer that reached the project under one name holds
    it, a sync reaching it under the other name waits (and, here, runs out of its short lock_timeout)."""
    a, b = _clones(_source(git_repo), tmp_path)
    engine = db.make_engine(database_url)
    try:
        sync(a.path, engine=engine)  # acme/old
        b.write("docs/adr/0001-d.md", adr(1, "Decision 1 in b"))
        with db.write_session(engine, "acme/old", identity=_identity(a, OLD_URL)):
            with pytest.raises(LockTimeoutError, match="waited 0.2 s for the write lock"):
                sync(b.path, database_url=database_url, lock_timeout=0.2)
        assert _projects(engine) == [("acme/old", OLD_URL)]  # nothing of b's sync was written
        assert sync(b.path, engine=engine).counts["adr"]["updated"] == 1  # renamed to acme/new
        a.write("docs/adr/0002-d.md", adr(2, "Decision 2 in a"))
        with db.write_session(engine, "acme/new"):  # the other way round, by the project's current name
            with pytest.raises(LockTimeoutError):
                sync(a.path, database_url=database_url, lock_timeout=0.2)
        with db.session(engine) as s:
            assert s.execute(select(ADR.title).where(ADR.adr_number == "ADR-0002")).scalar_one() == "Decision 2"
    finally:
        engine.dispose()


def test_two_clones_creating_the_project_under_two_names_make_one_project(
    git_repo: GitRepo, tmp_path: Path, database_url: str
) -> None:
    """On an empty database a writer creating the project locks the repository's root commit too: the other
    clone's sync waits for it, then finds the project it created (and renames it after its own remote)."""
    from tracertm.engine import identity

    a, b = _clones(_source(git_repo), tmp_path)
    engine = db.make_engine(database_url)
    try:
        with db.write_session(engine, "acme/old", identity=_identity(a, OLD_URL)) as s:
            identity.resolve(s, "acme/old", _identity(a, OLD_URL), write=True)  # created, not committed yet
            if engine.dialect.name == "postgresql":
                ours = s.execute(text("SELECT pg_backend_pid()")).scalar_one()
            other = _Thread(lambda: sync(b.path, database_url=database_url, lock_timeout=WAIT_S))
            other.start()
            try:
                if engine.dialect.name == "postgresql":  # b's sync is at the lock (SQLite: the file lock holds it)
                    def waiting() -> bool:  # (not this look itself, whose text names the lock call too)
                        with engine.connect() as conn:
                            return bool(conn.execute(text(
                                "SELECT count(*) FROM pg_stat_activity WHERE pid NOT IN (:me, pg_backend_pid()) "
                                "AND datname = current_database() AND wait_event_type = 'Lock' "
                                "AND query LIKE 'SELECT pg_advisory_lock%'"), {"me": ours},
                            ).scalar())

                    _until(waiting, "the other sync tries the write lock")
            except BaseException:
                s.rollback()
                other.join(WAIT_S * 2)
                raise
        result = other.outcome()
        assert not isinstance(result, BaseException), result
        assert result.project == "acme/new"
        assert _projects(engine) == [("acme/new", NEW_URL)]  # one project, not one per name
        with db.session(engine) as s2:
            assert s2.execute(select(func.count()).select_from(ADR)).scalar_one() == 4
    finally:
        engine.dispose()


def _cli(repo: Path, url: str) -> subprocess.Popen[str]:
    cmd = [sys.executable, "-m", "tracertm", "sync", str(repo), "--database-url", url]
    return subprocess.Popen(cmd, stdout=subprocess.PIPE, stderr=subprocess.PIPE, text=True)


def test_concurrent_syncs_of_the_two_clones_serialise(git_repo: GitRepo, tmp_path: Path, database_url: str) -> None:
    """The exploratory tester's rounds: each clone edits the same two ADRs, both sync at once. Every sync succeeds
    (no deadlock, no "changed while this sync ran"), versions have one revision each, the name stays."""
    a, b = _clones(_source(git_repo), tmp_path)
    engine = db.make_engine(database_url)
    try:
        sync(a.path, engine=engine)
        sync(b.path, engine=engine)
        for round_ in range(2):  # (the first round after both clones synced, and one more)
            for clone in (a, b):
                clone.write("docs/adr/0001-d.md", adr(1, f"Decision 1, {clone.path.parent.name} round {round_}"))
                clone.write("docs/adr/0002-d.md", adr(2, f"Decision 2, {clone.path.parent.name} round {round_}"))
            procs = [_cli(a.path, database_url), _cli(b.path, database_url)]
            try:
                outcomes = [(p.communicate(timeout=120)[1], p.returncode) for p in procs]
            finally:
                for p in procs:
                    if p.poll() is None:
                        p.kill()
                        p.wait()
            assert [code for _, code in outcomes] == [0, 0], [err for err, _ in outcomes]
            assert _projects(engine) == [("acme/new", NEW_URL)]
        with db.session(engine) as s:
            for row_id, version in s.execute(select(ADR.id, ADR.version)).all():
                revisions = s.execute(
                    select(func.count()).select_from(SpecRevision).where(SpecRevision.entity_id == row_id)
                ).scalar_one()
                assert revisions == version
            assert s.execute(select(func.count()).select_from(SyncRun).where(SyncRun.status != "ok")).scalar() == 0
    finally:
        engine.dispose()


# ---------------------------------------------------------------------------------- the backfill's guard (bug 4)


def _history(git_repo: GitRepo) -> list[str]:
    commits = []
    for n in range(1, 5):
        git_repo.write("docs/adr/0001-d.md", adr(1, f"Decision 1, edit {n}"))
        git_repo.write(f"docs/adr/{n + 1:04d}-d.md", adr(n + 1, f"Decision {n + 1}"))
        commits.append(git_repo.commit(f"c{n}"))
    return commits


class _RegisteredSync:
    """A ``sync --ref REF`` that has scanned, parsed and registered its run (``running``) but not yet taken the
    write lock: ``write()`` runs its write phase; ``close()`` lets its git readers go."""

    def __init__(self, engine: Any, repo: GitRepo, ref: str) -> None:
        from tracertm.config import load_settings
        from tracertm.engine.scan import Location
        from tracertm.engine.naming import project_name
        from tracertm.engine.sync import _Job

        location = Location.find(repo.path)
        settings = load_settings(location.root)
        self.job = _Job(engine, location, settings, project_name(location, settings),
                        RepoIdentity(location.top, None), ref, False, None, False, 1, "cli", 30.0)
        self.snapshot, self.parsed = self.job.read()
        try:
            self.run_id, self.started = self.job._register()
        except BaseException:
            self.close()
            raise

    def write(self) -> Any:
        return self.job._write(self.snapshot, self.parsed, self.run_id, self.started)

    def close(self) -> None:
        self.snapshot.close()


def _pause(monkeypatch: pytest.MonkeyPatch, owner: Any, method: str) -> tuple[threading.Event, threading.Event]:
    """Make ``owner.method`` signal ``reached`` and wait for ``go`` after it ran (or, for a method that writes,
    before it runs): the backfill's observable step."""
    reached, go = threading.Event(), threading.Event()
    original = getattr(owner, method)
    before = method != "read"

    def paused(self: Any, *args: Any, **kwargs: Any) -> Any:
        if before:
            reached.set()
            assert go.wait(WAIT_S * 2)
            return original(self, *args, **kwargs)
        out = original(self, *args, **kwargs)
        reached.set()
        assert go.wait(WAIT_S * 2)
        return out

    monkeypatch.setattr(owner, method, paused)
    return reached, go


def test_a_sync_registered_before_the_backfill_looked_and_writing_after_stops_it(
    git_repo: GitRepo, database_url: str, monkeypatch: pytest.MonkeyPatch, capsys: pytest.CaptureFixture[str]
) -> None:
    """A sync registers its run before it takes the lock. One that registered before the backfill read the
    project's runs, and wrote after, is another writer in the middle of the backfill: it stops (exit 75)."""
    from tracertm.cli import main
    from tracertm.history.checkpoint import Checkpoints

    commits = _history(git_repo)
    engine = db.make_engine(database_url)
    try:
        sync(git_repo.path, engine=engine)  # synced at HEAD: the backfill merges
        other = _RegisteredSync(engine, git_repo, commits[1])
        read, go = _pause(monkeypatch, Checkpoints, "read")
        run = _Thread(lambda: main(["backfill", str(git_repo.path), "--database-url", database_url, "--quiet"]))
        run.start()
        try:
            assert read.wait(WAIT_S), "the backfill never read its checkpoint"
            assert other.write().counts["adr"]["updated"] == 1  # the registered sync writes now
        finally:
            go.set()
            other.close()
        assert run.outcome() == EXIT_CONFLICT == 75
        err = capsys.readouterr().err
        assert "another sync wrote to project repo while the backfill ran" in err and len(err.splitlines()) == 1
        with db.session(engine) as s:  # nothing of the backfill: ADR-0001 has the two sync revisions only
            assert s.execute(select(ADR.version).where(ADR.adr_number == "ADR-0001")).scalar_one() == 2
            assert s.execute(select(func.count()).select_from(SyncRun).where(SyncRun.trigger == "backfill")
                             ).scalar_one() == 0
        rerun = _Thread(lambda: main(["backfill", str(git_repo.path), "--database-url", database_url, "--quiet"]))
        monkeypatch.undo()
        rerun.start()
        assert rerun.outcome() == 0  # run again, it merges
    finally:
        engine.dispose()


def test_a_sync_writing_between_the_merge_and_its_final_sync_stops_the_backfill(
    git_repo: GitRepo, database_url: str, monkeypatch: pytest.MonkeyPatch
) -> None:
    """The backfill takes the lock first and grafts the history; the registered sync writes next; the backfill's
    final ``sync --ref HEAD`` must not pass over it in silence."""
    from tracertm.history.backfill import _Backfill, backfill

    commits = _history(git_repo)
    engine = db.make_engine(database_url)
    try:
        sync(git_repo.path, engine=engine)
        other = _RegisteredSync(engine, git_repo, commits[1])
        reached, go = _pause(monkeypatch, _Backfill, "reconcile_head")
        run = _Thread(lambda: backfill(git_repo.path, engine=engine))
        run.start()
        try:
            assert reached.wait(WAIT_S), "the backfill never reached its final sync"
            other.write()
        finally:
            go.set()
            other.close()
        outcome = run.outcome()
        assert isinstance(outcome, ConflictError), outcome
        assert "another sync wrote to project repo" in str(outcome) and outcome.exit_code == 75
    finally:
        engine.dispose()


def test_a_sync_that_only_registered_does_not_stop_the_backfill(
    git_repo: GitRepo, database_url: str, monkeypatch: pytest.MonkeyPatch
) -> None:
    """A sync that registered its run and never wrote (it failed, or still waits) changed nothing: the backfill
    goes on."""
    from tracertm.history.backfill import backfill
    from tracertm.history.checkpoint import Checkpoints

    commits = _history(git_repo)
    engine = db.make_engine(database_url)
    try:
        sync(git_repo.path, engine=engine)
        read, go = _pause(monkeypatch, Checkpoints, "read")
        run = _Thread(lambda: backfill(git_repo.path, engine=engine))
        run.start()
        try:
            assert read.wait(WAIT_S)
            _RegisteredSync(engine, git_repo, commits[1]).close()  # registered after the backfill looked; no write
        finally:
            go.set()
        outcome = run.outcome()
        assert not isinstance(outcome, BaseException), outcome
        assert outcome.mode == "merged"
    finally:
        engine.dispose()


def test_a_backfill_that_wrote_during_another_backfill_is_named_a_backfill(
    git_repo: GitRepo, database_url: str, monkeypatch: pytest.MonkeyPatch, capsys: pytest.CaptureFixture[str]
) -> None:
    """Two backfills of one project at once (two CI runners): the one that finds the other's batches written since
    it looked stops (exit 75) and says a backfill wrote them — no sync ran."""
    from tracertm.cli import main
    from tracertm.history.checkpoint import Checkpoints

    _history(git_repo)
    engine = db.make_engine(database_url)
    try:
        reached, go = threading.Event(), threading.Event()
        original = Checkpoints.read
        first: list[Any] = []

        def read_then_pause(self: Any, *args: Any, **kwargs: Any) -> Any:
            out = original(self, *args, **kwargs)
            if not first:  # only the first backfill's first look waits
                first.append(self)
                reached.set()
                assert go.wait(WAIT_S * 2)
            return out

        monkeypatch.setattr(Checkpoints, "read", read_then_pause)
        argv = ["backfill", str(git_repo.path), "--database-url", database_url, "--quiet", "--batch-size", "2"]
        run = _Thread(lambda: main(argv))
        run.start()
        try:
            assert reached.wait(WAIT_S), "the first backfill never read its checkpoint"
            assert main(argv) == 0  # the second backfill runs to the end meanwhile
            capsys.readouterr()
        finally:
            go.set()
        assert run.outcome() == EXIT_CONFLICT == 75
        err = capsys.readouterr().err
        assert len(err.splitlines()) == 1, err
        assert "another backfill wrote to project repo while the backfill ran" in err, err
        assert "another sync" not in err, err
    finally:
        engine.dispose()
