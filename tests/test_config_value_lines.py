"""A configuration value out of range is one line naming the file and the line that sets it (every command that
loads the configuration, ``check`` and ``sync`` included, not only the one that uses the value)."""

from __future__ import annotations

import pytest

from conftest import GitRepo
from tracertm.cli import main


@pytest.mark.parametrize("setting, said", [
    ('date_format = "YYYY"', "date_format must be one of"),
    ("lock_timeout = -1", "lock_timeout must be between 0 and 86400 seconds, not -1"),
    ("step_checks = {bogus = true}", "step_checks.bogus = True: rules are"),
    ("results_window = -5", "results_window must be 1 to 1000000 (the runs a scenario's pass_rate covers), not -5"),
    # past 2**63 - 1 it reached the database as an internal error (SQLite) or "bigint out of range" (PostgreSQL)
    ("results_window = 5000000000000000000", "results_window must be 1 to 1000000 (the runs a scenario's pass_rate "
     "covers), not 5000000000000000000"),
    # catastrophic backtracking: re cannot be interrupted, `check --staged` in a hook never ended
    ("requirement_pattern = '\\bREQ-(\\d+)+-X'", "requirement_pattern = '\\bREQ-(\\d+)+-X' repeats a group"),
    ("scenario_id_pattern = 'SC-(\\w+\\s?)*'", "scenario_id_pattern = 'SC-(\\w+\\s?)*' repeats a group"),
])
@pytest.mark.parametrize("command", ["check", "sync"])
def test_a_bad_value_names_its_line(git_repo: GitRepo, capsys: pytest.CaptureFixture[str], setting: str, said: str,
                                    command: str) -> None:
    git_repo.write("features/f.feature", "Feature: F\n  Scenario: s\n    Given a\n")
    git_repo.write(".tracertm.toml", f"# comment\n\n{setting}\n")
    git_repo.commit("config")
    argv = [command, str(git_repo.path)] + (["--database-url", f"sqlite:///{git_repo.path.parent / 'c.db'}"]
                                            if command == "sync" else [])
    assert main(argv) == 2
    _out, err = capsys.readouterr()
    assert err.strip().splitlines() == [f"tracertm: error: {git_repo.path / '.tracertm.toml'}:3: {said}"
                                        + err.split(said, 1)[1].rstrip("\n")], err


@pytest.mark.parametrize("name, body", [
    (".tracertm.toml", b'# comment\nproject = "caf\xe9"\n'),
    ("pyproject.toml", b'[tool.tracertm]\nproject = "caf\xe9"\n'),
])
@pytest.mark.parametrize("command", ["check", "check --staged", "sync", "steps"])
def test_a_configuration_that_is_not_utf8_is_one_line_naming_the_byte(
        git_repo: GitRepo, capsys: pytest.CaptureFixture[str], name: str, body: bytes, command: str) -> None:
    # (tomllib raised UnicodeDecodeError: an internal error, exit 3, from every command and the pre-commit hook)
    git_repo.write("features/f.feature", "Feature: F\n  Scenario: s\n    Given a\n")
    (git_repo.path / name).write_bytes(body)
    git_repo.git("add", "-A")
    argv = [*command.split(), str(git_repo.path)]
    if command == "sync":
        argv += ["--database-url", f"sqlite:///{git_repo.path.parent / 'c.db'}"]
    assert main(argv) == 2
    _out, err = capsys.readouterr()
    offset = body.index(bytes([0xE9]))
    assert err.strip() == (f"tracertm: error: {git_repo.path / name}:2:15: invalid UTF-8 at byte offset {offset}; "
                           "save the file as UTF-8"), err


@pytest.mark.parametrize("name, body, said", [
    # ``tool`` not a table: every command (the hook too) was an internal error, AttributeError on 'str'.get
    ("pyproject.toml", 'tool = "poetry"\n', "2: tool must be a table"),
    ("pyproject.toml", "tool = 1\n", "2: tool must be a table"),
    ("pyproject.toml", "tool = [1]\n", "2: tool must be a table"),
    ("pyproject.toml", "[[tool]]\nx = 1\n", "2: tool must be a table"),
    # these named the file without a line
    ("pyproject.toml", "[tool]\ntracertm = 5\n", "3: [tool.tracertm] must be a table"),
    ("pyproject.toml", '[[tool.tracertm]]\nproject = "x"\n', "2: [tool.tracertm] must be a table"),
    (".tracertm.toml", '[[step_checks]]\nunused = "off"\n', '2: step_checks must be a table, e.g. step_checks = '
     '{ unused = "off" }'),
])
@pytest.mark.parametrize("command", ["check", "check --staged", "sync"])
def test_a_table_of_the_wrong_type_is_one_line_at_its_line(
        git_repo: GitRepo, capsys: pytest.CaptureFixture[str], name: str, body: str, said: str, command: str) -> None:
    git_repo.write("features/f.feature", "Feature: F\n  Scenario: s\n    Given a\n")
    git_repo.write(name, f"# comment\n{body}")
    git_repo.git("add", "-A")
    argv = [*command.split(), str(git_repo.path)]
    if command == "sync":
        argv += ["--database-url", f"sqlite:///{git_repo.path.parent / 'c.db'}"]
    assert main(argv) == 2
    _out, err = capsys.readouterr()
    assert err.strip() == f"tracertm: error: {git_repo.path / name}:{said}", err


def test_id_patterns_that_backtrack_are_told_from_those_that_do_not() -> None:
    from tracertm.config import _backtracks

    slow = [r"\bREQ-(\d+)+-X", r"(\w+\s?)*", r"(\d{1,3})+", r"(x+x+)+y", r"((ab)*)+", r"(?=(\d+)+)x"]
    kept = [r"\bREQ-\d+\b", r"FEAT-\d+", r"SC-\d+", r"REQ-\d+(?:\.\d+)*", r"(-[A-Z]+)+", r"(?:REQ|SPEC)-\d+",
            r"[A-Z]{2,5}-\d{1,6}", r"(\d+)?", r"(\d+){2}", r"(?:[A-Z]+-)?\d+"]
    assert [p for p in slow if not _backtracks(p)] == []
    assert [p for p in kept if _backtracks(p)] == []
