"""Databases and sources a command must refuse in one line (exit 2) instead of failing inside or quietly doing
something else: a file that is not a SQLite database, an in-memory database, an empty ``--ref``, a SQLite file in
a folder this process cannot write in."""

from __future__ import annotations

import os
import shutil
import sqlite3
import subprocess
import sys
from pathlib import Path

import pytest

from conftest import GitRepo, without_read_override
from specs import contract
from tracertm.checker import check
from tracertm.db.failures import unwritable_folder
from tracertm.cli import main
from tracertm.errors import UsageError
from tracertm.engine.sync import sync


def _seed(repo: GitRepo) -> None:
    repo.write("contracts/c.yaml", contract(1, "C"))
    repo.commit("seed")


def _not_a_database(tmp_path: Path) -> Path:
    path = tmp_path / "notadb.db"
    path.write_bytes(os.urandom(5000))
    return path


@pytest.mark.parametrize(
    "argv",
    [["sync", "{repo}"], ["status", "--path", "{repo}"], ["list", "adrs"], ["db", "current"], ["db", "upgrade"],
     ["sync", "{repo}", "--ref", "HEAD"], ["sync", "{repo}", "--dry-run"]],
)
def test_a_file_that_is_not_a_database(
    git_repo: GitRepo, tmp_path: Path, capsys: pytest.CaptureFixture[str], argv: list[str]
) -> None:
    _seed(git_repo)
    url = f"sqlite:///{_not_a_database(tmp_path)}"
    before = (tmp_path / "notadb.db").read_bytes()
    code = main([a.replace("{repo}", str(git_repo.path)) for a in argv] + ["--database-url", url])
    _out, err = capsys.readouterr()
    assert code == 2, err
    lines = err.strip().splitlines()
    assert len(lines) == 1 and "internal error" not in lines[0], err
    assert lines[0].startswith("tracertm: error: --database-url: ")
    assert "notadb.db is not a SQLite (tracertm) database" in lines[0]
    assert (tmp_path / "notadb.db").read_bytes() == before, "never written to"


READS = [["status", "--path", "{repo}"], ["list", "adrs"], ["show", "CTR-0001"], ["history", "CTR-0001"],
         ["search", "x"], ["results", "runs"], ["token", "list"], ["db", "current"]]


@pytest.mark.parametrize("argv", READS, ids=[" ".join(a) for a in READS])
def test_a_file_that_is_not_a_database_offers_a_read_verb_no_new_one(
    git_repo: GitRepo, tmp_path: Path, capsys: pytest.CaptureFixture[str], argv: list[str]
) -> None:
    """A read verb given a JSON file said "point --database-url at a tracertm database, or at a new file to create
    one": it creates none (a new path is "no database at PATH"). A sync still offers the new file, which it makes."""
    _seed(git_repo)
    path = tmp_path / "specs.json"
    path.write_text('{"specs": []}\n')
    code = main([a.replace("{repo}", str(git_repo.path)) for a in argv] + ["--database-url", f"sqlite:///{path}"])
    _out, err = capsys.readouterr()
    assert code == 2, err
    assert err == (f"tracertm: error: --database-url: sqlite:///{path} is not a SQLite (tracertm) database (file is "
                   "not a database); this command creates none: point --database-url at a tracertm "
                   "database\n")
    assert main(["sync", str(git_repo.path), "--database-url", f"sqlite:///{path}"]) == 2
    assert capsys.readouterr().err.endswith("; point --database-url at a tracertm database, or at a new file to "
                                            "create one\n")
    assert path.read_text() == '{"specs": []}\n', "never written to"


def test_not_a_database_named_by_the_variable_and_in_the_hook(
    git_repo: GitRepo, tmp_path: Path, capsys: pytest.CaptureFixture[str], monkeypatch: pytest.MonkeyPatch
) -> None:
    _seed(git_repo)
    monkeypatch.setenv("TRACERTM_DATABASE_URL", f"sqlite:///{_not_a_database(tmp_path)}")
    assert main(["sync", str(git_repo.path)]) == 2
    _out, err = capsys.readouterr()
    assert "tracertm: error: TRACERTM_DATABASE_URL: " in err and "not a SQLite (tracertm) database" in err
    # A hook never fails git: one line, exit 0.
    assert main(["hook", "sync", str(git_repo.path)]) == 0
    _out, err = capsys.readouterr()
    assert err.startswith("tracertm: hook sync skipped: TRACERTM_DATABASE_URL: ")
    assert len(err.strip().splitlines()) == 1


@pytest.mark.parametrize("url", ["sqlite://", "sqlite:///:memory:"])
@pytest.mark.parametrize("argv", [["sync", "{repo}"], ["status", "--path", "{repo}"], ["db", "upgrade"]])
def test_an_in_memory_database_is_refused(
    git_repo: GitRepo, capsys: pytest.CaptureFixture[str], url: str, argv: list[str]
) -> None:
    _seed(git_repo)
    code = main([a.replace("{repo}", str(git_repo.path)) for a in argv] + ["--database-url", url])
    out, err = capsys.readouterr()
    assert code == 2
    assert "synced" not in out
    assert err.strip() == (
        f"tracertm: error: --database-url: {url} is an in-memory SQLite database, gone when this command ends; "
        "use sqlite:///PATH (or leave it out for the default database)"
    )


@pytest.mark.parametrize("verb", ["sync", "check"])
def test_an_empty_ref_is_a_usage_error(
    git_repo: GitRepo, tmp_path: Path, capsys: pytest.CaptureFixture[str], verb: str
) -> None:
    _seed(git_repo)
    code = main([verb, str(git_repo.path), "--ref", "", "--database-url", f"sqlite:///{tmp_path / 'x.db'}"]
                if verb == "sync" else [verb, str(git_repo.path), "--ref", ""])
    out, err = capsys.readouterr()
    assert code == 2
    assert "synced" not in out
    assert err.strip().startswith("tracertm: error: --ref: empty; ")
    assert not (tmp_path / "x.db").exists() or verb == "check"


def test_an_empty_ref_from_python(git_repo: GitRepo, tmp_path: Path) -> None:
    _seed(git_repo)
    with pytest.raises(UsageError, match="--ref: empty"):
        sync(git_repo.path, ref="", database_url=f"sqlite:///{tmp_path / 'x.db'}")
    with pytest.raises(UsageError, match="--ref: empty"):
        check(git_repo.path, ref="")


@pytest.mark.parametrize("argv", [["sync", "{repo}"], ["sync", "{repo}", "--ref", "HEAD"],
                                  ["hook", "sync", "{repo}"]])
def test_a_database_folder_that_does_not_exist(
    git_repo: GitRepo, tmp_path: Path, capsys: pytest.CaptureFixture[str], argv: list[str]
) -> None:
    """A SQLite path under a regular file (no such folder): one line naming the option (exit 2; a hook: exit 0), not
    an internal error."""
    _seed(git_repo)
    (tmp_path / "afile").write_text("")
    code = main([a.replace("{repo}", str(git_repo.path)) for a in argv]
                + ["--database-url", f"sqlite:///{tmp_path / 'afile' / 'sub' / 'x.db'}"])
    _out, err = capsys.readouterr()
    lines = err.strip().splitlines()
    assert code == (0 if argv[0] == "hook" else 2) and len(lines) == 1, err
    assert "internal error" not in err and "afile/sub does not exist" in lines[0], err
    assert lines[0].endswith("check --database-url")


NO_FILES = {"device": Path(os.devnull), "folder": None, "fifo": None}


@pytest.mark.parametrize("kind", sorted(NO_FILES))
@pytest.mark.parametrize("argv", [["sync", "{repo}"], ["sync", "{repo}", "--dry-run"], ["list", "adrs"],
                                  ["db", "upgrade"]])
def test_a_path_that_is_no_file_is_named_as_what_it_is(
    git_repo: GitRepo, tmp_path: Path, capsys: pytest.CaptureFixture[str], argv: list[str], kind: str
) -> None:
    """``/dev/null`` as the database was "damaged …; restore it from a backup, or move it aside" (root would move
    ``/dev/null``), a FIFO "disk I/O error", a folder "unable to open database file"; a dry run planned against
    /dev/null as against an empty database. Now each is named as what it is, with a reader's or a writer's advice."""
    _seed(git_repo)
    path = NO_FILES[kind] or tmp_path / kind
    if kind == "folder":
        path.mkdir()
    elif kind == "fifo":
        os.mkfifo(path)
    what = {"device": "a character device", "folder": "a folder", "fifo": "a FIFO"}[kind]
    code = main([a.replace("{repo}", str(git_repo.path)) for a in argv] + ["--database-url", f"sqlite:///{path}"])
    _out, err = capsys.readouterr()
    advice = ("a tracertm database" if argv[0] == "list" else
              "a SQLite database file (or at a new path to create one)")
    assert (code, err) == (2, f"tracertm: error: cannot use database sqlite:///{path}: {path} is {what}, not a "
                              f"file; point --database-url at {advice}\n")


READ_ONLY_FOLDER = "is not writable, and SQLite writes its -wal and -shm files beside the database; make the folder "


@pytest.mark.parametrize("argv", [["db", "current"], ["list", "adrs"], ["sync", "{repo}", "--dry-run"],
                                  ["sync", "{repo}"]])
def test_a_database_in_a_folder_it_cannot_write_in_says_so(
        git_repo: GitRepo, tmp_path: Path, _sqlite_template: Path, argv: list[str]) -> None:
    """Even a read of a WAL database creates its ``-wal`` and ``-shm`` files beside it: every verb said only
    "attempt to write a readonly database; check --database-url", of a file it may write and a URL that is right.
    A process that obeys the permissions (root without its capabilities: ``setpriv``)."""
    _seed(git_repo)
    folder = tmp_path / "ro"
    folder.mkdir()
    path = folder / "a.db"
    shutil.copy(_sqlite_template, path)
    folder.chmod(0o555)
    try:
        command = [a.replace("{repo}", str(git_repo.path)) for a in argv] + ["--database-url", f"sqlite:///{path}"]
        done = subprocess.run([*without_read_override(), sys.executable, "-m", "tracertm", *command],
                              capture_output=True, text=True, timeout=120, check=False)
    finally:
        folder.chmod(0o755)
    assert done.returncode == 2 and done.stderr.count("\n") == 1, (done.returncode, done.stderr)
    assert done.stderr == (f"tracertm: error: cannot use database sqlite:///{path}: its folder {folder} "
                           f"{READ_ONLY_FOLDER}writable, or copy the database elsewhere and point --database-url at "
                           "the copy\n")
    assert sorted(p.name for p in folder.iterdir()) == ["a.db"]


def test_a_readonly_error_is_the_folders_only_when_it_is(tmp_path: Path) -> None:
    """``unwritable_folder``: SQLite's own SQLITE_READONLY_DIRECTORY names the folder; a read-only error in a
    folder this process may write in is the file's (a read-only file), or another matter, and keeps its words."""
    path = tmp_path / "a.db"
    path.write_bytes(b"")

    def error(code: int) -> sqlite3.OperationalError:
        exc = sqlite3.OperationalError("attempt to write a readonly database")
        exc.sqlite_errorcode = code  # type: ignore[attr-defined]
        return exc

    assert unwritable_folder(path, error(1544)) == tmp_path  # SQLITE_READONLY_DIRECTORY
    assert unwritable_folder(path, error(8)) is None  # SQLITE_READONLY in a writable folder
    assert unwritable_folder(None, error(1544)) is None  # not a SQLite file
