"""What a dry run and the read verbs may do to a database: nothing. ``sync --dry-run`` neither creates a database
(file, folder, PostgreSQL schema) nor migrates one; a read verb refuses a SQLite file that holds no tracertm schema
instead of migrating tracertm's tables into it; ``db upgrade --revision`` names only revisions that exist."""

from __future__ import annotations

import json
import sqlite3
from pathlib import Path

import pytest

from conftest import GitRepo, run_cli, schema_revision
from specs import adr, contract
from tracertm import db
from tracertm.engine.sync import sync


def _seed(repo: GitRepo) -> None:
    repo.write("docs/adr/0001-use-git.md", adr(1, "Use git"))
    repo.write("contracts/payments.yaml", contract(1, "Payments"))
    repo.commit("seed")


def _tables(path: Path) -> list[str]:
    conn = sqlite3.connect(f"file:{path}?mode=ro", uri=True)
    try:
        return sorted(r[0] for r in conn.execute("SELECT name FROM sqlite_master WHERE type = 'table'"))
    finally:
        conn.close()


def _one_line(text: str) -> str:
    lines = text.strip().splitlines()
    assert len(lines) == 1 and "internal error" not in text and "Traceback" not in text, text
    return lines[0]


# ------------------------------------------------------------------------------------------------------ dry run


def test_a_dry_run_with_no_database_plans_everything_and_creates_nothing(git_repo: GitRepo, tmp_path: Path) -> None:
    """A mistyped path: no folder, no file; every record would be created, which ``--exit-code`` calls drift."""
    _seed(git_repo)
    path = tmp_path / "typo" / "specs.db"
    proc = run_cli("sync", str(git_repo.path), "--dry-run", "--exit-code", "--database-url", f"sqlite:///{path}")
    assert proc.returncode == 1, proc.stderr
    assert "would sync" in proc.stdout and "created   adr       ADR-0001" in proc.stdout
    assert not (tmp_path / "typo").exists()

    proc = run_cli("sync", str(git_repo.path), "--dry-run", "--format", "json", "--database-url", f"sqlite:///{path}")
    assert proc.returncode == 0, proc.stderr
    payload = json.loads(proc.stdout)
    assert payload["dry_run"] and payload["run_id"] is None
    assert payload["counts"]["adr"]["created"] == 1 and payload["counts"]["contract"]["created"] == 1
    assert not (tmp_path / "typo").exists()


def test_a_dry_run_with_no_schema_migrates_nothing(git_repo: GitRepo, empty_database_url: str) -> None:
    """A PostgreSQL database with no schema (and a SQLite file not there yet) is planned against as empty."""
    _seed(git_repo)
    proc = run_cli("sync", str(git_repo.path), "--dry-run", "--exit-code", "--database-url", empty_database_url)
    assert proc.returncode == 1, proc.stderr
    assert "created   contract" in proc.stdout
    if empty_database_url.startswith("sqlite"):
        assert not Path(empty_database_url.removeprefix("sqlite:///")).exists()
    else:
        assert schema_revision(empty_database_url) is None
    # The library with the caller's own engine: the same rule.
    engine = db.make_engine(empty_database_url)
    try:
        result = sync(git_repo.path, engine=engine, dry_run=True)
        assert result.dry_run and result.changed and result.counts["adr"]["created"] == 1
        assert db.current_revision(engine) is None
    finally:
        engine.dispose()
    # A real sync still creates and migrates it, then a dry run finds nothing to do.
    assert run_cli("sync", str(git_repo.path), "--database-url", empty_database_url).returncode == 0
    assert run_cli("sync", str(git_repo.path), "--dry-run", "--exit-code", "--full",
                   "--database-url", empty_database_url).returncode == 0


def test_a_dry_run_on_an_empty_file_leaves_it_empty(git_repo: GitRepo, tmp_path: Path) -> None:
    _seed(git_repo)
    path = tmp_path / "empty.db"
    path.write_bytes(b"")
    proc = run_cli("sync", str(git_repo.path), "--dry-run", "--exit-code", "--database-url", f"sqlite:///{path}")
    assert proc.returncode == 1, proc.stderr
    assert path.read_bytes() == b""
    assert sorted(p.name for p in tmp_path.iterdir()) == ["empty.db", "repo"]


def test_a_dry_run_refuses_an_older_schema_instead_of_migrating_it(git_repo: GitRepo, empty_database_url: str
                                                                  ) -> None:
    _seed(git_repo)
    assert run_cli("db", "upgrade", "--revision", "0005", "--database-url", empty_database_url).returncode == 0
    before = None
    if empty_database_url.startswith("sqlite"):
        before = Path(empty_database_url.removeprefix("sqlite:///")).read_bytes()
    proc = run_cli("sync", str(git_repo.path), "--dry-run", "--database-url", empty_database_url)
    assert proc.returncode == 2
    line = _one_line(proc.stderr)
    assert line.startswith("tracertm: error: --database-url: ")
    assert "schema revision 0005" in line and "run 'tracertm db upgrade' first" in line
    assert "would sync" not in proc.stdout
    assert schema_revision(empty_database_url) == "0005", "a dry run migrated the database"
    if before is not None:
        assert Path(empty_database_url.removeprefix("sqlite:///")).read_bytes() == before
    # Without --dry-run the sync migrates it, as before.
    assert run_cli("sync", str(git_repo.path), "--database-url", empty_database_url).returncode == 0
    assert schema_revision(empty_database_url) == db.SCHEMA_HEAD


# --------------------------------------------------------------------------------------------------- db upgrade


# The number after the newest migration: not a revision yet, whichever migration is the newest.
_AFTER_HEAD = f"{int(db.SCHEMA_HEAD) + 1:04d}"


@pytest.mark.parametrize("revision", ["0007", "0008", "0011", "0012", _AFTER_HEAD, "7", "head~1"])
def test_db_upgrade_to_a_revision_that_does_not_exist(tmp_path: Path, revision: str) -> None:
    """Revision ids have gaps: a number in one is a usage error listing the ids, and no file is made."""
    path = tmp_path / "x.db"
    proc = run_cli("db", "upgrade", "--revision", revision, "--database-url", f"sqlite:///{path}")
    assert proc.returncode == 2
    line = _one_line(proc.stderr)
    assert line.startswith(f"tracertm: error: --revision {revision}: not a schema revision; give head or one of ")
    assert "0006, 0009, 0010, 0013" in line and line.endswith(db.SCHEMA_HEAD)
    assert not path.exists()


def test_db_upgrade_through_the_gaps(tmp_path: Path) -> None:
    url = f"sqlite:///{tmp_path / 'x.db'}"
    for revision in ("0006", "0009", "0013"):
        proc = run_cli("db", "upgrade", "--revision", revision, "--database-url", url)
        assert proc.returncode == 0, proc.stderr
        assert schema_revision(url) == revision
    proc = run_cli("db", "upgrade", "--revision", "0010", "--database-url", url)
    assert proc.returncode == 2 and "no downgrades" in _one_line(proc.stderr)
    # A number in a gap above the database's own revision: the same usage line, not Alembic's internal error.
    proc = run_cli("db", "upgrade", "--revision", "0007", "--database-url", url)
    assert proc.returncode == 2 and "not a schema revision" in _one_line(proc.stderr)
    assert schema_revision(url) == "0013"


def test_shipped_revisions_are_alembics() -> None:
    shipped = db.shipped_revisions()
    assert shipped == sorted(db.known_revisions())
    assert shipped[-1] == db.SCHEMA_HEAD


# ------------------------------------------------------------------------------------------------- read verbs


def _foreign(path: Path) -> None:
    conn = sqlite3.connect(path)
    conn.execute("CREATE TABLE users (id INTEGER PRIMARY KEY, name TEXT)")
    conn.execute("INSERT INTO users (name) VALUES ('ada')")
    conn.commit()
    conn.close()


@pytest.mark.parametrize("argv", [["token", "list"], ["status", "--path", "{repo}"], ["list", "adrs"],
                                  ["search", "git"], ["results", "runs"]])
def test_a_read_verb_refuses_another_programs_database(
    git_repo: GitRepo, tmp_path: Path, monkeypatch: pytest.MonkeyPatch, argv: list[str]
) -> None:
    _seed(git_repo)
    path = tmp_path / "foreign.db"
    _foreign(path)
    monkeypatch.setenv("TRACERTM_DATABASE_URL", f"sqlite:///{path}")
    proc = run_cli(*(a.replace("{repo}", str(git_repo.path)) for a in argv))
    assert proc.returncode == 2, proc.stdout + proc.stderr
    line = _one_line(proc.stderr)
    assert line == (
        f"tracertm: error: $TRACERTM_DATABASE_URL: {path} is not a tracertm database (tables of its own, no "
        "tracertm schema); this command creates none: point $TRACERTM_DATABASE_URL at a tracertm "
        "database, or run 'tracertm sync' to create one"
    )
    assert _tables(path) == ["users"], "tracertm's tables were migrated into it"


@pytest.mark.parametrize("argv", [["token", "list"], ["status", "--path", "{repo}"], ["history", "ADR-0001"]])
def test_a_read_verb_refuses_an_empty_file(git_repo: GitRepo, tmp_path: Path, argv: list[str]) -> None:
    _seed(git_repo)
    path = tmp_path / "empty.db"
    path.write_bytes(b"")
    proc = run_cli(*(a.replace("{repo}", str(git_repo.path)) for a in argv), "--database-url", f"sqlite:///{path}")
    assert proc.returncode == 2
    line = _one_line(proc.stderr)
    assert line.startswith(f"tracertm: error: --database-url: {path} is not a tracertm database (an empty file)")
    assert path.read_bytes() == b""


def test_db_current_shows_a_foreign_file_without_touching_it(tmp_path: Path) -> None:
    path = tmp_path / "foreign.db"
    _foreign(path)
    before = path.read_bytes()
    proc = run_cli("db", "current", "--database-url", f"sqlite:///{path}")
    assert proc.returncode == 0, proc.stderr
    assert f"database: {path} (not a tracertm database: tables of its own" in proc.stdout
    assert "revision: - (no tracertm schema)" in proc.stdout
    assert path.read_bytes() == before


def test_a_file_uri_is_a_path_like_any_other(git_repo: GitRepo, tmp_path: Path, monkeypatch: pytest.MonkeyPatch
                                              ) -> None:
    _seed(git_repo)
    monkeypatch.chdir(tmp_path)
    proc = run_cli("status", "--path", str(git_repo.path), "--database-url", "sqlite:///file:x.db")
    assert proc.returncode == 2
    assert _one_line(proc.stderr) == (
        "tracertm: error: no database at file:x.db; run 'tracertm sync' first or check --database-url"
    )
    assert not (tmp_path / "file:x.db").exists()
    # Once a sync made it, it is read like any database.
    assert run_cli("sync", str(git_repo.path), "--database-url", "sqlite:///file:x.db").returncode == 0
    assert (tmp_path / "file:x.db").is_file()
    proc = run_cli("status", "--path", str(git_repo.path), "--database-url", "sqlite:///file:x.db")
    assert proc.returncode == 0, proc.stderr


def test_a_read_verb_still_migrates_an_older_tracertm_database(tmp_path: Path) -> None:
    """As on first use: a real tracertm database at an older revision is brought forward (README, First use)."""
    url = f"sqlite:///{tmp_path / 'old.db'}"
    assert run_cli("db", "upgrade", "--revision", "0005", "--database-url", url).returncode == 0
    proc = run_cli("token", "list", "--database-url", url)
    assert proc.returncode == 0, proc.stderr
    assert schema_revision(url) == db.SCHEMA_HEAD
