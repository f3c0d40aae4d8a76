"""`tracertm db ...`, `--version` and the CLI's error contract: exit codes, one-line messages, no secrets."""

from __future__ import annotations

import os
import subprocess
import sys
from pathlib import Path

import pytest

from conftest import GitRepo, run_cli
from specs import adr
from tracertm import db
from tracertm.cli import main


def _run(argv: list[str]) -> int:
    """main() returns the exit code; argparse's own exits (``--version``) surface as SystemExit."""
    try:
        return main(argv)
    except SystemExit as exc:
        return int(exc.code or 0)


def _one_line(text: str) -> str:
    lines = text.strip("\n").splitlines()
    assert len(lines) == 1, f"expected one line, got:\n{text}"
    assert "Traceback" not in text
    return lines[0]


def test_version(capsys: pytest.CaptureFixture[str]) -> None:
    assert _run(["--version"]) == 0
    out, err = capsys.readouterr()
    assert out.strip() == "tracertm 0.1.0"
    assert err == ""


def test_db_upgrade_creates_the_default_database_in_home(capsys: pytest.CaptureFixture[str]) -> None:
    path = Path(os.environ["HOME"]) / ".local" / "share" / "tracertm" / "tracertm.db"
    assert not path.parent.exists()
    assert main(["db", "upgrade"]) == 0
    out, _ = capsys.readouterr()
    assert path.is_file()
    assert str(path) in out and f"at revision {db.SCHEMA_HEAD}" in out

    assert main(["db", "current"]) == 0
    out, _ = capsys.readouterr()
    assert f"database: sqlite:///{path}" in out
    assert f"revision: {db.SCHEMA_HEAD} (head)" in out.splitlines()


def test_db_upgrade_honours_the_environment_variable(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch, capsys: pytest.CaptureFixture[str]
) -> None:
    monkeypatch.setenv("TRACERTM_DATABASE_URL", f"sqlite:///{tmp_path / 'env.db'}")
    assert main(["db", "upgrade"]) == 0
    assert (tmp_path / "env.db").is_file()
    assert not db.default_database_path().exists()
    # the option beats the environment
    assert main(["db", "current", "--database-url", f"sqlite:///{tmp_path / 'opt' / 'opt.db'}"]) == 0
    assert "(empty)" in capsys.readouterr().out
    assert not (tmp_path / "opt").exists(), "showing a database that is not there creates nothing"


@pytest.mark.parametrize(
    ("url", "named"),
    [
        ("mysql://user:s3cret@host/db", "mysql"),
        ("not a url", "not a database URL"),
        ("postgresql+asyncpg://user:s3cret@host/db", "asyncpg"),
        ("mysql://user:s3cret@host:notaport/db", "mysql"),
        # The scheme is right and the port is not: said so, not "not a database URL (scheme 'postgresql')".
        ("postgresql://user:s3cret@host:/db", ": the URL's port is not a number; write HOST:PORT with digits"),
        ("postgresql+psycopg://user:s3cret@host:5432x/db", ": the URL's port is not a number;"),
    ],
)
@pytest.mark.parametrize("verb", ["upgrade", "current"])
def test_bad_database_url_is_a_usage_error(
    verb: str, url: str, named: str, capsys: pytest.CaptureFixture[str]
) -> None:
    assert main(["db", verb, "--database-url", url]) == 2
    out, err = capsys.readouterr()
    line = _one_line(err)
    assert line.startswith("tracertm: error: --database-url")
    assert named in line
    assert "s3cret" not in out + err


def test_unreachable_postgresql_is_one_line_without_the_password(capsys: pytest.CaptureFixture[str]) -> None:
    url = "postgresql://tracertm:s3cret@127.0.0.1:1/tracertm"
    assert main(["db", "upgrade", "--database-url", url]) == 2
    out, err = capsys.readouterr()
    line = _one_line(err)
    assert "127.0.0.1:1" in line and "--database-url" in line
    assert "s3cret" not in out + err


@pytest.mark.parametrize("argv", [["frobnicate"], ["db", "frobnicate"], ["db", "upgrade", "--no-such-option"], []])
def test_usage_errors_exit_2_with_one_line(argv: list[str], capsys: pytest.CaptureFixture[str]) -> None:
    assert _run(argv) == 2
    out, err = capsys.readouterr()
    line = _one_line(err)
    assert line.startswith("tracertm: error: ")
    assert out == ""


def _simulate_bug(monkeypatch: pytest.MonkeyPatch) -> None:
    def broken(engine: object) -> str:
        raise RuntimeError("simulated bug\nwith a second line")

    monkeypatch.setattr(db, "current_revision", broken)


def test_internal_error_is_exit_3_one_line(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch, capsys: pytest.CaptureFixture[str]
) -> None:
    assert main(["db", "upgrade", "--database-url", f"sqlite:///{tmp_path / 'x.db'}"]) == 0  # a database to show
    _simulate_bug(monkeypatch)
    assert main(["db", "current", "--database-url", f"sqlite:///{tmp_path / 'x.db'}"]) == 3
    _, err = capsys.readouterr()
    line = _one_line(err)
    assert "internal error" in line and "RuntimeError: simulated bug" in line and "--traceback" in line


@pytest.mark.parametrize("where", ["before", "after"])
def test_traceback_option_shows_the_traceback(
    where: str, tmp_path: Path, monkeypatch: pytest.MonkeyPatch, capsys: pytest.CaptureFixture[str]
) -> None:
    assert main(["db", "upgrade", "--database-url", f"sqlite:///{tmp_path / 'x.db'}"]) == 0  # a database to show
    _simulate_bug(monkeypatch)
    argv = ["db", "current", "--database-url", f"sqlite:///{tmp_path / 'x.db'}"]
    argv = ["--traceback", *argv] if where == "before" else [*argv, "--traceback"]
    assert main(argv) == 3
    _, err = capsys.readouterr()
    assert "Traceback (most recent call last)" in err
    assert "RuntimeError: simulated bug" in err
    assert "broken" in err  # the frame that raised


def test_real_subprocess(tmp_path: Path) -> None:
    env = {k: v for k, v in os.environ.items() if k != "PYTHONPATH"}
    version = subprocess.run(
        [sys.executable, "-m", "tracertm", "--version"],
        capture_output=True,
        text=True,
        env=env,
        timeout=60,
        check=False,
    )
    assert (version.returncode, version.stdout.strip()) == (0, "tracertm 0.1.0")

    url = f"sqlite:///{tmp_path / 'sub.db'}"
    upgrade = subprocess.run(
        [sys.executable, "-m", "tracertm", "db", "upgrade", "--database-url", url],
        cwd=tmp_path,
        capture_output=True,
        text=True,
        env=env,
        timeout=60,
        check=False,
    )
    assert upgrade.returncode == 0, upgrade.stderr
    current = subprocess.run(
        [sys.executable, "-m", "tracertm", "db", "current", "--database-url", url],
        cwd=tmp_path,
        capture_output=True,
        text=True,
        env=env,
        timeout=60,
        check=False,
    )
    assert current.returncode == 0 and f"revision: {db.SCHEMA_HEAD} (head)" in current.stdout

    bad = subprocess.run(
        [sys.executable, "-m", "tracertm", "db", "current", "--database-url", "mysql://u:s3cret@h/db"],
        cwd=tmp_path,
        capture_output=True,
        text=True,
        env=env,
        timeout=60,
        check=False,
    )
    assert bad.returncode == 2
    assert "s3cret" not in bad.stdout + bad.stderr
    _one_line(bad.stderr)


def test_an_argument_that_is_not_utf8_is_a_usage_error(
    tmp_path: Path, git_repo: GitRepo, capsys: pytest.CaptureFixture[str]
) -> None:
    """The shell passes bytes: one that is not UTF-8 reaches Python as a lone surrogate, which no database can hold."""
    url = f"sqlite:///{tmp_path / 'x.db'}"
    git_repo.write("docs/adr/0001-use-git.md", adr(1, "Use git"))
    git_repo.commit("seed")
    assert main(["sync", str(git_repo.path), "--database-url", url]) == 0
    capsys.readouterr()
    odd = b"ADR-\xff".decode("utf-8", "surrogateescape")  # what sys.argv holds for those bytes
    assert main(["show", odd, "--database-url", url, "--project", "repo"]) == 2
    _, err = capsys.readouterr()
    line = _one_line(err)
    assert "not valid UTF-8" in line and "ADR-\\xff" in line and "internal error" not in line


def test_db_upgrade_revision_must_be_one_of_the_schemas_and_not_below(
    tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    url = f"sqlite:///{tmp_path / 'r.db'}"
    assert main(["db", "upgrade", "--database-url", url]) == 0
    for revision, says in (("bogus", "not a schema revision"), ("-1", "not a schema revision"),
                           ("0003", "no downgrades")):
        capsys.readouterr()
        assert main(["db", "upgrade", "--revision", revision, "--database-url", url]) == 2, revision
        line = _one_line(capsys.readouterr().err)
        assert f"--revision {revision}" in line and says in line, line
    assert main(["db", "upgrade", "--revision", db.SCHEMA_HEAD, "--database-url", url]) == 0


UNKNOWN = (f"unknown (this tracertm ships 0001 … {db.SCHEMA_HEAD}, with gaps; a newer tracertm's revisions come "
           f"after {db.SCHEMA_HEAD}): not a tracertm schema revision; restore the database from a backup")
NEWER = f"newer than this tracertm knows (up to {db.SCHEMA_HEAD}); upgrade tracertm (pip install -U tracertm)"


@pytest.mark.parametrize(("stamp", "says"), [
    ("9999", NEWER),
    ("ffff", UNKNOWN),  # not of the ids' form: db current told to run db upgrade, which refused it as newer
    ("0000", UNKNOWN),  # before the first
    ("0007", UNKNOWN),  # a gap in the ids: was "newer … upgrade tracertm" everywhere, "needs upgrade" in db current
])
def test_a_stamp_this_tracertm_does_not_ship_is_judged_alike_by_every_verb(
        database_url: str, git_repo: GitRepo, stamp: str, says: str) -> None:
    """``db current`` (shows it, exit 0), ``db upgrade``, a sync and ``sync --dry-run`` (refuse it, exit 2) say the
    same of it: newer only when it is numbered after the newest revision this tracertm ships."""
    from raw_sql import sql

    git_repo.write("docs/adr/0001-a.md", adr(1, "A"))
    sql(database_url, "UPDATE alembic_version SET version_num = :r", r=stamp)
    current = run_cli("db", "current", "--database-url", database_url)
    assert current.returncode == 0 and f"revision: {stamp} ({says}" in current.stdout, current.stdout
    assert "db upgrade" not in current.stdout
    for argv in (["db", "upgrade"], ["sync", str(git_repo.path)], ["sync", str(git_repo.path), "--dry-run"]):
        done = run_cli(*argv, "--database-url", database_url)
        line = _one_line(done.stderr)
        assert done.returncode == 2 and f"is at schema revision {stamp}, {says}" in line, (argv, line)
