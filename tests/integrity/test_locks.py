"""The write lock: held only while writing, waited for a bounded time, its holder named (issue 11, item 10)."""

from __future__ import annotations

import datetime as dt
import subprocess
import sys
import time
import uuid
from pathlib import Path

from sqlalchemy import func, select

from conftest import GitRepo
from specs import adr
from tracertm import db
from tracertm.engine.sync import sync
from tracertm.models import ADR, Project, SpecRevision, SyncRun


def _cli(repo: Path, url: str, *extra: str) -> subprocess.Popen[str]:
    cmd = [sys.executable, "-m", "tracertm", "sync", str(repo), "--database-url", url, *extra]
    return subprocess.Popen(cmd, stdout=subprocess.PIPE, stderr=subprocess.PIPE, text=True)


def _finish(procs: list[subprocess.Popen[str]], timeout: float = 120) -> list[tuple[int, str]]:
    out = []
    try:
        for p in procs:
            _, err = p.communicate(timeout=timeout)
            out.append((p.returncode, err))
    finally:
        for p in procs:
            if p.poll() is None:
                p.kill()
                p.wait()
    return out


def test_the_wait_for_the_lock_is_bounded_and_names_the_other_writer(git_repo: GitRepo, database_url: str) -> None:
    git_repo.write(".tracertm.toml", "lock_timeout = 0.5\n")
    git_repo.write("docs/adr/0001-a.md", adr(1, "One"))
    git_repo.commit()
    engine = db.make_engine(database_url)
    try:
        name = sync(git_repo.path, engine=engine).project
        git_repo.write("docs/adr/0001-a.md", adr(1, "One, edited"))
        # What a watch daemon in the middle of a long write looks like: its run registered, the lock held.
        with db.session(engine) as s, s.begin():
            project = s.execute(select(Project).where(Project.name == name)).scalar_one()
            s.add(SyncRun(id=uuid.uuid4(), project_id=project.id, trigger="watch", status="running",
                          started_at=dt.datetime(2026, 1, 2, 3, 4, 5, tzinfo=dt.timezone.utc)))
        with db.write_session(engine, name):
            started = time.monotonic()
            [(code, err)] = _finish([_cli(git_repo.path, database_url)])
            waited = time.monotonic() - started
        assert code == 2, err
        lines = err.strip().splitlines()
        assert len(lines) == 1, err
        assert "watch daemon" in lines[0] and "2026-01-02 03:04:05" in lines[0] and "lock_timeout" in lines[0]
        assert "--database-url" not in lines[0]
        assert 0.5 <= waited < 60  # bounded by lock_timeout, not by the 60 s default
        with db.session(engine) as s:
            assert s.execute(select(ADR.title)).scalar_one() == "One"  # nothing written
        # The lock is free again: the same sync goes through, and closes the run the "daemon" never finished.
        [(code, err)] = _finish([_cli(git_repo.path, database_url)])
        assert code == 0, err
        with db.session(engine) as s:
            assert s.execute(select(ADR.title)).scalar_one() == "One, edited"
            statuses = s.execute(select(SyncRun.trigger, SyncRun.status).order_by(SyncRun.started_at)).all()
            assert [tuple(r) for r in statuses] == [("watch", "failed"), ("cli", "ok"), ("cli", "ok")]
    finally:
        engine.dispose()


def test_a_library_caller_gets_the_bound_too(git_repo: GitRepo, database_url: str) -> None:
    from tracertm.errors import LockTimeoutError

    git_repo.write("docs/adr/0001-a.md", adr(1, "One"))
    engine = db.make_engine(database_url)
    try:
        name = sync(git_repo.path, engine=engine).project
        git_repo.write("docs/adr/0001-a.md", adr(1, "One, edited"))
        with db.write_session(engine, name):
            started = time.monotonic()
            try:
                sync(git_repo.path, database_url=database_url, lock_timeout=0.2)
            except LockTimeoutError as exc:
                assert "no tracertm run is registered" in str(exc)
            else:
                raise AssertionError("the sync did not wait for the lock")
            assert time.monotonic() - started < 30
    finally:
        engine.dispose()


def _clone(source: GitRepo, where: Path) -> GitRepo:
    subprocess.run(["git", "clone", "-q", str(source.path), str(where)], check=True)
    clone = GitRepo(where)
    clone.git("remote", "remove", "origin")
    return clone


def test_concurrent_writers_of_one_project_serialise(git_repo: GitRepo, tmp_path: Path, database_url: str) -> None:
    for n in range(1, 21):
        git_repo.write(f"docs/adr/{n:04d}-d.md", adr(n, f"Decision {n}"))
    git_repo.commit()
    a = _clone(git_repo, tmp_path / "a" / "repo")
    b = _clone(git_repo, tmp_path / "b" / "repo")
    for n in range(1, 21, 2):
        a.write(f"docs/adr/{n:04d}-d.md", adr(n, f"Decision {n} by a"))
    for n in range(2, 21, 2):
        b.write(f"docs/adr/{n:04d}-d.md", adr(n, f"Decision {n} by b"))
    b.write("docs/adr/0021-d.md", adr(21, "Only in b"))
    results = _finish([_cli(r.path, database_url, "--project", "p") for r in (a, b, git_repo, a)])
    assert [code for code, _ in results] == [0] * 4, [err for _, err in results]
    engine = db.make_engine(database_url)
    try:
        with db.session(engine) as s:
            numbers = s.execute(select(ADR.adr_number)).scalars().all()
            assert len(numbers) == len(set(numbers))  # no duplicate
            rows = s.execute(select(ADR.id, ADR.version)).all()
            for row_id, version in rows:
                revisions = s.execute(
                    select(func.count()).select_from(SpecRevision).where(SpecRevision.entity_id == row_id)
                ).scalar_one()
                assert revisions == version  # one revision per version: no lost or doubled write
            assert s.execute(select(func.count()).select_from(SyncRun).where(SyncRun.status != "ok")).scalar() == 0
        # Whoever wrote last, the database is exactly that repository's projection.
        assert any(not sync(r.path, project="p", dry_run=True, engine=engine).changed for r in (a, b, git_repo))
    finally:
        engine.dispose()


def test_a_writer_that_committed_between_parse_and_write_is_caught_up_with(
    git_repo: GitRepo, tmp_path: Path, database_url: str
) -> None:
    """Sync A parses with no lock held; sync B commits before A writes. Under the lock A re-reads the file index:
    it parses the one file B changed (and no other), and writes its own view over B's."""
    from tracertm.config import load_settings
    from tracertm.engine.identity import RepoIdentity
    from tracertm.engine.scan import Location
    from tracertm.engine.sync import _Job

    for n in (1, 2, 3):
        git_repo.write(f"docs/adr/{n:04d}-d.md", adr(n, f"Decision {n}"))
    git_repo.commit()
    b = _clone(git_repo, tmp_path / "b" / "repo")
    engine = db.make_engine(database_url)
    try:
        sync(git_repo.path, project="p", engine=engine)
        git_repo.write("docs/adr/0001-d.md", adr(1, "Decision 1 by a"))
        b.write("docs/adr/0002-d.md", adr(2, "Decision 2 by b"))
        location = Location.find(git_repo.path)
        job = _Job(engine, location, load_settings(location.root), "p", RepoIdentity(location.top, None), None,
                   False, None, False, 1, "cli", 10.0)
        prepared = job.read()
        assert sorted(prepared[1]) == ["docs/adr/0001-d.md"]  # parsed before any lock
        assert sync(b.path, project="p", engine=engine).counts["adr"]["updated"] == 1  # B commits meanwhile
        result = job.write(prepared)
        assert result.files_parsed == 2  # its own edit, plus the file B changed; not the third
        with db.session(engine) as s:
            titles = dict(s.execute(select(ADR.adr_number, ADR.title)).all())  # type: ignore[arg-type]
            assert titles == {"ADR-0001": "Decision 1 by a", "ADR-0002": "Decision 2", "ADR-0003": "Decision 3"}
            for row_id, version in s.execute(select(ADR.id, ADR.version)).all():
                revisions = s.execute(
                    select(func.count()).select_from(SpecRevision).where(SpecRevision.entity_id == row_id)
                ).scalar_one()
                assert revisions == version
        assert not sync(git_repo.path, project="p", dry_run=True, engine=engine).changed
    finally:
        engine.dispose()
