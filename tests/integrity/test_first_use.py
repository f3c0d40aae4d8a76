"""First use under concurrency, and databases migrated by a newer tracertm (issue 11, item 11)."""

from __future__ import annotations

import subprocess
import sys
from pathlib import Path

import pytest
from sqlalchemy import func, select, text

from conftest import GitRepo
from specs import adr
from tracertm import db
from tracertm.errors import SchemaTooNewError
from tracertm.models import ADR, Project


def _repo(git_repo: GitRepo) -> GitRepo:
    for n in range(1, 6):
        git_repo.write(f"docs/adr/{n:04d}-d.md", adr(n, f"Decision {n}"))
    git_repo.commit("specs")
    return git_repo


def _sync_cli(repo: Path, url: str, *extra: str) -> subprocess.Popen[str]:
    cmd = [sys.executable, "-m", "tracertm", "sync", str(repo), "--database-url", url, *extra]
    return subprocess.Popen(cmd, stdout=subprocess.PIPE, stderr=subprocess.PIPE, text=True)


def _finish(procs: list[subprocess.Popen[str]]) -> list[tuple[int, str]]:
    out = []
    try:
        for p in procs:
            _, err = p.communicate(timeout=120)
            out.append((p.returncode, err))
    finally:
        for p in procs:
            if p.poll() is None:
                p.kill()
                p.wait()
    return out


def test_four_syncs_at_once_on_a_sqlite_file_that_does_not_exist(git_repo: GitRepo, tmp_path: Path) -> None:
    repo = _repo(git_repo)
    path = tmp_path / "new" / "tracertm.db"
    path.parent.mkdir()  # (a folder a URL names must exist; the file does not)
    url = f"sqlite:///{path}"
    results = _finish([_sync_cli(repo.path, url) for _ in range(4)])
    assert [code for code, _ in results] == [0, 0, 0, 0], [err for _, err in results]
    engine = db.make_engine(url)
    try:
        assert db.current_revision(engine) == db.SCHEMA_HEAD
        with db.session(engine) as s:
            assert s.execute(select(func.count()).select_from(Project)).scalar_one() == 1
            assert s.execute(select(func.count()).select_from(ADR)).scalar_one() == 5
    finally:
        engine.dispose()


# PostgreSQL only: on SQLite an empty database is a file that does not exist yet, the case of the test above
# (which asserts this and more).
@pytest.mark.parametrize("empty_database_url", ["postgresql"], indirect=True)
def test_four_first_uses_at_once_on_an_empty_database(git_repo: GitRepo, empty_database_url: str) -> None:
    repo = _repo(git_repo)
    results = _finish([_sync_cli(repo.path, empty_database_url) for _ in range(4)])
    assert [code for code, _ in results] == [0, 0, 0, 0], [err for _, err in results]
    engine = db.make_engine(empty_database_url)
    try:
        with db.session(engine) as s:
            assert s.execute(select(func.count()).select_from(ADR)).scalar_one() == 5
    finally:
        engine.dispose()


def _stamp_newer(url: str) -> None:
    engine = db.make_engine(url)
    try:
        with engine.begin() as conn:
            conn.execute(text("UPDATE alembic_version SET version_num = '9999'"))
    finally:
        engine.dispose()


def test_a_database_from_a_newer_tracertm_is_refused_in_one_line(git_repo: GitRepo, database_url: str) -> None:
    repo = _repo(git_repo)
    _stamp_newer(database_url)
    [(code, err)] = _finish([_sync_cli(repo.path, database_url)])
    assert code == 2
    lines = err.strip().splitlines()
    assert len(lines) == 1, err
    assert "9999" in lines[0] and "upgrade tracertm" in lines[0]
    engine = db.make_engine(database_url)
    try:
        with pytest.raises(SchemaTooNewError):
            db.ensure_schema(engine)
        with pytest.raises(SchemaTooNewError):
            db.upgrade(engine)
        assert db.current_revision(engine) == "9999"  # untouched
    finally:
        engine.dispose()
