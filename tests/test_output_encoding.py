"""Output under a locale that cannot hold every character (a Latin-1 locale, ``PYTHONIOENCODING=ascii``): text a
record holds (an ADR titled ``Use “PostgreSQL”``, ``Feature: Ф``) is written with escapes where the encoding lacks
a character, JSON stays JSON (``\\u`` escapes), and no verb ends in an internal error — ``check`` is the pre-commit
hook. Processes of their own: the encoding of standard output is the process's."""

from __future__ import annotations

import json
import os
import shutil
import subprocess
import sys
from pathlib import Path

import pytest

from conftest import GitRepo
from specs import adr

TITLE = "Use “PostgreSQL”"
# A feature whose fourth line is no Gherkin: the error quotes it, so check's findings hold the characters too.
BROKEN = "Feature: Ф\n  Scenario: é\n    Given a\n  Фигня “x”\n"
ESCAPED_LINE = "got '\\u0424\\u0438\\u0433\\u043d\\u044f \\u201cx\\u201d'"


def _tracertm(repo: GitRepo, encoding: str, *args: str) -> subprocess.CompletedProcess[bytes]:
    env = {**os.environ, "PYTHONIOENCODING": encoding}
    proc = subprocess.run([sys.executable, "-m", "tracertm", *args], cwd=repo.path, env=env, capture_output=True,
                          timeout=120, check=False)
    assert b"internal error" not in proc.stderr and b"Traceback" not in proc.stderr, proc.stderr
    proc.stdout.decode(encoding), proc.stderr.decode(encoding)  # what the stream said it writes, and nothing else
    return proc


@pytest.fixture
def repo(git_repo: GitRepo) -> GitRepo:
    git_repo.write("docs/adr/0001-use-postgresql.md", adr(1, TITLE))
    git_repo.write("features/f.feature", BROKEN)
    git_repo.commit("specs")
    return git_repo


@pytest.mark.parametrize("encoding", ["latin-1", "ascii"])
def test_check_in_every_format_writes_what_the_encoding_lacks_as_escapes(repo: GitRepo, encoding: str) -> None:
    """It printed part of its findings, then 'internal error: UnicodeEncodeError', exit 3 (a commit failed so)."""
    text = _tracertm(repo, encoding, "check")
    assert text.returncode == 1
    assert text.stdout.decode(encoding).strip() == (
        "features/f.feature:4:3: expected: #EOF, #TableRow, #DocStringSeparator, #StepLine, #TagLine, "
        f"#ExamplesLine, #ScenarioLine, #RuleLine, #Comment, #Empty, {ESCAPED_LINE}")
    github = _tracertm(repo, encoding, "check", "--format", "github")
    assert github.returncode == 1 and github.stdout.decode(encoding).rstrip().endswith(ESCAPED_LINE)
    found = _tracertm(repo, encoding, "check", "--format", "json")
    assert found.returncode == 1 and found.stdout.isascii(), "JSON escapes what the encoding lacks, as JSON does"
    assert json.loads(found.stdout)["errors"][0]["message"].endswith("got 'Фигня “x”'")
    repo.write("docs/adr/0002-cafe.md", adr(2, "Café “au lait”"))
    repo.git("add", "-A")
    hook = _tracertm(repo, encoding, "check", "--staged")
    assert hook.returncode == 0 and hook.stdout == b""


def test_the_read_verbs_write_records_text_as_escapes_and_json_as_json(repo: GitRepo, tmp_path: Path) -> None:
    encoding = "latin-1"
    database = ("--database-url", f"sqlite:///{tmp_path / 'specs.db'}")
    synced = _tracertm(repo, encoding, "sync", *database)
    assert synced.returncode == 1 and ESCAPED_LINE in synced.stderr.decode(encoding)  # (stderr: Python's escapes)
    listed = _tracertm(repo, encoding, "list", "adrs", *database)
    assert listed.returncode == 0 and "Use \\u201cPostgreSQL\\u201d" in listed.stdout.decode(encoding)
    shown = _tracertm(repo, encoding, "show", "ADR-0001", *database)
    assert shown.returncode == 0 and "title: Use \\u201cPostgreSQL\\u201d" in shown.stdout.decode(encoding)
    as_json = _tracertm(repo, encoding, "list", "adrs", "--format", "json", *database)
    assert as_json.returncode == 0 and as_json.stdout.isascii() and json.loads(as_json.stdout)[0]["title"] == TITLE
    graph = _tracertm(repo, encoding, "trace", "ADR-0001", "--format", "json", *database)
    assert graph.returncode == 0 and graph.stdout.isascii()
    assert json.loads(graph.stdout)["nodes"][0]["title"] == TITLE
    matrix = _tracertm(repo, encoding, "matrix", "--format", "json", *database)
    assert matrix.returncode == 0 and matrix.stdout.isascii() and json.loads(matrix.stdout)["from"]


def test_json_under_a_unicode_locale_is_written_as_it_is(repo: GitRepo, tmp_path: Path) -> None:
    found = _tracertm(repo, "utf-8", "check", "--format", "json")
    assert "got 'Фигня “x”'" in found.stdout.decode("utf-8")
    out = tmp_path / "matrix.json"
    database = ("--database-url", f"sqlite:///{tmp_path / 'specs.db'}")
    _tracertm(repo, "ascii", "sync", *database)
    assert _tracertm(repo, "ascii", "matrix", "--format", "json", "-o", str(out), *database).returncode == 0
    assert json.loads(out.read_text("utf-8"))["from"]  # a file is UTF-8, whatever the terminal holds


@pytest.fixture(scope="module")
def latin1_locale(tmp_path_factory: pytest.TempPathFactory) -> dict[str, str]:
    """The environment of a Latin-1 locale (compiled into a folder of the test's, as ``LOCPATH``), in which Python's
    file names are Latin-1 too; the test is skipped where no such locale can be made."""
    folder = tmp_path_factory.mktemp("locales")
    if shutil.which("localedef") is None:
        pytest.skip("localedef is not installed")
    made = subprocess.run(["localedef", "-i", "en_US", "-f", "ISO-8859-1", str(folder / "en_US.ISO-8859-1")],
                          capture_output=True, check=False)
    env = {key: value for key, value in os.environ.items() if key not in ("PYTHONUTF8", "PYTHONIOENCODING")}
    env.update(LOCPATH=str(folder), LC_ALL="en_US.ISO-8859-1")
    names = subprocess.run([sys.executable, "-c", "import sys; print(sys.getfilesystemencoding())"], env=env,
                           capture_output=True, text=True, check=False).stdout.strip()
    if made.returncode != 0 or names != "iso8859-1":
        pytest.skip(f"no Latin-1 locale here (localedef: {made.returncode}, file names: {names})")
    return env


def test_a_file_name_the_locale_cannot_hold_is_one_line_saying_so(git_repo: GitRepo, tmp_path: Path,
                                                                   latin1_locale: dict[str, str]) -> None:
    """git lists ``features/ф.feature`` in UTF-8, and Python names files in the locale's encoding, which has no
    ``ф``: check and sync ended in an internal UnicodeEncodeError (exit 3) reading it."""
    git_repo.write("features/ф.feature", "@FEAT-1\nFeature: F\n\n  @SC-1\n  Scenario: s\n    Given a\n")
    git_repo.commit("specs")
    expected = (f"tracertm: error: the locale's encoding (iso8859-1) cannot name the file "
                f"'{git_repo.path}/features/\\u0444.feature'; run tracertm under a UTF-8 locale, e.g. LC_ALL=C.UTF-8\n")
    for args in (["check"], ["sync", "--database-url", f"sqlite:///{tmp_path / 'specs.db'}"]):
        proc = subprocess.run([sys.executable, "-m", "tracertm", *args], cwd=git_repo.path, env=latin1_locale,
                              capture_output=True, timeout=120, check=False)
        assert (proc.returncode, proc.stderr.decode("latin-1")) == (2, expected), args
