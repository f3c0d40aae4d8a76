"""A verb that reads (README, Commands: ``status``, ``list``, ``show``, ``history``, ``search``, ``trace``,
``matrix``, ``review``, ``coverage``, ``results``, ``token list``, ``token revoke``) on a database that holds no
tracertm schema creates none: a PostgreSQL database with no tables is refused in one line saying it holds no
tracertm data yet and to run ``tracertm sync`` (exit 2, as a SQLite path with no file is: the database the option
names is not one to read yet), instead of having every migration run as a side effect of the read. A SQLite path
with no file stays missing. A tracertm database at an older schema revision is still migrated forward by a read,
as on first use (README, First use)."""

from __future__ import annotations

from pathlib import Path

import pytest

from conftest import GitRepo, run_cli, schema_revision
from specs import adr
from tracertm import db

READ_VERBS = [
    ["status", "--path", "{repo}"],
    ["list", "adrs", "--path", "{repo}"],
    ["show", "ADR-0001", "--path", "{repo}"],
    ["history", "ADR-0001", "--path", "{repo}"],
    ["search", "git"],
    ["trace", "ADR-0001", "--path", "{repo}"],
    ["matrix", "--path", "{repo}"],
    ["review", "--all", "--path", "{repo}"],
    ["coverage"],
    ["results", "runs"],
    ["results", "list"],
    ["results", "unmatched"],
    ["token", "list"],
    ["token", "revoke", "abc"],
    ["results", "import", "{repo}/junit.xml", "--path", "{repo}"],  # (it writes, into a project a sync made)
]


def _seed(repo: GitRepo) -> None:
    repo.write("docs/adr/0001-use-git.md", adr(1, "Use git"))
    repo.write("junit.xml", '<testsuite name="s"><testcase classname="c" name="t"/></testsuite>\n')
    repo.commit("seed")


def _one_line(text: str) -> str:
    lines = text.strip().splitlines()
    assert len(lines) == 1 and "internal error" not in text and "Traceback" not in text, text
    return lines[0]


@pytest.mark.parametrize("argv", READ_VERBS, ids=lambda argv: " ".join(a for a in argv if not a.startswith("{")))
def test_a_read_verb_on_a_database_with_no_schema_creates_none(
        git_repo: GitRepo, empty_database_url: str, monkeypatch: pytest.MonkeyPatch, argv: list[str]) -> None:
    _seed(git_repo)
    monkeypatch.chdir(git_repo.path)  # the verbs with no PATH option find the repository around the folder
    proc = run_cli(*(a.replace("{repo}", str(git_repo.path)) for a in argv), "--database-url", empty_database_url)
    assert proc.returncode == 2, proc.stdout + proc.stderr
    line = _one_line(proc.stderr)
    assert proc.stdout == ""
    if empty_database_url.startswith("sqlite"):
        path = Path(empty_database_url.removeprefix("sqlite:///"))
        assert line == f"tracertm: error: no database at {path}; run 'tracertm sync' first or check --database-url"
        assert not path.exists(), "a read created the SQLite file"
    else:
        shown = db.redact(empty_database_url)
        assert line == (
            f"tracertm: error: --database-url: database {shown} holds no tracertm data yet (no tables); this "
            "command creates no schema: run 'tracertm sync' to create it, or point --database-url at a "
            "tracertm database"
        )
        assert schema_revision(empty_database_url) is None, "a read migrated the database"


def test_a_read_verb_names_the_variable_and_another_programs_tables(
        git_repo: GitRepo, empty_database_url: str, monkeypatch: pytest.MonkeyPatch) -> None:
    """A PostgreSQL database shared with another program's tables: refused as such, its tables left alone."""
    from sqlalchemy import inspect, text

    if empty_database_url.startswith("sqlite"):
        pytest.skip("SQLite: tests/test_dry_run_and_read_verbs_create_nothing.py (another program's file)")
    _seed(git_repo)
    engine = db.make_engine(empty_database_url)
    try:
        with engine.begin() as conn:
            conn.execute(text("CREATE TABLE users (id INTEGER PRIMARY KEY, name TEXT)"))
        monkeypatch.setenv("TRACERTM_DATABASE_URL", empty_database_url)
        proc = run_cli("status", "--path", str(git_repo.path))
        assert proc.returncode == 2, proc.stdout + proc.stderr
        assert _one_line(proc.stderr) == (
            f"tracertm: error: $TRACERTM_DATABASE_URL: database {db.redact(empty_database_url)} holds no tracertm "
            "data yet (tables of its own, no tracertm schema); this command creates no schema: run "
            "'tracertm sync' to create it, or point $TRACERTM_DATABASE_URL at a tracertm database"
        )
        assert inspect(engine).get_table_names() == ["users"]
    finally:
        engine.dispose()


def test_db_current_still_shows_an_empty_database(empty_database_url: str) -> None:
    proc = run_cli("db", "current", "--database-url", empty_database_url)
    assert proc.returncode == 0, proc.stderr
    assert "revision: - (empty)" in proc.stdout
    if empty_database_url.startswith("sqlite"):
        assert not Path(empty_database_url.removeprefix("sqlite:///")).exists()
    else:
        assert schema_revision(empty_database_url) is None


def test_after_a_sync_the_read_verbs_read(git_repo: GitRepo, empty_database_url: str) -> None:
    _seed(git_repo)
    assert run_cli("sync", str(git_repo.path), "--database-url", empty_database_url).returncode == 0
    proc = run_cli("show", "ADR-0001", "--path", str(git_repo.path), "--database-url", empty_database_url)
    assert proc.returncode == 0, proc.stderr
    assert "Use git" in proc.stdout


def test_a_read_verb_still_migrates_an_older_tracertm_schema(git_repo: GitRepo, empty_database_url: str) -> None:
    """The documented first-use rule, on both kinds: a tracertm schema at an older revision is brought forward."""
    _seed(git_repo)
    assert run_cli("db", "upgrade", "--revision", "0005", "--database-url", empty_database_url).returncode == 0
    proc = run_cli("token", "list", "--database-url", empty_database_url)
    assert (proc.returncode, proc.stdout.strip()) == (0, "no tokens"), proc.stderr
    assert schema_revision(empty_database_url) == db.SCHEMA_HEAD
