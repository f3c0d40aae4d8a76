"""SHA-256 repositories (``git init --object-format=sha256``): commit ids of 64 hex digits are stored whole — the
commit columns hold 64 characters since migration 0018 (PostgreSQL refused them as VARCHAR(40))."""

from __future__ import annotations

import subprocess
from collections.abc import Iterator
from pathlib import Path

import pytest
import sqlalchemy as sa
from sqlalchemy import select

from conftest import GitRepo
from tracertm import db
from tracertm.cli import main
from tracertm.engine.sync import sync
from tracertm.models import Project, SpecRevision, SyncRun, TestRun
from tracertm.results import import_results

REPORT = b'<testsuite><testcase classname="a" name="b"/></testsuite>'
SHA256 = "0123456789abcdef" * 4


def _sha256_supported() -> bool:
    try:
        out = subprocess.run(["git", "init", "--help"], capture_output=True, text=True)
    except FileNotFoundError:
        return False
    return "object-format" in out.stdout


@pytest.fixture
def sha256_repo(tmp_path: Path) -> Iterator[GitRepo]:
    if not _sha256_supported():
        pytest.skip("git without --object-format")
    path = tmp_path / "repo256"
    path.mkdir()
    repo = GitRepo(path)
    repo.git("init", "-q", "-b", "main", "--object-format=sha256")
    repo.git("config", "commit.gpgsign", "false")
    repo.write("features/a.feature", "Feature: A\n\n  Scenario: One\n    Given x\n")
    repo.commit("a")
    assert len(repo.head()) == 64
    yield repo


def test_a_64_digit_commit_is_stored_whole(git_repo: GitRepo, database_url: str) -> None:
    git_repo.write("features/a.feature", "Feature: A\n\n  Scenario: One\n    Given x\n")
    git_repo.commit("a")
    assert not sync(git_repo.path, ref="HEAD", database_url=database_url, project="p").errors
    summary = import_results(database_url, "p", [("r.xml", REPORT)], commit=SHA256.upper())
    assert summary.commit == SHA256
    engine = db.make_engine(database_url)
    try:
        with db.session(engine) as session:
            assert session.execute(select(TestRun.commit_sha)).scalars().all() == [SHA256]
    finally:
        engine.dispose()


def test_a_sha256_repository_syncs_and_imports_with_its_head(
    sha256_repo: GitRepo, database_url: str, monkeypatch: pytest.MonkeyPatch, capsys: pytest.CaptureFixture[str],
) -> None:
    head = sha256_repo.head()
    monkeypatch.chdir(sha256_repo.path)
    monkeypatch.delenv("GITHUB_SHA", raising=False)
    monkeypatch.delenv("CI_COMMIT_SHA", raising=False)
    assert main(["sync", "--ref", "HEAD", "--database-url", database_url]) == 0
    report = sha256_repo.path.parent / "r.xml"
    report.write_bytes(REPORT)
    capsys.readouterr()
    assert main(["results", "import", str(report), "--database-url", database_url, "--commit", head[:10],
                 "--output", "json"]) == 0, capsys.readouterr().err
    assert f'"commit": "{head}"' in capsys.readouterr().out, "an abbreviation resolved to the 64-digit id"
    engine = db.make_engine(database_url)
    try:
        with db.session(engine) as session:
            assert session.execute(select(TestRun.commit_sha)).scalars().all() == [head]
            assert session.execute(select(SyncRun.commit_sha)).scalars().all() == [head]
            synced = select(SpecRevision.commit_sha).where(SpecRevision.commit_sha.is_not(None))  # not the import's
            assert set(session.execute(synced).scalars()) == {head}
            assert session.execute(select(Project.root_commit)).scalars().all() == [head]
    finally:
        engine.dispose()


def test_check_options_takes_64_digits_and_no_more() -> None:
    from tracertm.errors import UsageError
    from tracertm.results.store import check_options

    check_options(SHA256, None, 1, 1)
    with pytest.raises(UsageError, match="4 to 64 hex digits"):
        check_options(SHA256 + "0", None, 1, 1)


def test_every_commit_column_holds_64_characters() -> None:
    """Every git id column of the models (a commit, or source_files.blob_sha: an object id)."""
    from tracertm.models import Base

    narrow = [f"{table.name}.{column.name}" for table in Base.metadata.tables.values() for column in table.columns
              if isinstance(column.type, sa.String) and column.type.length == 40]
    assert narrow == []


def _commits(engine: sa.Engine) -> list[tuple[str | None, ...]]:
    with engine.connect() as conn:
        return [tuple(row) for row in conn.execute(sa.text(
            "SELECT p.root_commit, p.last_synced_commit, s.source_commit, f.blob_sha, f.last_commit, s.id, f.path "
            "FROM projects p JOIN features s ON s.project_id = p.id JOIN source_files f ON f.project_id = p.id "
            "ORDER BY f.path, s.id"))]


def _lengths(engine: sa.Engine) -> set[int | None]:
    inspector = sa.inspect(engine)
    return {column["type"].length for table in ("projects", "scenarios", "source_files", "sync_runs", "spec_revisions",
                                                "test_runs")
            for column in inspector.get_columns(table) if column["name"] in (
                "root_commit", "last_synced_commit", "source_commit", "blob_sha", "last_commit", "commit_sha")}


def test_migration_0018_keeps_the_rows_and_refuses_to_narrow_a_64_digit_id(
    git_repo: GitRepo, empty_database_url: str,
) -> None:
    engine = db.make_engine(empty_database_url)
    try:
        db.upgrade(engine, "0017")
        git_repo.write("features/a.feature", "Feature: A\n\n  Scenario: One\n    Given x\n")
        git_repo.commit("a")
        db.upgrade(engine)  # sync writes through the models of head: its rows go in at head, then down and up again
        assert not sync(git_repo.path, ref="HEAD", database_url=empty_database_url, project="p").errors
        before = _commits(engine)
        assert before and all(len(value or "") == 40 for row in before for value in row[:5])
        db.downgrade(engine, "0017")
        assert _lengths(engine) == {40} and _commits(engine) == before
        db.upgrade(engine)
        assert _lengths(engine) == {64} and _commits(engine) == before
        assert not sync(git_repo.path, ref="HEAD", database_url=empty_database_url, project="p").errors, \
            "the rebuilt tables (their indexes and search triggers) still take a sync"
        import_results(empty_database_url, "p", [("r.xml", REPORT)], commit=SHA256)
        with pytest.raises(RuntimeError, match=r"test_runs\.commit_sha holds 1 ids longer than 40"):
            db.downgrade(engine, "0017")
        assert db.current_revision(engine) == db.SCHEMA_HEAD  # nothing changed: still at head
    finally:
        engine.dispose()
