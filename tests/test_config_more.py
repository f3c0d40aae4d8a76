"""Configuration errors name the file and the key's line, and say what a right value looks like; values that parse
but cannot be meant (a negative size, an id pattern matching nothing at all) are refused; a relative SQLite path is
relative to the configuration file."""

from __future__ import annotations

from pathlib import Path

import pytest

from conftest import GitRepo
from specs import adr
from tracertm.cli import main


def _cli(capsys: pytest.CaptureFixture[str], *argv: str) -> tuple[int, str, str]:
    code = main(list(argv))
    out, err = capsys.readouterr()
    return code, out, err


def _error(capsys: pytest.CaptureFixture[str], repo: GitRepo) -> str:
    code, out, err = _cli(capsys, "check", str(repo.path))
    lines = err.strip().splitlines()
    assert code == 2 and out == "" and len(lines) == 1 and "Traceback" not in err, err
    return lines[0]


@pytest.mark.parametrize(
    ("toml", "expected"),
    [
        ('project = "p"\nmax_file_size = -1\n', ".tracertm.toml:2: max_file_size = -1: must be 1 to"),
        ("max_file_size = 0\n", ".tracertm.toml:1: max_file_size = 0"),
        ("feature_id_pattern = ''\n", ".tracertm.toml:1: feature_id_pattern = '' matches the empty string"),
        ("scenario_id_pattern = 'SC-\\d*'\n", "scenario_id_pattern = 'SC-\\\\d*'"),  # matches "SC-": fine
        ("requirement_pattern = '.*'\n", ".tracertm.toml:1: requirement_pattern = '.*' matches the empty string"),
        # Quoted as written: Python's repr doubled each backslash, another pattern in TOML ('(\\w+\\s?)*').
        ("feature_id_pattern = '(\\w+\\s?)*'\n", ".tracertm.toml:1: feature_id_pattern = '(\\w+\\s?)*' matches the"),
        ('requirement_pattern = "(it\'s)?\\\\d*"\n', '.tracertm.toml:1: requirement_pattern = "(it\'s)?\\\\d*" matches'),
        ('\n\nadr_paths = "docs/*.md"\n', '.tracertm.toml:3: adr_paths must be a list of globs, e.g. adr_paths = ['),
        ('exclude = "x"\n', "exclude must be a list of globs, e.g. exclude = ["),
        ('max_file_size = "big"\n', ".tracertm.toml:1: max_file_size must be a int (a whole number), e.g. "),
        ("project = 1\n", ".tracertm.toml:1: project must be a string, e.g. project = "),
        ('project = "   "\n', ".tracertm.toml:1: project is empty"),
        ('database_url = ""\n', ".tracertm.toml:1: database_url is empty"),
        ('database_url = "sqlite:///x.db?mode=ro"\n', ".tracertm.toml:1: database_url: 'sqlite:///x.db?mode=ro': "
                                                      "SQLite URLs take no query string"),
        ('a = 1\nnope = 2\n', ".tracertm.toml:1: unknown key 'a'"),
        ("adr_paths = [\n", ".tracertm.toml:2: invalid TOML"),
        ("a = 1\nb = = 2\n", ".tracertm.toml:2:5: invalid TOML"),
    ],
)
def test_configuration_error_names_file_and_line(
    git_repo: GitRepo, capsys: pytest.CaptureFixture[str], toml: str, expected: str
) -> None:
    git_repo.write(".tracertm.toml", toml)
    if "SC-" in toml:  # a pattern that matches something non-empty only is accepted
        code, _, err = _cli(capsys, "check", str(git_repo.path))
        assert code == 0, err
        return
    line = _error(capsys, git_repo)
    assert expected in line and str(git_repo.path / ".tracertm.toml") in line


def test_pyproject_errors_name_the_line_in_the_tool_table(
    git_repo: GitRepo, capsys: pytest.CaptureFixture[str]
) -> None:
    git_repo.write("pyproject.toml", '[project]\nname = "x"\nmax_file_size = 1\n\n[tool.tracertm]\n'
                   "max_file_size = -1\n")
    line = _error(capsys, git_repo)
    assert f"{git_repo.path / 'pyproject.toml'}:6: max_file_size = -1" in line


def test_relative_sqlite_path_is_relative_to_the_configuration_file(
    git_repo: GitRepo, monkeypatch: pytest.MonkeyPatch, capsys: pytest.CaptureFixture[str]
) -> None:
    git_repo.write(".tracertm.toml", 'database_url = "sqlite:///specs.db"\n')
    git_repo.write("docs/adr/0001-a.md", adr(1, "A"))
    git_repo.commit("specs")
    monkeypatch.chdir(git_repo.path / "docs")  # (was: a second, new database in docs/)
    code, out, err = _cli(capsys, "sync")
    assert code == 0, err
    assert (git_repo.path / "specs.db").is_file() and not (git_repo.path / "docs" / "specs.db").exists()
    monkeypatch.chdir(git_repo.path / "docs" / "adr")
    code, out, err = _cli(capsys, "status")
    assert code == 0 and "last sync:   never" not in out, err  # the database the sync wrote
    assert not (git_repo.path / "docs" / "adr" / "specs.db").exists()


@pytest.mark.parametrize("written, made", [("sqlite:///file:x.db", "{repo}/file:x.db"),
                                           ("sqlite:///~/specs.db", "{home}/specs.db")])
def test_a_file_name_and_a_home_path_in_the_configuration_are_one_database_from_every_folder(
    git_repo: GitRepo, monkeypatch: pytest.MonkeyPatch, capsys: pytest.CaptureFixture[str], _isolated_home: Path,
    written: str, made: str,
) -> None:
    """README: a relative SQLite path is relative to the configuration's folder, and "a ``file:`` name is a path like
    any other". ``file:x.db`` was left relative to the current folder (a sync from docs/adr made a second database
    there), and ``~/specs.db`` was handed to SQLite as written (no folder ``~``: "unable to open database file")."""
    git_repo.write(".tracertm.toml", f'database_url = "{written}"\n')
    git_repo.write("docs/adr/0001-a.md", adr(1, "A"))
    git_repo.commit("specs")
    database = Path(made.format(repo=git_repo.path, home=_isolated_home))
    monkeypatch.chdir(git_repo.path / "docs" / "adr")
    code, _out, err = _cli(capsys, "sync")
    assert code == 0, err
    assert database.is_file() and not list((git_repo.path / "docs" / "adr").glob("*.db"))
    monkeypatch.chdir(git_repo.path)
    code, out, err = _cli(capsys, "status")
    assert code == 0 and "last sync:   never" not in out, err  # the database the sync wrote, from another folder


@pytest.mark.parametrize("given", ["option", "environment"])
def test_a_home_path_on_the_command_line_and_in_the_environment_is_the_home_folder(
    git_repo: GitRepo, monkeypatch: pytest.MonkeyPatch, capsys: pytest.CaptureFixture[str], _isolated_home: Path,
    given: str,
) -> None:
    """``--database-url 'sqlite:///~/specs.db'`` (and ``$TRACERTM_DATABASE_URL``) was handed to SQLite as written:
    "unable to open database file", while the configuration's ``database_url`` expanded ``~`` (one rule now,
    ``db.expand_home``)."""
    git_repo.write("docs/adr/0001-a.md", adr(1, "A"))
    git_repo.commit("specs")
    url = "sqlite:///~/specs.db"
    option = ("--database-url", url) if given == "option" else ()
    if given == "environment":
        monkeypatch.setenv("TRACERTM_DATABASE_URL", url)
    code, _out, err = _cli(capsys, "sync", str(git_repo.path), *option)
    assert code == 0, err
    assert (_isolated_home / "specs.db").is_file() and not (Path.cwd() / "~").exists()
    code, out, err = _cli(capsys, "list", "adrs", "--project", "repo", *option)
    assert code == 0 and "ADR-0001" in out, err


def test_absolute_sqlite_paths_are_kept_and_home_is_expanded(git_repo: GitRepo, tmp_path: Path,
                                                             _isolated_home: Path) -> None:
    from tracertm.config import load_settings

    # (an in-memory SQLite URL is a configuration error: tests/test_config_in_memory_database_url.py)
    for url in (f"sqlite:///{tmp_path / 'abs.db'}", "postgresql+psycopg://u@h/db"):
        git_repo.write(".tracertm.toml", f'database_url = "{url}"\n')
        assert load_settings(git_repo.path).database_url == url
    git_repo.write(".tracertm.toml", 'database_url = "sqlite:///~/x.db"\n')
    assert load_settings(git_repo.path).database_url == f"sqlite:///{_isolated_home / 'x.db'}"
    git_repo.write("sub/.tracertm.toml", 'database_url = "sqlite:///../up.db"\n')
    assert load_settings(git_repo.path / "sub").database_url == f"sqlite:///{git_repo.path / 'sub' / '../up.db'}"
