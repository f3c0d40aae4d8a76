"""Values no file name, git command line or database driver can take — an ``.adr-dir`` saved as UTF-16 (Windows
PowerShell's ``echo``), a NUL in a glob or a database URL, a ``~user`` of no user — are one line naming the file and
line (or the option), exit 2, and the database keeps what it holds. Before, the ``.adr-dir`` and the glob made a
sync soft-delete every ADR and then fail as an internal error; the URLs were internal errors. Real git
repositories, the real command line, both databases."""

from __future__ import annotations

import subprocess

import pytest

from conftest import GitRepo, run_cli
from raw_sql import sql
from specs import adr

UTF16_ADR_DIR = "decisions\r\n".encode("utf-16")  # what `echo decisions > .adr-dir` writes in Windows PowerShell 5


def _one_line(proc: subprocess.CompletedProcess[str]) -> str:
    lines = proc.stderr.strip().splitlines()
    assert proc.returncode == 2 and len(lines) == 1, (proc.returncode, proc.stderr)
    assert "internal error" not in proc.stderr and "Traceback" not in proc.stderr
    return lines[0]


def _adrs(url: str) -> list[tuple[str, bool]]:
    """Every ADR of the database and whether it is deleted (read with SQL: ``list`` reads the broken file too)."""
    return [(number, deleted is not None) for number, deleted in sql(url, "SELECT adr_number, deleted_at FROM adrs")]


def _synced_adr_tools_repo(git_repo: GitRepo, url: str) -> None:
    git_repo.write(".adr-dir", "decisions\n")
    git_repo.write("decisions/0001-use-x.md", adr(1, "Use x"))
    git_repo.commit("adr-tools")
    assert run_cli("sync", str(git_repo.path), "--database-url", url).returncode == 0
    assert _adrs(url) == [("ADR-0001", False)]


@pytest.mark.parametrize(("content", "expected"), [
    (UTF16_ADR_DIR, ".adr-dir:1:1: invalid UTF-8 at byte offset 0; save the file as UTF-8, holding the ADR "
                    "folder's name alone (e.g. docs/adr)"),
    (b"\xef\xbb\xbfdeci\xe9sions\n", ".adr-dir:1:5: invalid UTF-8 at byte offset 7; save the file as UTF-8, "
                                     "holding the ADR folder's name alone (e.g. docs/adr)"),
    (b"\ndecisions\nother\n", ".adr-dir:2: 'decisions\\nother' holds a control character (\\n); write the ADR "
                              "folder's name alone on one line (e.g. docs/adr)"),
    (b"deci\x00sions\n", ".adr-dir:1: 'deci\\x00sions' holds a control character (\\x00); write the ADR folder's "
                         "name alone on one line (e.g. docs/adr)"),
])
def test_an_adr_dir_that_names_no_folder_is_one_error_and_keeps_the_adrs(
        git_repo: GitRepo, database_url: str, content: bytes, expected: str) -> None:
    _synced_adr_tools_repo(git_repo, database_url)
    (git_repo.path / ".adr-dir").write_bytes(content)
    url = ["--database-url", database_url]
    for argv in (["sync", *url], ["sync", "--dry-run", *url], ["sync", "--ref", "HEAD", *url], ["check"]):
        if argv[1:3] == ["--ref", "HEAD"]:
            git_repo.commit("saved otherwise")  # (the commit's .adr-dir is read, and named as the work tree's)
        line = _one_line(run_cli(argv[0], str(git_repo.path), *argv[1:]))
        assert line == f"tracertm: error: {git_repo.path / expected}", argv
    git_repo.git("add", ".adr-dir")
    line = _one_line(run_cli("check", str(git_repo.path), "--staged"))
    assert line == f"tracertm: error: {git_repo.path / expected}"
    assert _adrs(database_url) == [("ADR-0001", False)]


@pytest.mark.parametrize("key", ["adr_paths", "exclude"])
def test_a_glob_holding_a_nul_is_one_error_at_its_line_and_keeps_the_adrs(
        git_repo: GitRepo, database_url: str, key: str) -> None:
    _synced_adr_tools_repo(git_repo, database_url)
    git_repo.write(".tracertm.toml", f'project = "repo"\n{key} = ["deci\\u0000sions/*.md"]\n')
    for argv in (["sync", "--database-url", database_url], ["check"]):
        line = _one_line(run_cli(argv[0], str(git_repo.path), *argv[1:]))
        example = '["docs/adr/*.md"]' if key == "adr_paths" else '["docs/adr/drafts/**"]'
        assert line == (f"tracertm: error: {git_repo.path / '.tracertm.toml'}:2: {key}: the glob "
                        f'"deci\\u0000sions/*.md" holds a NUL character, which no path can; remove it, e.g. '
                        f"{key} = {example}")
    assert _adrs(database_url) == [("ADR-0001", False)]


@pytest.mark.parametrize("verb", [["sync"], ["status"]])
def test_a_sqlite_path_of_a_user_that_does_not_exist_is_a_relative_path(git_repo: GitRepo, verb: list[str]) -> None:
    """``~nouser`` stays as it is, as a shell leaves it: a folder of that name, which does not exist here."""
    git_repo.write("docs/adr/0001-a.md", adr(1, "A"))
    git_repo.commit("seed")
    line = _one_line(run_cli(*verb, str(git_repo.path), "--database-url", "sqlite:///~tracertm-no-such-user/x.db"))
    assert line in (
        "tracertm: error: cannot use database sqlite:///~tracertm-no-such-user/x.db: its folder "
        "~tracertm-no-such-user does not exist; create it or check --database-url",
        "tracertm: error: no database at ~tracertm-no-such-user/x.db; run 'tracertm sync' first or check "
        "--database-url",
    )


@pytest.mark.parametrize(("url", "source"), [
    ("sqlite:///specs%00.db", "--database-url"),
    ("postgresql+psycopg://tracertm:secret%00@127.0.0.1:1/tracertm", "--database-url"),
    ("sqlite:///specs%00.db", "$TRACERTM_DATABASE_URL"),
    ("sqlite:///specs\\u0000.db", "database_url"),
])
def test_a_database_url_holding_a_nul_is_one_line_naming_where_it_came_from(
        git_repo: GitRepo, monkeypatch: pytest.MonkeyPatch, url: str, source: str) -> None:
    git_repo.write("docs/adr/0001-a.md", adr(1, "A"))
    option: list[str] = []
    if source == "--database-url":
        option = ["--database-url", url]
    elif source == "$TRACERTM_DATABASE_URL":
        monkeypatch.setenv("TRACERTM_DATABASE_URL", url)
    else:
        git_repo.write(".tracertm.toml", f'database_url = "{url}"\n')
        source = f"{git_repo.path / '.tracertm.toml'}:1: database_url"
    git_repo.commit("seed")
    for verb in ("sync", "status"):
        line = _one_line(run_cli(verb, str(git_repo.path), *option))
        assert line == (f"tracertm: error: {source}: the URL holds a NUL character (%00), which no database name, "
                        "path, user or host can; remove it")
    assert not list(git_repo.path.glob("specs*"))


@pytest.mark.parametrize("name", [".tracertm.toml", "pyproject.toml"])
def test_a_toml_file_saved_with_a_bom_says_so(git_repo: GitRepo, name: str) -> None:
    """TOML allows no byte order mark; tomllib's own word for it, "Invalid statement" at 1:1, points at a line that
    looks right."""
    git_repo.write("docs/adr/0001-a.md", adr(1, "A"))
    table = "[tool.tracertm]\n" if name == "pyproject.toml" else ""
    (git_repo.path / name).write_bytes(f"\ufeff{table}project = 'p'\n".encode())
    for verb in ("check", "status"):
        assert _one_line(run_cli(verb, str(git_repo.path))) == (
            f"tracertm: error: {git_repo.path / name}:1:1: invalid TOML (a byte order mark, U+FEFF, starts the "
            "file); save the file as UTF-8 without a BOM")
