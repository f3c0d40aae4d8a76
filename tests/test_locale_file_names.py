"""Spec files named beyond ASCII under a locale whose encoding is not UTF-8 (a Latin-1 locale, or C/POSIX with
Python's UTF-8 mode off): git lists names in UTF-8, Python names files in the locale's encoding, so such a file
cannot be opened by the name git gives. The Python API, every verb and the watch daemon say so in the one line the
CLI's check and sync said (``the locale's encoding … cannot name the file …``): the API raised a bare
UnicodeEncodeError or FileNotFoundError, a name Latin-1 can encode (``café``: one byte there, two on disk) made
check and sync exit 75 ("changed while this sync read the work tree", however often they ran) and ``steps`` an
internal error, and the daemon retried it with backoff for ever. Processes of their own: the file-system encoding
is the process's."""

from __future__ import annotations

import os
import subprocess
import sys
from pathlib import Path

import pytest

from conftest import GitRepo
from test_output_encoding import latin1_locale  # noqa: F401 - a fixture, used by name
from test_watch import Daemon, Db, sqlite_db  # noqa: F401 - a fixture (sqlite_db), used by name

FEATURE = "@FEAT-1\nFeature: Caf\u00e9\n\n  @SC-1\n  Scenario: s\n    Given a\n"
API = """
import sys, tracertm
for name, call in (("check", lambda: tracertm.check(sys.argv[1])),
                   ("sync", lambda: tracertm.sync(sys.argv[1], database_url=sys.argv[2])),
                   ("step_report", lambda: tracertm.step_report(sys.argv[1]))):
    try:
        call()
        print(name, "returned")
    except Exception as exc:
        print(name, type(exc).__name__, ascii(str(exc)))
"""


def _message(encoding: str, file: Path) -> str:
    return (f"the locale's encoding ({encoding}) cannot name the file '{file}'; run tracertm under a UTF-8 locale, "
            "e.g. LC_ALL=C.UTF-8")


@pytest.fixture
def cafe(git_repo: GitRepo) -> GitRepo:
    git_repo.write("features/caf\u00e9.feature", FEATURE)
    git_repo.commit("specs")
    return git_repo


@pytest.fixture
def c_locale() -> dict[str, str]:
    """The C locale with Python's UTF-8 mode off: file names are ASCII (LC_ALL keeps Python from coercing it)."""
    env = {key: value for key, value in os.environ.items() if key not in ("PYTHONIOENCODING", "LANG")}
    env.update(LC_ALL="C", PYTHONUTF8="0")
    return env


@pytest.mark.parametrize("locale", ["latin1_locale", "c_locale"])
def test_the_python_api_refuses_a_file_the_locale_cannot_name_in_one_line(
        cafe: GitRepo, tmp_path: Path, locale: str, request: pytest.FixtureRequest) -> None:
    env: dict[str, str] = request.getfixturevalue(locale)
    proc = subprocess.run([sys.executable, "-c", API, str(cafe.path), f"sqlite:///{tmp_path / 'specs.db'}"],
                          env=env, capture_output=True, text=True, timeout=120, check=False)
    assert proc.returncode == 0, proc.stderr
    encoding = "iso8859-1" if locale == "latin1_locale" else "ascii"
    expected = ascii(_message(encoding, cafe.path / "features" / "caf\u00e9.feature"))
    assert proc.stdout.splitlines() == [f"{verb} UnnamableFileError {expected}"
                                        for verb in ("check", "sync", "step_report")]


def test_a_name_latin1_encodes_to_other_bytes_is_refused_by_every_verb(
        cafe: GitRepo, tmp_path: Path, latin1_locale: dict[str, str]) -> None:  # noqa: F811 - the fixture
    """``é`` is one byte in Latin-1, two on disk: the file opened was not there (exit 75, exit 3 for ``steps``)."""
    expected = "tracertm: error: " + _message("iso8859-1", cafe.path / "features" / "caf\u00e9.feature") + "\n"
    for args in (["check"], ["sync", "--database-url", f"sqlite:///{tmp_path / 'specs.db'}"], ["steps"]):
        proc = subprocess.run([sys.executable, "-m", "tracertm", *args], cwd=cafe.path, env=latin1_locale,
                              capture_output=True, timeout=120, check=False)
        assert (proc.returncode, proc.stderr.decode("latin-1")) == (2, expected), args


def test_the_daemon_parks_a_repository_whose_file_the_locale_cannot_name(
        cafe: GitRepo, sqlite_db: Db, latin1_locale: dict[str, str],  # noqa: F811 - the fixture
        monkeypatch: pytest.MonkeyPatch) -> None:
    """One line saying what to do, retried when the repository changes: no retry with backoff can mend it."""
    for key in ("PYTHONUTF8", "PYTHONIOENCODING"):
        monkeypatch.delenv(key, raising=False)
    for key in ("LOCPATH", "LC_ALL"):
        monkeypatch.setenv(key, latin1_locale[key])
    daemon = Daemon(cafe.path, sqlite_db.url)
    try:
        daemon.wait(lambda e: e.get("event") == "sync_failed", "the failed start-up reconcile")
    finally:
        daemon.proc.terminate()
        assert daemon.finish() == 0, daemon.tail()
    failed = next(e for e in daemon.lines if e.get("event") == "sync_failed")
    assert failed["error"] == _message("iso8859-1", cafe.path / "features" / "caf\u00e9.feature"), daemon.tail()
    assert failed["retry"] == "on_change"
    assert sqlite_db.live() == {}


def test_arguments_typed_in_utf8_are_read_as_utf8_under_a_c_locale(
        tmp_path: Path, c_locale: dict[str, str]) -> None:
    """Python decodes the arguments in the locale's encoding (ASCII under C), each byte beyond it a lone surrogate:
    ``search café`` found nothing, ``search 漢字`` had "no word" and ``list --text café`` was refused. A text
    argument is read as UTF-8; one whose bytes are not UTF-8 is one line, exit 2; a PATH keeps its bytes (a folder
    named ``café`` is found)."""
    from conftest import init_repo

    repo = init_repo(tmp_path / "caf\u00e9" / "repo")
    repo.write("features/pay.feature", "@FEAT-1\nFeature: Pay at the caf\u00e9 \u6f22\u5b57\n\n  @SC-1\n"
                                       "  Scenario: s\n    Given a\n")
    repo.commit("specs")
    env = {**c_locale, "TRACERTM_DATABASE_URL": f"sqlite:///{tmp_path / 'db'}"}

    def tracertm(*args: str | bytes) -> subprocess.CompletedProcess[str]:
        return subprocess.run([sys.executable, "-m", "tracertm", *args], cwd=repo.path, env=env,
                              capture_output=True, text=True, check=False, timeout=120)

    checked = tracertm("check", str(repo.path))  # (the folder's name as the bytes it has, in a C locale)
    assert checked.returncode == 0, checked.stderr
    synced = tracertm("sync")
    assert synced.returncode == 0, synced.stderr
    for args in (["search", "caf\u00e9"], ["search", "\u6f22\u5b57"], ["list", "features", "--text", "caf\u00e9"]):
        found = tracertm(*args)
        assert (found.returncode, found.stderr) == (0, ""), (args, found.stderr)
        assert "FEAT-1" in found.stdout, (args, found.stdout)
    refused = tracertm("list", "features", "--text", b"caf\xe9")
    assert refused.returncode == 2
    assert refused.stderr.splitlines() == [
        "tracertm: error: --text: the argument b'caf\\xe9' is not valid UTF-8 text; run tracertm under a UTF-8 "
        "locale (e.g. LC_ALL=C.UTF-8) and pass it as UTF-8"
    ]
