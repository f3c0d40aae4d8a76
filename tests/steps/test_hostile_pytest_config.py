"""A pytest configuration file anywhere in the repository is read as a step file (``steps.pytest_bdd.parse_config``).
One nested deeper than ``tomllib`` recurses (5,000 ``[``) raised RecursionError out of ``sync``, ``check``,
``check --staged`` and the hook (exit 3, nothing synced); one that is binary or not UTF-8 was an error even when it
configures no pytest. Each is now a warning at its line (one that configures no pytest: nothing), and the rest of
the run goes on."""

from __future__ import annotations

import pytest

from conftest import GitRepo
from tracertm.cli import main
from tracertm.engine.sync import sync
from tracertm.steps.parsing import parse_step_file
from tracertm.steps.pytest_bdd import parse_config

FEATURE = "Feature: F\n  Scenario: s\n    Given a thing\n"
TEST = "from pytest_bdd import given\n@given('a thing')\ndef thing():\n    pass\n"
DEEP = "[tool.pytest.ini_options]\nx = " + "[" * 5000 + "]" * 5000 + "\n"


def _project(repo: GitRepo, commit: bool = True) -> None:
    repo.write("features/f.feature", FEATURE)
    repo.write("tests/test_x.py", TEST)
    repo.write("sub/pytest.toml", DEEP)
    if commit:
        repo.commit("deep config")
    else:
        repo.git("add", "-A")  # staged: what the pre-commit hook's check --staged reads


def _run(argv: list[str], capsys: pytest.CaptureFixture[str]) -> tuple[int, str]:
    code = main(argv)
    out, err = capsys.readouterr()
    return code, out + err


@pytest.mark.parametrize("name", ["sub/pytest.toml", "sub/pyproject.toml", "pyproject.toml"])
def test_a_deeply_nested_toml_config_is_a_warning_at_its_line(name: str) -> None:
    text = DEEP if "pyproject" in name else "[pytest]\n" + DEEP.split("\n", 1)[1]
    found = parse_config(name, "# comment\n" + text)  # was: RecursionError
    assert [(w.path, w.line, w.severity) for w in found.warnings] == [(name, 3, "warning")]
    assert "nested too deeply" in found.warnings[0].message and not found.config.configures


def test_a_deeply_nested_toml_that_configures_no_pytest_says_nothing() -> None:
    found = parse_config("pyproject.toml", "[tool.black]\nx = " + "[" * 5000 + "]" * 5000 + "\n")
    assert found.warnings == () and found.errors == ()


@pytest.mark.parametrize("argv", [["check"], ["check", "--staged"]])
def test_check_goes_on_past_a_deeply_nested_config(
    git_repo: GitRepo, capsys: pytest.CaptureFixture[str], argv: list[str]
) -> None:
    _project(git_repo, commit="--staged" not in argv)
    code, out = _run([*argv, str(git_repo.path)], capsys)
    assert code == 0, out  # was: exit 3, internal error RecursionError
    assert "internal error" not in out and "Traceback" not in out
    assert "sub/pytest.toml:2" in out and "nested too deeply" in out


def test_sync_and_the_hook_go_on_past_a_deeply_nested_config(
    git_repo: GitRepo, database_url: str, capsys: pytest.CaptureFixture[str], monkeypatch: pytest.MonkeyPatch
) -> None:
    _project(git_repo)
    result = sync(git_repo.path, database_url=database_url)
    assert not result.errors and result.counts["step_definition"]["created"] == 1
    monkeypatch.setenv("TRACERTM_DATABASE_URL", database_url)
    code, out = _run(["hook", "sync", str(git_repo.path)], capsys)
    assert code == 0 and "RecursionError" not in out and "skipped" not in out, out


@pytest.mark.parametrize(("path", "data", "line"), [
    ("pytest.ini", b"[pytest]\npython_files = \xff\xfe\n", 2),
    ("tox.ini", b"[tox]\n[pytest]\n\x00\x01\n", 3),
    ("setup.cfg", b"[tool:pytest]\nx = \x80\n", 2),
])
def test_an_undecodable_pytest_config_is_a_warning(path: str, data: bytes, line: int) -> None:
    found = parse_step_file(path, data)  # was: ParseError (an error) for the file
    assert [(w.path, w.line, w.severity) for w in found.warnings] == [(path, line, "warning")]
    assert "cannot read this pytest configuration file" in found.warnings[0].message


@pytest.mark.parametrize("path", ["tox.ini", "setup.cfg"])
def test_an_undecodable_shared_file_without_pytest_says_nothing(path: str) -> None:
    found = parse_step_file(path, b"[metadata]\nname = \xff\x00\n")
    assert found.warnings == () and found.errors == ()


def test_check_goes_on_past_a_binary_setup_cfg(git_repo: GitRepo, capsys: pytest.CaptureFixture[str]) -> None:
    git_repo.write("features/f.feature", FEATURE)
    git_repo.write("tests/test_x.py", TEST)
    (git_repo.path / "setup.cfg").write_bytes(b"\x89PNG\r\n\x1a\n\x00\x00binary")
    git_repo.commit("binary setup.cfg")
    code, out = _run(["check", str(git_repo.path), "--strict"], capsys)
    assert code == 0 and "setup.cfg" not in out, out
